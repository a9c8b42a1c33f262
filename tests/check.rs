//! `check_gradient`: the public finite-difference check users run on their
//! own ops.

use tapegrad::{Error, Tolerance, Var, check_gradient, check_gradient_with};

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
