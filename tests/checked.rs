//! Checked mode: the first number that is not finite, or a custom op's
//! wrong derivative, reported with its op, its line and how it came about.

use std::cell::Cell;

use tapegrad::{Error, Quantity, Tape, Var};

/// The line of the caller, to compare with a reported location.
#[track_caller]
fn here() -> u32 {
    std::panic::Location::caller().line()
}

#[test]
fn a_nan_is_reported_where_it_starts_with_its_op_line_and_chain() {
    let tape = Tape::checked();
    let x = tape.var(-1.0);
    let doubled = x * 2.0;
    let (root, line) = (doubled.sqrt(), here()); // √(−2) = NaN
    let y = (root + 1.0).exp() * x; // the NaN flows on through three more ops
    match y.backward_checked() {
        Err(Error::NonFinite {
            op,
            location,
            what,
            value,
            chain,
        }) => {
            assert_eq!(op, "sqrt");
            assert_eq!(what, Quantity::Value);
            assert!(value.is_nan());
            assert_eq!(chain, ["input", "mul", "sqrt"]);
            assert!(location.file().ends_with("checked.rs"));
            assert_eq!(location.line(), line);
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn an_infinite_value_and_an_infinite_derivative_are_told_apart() {
    let tape = Tape::checked();
    let zero = tape.var(0.0);
    let err = zero.ln().backward_checked().unwrap_err();
    assert!(
        matches!(err, Error::NonFinite { op: "ln", what: Quantity::Value, value, .. } if value == f64::NEG_INFINITY)
    );

    let tape = Tape::checked();
    let zero = tape.var(0.0);
    let err = zero.sqrt().backward_checked().unwrap_err();
    assert!(matches!(
        err,
        Error::NonFinite {
            op: "sqrt",
            what: Quantity::LocalDerivative { argument: 0 },
            ..
        }
    ));
}

#[test]
fn a_gradient_that_overflows_in_the_sweep_is_reported() {
    // Five square roots of 1e-320: every value and partial is finite, but
    // the product of the partials, 5e159·5e79·5e39·5e19·5e9, is not.
    let tape = Tape::checked();
    let a = tape.var(1e-320_f64);
    let w = a.sqrt().sqrt().sqrt().sqrt().sqrt();
    assert!(w.value().is_finite());
    match w.backward_checked() {
        Err(Error::NonFinite {
            op,
            what,
            value,
            chain,
            ..
        }) => {
            assert_eq!(
                (op, what, value),
                ("input", Quantity::Gradient, f64::INFINITY)
            );
            assert_eq!(chain, ["sqrt", "sqrt", "sqrt", "sqrt", "sqrt", "input"]);
        }
        other => panic!("expected an overflowing gradient, got {other:?}"),
    }
}

#[test]
fn a_problem_outside_the_outputs_computation_is_not_its_problem() {
    let tape = Tape::checked();
    let x = tape.var(0.0);
    let _broken = x.ln();
    let fine = x.sin();
    assert_eq!(fine.backward_checked().map(|g| g.wrt(&x)), Ok(1.0));
    // The tape as a whole still knows.
    assert!(matches!(
        tape.check(),
        Err(Error::NonFinite { op: "ln", .. })
    ));
}

#[test]
fn a_clean_computation_passes_and_gives_the_plain_gradients() {
    let tape = Tape::checked();
    let (x, y) = (tape.var(0.3), tape.var(-2.0));
    let z = (x * y).tanh() + x.sigmoid().ln();
    let checked = z.backward_checked().expect("nothing is wrong");
    let plain = z.backward();
    assert_eq!(checked.wrt(&x), plain.wrt(&x));
    assert_eq!(tape.check(), Ok(()));
}

#[test]
fn long_chains_are_shortened_from_the_front() {
    let tape = Tape::checked();
    let mut v = tape.var(1.0);
    for _ in 0..30 {
        v *= 1.0;
    }
    let bad = (v - 1.0).ln();
    let Err(Error::NonFinite { chain, .. }) = bad.backward_checked() else {
        panic!("ln 0 is −∞");
    };
    assert_eq!(chain.len(), 12);
    assert_eq!(chain[0], "…");
    assert_eq!(chain[11], "ln");
}

/// d/dx (x³) declared as 2x², once per call.
fn cube_wrongly<'t>(x: Var<'t>, calls: &Cell<usize>) -> Var<'t> {
    Var::custom("cube", [x], |[v]| {
        calls.set(calls.get() + 1);
        (v * v * v, [2.0 * v * v])
    })
}

#[test]
fn a_wrong_custom_derivative_is_caught_once_per_call_site() {
    let tape = Tape::checked();
    let x = tape.var(1.5);
    let calls = Cell::new(0);
    let mut y = Var::constant(0.0);
    for _ in 0..3 {
        y += cube_wrongly(x, &calls);
    }
    // One call site: checked once, with two more evaluations of f.
    assert_eq!(calls.get(), 3 + 2);
    match y.backward_checked() {
        Err(Error::WrongCustomDerivative {
            op,
            argument,
            declared,
            numeric,
            ..
        }) => {
            assert_eq!((op, argument, declared), ("cube", 0, 4.5));
            assert!((numeric - 6.75).abs() < 1e-6, "numeric {numeric}");
        }
        other => panic!("expected the wrong derivative to be caught, got {other:?}"),
    }
}

#[test]
fn a_right_custom_derivative_passes_and_plain_tapes_do_not_check() {
    let tape = Tape::checked();
    let x = tape.var(1.5);
    let y = Var::custom("cube", [x], |[v]| (v * v * v, [3.0 * v * v]));
    assert!(y.backward_checked().is_ok());

    let plain = Tape::new();
    let calls = Cell::new(0);
    let x = plain.var(1.5);
    let _ = cube_wrongly(x, &calls);
    assert_eq!(calls.get(), 1, "a plain tape evaluates a custom op once");
}

#[test]
fn checked_operations_need_a_checked_tape() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    assert_eq!(x.backward_checked().map(|_| ()), Err(Error::NotChecked));
    assert_eq!(tape.check(), Err(Error::NotChecked));
    assert!(!tape.is_checked() && Tape::<f64>::checked().is_checked());
}

#[test]
fn clear_forgets_the_anomalies_of_the_last_step() {
    let mut tape = Tape::checked();
    {
        let x = tape.var(-1.0);
        let _ = x.sqrt();
    }
    assert!(tape.check().is_err());
    tape.clear();
    let x = tape.var(4.0);
    assert!(x.sqrt().backward_checked().is_ok());
    assert_eq!(tape.check(), Ok(()));
}

#[test]
fn the_message_names_the_op_line_value_and_chain() {
    let tape = Tape::checked();
    let x = tape.var(-3.0);
    let err = x.ln().backward_checked().unwrap_err();
    let message = err.to_string();
    for part in ["the value of `ln`", "checked.rs:", "is NaN", "input → ln"] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[test]
fn operators_and_methods_report_the_callers_line() {
    let tape = Tape::checked();
    let (x, zero) = (tape.var(1.0), tape.var(0.0));
    let (q, line) = (-(x / zero), here());
    let Err(Error::NonFinite { op, location, .. }) = q.backward_checked() else {
        panic!("1/0 is ∞");
    };
    assert_eq!((op, location.line()), ("div", line));

    let tape = Tape::checked();
    let zero = tape.var(0.0);
    let (r, line) = (zero.recip(), here());
    let Err(Error::NonFinite { op, location, .. }) = r.backward_checked() else {
        panic!("1/0 is ∞");
    };
    assert_eq!((op, location.line()), ("recip", line));
}

#[test]
fn inputs_made_by_vars_report_the_callers_line() {
    let tape = Tape::checked();
    let (xs, line) = (tape.vars(&[1.0, f64::NAN]), here());
    let Err(Error::NonFinite { op, location, .. }) = tape.check() else {
        panic!("a NaN input is reported");
    };
    assert_eq!((op, location.line()), ("input", line));
    assert_eq!(xs.len(), 2);
}

#[test]
fn units_of_a_dense_layer_report_the_line_that_made_the_layer() {
    // A unit stored as such, and one that `affine` records (a constant
    // weight), each recorded when the iterator reaches it, on another line.
    for constant in [false, true] {
        let tape = Tape::checked();
        let theta = tape.vars(&[1.0, 2.0, 0.5]);
        let second = if constant {
            Var::constant(2.0)
        } else {
            theta[1]
        };
        let params = [theta[0], second, theta[2]];
        let x = [f64::INFINITY, 1.0];
        let (layer, line) = (tapegrad::nn::dense(&params, &x), here());
        let units: Vec<Var> = layer.collect();
        let Err(Error::NonFinite { op, location, .. }) = tape.check() else {
            panic!("an infinite input gives an infinite unit");
        };
        assert_eq!(
            (op, location.line()),
            ("dense", line),
            "constant: {constant}"
        );
        assert!(location.file().ends_with("checked.rs"));
        assert_eq!(units.len(), 1);
    }
    // The ops recorded after the layer name their own lines again.
    let tape = Tape::checked();
    let theta = tape.vars(&[1.0, 2.0, 0.5]);
    let units: Vec<Var> = tapegrad::nn::dense(&theta, &[1.0, -0.25]).collect();
    let (y, line) = ((units[0] - units[0]).ln(), here()); // ln 0 = −∞
    let Err(Error::NonFinite { op, location, .. }) = y.backward_checked() else {
        panic!("ln 0 is −∞");
    };
    assert_eq!((op, location.line()), ("ln", line));
}

/// The tape of a nested pair is checked too: its numbers are the outer
/// tape's variables, which borrow that tape (not `'static`), so the trace
/// stays a field of the tape's own type rather than a boxed listener.
#[test]
fn an_inner_tape_of_outer_variables_is_checked() {
    let outer = Tape::new();
    let x = outer.var(-1.0);
    let inner = Tape::<Var<'_, f64>>::checked();
    let y = inner.var(x);
    let root = (y * 2.0).sqrt(); // √(−2) = NaN
    match (root * y).backward_checked() {
        Err(Error::NonFinite { op, chain, .. }) => {
            assert_eq!(op, "sqrt");
            assert_eq!(chain, ["input", "mul", "sqrt"]);
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
    // The outer derivative of the inner gradient is taken as ever.
    let z = y * y;
    let dz = z.backward().wrt(&y); // 2y, a variable of the outer tape
    assert_eq!(dz.value(), -2.0);
    assert_eq!(dz.backward().wrt(&x), 2.0);
}
