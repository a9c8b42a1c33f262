//! Values and gradients that must stay finite and exact where a naive
//! formula overflows, the conventions at kinks, and derivatives that peer
//! crates have shipped wrong.

use approx::assert_relative_eq;
use tapegrad::{Tape, Var};

#[test]
fn ln_sigmoid_of_minus_800_is_minus_800_with_gradient_1() {
    let tape = Tape::new();
    let z = tape.var(-800.0);
    let y = z.ln_sigmoid();
    assert_eq!(y.value(), -800.0);
    assert_eq!(y.backward().wrt(&z), 1.0);
}

#[test]
fn ln_sigmoid_of_plus_800_is_zero_with_zero_gradient() {
    let tape = Tape::new();
    let z = tape.var(800.0);
    let y = z.ln_sigmoid();
    assert_eq!(y.value(), 0.0);
    assert_eq!(y.backward().wrt(&z), 0.0);
}

#[test]
fn bce_with_logits_at_plus_and_minus_800_is_finite_and_exact() {
    let tape = Tape::new();
    for (z0, y, loss, grad) in [
        (800.0, 1.0, 0.0, 0.0),   // right and confident
        (800.0, 0.0, 800.0, 1.0), // wrong and confident
        (-800.0, 0.0, 0.0, 0.0),
        (-800.0, 1.0, 800.0, -1.0),
        (800.0, 0.25, 600.0, 0.75),
    ] {
        let z = tape.var(z0);
        let l = z.bce_with_logits(y);
        assert_eq!(l.value(), loss, "loss at z = {z0}, y = {y}");
        assert_eq!(l.backward().wrt(&z), grad, "gradient at z = {z0}, y = {y}");
    }
}

#[test]
fn bce_with_logits_keeps_tiny_losses_exact() {
    // At z = 30, y = 1 the loss is ln(1 + e⁻³⁰) ≈ 9.36e-14: a naive
    // softplus(z) − z loses most of its digits.
    let tape = Tape::new();
    let z = tape.var(30.0);
    assert_relative_eq!(
        z.bce_with_logits(1.0).value(),
        (-30.0_f64).exp().ln_1p(),
        max_relative = 1e-15
    );
}

#[test]
fn sigmoid_at_plus_and_minus_800_has_no_nan_gradient() {
    let tape = Tape::new();
    for z0 in [-800.0, 800.0] {
        let z = tape.var(z0);
        let s = z.sigmoid();
        assert_eq!(s.value(), if z0 > 0.0 { 1.0 } else { 0.0 });
        assert_eq!(s.backward().wrt(&z), 0.0);
    }
}

#[test]
fn sigmoid_derivative_stays_exact_where_sigma_rounds_to_one() {
    // σ(40) rounds to 1, so σ(1 − σ) would be 0; σ′(40) ≈ 4.25e-18.
    let tape = Tape::new();
    let z = tape.var(40.0);
    let expected = (-40.0_f64).exp() / (1.0 + (-40.0_f64).exp()).powi(2);
    assert_relative_eq!(
        z.sigmoid().backward().wrt(&z),
        expected,
        max_relative = 1e-14
    );
}

#[test]
fn softplus_of_large_inputs_is_finite_and_exact() {
    let tape = Tape::new();
    let z = tape.var(800.0);
    assert_eq!(z.softplus().value(), 800.0);
    assert_eq!(z.softplus().backward().wrt(&z), 1.0);
    let z = tape.var(-800.0);
    assert_eq!(z.softplus().value(), 0.0);
    assert_eq!(z.softplus().backward().wrt(&z), 0.0);
}

/// `y·ln ŷ + (1 − y)·ln(1 − ŷ)` exactly as the derivation writes it.
fn textbook_log_likelihood<'t>(z: Var<'t>, y: f64) -> Var<'t> {
    let y_hat = z.sigmoid();
    y * y_hat.ln() + (1.0 - y) * (1.0 - y_hat).ln()
}

#[test]
fn the_textbook_loss_is_finite_and_exact_for_large_logits() {
    let tape = Tape::new();
    for (z0, y, value, grad) in [
        (-800.0, 1.0, -800.0, 1.0),
        (800.0, 0.0, -800.0, -1.0),
        (-800.0, 0.0, 0.0, 0.0),
        (800.0, 1.0, 0.0, 0.0),
        (-40.0, 1.0, -40.0, 1.0),
    ] {
        let z = tape.var(z0);
        let ll = textbook_log_likelihood(z, y);
        assert_relative_eq!(ll.value(), value, max_relative = 1e-15);
        // ∂/∂z of the log-likelihood is y − σ(z).
        assert_relative_eq!(ll.backward().wrt(&z), grad, max_relative = 1e-15);
    }
}

#[test]
fn the_textbook_loss_matches_bce_with_logits_everywhere() {
    let tape = Tape::new();
    for z0 in [-50.0, -3.0, -0.1, 0.0, 0.4, 7.0, 50.0] {
        for y in [0.0, 1.0] {
            let z = tape.var(z0);
            let textbook = -textbook_log_likelihood(z, y);
            let fused = z.bce_with_logits(y);
            assert_relative_eq!(textbook.value(), fused.value(), max_relative = 1e-14);
            assert_relative_eq!(
                textbook.backward().wrt(&z),
                fused.backward().wrt(&z),
                max_relative = 1e-14,
                epsilon = 1e-300
            );
        }
    }
}

#[test]
fn one_minus_sigmoid_is_exact_where_sigma_rounds_to_one() {
    let tape: Tape = Tape::new();
    let z = tape.var(40.0);
    let complement = 1.0 - z.sigmoid();
    assert_relative_eq!(
        complement.value(),
        1.0 / (1.0 + 40.0_f64.exp()),
        max_relative = 1e-15
    );
}

#[test]
fn relu_at_zero_has_gradient_zero() {
    let tape = Tape::new();
    let x = tape.var(0.0);
    assert_eq!(x.relu().backward().wrt(&x), 0.0);
}

#[test]
fn abs_at_zero_has_gradient_zero() {
    let tape = Tape::new();
    let x = tape.var(0.0);
    assert_eq!(x.abs().backward().wrt(&x), 0.0);
}

#[test]
fn max_and_min_at_a_tie_split_the_gradient() {
    let tape = Tape::new();
    let (a, b) = (tape.var(1.0), tape.var(1.0));
    for out in [a.max(b), a.min(b)] {
        let grads = out.backward();
        assert_eq!((grads.wrt(&a), grads.wrt(&b)), (0.5, 0.5));
    }
    // A tie with a constant: half goes to the variable.
    assert_eq!(a.max(1.0).backward().wrt(&a), 0.5);
}

#[test]
fn max_and_min_ignore_a_nan_operand_as_f64_does() {
    let tape = Tape::new();
    let (a, b) = (tape.var(f64::NAN), tape.var(2.0));
    for out in [a.max(b), a.min(b), b.max(a), b.min(a)] {
        assert_eq!(out.value(), 2.0);
        let grads = out.backward();
        assert_eq!((grads.wrt(&a), grads.wrt(&b)), (0.0, 1.0));
    }
}

#[test]
fn relu_propagates_nan() {
    let tape = Tape::new();
    assert!(tape.var(f64::NAN).relu().value().is_nan());
    assert_eq!(tape.var(f64::NEG_INFINITY).relu().value(), 0.0);
}

#[test]
fn constant_over_variable_has_the_right_derivative() {
    // d/dx (c/x) = −c/x²; a peer crate once returned 1/x.
    let tape: Tape = Tape::new();
    let x = tape.var(4.0);
    let y = 3.0 / x;
    assert_eq!(y.value(), 0.75);
    assert_eq!(y.backward().wrt(&x), -3.0 / 16.0);
}

#[test]
fn constant_raised_to_a_variable_has_the_right_derivative() {
    // d/dx cˣ = cˣ·ln c; peer crates have returned x·cˣ⁻¹.
    let tape = Tape::new();
    let x = tape.var(3.0);
    let y = Var::constant(2.0).powf(x);
    assert_eq!(y.value(), 8.0);
    assert_relative_eq!(
        y.backward().wrt(&x),
        8.0 * 2.0_f64.ln(),
        max_relative = 1e-15
    );
}

#[test]
fn powf_at_a_zero_base_has_finite_partials() {
    let tape = Tape::new();
    let (x, y) = (tape.var(0.0), tape.var(2.0));
    let grads = x.powf(y).backward();
    assert_eq!(grads.wrt(&x), 0.0);
    assert_eq!(grads.wrt(&y), 0.0, "0ʸ·ln 0 is taken at its limit 0");
    let zero_exponent = x.powf(0.0);
    assert_eq!(zero_exponent.value(), 1.0);
    assert_eq!(zero_exponent.backward().wrt(&x), 0.0);
}

#[test]
fn powi_zero_at_zero_is_not_nan() {
    let tape = Tape::new();
    let x = tape.var(0.0);
    assert_eq!(x.powi(0).backward().wrt(&x), 0.0);
}

#[test]
fn hypot_and_atan2_at_the_origin_have_zero_gradients() {
    let tape = Tape::new();
    let (x, y) = (tape.var(0.0), tape.var(0.0));
    for out in [x.hypot(y), y.atan2(x)] {
        let grads = out.backward();
        assert_eq!((grads.wrt(&x), grads.wrt(&y)), (0.0, 0.0));
    }
}

#[test]
fn hypot_and_atan2_do_not_overflow_for_huge_inputs() {
    let tape = Tape::new();
    let (x, y) = (tape.var(3e200), tape.var(4e200));
    let grads = x.hypot(y).backward();
    assert_relative_eq!(grads.wrt(&x), 0.6, max_relative = 1e-15);
    // ∂/∂y atan2(y, x) = x/(x² + y²) = 3e200/25e400, though x² overflows.
    let grads = y.atan2(x).backward();
    assert_relative_eq!(grads.wrt(&y), 0.12e-200, max_relative = 1e-14);
}

#[test]
fn exp_m1_keeps_its_derivative_exact_for_very_negative_inputs() {
    let tape = Tape::new();
    let x = tape.var(-40.0);
    assert_relative_eq!(
        x.exp_m1().backward().wrt(&x),
        (-40.0_f64).exp(),
        max_relative = 1e-15
    );
}
