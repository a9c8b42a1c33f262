//! `check_gradient`: the public finite-difference check users run on their
//! own ops.

use tapegrad::{
    Error, Var,
    check::{Tolerance, check_gradient, check_gradient_with},
};

fn softsign<'t>(x: &[Var<'t>]) -> Var<'t> {
    Var::custom("softsign", [x[0]], |[v]| {
        let d = 1.0 + v.abs();
        (v / d, [1.0 / (d * d)])
    })
}

/// d/dx of x·y is y, not 2y.
fn wrong_in_second_input<'t>(x: &[Var<'t>]) -> Var<'t> {
    x[0].sin()
        + Var::custom("x·y, wrongly", [x[1], x[2]], |[a, b]| {
            (a * b, [b, 2.0 * a])
        })
}

#[test]
fn a_correct_custom_op_passes() {
    for x in [-3.0, -0.2, 0.5, 4.0] {
        let report = check_gradient(softsign, &[x]).expect("softsign is right");
        assert_eq!(report.tape.len(), 1);
        assert_eq!(report.worst, Some(0));
    }
}

#[test]
fn a_wrong_partial_is_reported_with_its_index_and_both_values() {
    let err = check_gradient(wrong_in_second_input, &[0.1, 1.5, 2.0]).unwrap_err();
    match err {
        Error::GradientMismatch {
            index,
            tape,
            numeric,
        } => {
            assert_eq!(index, 2, "the wrong partial is the one for x[2]");
            assert_eq!(tape, 3.0);
            assert!((numeric - 1.5).abs() < 1e-6, "numeric = {numeric}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_nan_gradient_fails_the_check() {
    assert!(matches!(
        check_gradient(
            |x| Var::custom("nan partial", [x[0]], |[v]| (v, [f64::NAN])),
            &[1.0]
        ),
        Err(Error::GradientMismatch { index: 0, .. })
    ));
}

#[test]
fn the_check_works_in_f32() {
    let report = check_gradient(|x| x[0].exp() * x[1].cos(), &[0.4_f32, 1.1])
        .expect("exp·cos is right in f32");
    assert_eq!(report.numeric.len(), 2);
    // 5 % off.
    let off = check_gradient(
        |x| Var::custom("square, 5 % off", [x[0]], |[v]| (v * v, [2.1 * v])),
        &[1.0_f32],
    );
    assert!(off.is_err());
}

#[test]
fn a_tighter_tolerance_catches_a_smaller_error() {
    // 0.1 % off: within a tolerance of 1 %, not of 0.01 %.
    fn slightly_wrong<'t>(x: &[Var<'t>]) -> Var<'t> {
        Var::custom("square, 0.1 % off", [x[0]], |[v]| (v * v, [2.002 * v]))
    }
    let loose = Tolerance {
        epsilon: 1e-8,
        max_relative: 1e-2,
    };
    let tight = Tolerance {
        epsilon: 1e-8,
        max_relative: 1e-4,
    };
    assert!(check_gradient_with(slightly_wrong, &[1.0], loose).is_ok());
    assert!(check_gradient_with(slightly_wrong, &[1.0], tight).is_err());
}

#[test]
fn a_function_of_no_inputs_passes_trivially() {
    let report =
        check_gradient(|_: &[Var<'_>]| Var::constant(1.0), &[]).expect("nothing to compare");
    assert_eq!(report.worst, None);
}

/// About 2.6e6 at (0.7, 0.4), with the partial 3e-4·cos(0.12) in `x[1]`.
fn large<'t>(x: &[Var<'t>]) -> Var<'t> {
    (x[0].sin() + 2.0) * 1e6 + (x[1] * 0.3).sin() * 1e-3
}

/// The same, with a partial ten times too large in `x[1]`.
fn large_and_wrong<'t>(x: &[Var<'t>]) -> Var<'t> {
    let wrong = Var::custom("wrong", [x[1] * 0.3], |[v]| (v.sin(), [10.0 * v.cos()]));
    (x[0].sin() + 2.0) * 1e6 + wrong * 1e-3
}

#[test]
fn a_small_partial_of_a_large_function_is_not_lost_in_rounding() {
    // An ulp of f is 4.7e-10, which a central difference over 2h ≈ 1.2e-5
    // turns into 3.9e-5: more than the default tolerance of a partial of
    // 3e-4. The estimate here is 3.08e-4, off by 1e-5; the check allows
    // 3.8e-4 (four ulps in each value of f): finite differences cannot
    // tell a partial of this size better than that.
    let report = check_gradient(large, &[0.7, 0.4]).unwrap();
    assert_eq!(report.tape[1], 3e-4 * 0.12_f64.cos());
    // A partial wrong by more than that is still caught.
    assert!(matches!(
        check_gradient(large_and_wrong, &[0.7, 0.4]),
        Err(Error::GradientMismatch { index: 1, .. })
    ));
}

#[test]
fn an_infinite_derivative_where_the_true_one_is_finite_is_a_mismatch() {
    fn infinite<'t>(x: &[Var<'t>]) -> Var<'t> {
        Var::custom("x², infinitely wrong", [x[0]], |[v]| {
            (v * v, [f64::INFINITY])
        })
    }
    let err = check_gradient(infinite, &[1.0]).expect_err("∞ is not 2");
    assert!(
        matches!(err, Error::GradientMismatch { index: 0, .. }),
        "{err:?}"
    );
}
