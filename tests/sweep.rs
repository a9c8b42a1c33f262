//! The backward sweep: fan-out, shared nodes, long chains, repeated and
//! partial sweeps, and partials that are not finite.

use approx::assert_relative_eq;
use tapegrad::{Gradients, Tape, Var, dot, sum};

#[test]
fn fan_out_accumulates_every_use() {
    let tape = Tape::new();
    let x = tape.var(1.5);
    let mut y = Var::constant(0.0);
    for k in 1..=20 {
        y += x * f64::from(k);
    }
    // y = x·(1 + 2 + … + 20) = 210·x
    assert_eq!(y.backward().wrt(&x), 210.0);
}

#[test]
fn a_variable_used_twice_in_one_op_gets_both_partials() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    assert_eq!((x * x).backward().wrt(&x), 6.0);
    assert_eq!((x / x).backward().wrt(&x), 0.0);
    assert_eq!((x - x).backward().wrt(&x), 0.0);
}

#[test]
fn diamond_sums_both_paths() {
    // x → a = sin x, b = x², both → y = a·b
    let tape = Tape::new();
    let x = tape.var(0.7);
    let (a, b) = (x.sin(), x * x);
    let y = a * b;
    let expected = 0.7_f64.cos() * 0.49 + 0.7_f64.sin() * 1.4;
    assert_relative_eq!(y.backward().wrt(&x), expected, max_relative = 1e-15);
}

#[test]
fn shared_intermediate_node_feeds_two_paths() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let shared = x.exp();
    let y = shared.ln() + shared * 3.0; // x + 3eˣ
    assert_relative_eq!(
        y.backward().wrt(&x),
        1.0 + 3.0 * 2.0_f64.exp(),
        max_relative = 1e-15
    );
}

#[test]
fn a_million_node_chain_does_not_overflow_the_stack() {
    let tape = Tape::with_capacity(1_000_001);
    let x = tape.var(1.0);
    let mut y = x;
    for _ in 0..1_000_000 {
        y *= 1.000_001;
    }
    assert_eq!(tape.len(), 1_000_001);
    let expected = 1.000_001_f64.powi(1_000_000);
    assert_relative_eq!(y.backward().wrt(&x), expected, max_relative = 1e-9);
}

#[test]
fn backward_twice_gives_the_same_gradients() {
    let tape = Tape::new();
    let (x, w) = (tape.var(0.3), tape.var(-1.2));
    let y = (x * w).tanh() + x.powi(3);
    let first = y.backward();
    let second = y.backward();
    assert_eq!(first.wrt(&x), second.wrt(&x));
    assert_eq!(first.wrt(&w), second.wrt(&w));
}

#[test]
fn backward_from_an_intermediate_node_ignores_what_came_after() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let mid = x * x; // d/dx = 4
    let late = tape.var(5.0);
    let out = mid.exp() * late;
    // Nodes of one, two and three edges after `mid`: the sweep finds where
    // `mid`'s own edges end by skipping theirs.
    let wide = sum(&[out, late, x]);
    let grads = mid.backward();
    assert_eq!(grads.wrt(&x), 4.0);
    // Recorded after `mid`: it cannot influence it.
    assert_eq!(grads.get(&late), Ok(0.0));
    assert_eq!(grads.get(&out), Ok(0.0));
    assert_eq!(grads.get(&wide), Ok(0.0));
    // And the full sweep still sees everything.
    assert_relative_eq!(out.backward().wrt(&late), 4.0_f64.exp());
}

#[test]
fn gradient_of_the_output_with_respect_to_itself_is_one() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let y = x.sin();
    assert_eq!(y.backward().wrt(&y), 1.0);
    assert_eq!(x.backward().wrt(&x), 1.0);
}

#[test]
fn unrelated_inputs_get_zero() {
    let tape = Tape::new();
    let (x, unused) = (tape.var(2.0), tape.var(9.0));
    let grads = x.exp().backward();
    assert_eq!(grads.wrt(&unused), 0.0);
}

#[test]
fn backward_of_a_constant_has_zero_gradients() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let c = Var::constant(3.0).exp();
    assert!(c.is_constant());
    assert_eq!(c.backward().get(&x), Ok(0.0));
    assert_eq!(tape.len(), 1, "constants record nothing");
}

#[test]
fn an_unrelated_infinite_partial_does_not_spoil_the_gradient() {
    // ln 0 between x and the output has the partial 1/0 = ∞; the output does
    // not depend on it, so it must pass on nothing (0·∞ would be NaN).
    let tape = Tape::new();
    let x = tape.var(0.0);
    let _unrelated = x.ln();
    let y = x.sin();
    assert_eq!(y.backward().wrt(&x), 1.0);
}

#[test]
fn a_zero_gradient_does_not_turn_an_infinite_partial_into_nan() {
    // relu is flat where ln 0 = −∞ lands: the true derivative is 0, and
    // 0 · (d ln/dx = ∞) must not make it NaN.
    let tape = Tape::new();
    let x = tape.var(0.0);
    let y = x.ln().relu();
    assert_eq!(y.value(), 0.0);
    assert_eq!(y.backward().wrt(&x), 0.0);
}

#[test]
fn inputs_recorded_between_operations_get_their_gradients() {
    // The sweep stops above the inputs recorded first; inputs recorded
    // later, by `var` or `vars`, are nodes like any other.
    let tape = Tape::new();
    let a = tape.var(2.0);
    let b = tape.vars(&[3.0, 4.0]);
    let ab = a * b[0];
    let c = tape.var(5.0);
    let d = tape.vars(&[7.0]);
    let y = ab * c + d[0] * a + b[1];
    let grads = y.backward();
    assert_eq!(grads.wrt(&a), 3.0 * 5.0 + 7.0);
    assert_eq!(grads.wrt(&b[0]), 2.0 * 5.0);
    assert_eq!(grads.wrt(&b[1]), 1.0);
    assert_eq!(grads.wrt(&c), 6.0);
    assert_eq!(grads.wrt(&d[0]), 2.0);
    // An input's gradient with respect to itself, and to the inputs before.
    let g = b[0].backward();
    assert_eq!((g.wrt(&b[0]), g.wrt(&a)), (1.0, 0.0));
}

#[test]
fn consecutive_parents_get_the_gradients_scattered_ones_do() {
    // Weights recorded together are one run of parents, stored and swept as
    // a slice; the same weights in another order are a list.
    let tape = Tape::new();
    let w = tape.vars(&[0.5, -1.0, 2.0, 0.25, 3.0, -0.75]);
    let x = [1.5, -2.0, 0.5, 4.0, -1.0, 0.125];
    let run = (dot(&w, &x).tanh() * 3.0).backward();
    let (w_rev, x_rev): (Vec<Var>, Vec<f64>) = w.iter().rev().zip(x.iter().rev()).unzip();
    let listed = (dot(&w_rev, &x_rev).tanh() * 3.0).backward();
    for (k, wk) in w.iter().enumerate() {
        assert_eq!(run.wrt(wk), listed.wrt(wk), "w[{k}]");
        assert_ne!(run.wrt(wk), 0.0);
    }
    // A sum over a run of intermediate nodes, and over the inputs with a
    // gap: every parent gets its own partial.
    let squares: Vec<Var> = w.iter().map(|&v| v * v).collect();
    let cubes: Vec<Var> = squares.iter().zip(&w).map(|(&s, &v)| s * v).collect();
    let grads = (sum(&cubes) + sum(&[w[0], w[2], w[3], w[4], w[5]])).backward();
    for (k, wk) in w.iter().enumerate() {
        let gap = if k == 1 { 0.0 } else { 1.0 };
        assert_eq!(grads.wrt(wk), 3.0 * wk.value() * wk.value() + gap, "w[{k}]");
    }
}

#[test]
fn a_zero_gradient_through_consecutive_parents_does_not_turn_an_infinite_partial_into_nan() {
    let tape = Tape::new();
    let x = tape.vars(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    let z = dot(&x, &[f64::INFINITY, 1.0, 2.0, 3.0, 4.0]);
    // z's gradient is zero: x[0] gets 0, not 0·∞.
    let y = z.min(Var::constant(0.0)) + x[0];
    assert_eq!(y.backward().wrt(&x[0]), 1.0);
}

#[test]
fn backward_into_reuses_the_gradient_buffer() {
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    for step in 1..=3 {
        let x = tape.var(f64::from(step));
        (x * x * x).backward_into(&mut grads);
        assert_eq!(grads.wrt(&x), 3.0 * f64::from(step * step));
        tape.clear();
    }
}
