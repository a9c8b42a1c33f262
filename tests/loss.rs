//! The mean losses against their closed forms and finite differences.

use approx::assert_relative_eq;
use tapegrad::{Tape, Var, check::check_gradient, loss};

const LABELS: [f64; 4] = [1.0, 0.0, 1.0, 0.0];

#[test]
fn mean_bce_with_logits_matches_the_per_sample_sum() {
    let tape = Tape::new();
    let z = tape.vars(&[0.3, -2.0, 5.0, 40.0]);
    let fused = loss::mean_bce_with_logits(&z, &LABELS);
    let by_hand = z
        .iter()
        .zip(LABELS)
        .map(|(z, y)| z.bce_with_logits(y))
        .sum::<Var>()
        / 4.0;
    assert_relative_eq!(fused.value(), by_hand.value(), max_relative = 1e-15);
    let (g, h) = (fused.backward(), by_hand.backward());
    for (zi, y) in z.iter().zip(LABELS) {
        let sigma = 1.0 / (1.0 + (-zi.value()).exp());
        assert_relative_eq!(g.wrt(zi), (sigma - y) / 4.0, max_relative = 1e-14);
        assert_relative_eq!(g.wrt(zi), h.wrt(zi), max_relative = 1e-14);
    }
}

#[test]
fn mean_bce_with_logits_is_one_node() {
    let tape = Tape::new();
    let z = tape.vars(&[0.0; 4]);
    let before = tape.len();
    let _ = loss::mean_bce_with_logits(&z, &LABELS);
    assert_eq!(tape.len() - before, 1);
}

#[test]
fn mean_bce_with_logits_stays_finite_at_extreme_logits() {
    let tape = Tape::new();
    let z = tape.vars(&[-800.0, 800.0]);
    let j = loss::mean_bce_with_logits(&z, &[1.0, 0.0]);
    assert_eq!(j.value(), 800.0);
    assert_eq!(j.backward().wrt_all(&z), [-0.5, 0.5]);
}

#[test]
fn mean_squared_error_matches_its_closed_form() {
    let tape = Tape::new();
    let p = tape.vars(&[1.0, -2.0, 0.5]);
    let t = [0.0, 1.0, 0.5];
    let j = loss::mean_squared_error(&p, &t);
    assert_relative_eq!(j.value(), (1.0 + 9.0 + 0.0) / 3.0);
    let g = j.backward();
    for (pi, ti) in p.iter().zip(t) {
        assert_relative_eq!(g.wrt(pi), 2.0 * (pi.value() - ti) / 3.0);
    }
}

#[test]
fn both_losses_match_finite_differences() {
    check_gradient(
        |z| loss::mean_bce_with_logits(z, &LABELS),
        &[0.3, -2.0, 1.5, 0.1],
    )
    .expect("bce gradient");
    check_gradient(
        |p| loss::mean_squared_error(p, &[0.0, 1.0, 2.0]),
        &[0.5, -1.0, 4.0],
    )
    .expect("mse gradient");
}

#[test]
#[should_panic(expected = "2 predictions but 3 targets")]
fn a_length_mismatch_panics() {
    let tape = Tape::new();
    let _ = loss::mean_squared_error(&tape.vars(&[1.0, 2.0]), &[0.0; 3]);
}

#[test]
#[should_panic(expected = "the mean of no samples is undefined")]
fn no_samples_panics() {
    let none: [Var; 0] = [];
    let _ = loss::mean_squared_error(&none, &[]);
}
