//! # Your own op, with its own derivative
//!
//! The tape knows the elementary functions; anything else can be composed
//! from them, or recorded as one node of your own with `Var::custom`: you
//! give the value and the partial derivative with respect to each argument,
//! and the backward sweep treats it like any built-in op.
//!
//! The op here is `logaddexp(a, b) = ln(eᵃ + eᵇ)`, a smooth maximum. Composed
//! naively from `exp`, `+` and `ln` it overflows as soon as `a` passes about
//! 710; written as `max(a, b) + ln(1 + e^(−|a − b|))` it never does. Its
//! partials are the softmax weights:
//! `∂/∂a = eᵃ/(eᵃ + eᵇ) = σ(a − b)` and `∂/∂b = σ(b − a)`.
//!
//! A derivative you write by hand can be wrong, so the example checks it
//! with `check_gradient` (central finite differences), and shows what the
//! check reports when it is wrong. Last, `Var::fused` records the same one
//! node without a hand-written derivative: it evaluates the formula on
//! forward-mode `Dual` numbers, which carry the partials along.
//!
//! Run it with `cargo run --release --example custom_op`.

use std::error::Error;

use tapegrad::{Tape, Var, check::check_gradient};

/// `σ(x) = 1/(1 + e^(−x))` on a float, for the partials.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        x.exp() / (1.0 + x.exp())
    }
}

/// `ln(eᵃ + eᵇ)`, stable for any `a`, `b`: one node with two parents.
fn logaddexp<'t>(a: Var<'t>, b: Var<'t>) -> Var<'t> {
    Var::custom("logaddexp", [a, b], |[a, b]| {
        let value = a.max(b) + (-(a - b).abs()).exp().ln_1p();
        (value, [sigmoid(a - b), sigmoid(b - a)])
    })
}

/// The same function composed from the elementary ops: four nodes.
fn logaddexp_naive<'t>(a: Var<'t>, b: Var<'t>) -> Var<'t> {
    (a.exp() + b.exp()).ln()
}

/// The stable formula as one node, differentiated by the crate: `f` runs on
/// `Dual` numbers, which carry `∂/∂a` and `∂/∂b` through every operation.
fn logaddexp_fused<'t>(a: Var<'t>, b: Var<'t>) -> Var<'t> {
    Var::fused("logaddexp", [a, b], |[a, b]| {
        a.max(b) + (-(a - b).abs()).exp().ln_1p()
    })
}

/// A mistake anyone could make: `∂/∂b` written as `σ(a − b)` too.
fn logaddexp_wrong<'t>(a: Var<'t>, b: Var<'t>) -> Var<'t> {
    Var::custom("logaddexp, wrong", [a, b], |[a, b]| {
        let value = a.max(b) + (-(a - b).abs()).exp().ln_1p();
        (value, [sigmoid(a - b), sigmoid(a - b)])
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    println!(
        "{:>16}  {:>26}  {:>26}",
        "(a, b)", "custom: value, ∂/∂a", "composed: value, ∂/∂a"
    );
    for (a0, b0) in [(0.0, 0.0), (1.0, -2.0), (30.0, 29.0), (1000.0, 999.0)] {
        let tape = Tape::new();
        let (a, b) = (tape.var(a0), tape.var(b0));
        let (custom, naive) = (logaddexp(a, b), logaddexp_naive(a, b));
        let (dc, dn) = (custom.backward().wrt(&a), naive.backward().wrt(&a));
        println!(
            "{:>16}  {:>14.6} {:>11.6}  {:>14.6} {:>11.6}",
            format!("({a0}, {b0})"),
            custom.value(),
            dc,
            naive.value(),
            dn
        );
    }
    println!("At (1000, 999) e¹⁰⁰⁰ overflows, and the composed version returns inf and NaN.");

    let tape = Tape::new();
    let (a, b) = (tape.var(1.0), tape.var(2.0));
    let before = tape.len();
    let _ = logaddexp(a, b);
    let custom_nodes = tape.len() - before;
    let _ = logaddexp_naive(a, b);
    println!(
        "\nnodes recorded: {custom_nodes} for the custom op, {} composed",
        tape.len() - before - custom_nodes
    );

    // Hold the hand-written partials to central finite differences.
    println!("\nchecking the partials against central finite differences:");
    for point in [[0.0, 0.0], [1.0, -2.0], [-3.5, 4.0], [30.0, 29.0]] {
        let report = check_gradient(|x| logaddexp(x[0], x[1]), &point)?;
        println!(
            "  at {point:?}: tape {:.9?}, numeric {:.9?}  ok",
            report.tape, report.numeric
        );
    }
    match check_gradient(|x| logaddexp_wrong(x[0], x[1]), &[1.0, -2.0]) {
        Err(e) => println!("  the wrong version is caught: {e}"),
        Ok(_) => return Err("the check missed a wrong derivative".into()),
    }

    // No derivative to write: the fused node gives the same partials.
    println!("\nVar::fused, differentiated in forward mode:");
    for (a0, b0) in [(0.0, 0.0), (1.0, -2.0), (1000.0, 999.0)] {
        let tape = Tape::new();
        let (a, b) = (tape.var(a0), tape.var(b0));
        let (custom, fused) = (logaddexp(a, b), logaddexp_fused(a, b));
        let (gc, gf) = (custom.backward(), fused.backward());
        let (by_hand, by_dual) = ([gc.wrt(&a), gc.wrt(&b)], [gf.wrt(&a), gf.wrt(&b)]);
        println!("  at ({a0}, {b0}): by hand {by_hand:.9?}, fused {by_dual:.9?}");
        let close = by_hand
            .iter()
            .zip(&by_dual)
            .all(|(h, d)| (h - d).abs() <= 1e-15);
        if fused.value() != custom.value() || !close {
            return Err("the fused node disagrees with the hand-written one".into());
        }
    }
    Ok(())
}
