//! A recorded `Function` never returns a wrong number: evaluated away from
//! the point it was recorded at, it gives what a fresh recording gives
//! there, or an error. Each probe that once returned another number is a
//! test here, and the property tests at the end draw random programs with
//! branches, kinks, `clamp`, the stable losses and constant folds: the
//! error comes exactly where a branch changes, and a `Retaping` records
//! each branch once.

mod common;

use approx::assert_relative_eq;
use common::panic_message;
use common::program::{Program, bits, coordinate, met, path, paths, points, program, run};
use num_traits::Float;
use tapegrad::replay::ir::{Arg, Op, Outcome};
use tapegrad::replay::{Function, Retaping};
use tapegrad::{Active, Error, Scalar, Tape};

/// The value and gradient of `f` recorded afresh at `x`.
fn fresh<F: Scalar>(f: impl Fn(&[Active<F>]) -> Active<F>, x: &[F]) -> (F, Vec<F>) {
    let mut tape = Tape::<F>::default();
    let (y, xs) = tape.record(|| {
        let xs = Active::vars(x);
        (f(&xs), xs)
    });
    // A constant output (a clamp at its bound) has a zero gradient.
    let gradient = match tape.backward(&y) {
        Ok(grads) => grads.wrt_all(&xs),
        Err(_) => vec![F::zero(); x.len()],
    };
    (y.value(), gradient)
}

/// `f` recorded at `x0` (and optimized, if asked) evaluated at `x1`.
fn replayed<F: Scalar>(
    f: impl Fn(&[Active<F>]) -> Active<F>,
    x0: &[F],
    x1: &[F],
    optimize: bool,
) -> tapegrad::Result<(F, Vec<F>)> {
    let mut function = Function::record(x0, |x: &[Active<F>]| f(x))?;
    if optimize {
        function.optimize();
    }
    function.value_and_gradient(&mut function.workspace(), x1)
}

/// Recorded at `x0` and evaluated at `x1`, with and without `optimize`,
/// `f` gives the fresh recording's value and gradient at `x1`, to the bit.
fn replays_as_fresh<F: Scalar>(f: impl Fn(&[Active<F>]) -> Active<F> + Copy, x0: &[F], x1: &[F]) {
    let expected = fresh(f, x1);
    for optimize in [false, true] {
        let got = replayed(f, x0, x1, optimize).expect("the recording replays here");
        let bits = |v: &F| v.to_f64().map(f64::to_bits);
        assert_eq!(
            (bits(&got.0), got.1.iter().map(bits).collect::<Vec<_>>()),
            (bits(&expected.0), expected.1.iter().map(bits).collect()),
            "recorded at {x0:?}, evaluated at {x1:?} (optimized: {optimize}): {got:?} against a \
             fresh recording's {expected:?}",
            x0 = x0.iter().map(|v| v.to_f64()).collect::<Vec<_>>(),
            x1 = x1.iter().map(|v| v.to_f64()).collect::<Vec<_>>(),
            got = (
                got.0.to_f64(),
                got.1.iter().map(|v| v.to_f64()).collect::<Vec<_>>()
            ),
            expected = (
                expected.0.to_f64(),
                expected.1.iter().map(|v| v.to_f64()).collect::<Vec<_>>()
            ),
        );
    }
}

#[test]
fn clamp_replays_on_every_side_of_its_bounds() {
    fn clamp<F: Scalar>(x: &[Active<F>]) -> Active<F> {
        x[0].clamp(F::zero(), F::one())
    }
    for at in [2.0, -3.0, 0.25, 0.0, 1.0] {
        replays_as_fresh(clamp::<f64>, &[0.5], &[at]);
        replays_as_fresh(clamp::<f32>, &[0.5], &[at as f32]);
        replays_as_fresh(clamp::<f64>, &[at], &[0.5]);
    }
}

#[test]
fn clamp_with_variable_bounds_replays_to_the_bound_that_applies() {
    fn clamp<F: Scalar>(x: &[Active<F>]) -> Active<F> {
        x[0].clamp(x[1], x[2])
    }
    for at in [
        [0.5, 0.7, 1.0],
        [0.5, 0.0, 0.2],
        [0.5, 0.5, 0.5],
        [-1.0, 0.0, 1.0],
    ] {
        replays_as_fresh(clamp::<f64>, &[0.5, 0.0, 1.0], &at);
        replays_as_fresh(clamp::<f32>, &[0.5, 0.0, 1.0], &at.map(|v| v as f32));
    }
}

#[test]
fn clamp_with_crossed_bounds_is_refused_where_a_fresh_recording_panics() {
    let f = Function::record(&[0.5, 0.0, 1.0], |x: &[Active]| x[0].clamp(x[1], x[2]))
        .expect("clamp replays");
    let crossed = f.value_and_gradient(&mut f.workspace(), &[0.5, 1.0, 0.0]);
    assert!(
        matches!(crossed, Err(Error::BranchChanged { .. })),
        "{crossed:?}"
    );
}

#[test]
fn the_stable_ln_of_a_sigmoid_is_recognized_when_recorded_at_zero() {
    fn ln_sigmoid<F: Scalar>(z: &[Active<F>]) -> Active<F> {
        z[0].sigmoid().ln()
    }
    fn ln_complement<F: Scalar>(z: &[Active<F>]) -> Active<F> {
        (Active::constant(F::one()) - z[0].sigmoid()).ln()
    }
    for at in [-800.0, -40.0, 0.0, 40.0, 800.0] {
        replays_as_fresh(ln_sigmoid::<f64>, &[0.0], &[at]);
        replays_as_fresh(ln_complement::<f64>, &[0.0], &[at]);
        replays_as_fresh(ln_sigmoid::<f32>, &[0.0], &[at as f32]);
        replays_as_fresh(ln_complement::<f32>, &[0.0], &[at as f32]);
    }
    let (value, gradient) = replayed(ln_sigmoid, &[0.0], &[-800.0], false).expect("replays");
    assert_eq!((value, gradient), (-800.0, vec![1.0]));
}

#[test]
fn the_textbook_cross_entropy_recorded_at_zero_stays_finite() {
    // Logistic regression starts at θ = 0, where every logit is 0.
    fn loss<F: Scalar>(z: &[Active<F>]) -> Active<F> {
        let y_hat = z[0].sigmoid();
        let y = F::zero();
        -(y_hat.ln() * y + (Active::constant(F::one()) - y_hat).ln() * (F::one() - y))
    }
    for at in [40.0, -40.0, 800.0, 0.5] {
        replays_as_fresh(loss::<f64>, &[0.0], &[at]);
        replays_as_fresh(loss::<f32>, &[0.0], &[at as f32]);
    }
    let (value, gradient) = replayed(loss, &[0.0], &[40.0], false).expect("replays");
    assert_relative_eq!(value, 40.0, max_relative = 1e-15);
    assert_relative_eq!(gradient[0], 1.0, max_relative = 1e-15);
}

#[test]
fn a_sigmoid_and_its_complement_are_recognized_on_a_plain_tape_at_zero() {
    let tape = Tape::new();
    let z = tape.var(0.0);
    let s = z.sigmoid();
    let ln = s.ln();
    // The stable form routes the gradient around the sigmoid.
    assert_eq!(ln.backward().get(&s), Err(Error::BypassedSigmoid));
    let complement = (1.0 - s).ln();
    assert_eq!(complement.backward().get(&s), Err(Error::BypassedSigmoid));
    assert_eq!(complement.backward().wrt(&z), -0.5);
    let mut tape = Tape::new();
    let bypassed = tape.record(|| {
        let z = Active::var(0.0);
        let s = z.sigmoid();
        s.ln().backward().get(&s)
    });
    assert_eq!(bypassed, Err(Error::BypassedSigmoid));
}

#[test]
fn a_gradient_taken_inside_a_recording_is_refused_naming_the_line() {
    let line = line!() + 2;
    let recorded = Function::record(&[1.0], |x: &[Active]| {
        x[0] * (x[0] * x[0]).backward().wrt(&x[0])
    });
    match recorded {
        Err(Error::GradientWhileRecording { location }) => {
            assert_eq!((location.file(), location.line()), (file!(), line));
        }
        other => panic!("expected GradientWhileRecording, got {other:?}"),
    }
    // A gradient of a nested recording, whose values are the function's
    // variables, is part of the function: it replays.
    fn derivative_of_cube(x: &[Active]) -> Active {
        let mut inner = Tape::<Active>::default();
        inner.record(|| {
            let v = Active::<Active>::var(x[0]);
            v.powi(3).backward().wrt(&v)
        })
    }
    replays_as_fresh(derivative_of_cube, &[1.0], &[3.0]);
}

#[test]
fn formatting_inside_a_recording_shows_no_number() {
    let mut text = (String::new(), String::new());
    let f = Function::record(&[1.5], |x: &[Active]| {
        let y = x[0] * 2.0;
        text = (format!("{y}"), format!("{y:?}"));
        y
    })
    .expect("formatting records nothing");
    // A number parsed back from the text would be a constant of the
    // recording point: the text holds none.
    assert!(text.0.parse::<f64>().is_err(), "{}", text.0);
    assert!(!text.0.contains('3') && !text.1.contains('3'), "{text:?}");
    assert!(
        text.0.contains("Function") && text.1.contains("node"),
        "{text:?}"
    );
    assert_eq!(f.value(&mut f.workspace(), &[4.0]).expect("replays"), [8.0]);
    // Outside a function's recording, a variable prints its value.
    let mut tape = Tape::new();
    let shown = tape.record(|| format!("{}", Active::var(1.5) * 2.0));
    assert_eq!(shown, "3");
}

#[test]
fn optimize_never_makes_a_finite_derivative_infinite() {
    // (x·1e10)⁻¹·1e-300 at x = 1e-160: the folded partial 1e10·(−1e300)
    // overflows where the products along the path do not.
    fn f<F: Scalar>(x: &[Active<F>]) -> Active<F> {
        let big = F::from(1e10).expect("a literal");
        let tiny = F::from(1e-300).expect("a literal");
        (x[0] * big).recip() * tiny
    }
    replays_as_fresh(f::<f64>, &[1.0], &[1e-160]);
    let (_, g) = replayed(f, &[1.0], &[1e-160], true).expect("replays");
    assert_relative_eq!(g[0], -1e10, max_relative = 1e-15);
    // The same in f32, whose range ends at 3.4e38.
    fn f32_scale(x: &[Active<f32>]) -> Active<f32> {
        (x[0] * 1e10).recip() * 1e-30
    }
    replays_as_fresh(f32_scale, &[1.0], &[1e-15]);
}

#[test]
fn float_predicates_and_comparisons_are_guarded_or_replay() {
    // Float's own predicates and comparisons guard; a changed outcome is an
    // error, never the recorded branch's numbers.
    type Probe = fn(&[Active]) -> Active;
    let probes: [(Probe, f64, f64); 6] = [
        (
            |x| if x[0].is_sign_negative() { -x[0] } else { x[0] },
            1.0,
            -1.0,
        ),
        (
            |x| if x[0].is_finite() { x[0] } else { x[0] * 0.0 },
            1.0,
            f64::INFINITY,
        ),
        (|x| if x[0] < 0.5 { x[0] } else { x[0] * 2.0 }, 0.0, 1.0),
        (
            |x| {
                if num_traits::Zero::is_zero(&x[0]) {
                    x[0]
                } else {
                    x[0] * 2.0
                }
            },
            0.0,
            1.0,
        ),
        (|x| Float::abs_sub(x[0], Active::constant(1.0)), 0.0, 3.0),
        (|x| Float::signum(x[0]) * x[0], -2.0, 3.0),
    ];
    for (k, (probe, at, elsewhere)) in probes.into_iter().enumerate() {
        let f = Function::record(&[at], probe).expect("records");
        match f.value_and_gradient(&mut f.workspace(), &[elsewhere]) {
            Err(Error::BranchChanged { .. }) => {}
            Ok(got) => assert_eq!(got, fresh(probe, &[elsewhere]), "probe {k}"),
            Err(other) => panic!("probe {k}: {other}"),
        }
    }
}

#[test]
fn misuse_messages_name_the_api_in_use() {
    // An Active of a plain recording captured by a Function's closure.
    let mut tape = Tape::new();
    let outside = tape.record(|| Active::var(2.0));
    for captured in [
        panic_message("the misuse", || {
            let _ = Function::record(&[1.0], |x: &[Active]| x[0] * outside);
        }),
        panic_message("the misuse", || {
            let _ = Function::record(&[1.0], |x: &[Active]| outside * x[0]);
        }),
        panic_message("the misuse", || {
            let _ = Function::record(&[1.0], |x: &[Active]| x[0].max(outside).sin());
        }),
    ] {
        assert!(captured.contains("Function::record"), "{captured}");
        assert!(!captured.contains("tape.record"), "{captured}");
        assert!(!captured.contains("gradient"), "{captured}");
    }
    // A Function's variable kept past its recording.
    let mut kept = None;
    Function::record(&[1.0], |x: &[Active]| {
        kept = Some(x[0]);
        x[0]
    })
    .expect("records");
    let used = kept.expect("kept");
    let after = panic_message("the misuse", || {
        let _ = used.sin();
    });
    assert!(after.contains("Function::record"), "{after}");
    assert!(!after.contains("tape.backward"), "{after}");
    // The gradient of a constant Active names Active::var.
    let mut tape = Tape::new();
    let constant = tape.record(|| Active::constant(1.0));
    let error = tape
        .backward(&constant)
        .expect_err("a constant")
        .to_string();
    assert!(error.contains("Active::var"), "{error}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Equal to the last bits of `scale` (at least of the larger of the
    /// two), a non-finite number only as itself. Not to the bit
    /// (`a_replay_equals_a_fresh_recording` holds the table's ops to that):
    /// a select is a node where a fresh recording has none, so the adjoints
    /// reach a variable in another order; `optimize` sums in another order
    /// too; and where a select or clamp chose a constant, a fresh
    /// recording's `ln` of its sigmoid is a constant's, computed as written,
    /// where the replay's is the stable form.
    fn same<F: Scalar>(a: F, b: F, scale: F) -> bool {
        let near = F::epsilon() * F::from(4096.0).expect("a literal");
        match a.is_finite() && b.is_finite() {
            true => (a - b).abs() <= near * (F::one() + a.abs().max(b.abs()).max(scale)),
            false if a.is_nan() => b.is_nan(),
            false => a == b,
        }
    }

    /// `p` recorded at `x0` and evaluated at `x0` and `x1`, optimized or
    /// not: at `x0` what a fresh recording gives; at `x1` that, or a
    /// changed branch. Whether `x1` replayed.
    fn check<F: Scalar>(p: &Program, x0: &[F], x1: &[F]) -> Result<bool, TestCaseError> {
        let mut replayed = true;
        for optimize in [false, true] {
            let mut f = Function::record(x0, |x: &[Active<F>]| run(p, x))
                .map_err(|e| TestCaseError::fail(format!("recording: {e}")))?;
            if optimize {
                f.optimize();
            }
            for (x, at_record) in [(x0, true), (x1, false)] {
                let (value, gradient) = match f.value_and_gradient(&mut f.workspace(), x) {
                    Ok(result) => result,
                    Err(Error::BranchChanged { .. }) if !at_record => {
                        replayed = false;
                        continue;
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("{e} at {at_record}"))),
                };
                let (fresh_value, fresh_gradient) = fresh(|x| run(p, x), x);
                prop_assert!(
                    same(value, fresh_value, F::zero()),
                    "value {:?} against a fresh {:?} (optimized: {optimize})",
                    value.to_f64(),
                    fresh_value.to_f64()
                );
                // To the last bits of the sum of the magnitudes of the
                // terms the gradient adds, which bounds what adding them in
                // another order moves it by (a select is a node a fresh
                // recording does not have, and `optimize` merges and fuses
                // nodes): a sum of terms far larger than itself that cancel,
                // as `(2·10⁻²⁰/u)·u` at u = 10⁻¹⁶⁰, may give ~10¹²⁴ or 0
                // for a true 1. Optimized, where a fresh recording's is not
                // finite, merged copies of a node may sum their adjoints
                // before an infinite partial meets them (∞ − ∞ as 0 · ∞, or
                // a finite 0): any number.
                let scales = magnitudes(p, x)?;
                for ((&g, &e), &scale) in gradient.iter().zip(&fresh_gradient).zip(&scales) {
                    let loose = optimize && !e.is_finite();
                    prop_assert!(
                        same(g, e, scale) || loose,
                        "gradient {:?} against a fresh {:?} (optimized: {optimize})",
                        g.to_f64(),
                        e.to_f64()
                    );
                }
            }
        }
        Ok(replayed)
    }

    /// The gradient of `p` at `x` with each partial and each adjoint by its
    /// magnitude: for each input, the sum of the magnitudes of the terms
    /// its derivative adds (a term per path from the output, the product of
    /// the partials along it), read from the IR of a recording at `x`.
    fn magnitudes<F: Scalar>(p: &Program, x: &[F]) -> Result<Vec<F>, TestCaseError> {
        let f = Function::record(x, |x: &[Active<F>]| run(p, x))
            .map_err(|e| TestCaseError::fail(format!("recording: {e}")))?;
        let ir = f.ir();
        let mut values = vec![F::zero(); ir.ops.len() + 1];
        // Each node's parents and its partial with respect to each.
        let mut edges = vec![Vec::new(); ir.ops.len() + 1];
        for (k, &op) in ir.ops.iter().enumerate() {
            let node = k + 1;
            values[node] = match op {
                Op::Input(i) => x[i as usize],
                Op::Select(s) => {
                    let s = ir.selects[s as usize];
                    let [a, b] = s.operands.map(|a| a.get(&values));
                    let taken =
                        s.branches[usize::from(s.test.outcome(a, b) != Outcome::Bool(true))];
                    edges[node].extend(taken.node().map(|n| (n, F::one())));
                    taken.get(&values)
                }
                op => {
                    let (value, partials) = op.value_and_partials(&values);
                    let parents = op.operands().into_iter().flatten().filter_map(|a| a.node());
                    edges[node].extend(parents.zip(partials));
                    value
                }
            };
        }
        let mut adjoints = vec![F::zero(); values.len()];
        if let Some(Arg::Node(y)) = ir.outputs.first() {
            adjoints[*y as usize] = F::one();
        }
        for node in (1..values.len()).rev() {
            for &(parent, d) in &edges[node] {
                if d != F::zero() {
                    adjoints[parent as usize] =
                        adjoints[parent as usize] + adjoints[node] * d.abs();
                }
            }
        }
        Ok(adjoints[1..=x.len()].to_vec())
    }

    /// What `f` gives at the point `x`, each number's bits (every NaN as
    /// one), or the first error's text: the value and gradient, the
    /// directional derivative and Hessian–vector product along
    /// `(1, −0.5, 0.25)`, and the sparse Hessian's values; or, if `f`
    /// takes `x`'s last coordinate as a dynamic parameter, the
    /// vector–Jacobian product.
    fn numbers<F: Scalar>(f: &Function<F>, x: &[F]) -> Result<Vec<Option<u64>>, String> {
        let text = |e: Error| format!("{e:?}");
        let mut ws = f.workspace();
        if f.params() == 1 {
            ws.set_params(&x[2..]).map_err(text)?;
            let vjp = f.vjp(&mut ws, &x[..2], &[F::one()]).map_err(text)?;
            return Ok(bits(vjp.outputs[0], &[vjp.inputs, vjp.params].concat()));
        }
        let (value, gradient) = f.value_and_gradient(&mut ws, x).map_err(text)?;
        let v = [1.0, -0.5, 0.25].map(|v| F::from(v).expect("a literal"));
        let jvp = f.jvp(&mut ws, x, &v).map_err(text)?;
        let hvp = f.hvp(&mut ws, x, &v).map_err(text)?;
        let sparse = f.sparse_hessian().map_err(text)?;
        let hessian = sparse.values(&mut ws, x).map_err(text)?;
        Ok(bits(value, &[gradient, jvp, hvp, hessian].concat()))
    }

    /// `p` recorded at `x`, optimized, and with `x`'s last coordinate a
    /// dynamic parameter.
    fn recorded<F: Scalar>(p: &Program, x: &[F]) -> Result<[Function<F>; 3], TestCaseError> {
        let fail = |e: Error| TestCaseError::fail(format!("recording: {e}"));
        let f = Function::record(x, |x: &[Active<F>]| run(p, x)).map_err(fail)?;
        let mut optimized = f.clone();
        optimized.optimize();
        let with_param = |x: &[Active<F>], c: &[Active<F>]| run(p, &[x[0], x[1], c[0]]);
        let parametric =
            Function::record_with_params(&x[..2], &x[2..], with_param).map_err(fail)?;
        Ok([f, optimized, parametric])
    }

    /// Recorded at `x0`, with and without `optimize` or a parameter, `p` is
    /// refused at `x1` exactly where it takes another branch there than at
    /// `x0`; elsewhere its IR is that of a recording made at `x1`, and so
    /// are its numbers, first and second order, to the bit. Optimizing
    /// twice gives the IR of once.
    fn refused_exactly_where_a_branch_changes<F: Scalar + std::fmt::Debug>(
        p: &Program,
        x0: &[F],
        x1: &[F],
    ) -> Result<(), TestCaseError> {
        let taken = path(p, x0);
        prop_assume!(taken.is_some(), "recording panics at x0");
        let replays = path(p, x1) == taken;
        let here = recorded(p, x0)?;
        // As text: a NaN constant is not `==` to itself.
        let ir = |f: &Function<F>| format!("{:?}", f.ir());
        let mut twice = here[1].clone();
        twice.optimize();
        prop_assert_eq!(ir(&twice), ir(&here[1]), "optimize is not idempotent");
        let there = match replays {
            true => Some(recorded(p, x1)?),
            false => None,
        };
        for k in 0..3 {
            let got = numbers(&here[k], x1);
            let which = ["plain", "optimized", "with a parameter"][k];
            match &there {
                Some(fresh) => {
                    prop_assert_eq!(ir(&here[k]), ir(&fresh[k]), "{}", which);
                    let expected = numbers(&fresh[k], x1);
                    prop_assert!(expected.is_ok(), "{:?} where recorded", expected);
                    prop_assert_eq!(got, expected, "{}", which);
                }
                None => prop_assert!(
                    matches!(&got, Err(e) if e.starts_with("BranchChanged")),
                    "{:?} where a branch changed ({})",
                    got,
                    which
                ),
            }
        }
        Ok(())
    }

    /// A `Retaping` of `p` over the points `xs`: a fresh recording's
    /// value, gradient, and Jacobian– and Hessian–vector products at each,
    /// to the bit, having recorded exactly once for each set of branches
    /// taken that it had not met.
    fn retapes_once_a_branch<F: Scalar>(p: &Program, xs: &[[F; 3]]) -> Result<(), TestCaseError> {
        let paths = paths(p, xs);
        prop_assume!(paths.is_some(), "recording panics at a point");
        let paths = paths.unwrap_or_default();
        let closure = |x: &[Active<F>], _: &[Active<F>]| run(p, x);
        let mut f = Retaping::new(&xs[0], &[], closure)
            .map_err(|e| TestCaseError::fail(format!("recording: {e}")))?;
        let v = [1.0, -0.5, 0.25].map(|v| F::from(v).expect("a literal"));
        for (k, x) in xs.iter().enumerate() {
            let mut got = || -> tapegrad::Result<_> {
                let (value, gradient) = f.value_and_gradient(x)?;
                Ok(bits(
                    value,
                    &[gradient, f.jvp(x, &v)?, f.hvp(x, &v)?].concat(),
                ))
            };
            let got = got().map_err(|e| format!("{e:?}"));
            let [fresh, ..] = recorded(p, x)?;
            let mut ws = fresh.workspace();
            let mut expected = || -> tapegrad::Result<_> {
                let (value, gradient) = fresh.value_and_gradient(&mut ws, x)?;
                let jvp = fresh.jvp(&mut ws, x, &v)?;
                Ok(bits(
                    value,
                    &[gradient, jvp, fresh.hvp(&mut ws, x, &v)?].concat(),
                ))
            };
            prop_assert_eq!(
                got,
                expected().map_err(|e| format!("{e:?}")),
                "at point {}",
                k
            );
            let met = met(&paths[..=k]);
            prop_assert_eq!((f.kept(), f.records()), (met, met - 1));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        /// Recorded at one random point and evaluated at another, with and
        /// without `optimize`, in f64 and f32: a fresh recording's numbers,
        /// or an error.
        #[test]
        fn a_recorded_program_gives_a_fresh_recording_s_numbers_or_an_error(
            p in program(),
            x0 in prop::array::uniform3(coordinate()),
            x1 in prop::array::uniform3(coordinate()),
        ) {
            check(&p, &x0, &x1)?;
            check(&p, &x0.map(|v| v as f32), &x1.map(|v| v as f32))?;
        }

        /// Recorded at one point and evaluated at another: refused exactly
        /// where a branch changes, the same IR and numbers to the bit as a
        /// recording made there elsewhere; in f64 and f32.
        #[test]
        fn a_recording_is_refused_exactly_where_a_branch_changes(
            p in program(),
            x0 in prop::array::uniform3(coordinate()),
            x1 in prop::array::uniform3(coordinate()),
        ) {
            refused_exactly_where_a_branch_changes(&p, &x0, &x1)?;
            refused_exactly_where_a_branch_changes(&p, &x0.map(|v| v as f32), &x1.map(|v| v as f32))?;
        }

        /// A `Retaping` over six points records each set of branches
        /// once, and gives a fresh recording's numbers at each.
        #[test]
        fn a_retaping_records_each_branch_once(
            p in program(),
            xs in points(),
        ) {
            retapes_once_a_branch(&p, &xs)?;
            let xs32: Vec<[f32; 3]> = xs.iter().map(|x| x.map(|v| v as f32)).collect();
            retapes_once_a_branch(&p, &xs32)?;
        }
    }
}
