//! A recorded `Function` evaluated again: the same numbers as a fresh
//! recording, guards that fire, value reads, `select`, dynamic parameters,
//! threads.

mod common;

use common::expr::{Expr, INPUTS, eval, expr};
use num_traits::Float;
use proptest::prelude::*;
use tapegrad::replay::ir::{Binary, Ir, Op, Outcome, Summand, Unary};
use tapegrad::{
    Active, Error, Tape,
    replay::{Comparison, Function},
};

/// The value and gradient of a fresh recording at `x`.
fn fresh<F: tapegrad::Scalar>(e: &Expr, x: &[F]) -> (F, Vec<F>) {
    let mut tape = Tape::<F>::default();
    tape.record(|| {
        let vars = Active::vars(x);
        let y = eval(e, &vars);
        let grads = y.backward();
        (y.value(), grads.wrt_all(&vars))
    })
}

/// Recorded at `x0` and evaluated at `x1`, `e` gives the value and gradient
/// of a fresh recording at `x1`, to the bit: a fresh function's, and a fresh
/// tape's (whose graph is the function's but where `e` clamps: then the
/// value's bits, and the gradient's last bits, its sums added in another
/// order).
fn same_as_fresh<F: tapegrad::Scalar>(e: &Expr, x0: &[F], x1: &[F]) -> Result<(), TestCaseError> {
    let record = |x: &[F]| Function::record(x, |x: &[Active<F>]| eval(e, x)).expect("replays");
    let evaluate = |f: &Function<F>| f.value_and_gradient(&mut f.workspace(), x1);
    let (value, gradient) = evaluate(&record(x0)).expect("no guards");
    let bits = |v: &F| v.to_f64().map(f64::to_bits);
    let all = |g: &[F]| g.iter().map(bits).collect::<Vec<_>>();
    let (function_value, function_gradient) = evaluate(&record(x1)).expect("no guards");
    prop_assert_eq!(bits(&value), bits(&function_value));
    prop_assert_eq!(all(&gradient), all(&function_gradient));
    let (fresh_value, fresh_gradient) = fresh(e, x1);
    prop_assert_eq!(bits(&value), bits(&fresh_value));
    if e.clamps() {
        let message = format!("{:?} against {:?}", all(&gradient), all(&fresh_gradient));
        let close = gradient
            .iter()
            .zip(&fresh_gradient)
            .all(|(&a, &b)| last_bits(a, b));
        prop_assert!(close, "{}", message);
    } else {
        prop_assert_eq!(all(&gradient), all(&fresh_gradient));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Recorded at one point and evaluated at another, a function gives the
    /// fresh recording's numbers to the bit, in f64 and f32.
    #[test]
    fn a_replay_equals_a_fresh_recording(
        e in expr(),
        x0 in prop::array::uniform3(-2.0..2.0f64),
        x1 in prop::array::uniform3(-2.0..2.0f64),
    ) {
        same_as_fresh(&e, &x0, &x1)?;
        same_as_fresh(&e, &x0.map(|v| v as f32), &x1.map(|v| v as f32))?;
    }

    /// Forward mode and forward over reverse agree with the nested tapes'
    /// Hessian, where it is finite.
    #[test]
    fn hessians_and_directional_derivatives_agree_with_nested_tapes(
        e in expr(),
        x in prop::array::uniform3(-2.0..2.0f64),
        v in prop::array::uniform3(-1.0..1.0f64),
    ) {
        let f = Function::record(&x, |x: &[Active]| eval(&e, x)).expect("table ops replay");
        let mut ws = f.workspace();
        let h = f.hessian(&mut ws, &x).expect("no guards");
        let nested = tapegrad::hessian(|x| eval(&e, x), &x);
        let g = f.gradient(&mut ws, &x).expect("no guards");
        let jvp = f.jvp(&mut ws, &x, &v).expect("no guards")[0];
        prop_assume!(g.iter().chain(h.iter().flatten()).all(|d| d.is_finite() && d.abs() < 1e6));
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()));
        for (row, nested_row) in h.iter().zip(&nested) {
            for (&a, &b) in row.iter().zip(nested_row) {
                prop_assert!(close(a, b), "replay {a}, nested {b}");
            }
        }
        let g_v: f64 = g.iter().zip(&v).map(|(g, v)| g * v).sum();
        prop_assert!(close(jvp, g_v), "jvp {jvp}, g·v {g_v}");
    }
}

#[test]
fn jacobian_jvp_hvp_and_hessian_match_closed_forms() -> tapegrad::Result<()> {
    // f(x) = (x0·x1, sin x0 + x1²), g(x) = x0²·x1 + exp(x1)
    let f = Function::record(&[0.0, 0.0], |x: &[Active]| {
        [x[0] * x[1], x[0].sin() + x[1] * x[1]]
    })?;
    let g = Function::record(&[0.0, 0.0], |x: &[Active]| x[0].powi(2) * x[1] + x[1].exp())?;
    let (x, v) = ([0.7, -1.3], [0.5, 2.0]);
    let mut ws = f.workspace();
    assert_eq!(
        f.value(&mut ws, &x)?,
        [x[0] * x[1], x[0].sin() + x[1] * x[1]]
    );
    let j = f.jacobian(&mut ws, &x)?;
    assert_eq!(j, [[x[1], x[0]], [x[0].cos(), 2.0 * x[1]]]);
    let jvp = f.jvp(&mut ws, &x, &v)?;
    assert_eq!(
        jvp,
        [
            x[1] * v[0] + x[0] * v[1],
            x[0].cos() * v[0] + 2.0 * x[1] * v[1]
        ]
    );
    assert!(matches!(
        f.gradient(&mut ws, &x),
        Err(Error::Length {
            expected: 1,
            found: 2,
            ..
        })
    ));

    let mut ws = g.workspace();
    let h = [[2.0 * x[1], 2.0 * x[0]], [2.0 * x[0], x[1].exp()]];
    assert_eq!(g.hessian(&mut ws, &x)?, h);
    let hv = g.hvp(&mut ws, &x, &v)?;
    assert_eq!(
        hv,
        [
            h[0][0] * v[0] + h[0][1] * v[1],
            h[1][0] * v[0] + h[1][1] * v[1]
        ]
    );
    assert!(matches!(
        g.gradient(&mut ws, &[1.0]),
        Err(Error::Length {
            expected: 2,
            found: 1,
            ..
        })
    ));
    Ok(())
}

/// Records `test` of the input against 0 in an `if`, at `at`, and evaluates
/// at `flipped`: the guard must fire, naming the test and this file.
fn fires(test: fn(Active, Active) -> bool, at: f64, flipped: f64, name: &str) {
    let f = Function::record(&[at], |x: &[Active]| {
        let zero = Active::constant(0.0);
        if test(x[0], zero) {
            x[0] * 2.0
        } else {
            x[0] * 3.0
        }
    })
    .expect("comparisons are guarded, not refused");
    let mut ws = f.workspace();
    assert!(f.gradient(&mut ws, &[at]).is_ok(), "{name}: same point");
    match f.gradient(&mut ws, &[flipped]) {
        Err(Error::BranchChanged {
            test,
            location,
            recorded,
            now,
        }) => {
            assert_eq!(test, name);
            assert!(location.file().ends_with("replay.rs"), "{location}");
            assert_ne!(recorded, now);
        }
        other => panic!("{name}: expected BranchChanged, got {other:?}"),
    }
}

#[test]
fn each_guarded_comparison_fires_where_it_would_go_the_other_way() {
    fires(|a, b| a < b, -1.0, 1.0, "<");
    fires(|a, b| a <= b, -1.0, 1.0, "<=");
    fires(|a, b| a > b, -1.0, 1.0, ">");
    fires(|a, b| a >= b, -1.0, 1.0, ">=");
    fires(|a, b| a == b, 0.0, 1.0, "==");
    fires(|a, b| a != b, 0.0, 1.0, "!=");
    fires(
        |a, b| a.partial_cmp(&b) == Some(std::cmp::Ordering::Less),
        -1.0,
        1.0,
        "partial_cmp",
    );
    fires(|a, _| a.is_sign_positive(), -1.0, 1.0, "is_sign_positive");
    fires(|a, _| a.is_sign_negative(), -1.0, 1.0, "is_sign_negative");
    fires(|a, _| num_traits::Zero::is_zero(&a), 0.0, 1.0, "is_zero");
    fires(|a, _| a.ln().is_nan(), -1.0, 1.0, "is_nan");
    fires(|a, _| a.ln().is_finite(), -1.0, 1.0, "is_finite");
    fires(|a, _| a.recip().is_infinite(), 0.0, 1.0, "is_infinite");
}

#[test]
fn the_message_names_the_line_and_both_outcomes() -> tapegrad::Result<()> {
    let f = Function::record(&[1.0], |x: &[Active]| if x[0] < 0.0 { -x[0] } else { x[0] })?;
    let err = f
        .gradient(&mut f.workspace(), &[-1.0])
        .expect_err("the branch changed");
    let message = err.to_string();
    assert!(message.contains("`<`") && message.contains("false") && message.contains("true"));
    assert!(message.contains("tests/replay.rs:"), "{message}");
    assert_eq!(f.guards(), 1);
    Ok(())
}

#[test]
fn reading_a_value_while_recording_refuses_every_evaluation() -> tapegrad::Result<()> {
    let f = Function::record(&[2.0], |x: &[Active]| x[0] * x[0].value())?;
    assert!(matches!(
        f.gradient(&mut f.workspace(), &[2.0]),
        Err(Error::ValueRead { .. })
    ));
    let g = Function::record(&[2.0], |x: &[Active]| {
        let n = num_traits::ToPrimitive::to_f64(&x[0]).expect("finite") as i32;
        x[0].powi(n)
    })?;
    match g.value(&mut g.workspace(), &[3.0]) {
        Err(Error::ValueRead { location }) => assert!(location.file().ends_with("replay.rs")),
        other => panic!("expected ValueRead, got {other:?}"),
    }
    Ok(())
}

#[test]
fn select_replays_both_branches() -> tapegrad::Result<()> {
    // A leaky relu, and a branch between two variables and a constant.
    let f = Function::record(&[1.0, 5.0], |x: &[Active]| {
        let leaky = x[0].select(Comparison::Gt, 0.0, x[0], x[0] * 0.1);
        leaky + x[1].select(Comparison::Lt, x[0], x[1] * x[0], 7.0)
    })?;
    let mut ws = f.workspace();
    assert_eq!(
        f.value_and_gradient(&mut ws, &[2.0, 1.0])?,
        (2.0 + 2.0, vec![1.0 + 1.0, 2.0])
    );
    let (value, gradient) = f.value_and_gradient(&mut ws, &[-2.0, 3.0])?;
    assert_eq!(value, -2.0 * 0.1 + 7.0);
    assert_eq!(gradient, [0.1, 0.0]);
    assert_eq!(f.guards(), 0);
    Ok(())
}

#[test]
fn dynamic_parameters_change_without_recording_again() -> tapegrad::Result<()> {
    // Least squares of a line through two points, the points parameters.
    let f = Function::record_with_params(&[0.0, 0.0], &[0.0; 4], |w: &[Active], p: &[Active]| {
        let r0 = w[0] * p[0] + w[1] - p[1];
        let r1 = w[0] * p[2] + w[1] - p[3];
        r0 * r0 + r1 * r1
    })?;
    let mut ws = f.workspace();
    let w = [2.0, 1.0];
    for points in [
        [0.0, 1.0, 1.0, 3.0],
        [1.0, 2.0, 3.0, 5.0],
        [-1.0, 0.5, 2.0, 4.0],
    ] {
        ws.set_params(&points)?;
        let [t0, y0, t1, y1] = points;
        let (r0, r1) = (w[0] * t0 + w[1] - y0, w[0] * t1 + w[1] - y1);
        let (value, g) = f.value_and_gradient(&mut ws, &w)?;
        assert_eq!(value, r0 * r0 + r1 * r1);
        assert_eq!(g, [2.0 * r0 * t0 + 2.0 * r1 * t1, 2.0 * r0 + 2.0 * r1]);
    }
    assert!(matches!(
        ws.set_params(&[1.0]),
        Err(Error::Length {
            expected: 4,
            found: 1,
            ..
        })
    ));
    Ok(())
}

#[test]
fn ops_that_cannot_be_evaluated_again_are_refused_when_recorded() {
    let refused =
        |f: fn(&[Active]) -> Active, name: &str| match Function::record(&[1.0, 2.0, 3.0], f) {
            Err(Error::NotReplayable { op, location }) => {
                assert_eq!(op, name);
                assert!(location.file().ends_with("replay.rs"), "{location}");
            }
            other => panic!("{name}: expected NotReplayable, got {other:?}"),
        };
    refused(|x| x[0].mul_add(x[1], x[2]), "mul_add");
    refused(
        |x| tapegrad::loss::mean_squared_error(x, &[0.0; 3]),
        "mean_squared_error",
    );
}

#[test]
fn threads_evaluate_one_recording_at_once() -> tapegrad::Result<()> {
    let f = Function::record(&[0.5, 0.5], |x: &[Active]| (x[0] * x[1]).sin() + x[0].exp())?;
    let points: Vec<[f64; 2]> = (0..8)
        .map(|k| [k as f64 * 0.3, 1.0 - k as f64 * 0.1])
        .collect();
    let alone: Vec<_> = points
        .iter()
        .map(|x| f.value_and_gradient(&mut f.workspace(), x))
        .collect::<tapegrad::Result<_>>()?;
    let together = std::thread::scope(|s| {
        let handles: Vec<_> = points
            .chunks(2)
            .map(|chunk| {
                let f = &f;
                s.spawn(move || {
                    let mut ws = f.workspace();
                    chunk
                        .iter()
                        .map(|x| f.value_and_gradient(&mut ws, x))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect::<Vec<_>>()
    });
    let together = together.into_iter().collect::<tapegrad::Result<Vec<_>>>()?;
    assert_eq!(alone, together);
    fn send_sync<T: Send + Sync>(_: &T) {}
    send_sync(&f);
    Ok(())
}

#[test]
fn the_stable_loss_replays() -> tapegrad::Result<()> {
    // The textbook loss through a sigmoid, recorded in the stable form.
    let f = Function::record_with_params(&[0.3], &[1.0], |z: &[Active], y: &[Active]| {
        let s = z[0].sigmoid();
        -(y[0] * s.ln() + (1.0 - y[0]) * (1.0 - s).ln())
    })?;
    let mut ws = f.workspace();
    for (z, y) in [(800.0_f64, 0.0), (-800.0, 1.0), (0.5, 1.0), (-2.0, 0.0)] {
        ws.set_params(&[y])?;
        let (loss, g) = f.value_and_gradient(&mut ws, &[z])?;
        let sigma = 1.0 / (1.0 + (-z).exp());
        assert!(
            loss.is_finite() && g[0].is_finite(),
            "z = {z}: {loss}, {g:?}"
        );
        assert!(
            (g[0] - (sigma - y)).abs() < 1e-12,
            "z = {z}: {} against {}",
            g[0],
            sigma - y
        );
    }
    Ok(())
}

/// Whether `optimize` kept a derivative to its last bits: relative, and
/// absolute near zero (a component that sums terms which cancel keeps a
/// rounding residue that depends on the order); NaN as NaN.
fn last_bits<F: Float>(a: F, b: F) -> bool {
    let near = F::epsilon() * F::from(4096.0).expect("a literal");
    a == b
        || (a - b).abs() <= near * (F::one() + a.abs().max(b.abs()))
        || (a.is_nan() && b.is_nan())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The IR's first ops are the inputs, then the parameters, and no other
    /// op is either, before and after `optimize`, whichever of them the
    /// expression reads (a compiler copies them in and compiles no op for
    /// them).
    #[test]
    fn inputs_then_parameters_lead_the_ir(e in expr(), uses_p in any::<bool>(), params in 0..3usize) {
        let x = [0.3, -1.1, 0.8];
        let p = [0.5, -2.0, 1.5];
        let mut f = Function::record_with_params(&x, &p[..params], |x: &[Active], p: &[Active]| {
            let y = eval(&e, x);
            if uses_p && !p.is_empty() { y * p[p.len() - 1] } else { y }
        })
        .expect("table ops replay");
        for optimized in [false, true] {
            let ops = f.ir().ops;
            let leading: Vec<Op<f64>> = (0..INPUTS as u32).map(Op::Input)
                .chain((0..params as u32).map(Op::Param)).collect();
            prop_assert_eq!(&ops[..leading.len()], &leading[..], "optimized: {}", optimized);
            let rest = ops[leading.len()..].iter();
            prop_assert!(rest.clone().all(|op| !matches!(op, Op::Input(_) | Op::Param(_))), "{:?}", ops);
            f.optimize();
        }
    }

    /// `optimize` keeps the values to the bit and the derivatives to the
    /// last bits (a merged node sums its copies' adjoints in another order).
    #[test]
    fn optimize_keeps_values_and_derivatives(
        e in expr(),
        x0 in prop::array::uniform3(-2.0..2.0f64),
        x1 in prop::array::uniform3(-2.0..2.0f64),
    ) {
        // Twice the expression, so that every node has a copy to merge with.
        let f = Function::record(&x0, |x: &[Active]| eval(&e, x) * 2.0 + eval(&e, x))
            .expect("table ops replay");
        let mut g = f.clone();
        g.optimize();
        prop_assert!(g.len() < f.len() || f.len() <= INPUTS + 2, "{} nodes, optimized {}", f.len(), g.len());
        let (value, gradient) = f.value_and_gradient(&mut f.workspace(), &x1).expect("no guards");
        let (v, grad) = g.value_and_gradient(&mut g.workspace(), &x1).expect("no guards");
        prop_assert_eq!(value.to_bits(), v.to_bits());
        for (&a, &b) in gradient.iter().zip(&grad) {
            prop_assert!(last_bits(a, b), "{a} against {b}");
        }
    }
}

#[test]
fn optimize_drops_dead_code_folds_constants_and_merges_repeats() -> tapegrad::Result<()> {
    let mut f = Function::record(&[0.5, 1.5], |x: &[Active]| {
        let dead = (x[0] * x[1]).exp(); // no output depends on it
        let _ = dead;
        let k = Active::var(2.0) * 3.0; // a variable of the closure's own: a constant
        let s = x[0].sin() + x[1];
        let t = x[0].sin() + x[1]; // the same as s
        s * t * k
    })?;
    let before = f.len();
    f.optimize();
    // inputs 2; sin, add, mul (s·s), mul (by k folded to 6): 6 nodes
    assert_eq!((before, f.len()), (12, 6));
    let x = [0.3, -0.7];
    let s = x[0].sin() + x[1];
    let (value, g) = f.value_and_gradient(&mut f.workspace(), &x)?;
    assert_eq!(value, s * s * 6.0);
    assert!((g[0] - 12.0 * s * x[0].cos()).abs() < 1e-15);
    assert!((g[1] - 12.0 * s).abs() < 1e-15);
    Ok(())
}

#[test]
fn guards_and_selects_survive_optimize() -> tapegrad::Result<()> {
    let mut f = Function::record(&[1.0], |x: &[Active]| {
        let y = x[0].select(Comparison::Gt, 0.0, x[0] * 2.0, x[0] * 3.0);
        if x[0].sin() < 2.0 { y + x[0].sin() } else { y }
    })?;
    f.optimize();
    let mut ws = f.workspace();
    assert_eq!(f.gradient(&mut ws, &[-1.0])?, [3.0 + (-1.0_f64).cos()]);
    assert_eq!(f.guards(), 1);
    let mut g = Function::record(&[1.0], |x: &[Active]| if x[0] > 0.0 { x[0] } else { -x[0] })?;
    g.optimize();
    assert!(matches!(
        g.gradient(&mut g.workspace(), &[-1.0]),
        Err(Error::BranchChanged { .. })
    ));
    Ok(())
}

#[test]
fn retaping_records_each_branch_once_and_counts_it() -> tapegrad::Result<()> {
    // A hinge loss max(0, 1 − y·w·t) written with an `if`; (t, y) parameters.
    let hinge = |w: &[Active], p: &[Active]| {
        let margin = p[1] * w[0] * p[0];
        if margin < 1.0 {
            1.0 - margin
        } else {
            margin * 0.0
        }
    };
    let mut f = tapegrad::replay::Retaping::new(&[0.1], &[1.0, 1.0], hinge)?;
    assert_eq!(f.gradient(&[0.2])?, [-1.0]);
    assert_eq!(f.records(), 0);
    assert_eq!(f.gradient(&[2.0])?, [0.0]); // margin 2: the other branch
    assert_eq!(f.records(), 1);
    f.set_params(&[-1.0, 1.0])?; // now the margin is −2: back to the first branch, kept
    assert_eq!(f.value_and_gradient(&[2.0])?, (3.0, vec![1.0]));
    assert_eq!((f.records(), f.kept()), (1, 2));
    assert_eq!(f.gradient(&[1.5])?, [1.0]); // same branch: no new recording
    assert_eq!(f.records(), 1);
    assert_eq!(f.function().guards(), 1);
    assert!(f.set_params(&[1.0]).is_err());
    // The other evaluations, on the same branch: J = 1 − y·w·t, (t, y) = (−1, 1).
    assert!((f.value(&[0.2])?[0] - 1.2).abs() < 1e-15);
    let vjp = f.vjp(&[0.2], &[2.0])?; // 2·(∂J/∂w, ∂J/∂t, ∂J/∂y) = 2·(−y·t, −y·w, −w·t)
    assert_eq!((vjp.inputs, vjp.params), (vec![2.0], vec![-0.4, 0.4]));
    assert_eq!(
        (f.jvp(&[0.2], &[3.0])?, f.hvp(&[0.2], &[3.0])?),
        (vec![3.0], vec![0.0])
    );
    assert_eq!(f.records(), 1);
    Ok(())
}

#[test]
fn retaping_keeps_the_recordings_used_last() -> tapegrad::Result<()> {
    // A different line on each unit interval of x: 20 branches.
    let pieces = |x: &[Active], _: &[Active]| {
        let mut k = 0.0;
        while k < 19.0 && x[0] > k + 1.0 {
            k += 1.0;
        }
        x[0] * (k + 1.0)
    };
    let mut f = tapegrad::replay::Retaping::new(&[0.5], &[], pieces)?;
    for k in 0..20 {
        assert_eq!(f.gradient(&[k as f64 + 0.5])?, [k as f64 + 1.0]);
    }
    let kept = tapegrad::replay::Retaping::<f64, fn(&[Active], &[Active]) -> Active>::KEPT;
    assert_eq!((f.records(), f.kept()), (19, kept));
    // The last piece is kept: no recording; the first was dropped: one.
    assert_eq!(f.gradient(&[19.5])?, [20.0]);
    assert_eq!(f.records(), 19);
    assert_eq!(f.gradient(&[0.5])?, [1.0]);
    assert_eq!(f.records(), 20);
    Ok(())
}

#[test]
fn a_node_takes_about_45_bytes_in_a_function() {
    use std::mem::size_of;
    // What `Function::allocated_bytes` documents, per node in f64: the op,
    // the two parents, and for an op its place in the evaluation (2,000
    // ops at 56 bytes, 1,000 inputs at 24).
    let f = Function::record(&[1.0; 1000], |x: &[Active]| {
        x.iter().map(|v| v.exp()).sum::<Active>()
    })
    .expect("replayable");
    let per_node = f.allocated_bytes() as f64 / f.len() as f64;
    assert!((45.0..46.0).contains(&per_node), "{per_node} bytes a node");
    assert_eq!(size_of::<Active>(), 16);
}

#[test]
fn a_workspace_serves_the_function_that_made_it_and_no_other() -> tapegrad::Result<()> {
    let mut f = Function::record(&[1.0], |x: &[Active]| x[0].sin() + x[0].sin())?;
    let g = Function::record(&[1.0], |x: &[Active]| x[0].sin() + x[0].sin())?;
    let mut ws = f.workspace();
    assert!(matches!(
        g.gradient(&mut ws, &[1.0]),
        Err(Error::ForeignWorkspace)
    ));
    f.optimize(); // fewer nodes: the old workspace no longer fits
    assert!(matches!(
        f.gradient(&mut ws, &[1.0]),
        Err(Error::ForeignWorkspace)
    ));
    let clone = f.clone(); // the same nodes: it shares workspaces
    let mut ws = f.workspace();
    assert_eq!(clone.gradient(&mut ws, &[1.0])?, [2.0 * 1.0_f64.cos()]);
    Ok(())
}

/// `Signed::is_positive` (what nalgebra's generic code asks) is a guarded
/// comparison, not a value read.
#[cfg(feature = "nalgebra")]
#[test]
fn is_positive_is_guarded() -> tapegrad::Result<()> {
    use num_traits::Signed;
    let f = Function::record(
        &[1.0],
        |x: &[Active]| if x[0].is_positive() { x[0] } else { -x[0] },
    )?;
    assert_eq!(f.gradient(&mut f.workspace(), &[2.0])?, [1.0]);
    match f.gradient(&mut f.workspace(), &[-2.0]) {
        Err(Error::BranchChanged { test, .. }) => assert_eq!(test, ">"),
        other => panic!("expected BranchChanged, got {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Sums of terms (`acc + t`, `acc − t·k`, `acc + c`), which `optimize`
    /// sweeps as one node each: the same values, gradients and Hessians, in
    /// f64 and f32.
    #[test]
    fn optimized_sums_keep_values_and_derivatives(
        terms in prop::collection::vec((expr(), -2.0..2.0f64, any::<bool>()), 1..6),
        x in prop::array::uniform3(-2.0..2.0f64),
    ) {
        prop_assume!(stable(&terms, x), "terms cancel");
        sums_keep_values_and_derivatives(&terms, &x)?;
        sums_keep_values_and_derivatives(&terms, &x.map(|v| v as f32))?;
    }
}

/// [`optimized_sums_keep_values_and_derivatives`] in `F`.
fn sums_keep_values_and_derivatives<F: tapegrad::Scalar>(
    terms: &[(Expr, f64, bool)],
    x: &[F],
) -> Result<(), TestCaseError> {
    let f = Function::record(x, |x: &[Active<F>]| sum(terms, x)).expect("table ops replay");
    optimize_keeps(&f, x).map_err(TestCaseError::fail)
}

/// `x[0]·0.5` and the terms, `+ e + 1` or `− e·k`.
fn sum<T: Float>(terms: &[(Expr, f64, bool)], x: &[T]) -> T {
    let c = |v: f64| T::from(v).expect("a literal");
    terms
        .iter()
        .fold(x[0] * c(0.5), |acc, (e, k, minus)| match minus {
            true => acc - eval(e, x) * c(*k),
            false => acc + eval(e, x) + c(1.0),
        })
}

/// Whether the sum's gradient, Hessian and directional derivative at `x`
/// are computed stably: in f32 within 1,024 units of f32's last place of
/// f64's. Where terms cancel more (`atan2(u, u)` near `u = 0` swept as two
/// copies of `u`), adding them in any other order, as `optimize` does,
/// moves the result by more than its last bits in either type, and the
/// point says nothing about `optimize`.
fn stable(terms: &[(Expr, f64, bool)], x: [f64; 3]) -> bool {
    fn derivatives<F: tapegrad::Scalar>(terms: &[(Expr, f64, bool)], x: &[F]) -> Vec<f64> {
        let f = Function::record(x, |x: &[Active<F>]| sum(terms, x)).expect("replays");
        let mut ws = f.workspace();
        let direction = [0.5, -1.0, 2.0].map(|v| F::from(v).expect("small"));
        let mut all = f.gradient(&mut ws, x).expect("no guards");
        all.extend(f.hessian(&mut ws, x).expect("no guards").concat());
        all.extend(f.jvp(&mut ws, x, &direction).expect("no guards"));
        all.iter().map(|d| d.to_f64().expect("a float")).collect()
    }
    let (wide, narrow) = (
        derivatives(terms, &x),
        derivatives(terms, &x.map(|v| v as f32)),
    );
    let units = 1024.0 * f64::from(f32::EPSILON);
    let close = |(a, b): (&f64, &f64)| (a - b).abs() <= units * (1.0 + a.abs());
    wide.iter().zip(&narrow).all(close)
}

/// Whether `f`, optimized, has its value at `x` to the bit (from
/// `value_and_gradient` and `value`), and its gradient, Hessian and a
/// directional derivative to the last bits; `Err` says which not.
fn optimize_keeps<F: tapegrad::Scalar>(f: &Function<F>, x: &[F]) -> Result<(), String> {
    let mut g = f.clone();
    g.optimize();
    let no_guards = |e: tapegrad::Error| e.to_string();
    let (value, gradient) = f
        .value_and_gradient(&mut f.workspace(), x)
        .map_err(no_guards)?;
    let (v, grad) = g
        .value_and_gradient(&mut g.workspace(), x)
        .map_err(no_guards)?;
    let only = g.value(&mut g.workspace(), x).map_err(no_guards)?[0];
    let bits = |v: F| v.to_f64().map(f64::to_bits);
    if bits(value) != bits(v) || bits(value) != bits(only) {
        return Err(format!(
            "value {:?} against {:?} and {:?}",
            value.to_f64(),
            v.to_f64(),
            only.to_f64()
        ));
    }
    let h = f.hessian(&mut f.workspace(), x).map_err(no_guards)?;
    let hg = g.hessian(&mut g.workspace(), x).map_err(no_guards)?;
    // 0.5, −1, 2, …
    let direction: Vec<F> = (0..x.len())
        .map(|i| F::from(0.5 * (-2.0f64).powi(i as i32)).expect("small"))
        .collect();
    let d = f
        .jvp(&mut f.workspace(), x, &direction)
        .map_err(no_guards)?;
    let dg = g
        .jvp(&mut g.workspace(), x, &direction)
        .map_err(no_guards)?;
    let pairs = [
        ("gradient", gradient, grad),
        ("Hessian", h.concat(), hg.concat()),
        ("jvp", d, dg),
    ];
    for (what, a, b) in pairs {
        if let Some((a, b)) = a.iter().zip(&b).find(|&(&a, &b)| !last_bits(a, b)) {
            return Err(format!("{what} {:?} against {:?}", a.to_f64(), b.to_f64()));
        }
    }
    Ok(())
}

/// Rosenbrock's terms, `100·(y − x²)² + (1 − x)²`: after `optimize`, each
/// `y − x·x` is a chain of one link with its product inside; the same
/// values, gradient and Hessian as before.
#[test]
fn a_link_of_a_product_keeps_values_and_derivatives() -> tapegrad::Result<()> {
    let rosenbrock = |x: &[Active]| {
        x.windows(2).fold(Active::constant(0.0), |acc, w| {
            let (a, b) = (w[1] - w[0] * w[0], 1.0 - w[0]);
            acc + a * a * 100.0 + b * b
        })
    };
    let f = Function::record(&[0.5, -1.0, 1.5, 2.0], rosenbrock)?;
    let x = [1.2, 0.7, -0.3, 1.1];
    optimize_keeps(&f, &x).unwrap_or_else(|e| panic!("{e}"));
    let mut optimized = f.clone();
    optimized.optimize();
    let g = optimized.gradient(&mut optimized.workspace(), &x)?;
    // ∂/∂x₀ of the first term alone, by hand.
    let (a0, b0) = (x[1] - x[0] * x[0], 1.0 - x[0]);
    assert!((g[0] - (-400.0 * x[0] * a0 - 2.0 * b0)).abs() < 1e-12);
    Ok(())
}

/// A running sum or a product that a chain reads, and that a guard, a
/// `select` or an output reads as well: `optimize` still computes it, so
/// the guard sees the new point's value, and so do the others.
#[test]
fn values_read_inside_a_sum_are_computed_after_optimize() -> tapegrad::Result<()> {
    type Sum = fn(&[Active]) -> Vec<Active>;
    let guarded: Sum = |x| {
        let running = x[2] + x[0] * x[1];
        let total = running + x[0] * x[2] + 1.0;
        vec![if running > 0.0 { total } else { total * 2.0 }]
    };
    let selected: Sum = |x| {
        let running = x[2] + x[0] * x[1];
        let total = running + x[0] * x[2] + 1.0;
        vec![
            total,
            Active::constant(1.0).select(Comparison::Gt, running, x[0], x[1]),
        ]
    };
    let output: Sum = |x| {
        let product = x[0] * x[1];
        vec![x[2] + product + x[0] * x[2], product]
    };
    for sums in [guarded, selected, output] {
        let mut f = Function::record(&[1.0, 2.0, 3.0], sums)?;
        let plain = f.clone();
        f.optimize();
        // x₂ + x₀·x₁ < 0 at the second point: the other branch; a
        // workspace's first values are zeros, which the select at the
        // third would take for `1 > x₂ + x₀·x₁`.
        for x in [[2.0, 0.5, -0.5], [-1.0, 3.0, 1.0], [1.0, 2.0, 0.5]] {
            let a = plain
                .jacobian(&mut plain.workspace(), &x)
                .map_err(|e| e.to_string());
            let b = f
                .jacobian(&mut f.workspace(), &x)
                .map_err(|e| e.to_string());
            assert_eq!(a, b, "at {x:?}");
            let a = plain
                .value(&mut plain.workspace(), &x)
                .map_err(|e| e.to_string());
            let b = f.value(&mut f.workspace(), &x).map_err(|e| e.to_string());
            assert_eq!(a, b, "at {x:?}");
        }
    }
    let mut f = Function::record(&[1.0, 2.0, 3.0], guarded)?;
    f.optimize();
    let changed = f.value(&mut f.workspace(), &[-1.0, 3.0, 1.0]);
    assert!(
        matches!(changed, Err(Error::BranchChanged { .. })),
        "{changed:?}"
    );
    Ok(())
}

#[test]
fn a_sum_is_swept_as_one_node_after_optimize() -> tapegrad::Result<()> {
    // Σ wᵢ·xᵢ + b, as the classifier's logit: 2n + 1 nodes, one after optimize.
    let data: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.1 - 2.0).collect();
    let logit = |w: &[Active]| {
        data.iter()
            .zip(&w[1..])
            .fold(w[0], |z, (&x, &wi)| z + wi * x)
    };
    let mut f = Function::record(&vec![0.3; 51], logit)?;
    let x: Vec<f64> = (0..51).map(|i| f64::from(i).sin()).collect();
    let before = f.gradient(&mut f.workspace(), &x)?;
    f.optimize();
    let after = f.gradient(&mut f.workspace(), &x)?;
    assert_eq!(before, after); // the same products: the same bits here
    assert_eq!(after[0], 1.0);
    assert_eq!(after[1..], data[..]);
    Ok(())
}

/// A division by a constant zero has an infinite partial; `optimize` must
/// not fold it into a product, where a zero partial times it would be NaN
/// where the tape passes nothing.
#[test]
fn optimize_keeps_a_zero_partial_in_front_of_an_infinite_one() -> tapegrad::Result<()> {
    let f = Function::record(&[1.0], |x: &[Active]| {
        (x[0] / 0.0).max(Active::constant(0.0)) + x[0]
    })?;
    let mut g = f.clone();
    g.optimize();
    let plain = f.gradient(&mut f.workspace(), &[-1.0])?;
    let optimized = g.gradient(&mut g.workspace(), &[-1.0])?;
    assert_eq!(plain, [1.0]);
    assert_eq!(optimized, plain);
    Ok(())
}

#[test]
fn sums_and_products_of_iterators_replay() -> tapegrad::Result<()> {
    let f = Function::record(&[1.0, 2.0, 3.0], |x: &[Active]| {
        x.iter().copied().sum::<Active>() * x.iter().copied().product::<Active>()
    })?;
    let x = [2.0, 3.0, 4.0];
    let (s, p) = (9.0, 24.0);
    assert_eq!(
        f.gradient(&mut f.workspace(), &x)?,
        [p + s * 12.0, p + s * 8.0, p + s * 6.0]
    );
    Ok(())
}

#[test]
fn comparisons_with_floats_read_as_with_floats_and_are_guarded() -> tapegrad::Result<()> {
    // On either side, every operator, in a recording that replays.
    type Probe = fn(&[Active]) -> Active;
    let probes: [(Probe, f64, f64); 8] = [
        (|x| if x[0] < 0.5 { x[0] } else { -x[0] }, 0.0, 1.0),
        (|x| if x[0] <= 0.5 { x[0] } else { -x[0] }, 0.5, 0.75),
        (|x| if x[0] > 0.5 { x[0] } else { -x[0] }, 1.0, 0.0),
        (|x| if x[0] >= 0.5 { x[0] } else { -x[0] }, 0.5, 0.25),
        (|x| if x[0] == 1.0 { x[0] } else { -x[0] }, 1.0, 2.0),
        (|x| if x[0] != 1.0 { x[0] } else { -x[0] }, 2.0, 1.0),
        (|x| if 0.5 < x[0] { x[0] } else { -x[0] }, 1.0, 0.0),
        (|x| if 1.0 == x[0] { x[0] } else { -x[0] }, 1.0, 3.0),
    ];
    for (k, (probe, at, elsewhere)) in probes.into_iter().enumerate() {
        let f = Function::record(&[at], probe)?;
        let mut ws = f.workspace();
        assert_eq!(f.gradient(&mut ws, &[at])?, [1.0], "probe {k}");
        let changed = f.gradient(&mut ws, &[elsewhere]);
        assert!(
            matches!(changed, Err(Error::BranchChanged { .. })),
            "probe {k}: {changed:?}"
        );
    }
    // The same on Var, Active<f32> and Dual, which compare values.
    let tape = Tape::new();
    let x = tape.var(0.25);
    let below = [x < 0.5, 0.25 >= x, x != 0.5];
    assert_eq!(below, [true; 3]);
    assert_eq!(x.partial_cmp(&0.25), Some(std::cmp::Ordering::Equal));
    let mut tape32 = Tape::<f32>::default();
    assert!(tape32.record(|| Active::var(2.0f32) >= 2.0));
    let d = tapegrad::forward::Dual::<f64, 1>::input(3.0, 0);
    assert_eq!([d > 1.0, 4.0 > d, d == 3.0], [true; 3]);
    Ok(())
}

#[test]
fn a_function_prints_its_ir_with_parameters_selects_guards_and_outputs() -> tapegrad::Result<()> {
    use tapegrad::replay::Comparison;
    let mut line = 0;
    let f = Function::record_with_params(&[0.5, 2.0], &[3.0], |x: &[Active], p: &[Active]| {
        let y = x[0].powi(3) * p[0];
        let z = y.select(Comparison::Lt, x[1], y, 1.5);
        line = line!() + 1;
        let nan = x[1].is_nan();
        let w = if nan { z } else { z.atan2(x[0]) - 1.0 };
        [w, Active::constant(4.0)]
    })?;
    let ir = format!(
        "\
%1 = input 0
%2 = input 1
%3 = param 0
%4 = powi %1 3
%5 = mul %4 %3
%6 = select %5 < %2 ? %5 : 1.5
%7 = atan2 %6 %1
%8 = sub %7 1.0
guard is_nan(%2) is false at tests/replay.rs:{line}:24
return %8, 4.0"
    );
    assert_eq!(f.to_string(), ir);
    Ok(())
}

#[test]
fn a_function_prints_the_stable_forms_it_recorded() -> tapegrad::Result<()> {
    // Recorded at z = 0, where σ(z) = 1 − σ(z): found from what was
    // recorded, never from a value.
    let f = Function::record(&[0.0], |x: &[Active]| {
        let s = x[0].sigmoid();
        s.ln() + (1.0 - s).ln() + (1.0 - s)
    })?;
    let ir = "\
%1 = input 0
%2 = sigmoid %1
%3 = ln_sigmoid %1
%4 = one_minus %2
%5 = ln_sigmoid -%1
%6 = add %3 %5
%7 = one_minus %2
%8 = add %6 %7
return %8";
    assert_eq!(f.to_string(), ir);
    Ok(())
}

/// The values of a function computed from its IR alone, by the op table's
/// arithmetic, as a compiler of recordings reads it: each op in order,
/// then the guards.
fn evaluate_ir(ir: Ir<'_, f64>, x: &[f64], params: &[f64]) -> Result<Vec<f64>, String> {
    let mut v = vec![0.0; ir.ops.len() + 1];
    for (k, &op) in ir.ops.iter().enumerate() {
        let n = |a: u32| v[a as usize];
        v[k + 1] = match op {
            Op::Input(i) => x[i as usize],
            Op::Param(i) => params[i as usize],
            Op::Fixed(c) => c,
            Op::Add(a, b) => Binary::Add.eval(n(a), n(b)).0,
            Op::AddConst(a, c) => Binary::Add.eval(n(a), c).0,
            Op::Sub(a, b) => Binary::Sub.eval(n(a), n(b)).0,
            Op::SubConst(a, c) => Binary::Sub.eval(n(a), c).0,
            Op::ConstSub(c, b) => Binary::Sub.eval(c, n(b)).0,
            Op::Mul(a, b) => Binary::Mul.eval(n(a), n(b)).0,
            Op::MulConst(a, c) => Binary::Mul.eval(n(a), c).0,
            Op::Div(a, b) => Binary::Div.eval(n(a), n(b)).0,
            Op::DivConst(a, c) => Binary::Div.eval(n(a), c).0,
            Op::ConstDiv(c, b) => Binary::Div.eval(c, n(b)).0,
            Op::Neg(a) => Unary::Neg.eval(n(a)).0,
            Op::Unary(op, a) => op.eval(n(a)).0,
            Op::Binary(op, a, b) => op.eval(n(a), n(b)).0,
            Op::BinaryConst(op, a, c) => op.eval(n(a), c).0,
            Op::ConstBinary(op, c, b) => op.eval(c, n(b)).0,
            Op::LnSigmoid { z, negated } => {
                Unary::LnSigmoid.eval(if negated { -n(z) } else { n(z) }).0
            }
            Op::Complement { z, .. } => Unary::Sigmoid.eval(-n(z)).0,
            Op::Select(k) => {
                let s = ir.selects[k as usize];
                let [a, b] = s.operands.map(|a| a.get(&v));
                let taken = usize::from(s.test.outcome(a, b) != Outcome::Bool(true));
                s.branches[taken].get(&v)
            }
            Op::Sum { first, count } => {
                let terms = &ir.terms[first as usize..(first + count) as usize];
                let mut total = 0.0;
                for (i, term) in terms.iter().enumerate() {
                    let t = match term.value {
                        Summand::Const(c) => c,
                        Summand::Node(a) => n(a),
                        Summand::Product(a, b) => n(a) * n(b),
                    };
                    total = match (i, term.minus) {
                        (0, _) => t,
                        (_, false) => total + t,
                        (_, true) => total - t,
                    };
                }
                total
            }
            other => return Err(format!("an op this reader does not know: {other:?}")),
        };
    }
    for guard in ir.guards {
        let [a, b] = guard.operands.map(|a| a.get(&v));
        if guard.test.outcome(a, b) != guard.outcome {
            return Err(format!("the branch at {} changed", guard.location));
        }
    }
    Ok(ir.outputs.iter().map(|&y| y.get(&v)).collect())
}

#[test]
fn a_reader_of_the_ir_alone_computes_the_functions_values_to_the_bit() -> tapegrad::Result<()> {
    use tapegrad::replay::Comparison;
    let f = |x: &[Active], p: &[Active]| {
        let s = x[0].sigmoid();
        let dot: Active = x.iter().zip(p).map(|(&x, &p)| x * p).sum();
        let picked = x[1].select(Comparison::Gt, x[2], x[1].powi(3), x[2].atan2(x[0]));
        let loss = -(s.ln() * p[0] + (1.0 - s).ln() * (1.0 - p[0]));
        let bounded = if x[2] > -10.0 {
            x[2].clamp(-1.0, 1.0)
        } else {
            x[2]
        };
        [
            loss + dot / 3.0 - picked * 2.0 + bounded,
            (x[0] - 1.5).abs().max(x[1]) % 0.75,
        ]
    };
    let (x, p) = ([0.0, -0.5, 2.0], [0.25, 1.5, -3.0]);
    let plain = Function::record_with_params(&x, &p, f)?;
    let mut optimized = plain.clone();
    optimized.optimize();
    assert!(
        optimized
            .ir()
            .ops
            .iter()
            .any(|op| matches!(op, Op::Sum { .. }))
    );
    // At the recording's point and a second one, before and after optimize:
    // the values of a fresh recording there, to the bit.
    for (at, params) in [(x, p), ([1.25, 0.75, 0.5], [0.5, -2.0, 0.125])] {
        let fresh = Function::record_with_params(&at, &params, f)?;
        let expected = fresh.value(&mut fresh.workspace(), &at)?;
        for g in [&plain, &optimized] {
            let values = evaluate_ir(g.ir(), &at, &params).expect("the branches taken as recorded");
            let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&values), bits(&expected), "{g}");
            let mut ws = g.workspace();
            ws.set_params(&params)?;
            assert_eq!(bits(&g.value(&mut ws, &at)?), bits(&values));
        }
    }
    // Where a guarded branch changes, the reader sees it as the function does.
    assert!(evaluate_ir(optimized.ir(), &[0.0, -0.5, -20.0], &p).is_err());
    Ok(())
}

/// `f`'s vector–Jacobian product at `x` with `params`, against its
/// Jacobian's rows weighted, and against central differences in the
/// parameters.
fn vjp_agrees<F: tapegrad::Scalar + std::fmt::Debug>(
    f: impl Fn(&[Active<F>], &[Active<F>]) -> Vec<Active<F>> + Copy,
    x: &[F],
    params: &[F],
    weights: &[F],
    tolerance: F,
) -> tapegrad::Result<()> {
    let g = Function::record_with_params(x, params, f)?;
    let mut ws = g.workspace();
    let tapegrad::replay::Vjp {
        inputs: dx,
        params: dp,
        ..
    } = g.vjp(&mut ws, x, weights)?;
    // The inputs' part: ȳᵀ·J, row by row.
    let rows = g.jacobian(&mut ws, x)?;
    for (j, &d) in dx.iter().enumerate() {
        let expected =
            (rows.iter().zip(weights)).fold(F::zero(), |acc, (row, &w)| acc + w * row[j]);
        assert!(
            (d - expected).abs() <= tolerance * expected.abs().max(F::one()),
            "{d:?} against {expected:?}"
        );
    }
    // The parameters' part: central differences of Σ ȳₖ·yₖ.
    let h = F::epsilon().cbrt();
    let weighted = |ws: &mut tapegrad::replay::Workspace<F>, p: &[F]| -> tapegrad::Result<F> {
        ws.set_params(p)?;
        let y = g.value(ws, x)?;
        Ok(y.iter()
            .zip(weights)
            .fold(F::zero(), |acc, (&y, &w)| acc + w * y))
    };
    for (k, &d) in dp.iter().enumerate() {
        let (mut up, mut down) = (params.to_vec(), params.to_vec());
        up[k] = up[k] + h;
        down[k] = down[k] - h;
        let two = F::one() + F::one();
        let expected = (weighted(&mut ws, &up)? - weighted(&mut ws, &down)?) / (two * h);
        let loose = tolerance.sqrt();
        assert!(
            (d - expected).abs() <= loose * expected.abs().max(F::one()),
            "{d:?} against {expected:?}"
        );
    }
    Ok(())
}

fn vjp_cases<F: tapegrad::Scalar + std::fmt::Debug>(tolerance: F) -> tapegrad::Result<()> {
    let c = |v: f64| F::from(v).expect("a literal");
    let step = |x: &[Active<F>], p: &[Active<F>]| {
        // One explicit Euler step of a damped oscillator, and its energy.
        let (q, v) = (x[0], x[1]);
        let dt = c(0.1);
        let v1 = v - (q * p[0] + v * p[1]) * dt;
        let q1 = q + v1 * dt;
        vec![q1, v1, (q1 * q1 * p[0] + v1 * v1) * c(0.5)]
    };
    let (x, p) = ([c(1.0), c(-0.5)], [c(4.0), c(0.25)]);
    vjp_agrees(step, &x, &p, &[c(1.0), c(-2.0), c(0.5)], tolerance)?;
    // Edge weights: zeros, and one output alone.
    vjp_agrees(step, &x, &p, &[F::zero(); 3], tolerance)?;
    vjp_agrees(step, &x, &p, &[F::zero(), F::one(), F::zero()], tolerance)?;
    // An output twice, a constant output, an input as an output.
    let odd = |x: &[Active<F>], p: &[Active<F>]| {
        let y = (x[0] * p[0]).sin();
        vec![y, y, Active::constant(c(3.0)), x[1]]
    };
    vjp_agrees(odd, &x, &p, &[c(1.0), c(2.0), c(5.0), c(-1.0)], tolerance)?;
    let g = Function::record_with_params(&x, &p, odd)?;
    let vjp = g.vjp(&mut g.workspace(), &x, &[c(1.0), c(2.0), c(5.0), c(-1.0)])?;
    let (dx, dp) = (vjp.inputs, vjp.params);
    assert_eq!(vjp.outputs[2], c(3.0));
    let cos = (x[0] * p[0]).cos();
    let close = |a: F, b: F| (a - b).abs() <= tolerance * b.abs().max(F::one());
    assert!(
        close(dx[0], c(3.0) * cos * p[0]) && dx[1] == c(-1.0),
        "{dx:?}"
    );
    assert!(
        close(dp[0], c(3.0) * cos * x[0]) && dp.len() == 2 && dp[1] == F::zero(),
        "{dp:?}"
    );
    // Optimized: the same.
    let mut o = g.clone();
    o.optimize();
    let ov = o.vjp(&mut o.workspace(), &x, &[c(1.0), c(2.0), c(5.0), c(-1.0)])?;
    let (ox, op) = (ov.inputs, ov.params);
    assert!(
        ox.iter()
            .zip(&dx)
            .chain(op.iter().zip(&dp))
            .all(|(&a, &b)| close(a, b))
    );
    // One weight per output.
    let wrong = g.vjp(&mut g.workspace(), &x, &[c(1.0)]);
    assert!(matches!(wrong, Err(Error::Length { .. })));
    Ok(())
}

#[test]
fn a_vector_jacobian_product_weighs_the_outputs_and_reaches_the_parameters() -> tapegrad::Result<()>
{
    vjp_cases::<f64>(1e-12)?;
    vjp_cases::<f32>(1e-5)
}
