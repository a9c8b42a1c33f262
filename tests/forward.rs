//! Forward mode (`Dual`) and the fused nodes built on it (`Var::fused`,
//! `sum_windows`), against the tape's own reverse mode and against finite
//! differences, in `f32` and `f64`.

mod common;

use approx::assert_relative_eq;
use common::{Real, lit};
use core::iter::Sum;

use num_traits::Float;
use tapegrad::{Error, Tape, Var, check::check_gradient, custom::sum_windows, forward::Dual, sum};

/// Every `Float` method of one or two arguments: `Dual`'s value and
/// derivatives against the value and gradient the tape records for the same
/// method, at each point, in `f32` and `f64`.
macro_rules! agree {
    ($($name:ident: |$x:ident, $y:ident| $e:expr, at [$(($a:expr, $b:expr)),* $(,)?];)*) => {$(
        #[test]
        fn $name() {
            fn f<T: Float>($x: T, $y: T) -> T {
                let _ = $y;
                $e
            }
            fn at<F: Real>(a: f64, b: f64) {
                // Opaque to the optimizer: in a release build it would fold
                // one side's libm call at compile time, correctly rounded,
                // and the runtime `tanhf` can differ from that by an ulp.
                let (a, b) = core::hint::black_box((lit::<F>(a), lit::<F>(b)));
                let tape = Tape::<F>::default();
                let (x, y) = (tape.var(a), tape.var(b));
                let out = f(x, y);
                let grads = out.backward();
                let [dx, dy] = Dual::inputs([a, b]);
                let forward = f(dx, dy);
                let what = format!("{} at ({a:?}, {b:?})", stringify!($name));
                let (fv, rv) = (forward.value(), out.value());
                assert!(fv == rv || (fv.is_nan() && rv.is_nan()), "{what}: value {fv:?}, {rv:?}");
                let reverse = [grads.wrt(&x), grads.wrt(&y)];
                for (k, (&t, r)) in forward.tangent().iter().zip(reverse).enumerate() {
                    assert!(
                        t == r || t.relative_eq(&r, F::epsilon() * lit(4.0), F::epsilon()),
                        "{what}: ∂/∂input {k} forward {t:?}, reverse {r:?}"
                    );
                }
            }
            $(
                at::<f64>($a, $b);
                at::<f32>($a, $b);
            )*
        }
    )*};
}

agree! {
    add: |x, y| x + y, at [(1.5, -2.0)];
    sub: |x, y| x - y, at [(1.5, -2.0)];
    mul: |x, y| x * y, at [(1.5, -2.0)];
    div: |x, y| x / y, at [(1.5, -2.0)];
    rem: |x, y| x % y, at [(7.5, 2.0), (-7.5, 2.0)];
    neg: |x, y| -x, at [(1.5, 0.0)];
    floor: |x, y| x.floor(), at [(1.5, 0.0)];
    ceil: |x, y| x.ceil(), at [(1.5, 0.0)];
    round: |x, y| x.round(), at [(1.25, 0.0)];
    trunc: |x, y| x.trunc(), at [(-1.5, 0.0)];
    fract: |x, y| x.fract(), at [(1.25, 0.0)];
    abs: |x, y| x.abs(), at [(-1.5, 0.0), (2.0, 0.0), (0.0, 0.0)];
    signum: |x, y| x.signum(), at [(-1.5, 0.0)];
    recip: |x, y| x.recip(), at [(-1.5, 0.0), (0.3, 0.0)];
    sqrt: |x, y| x.sqrt(), at [(2.25, 0.0), (1e-6, 0.0)];
    cbrt: |x, y| x.cbrt(), at [(-3.5, 0.0), (8.0, 0.0)];
    exp: |x, y| x.exp(), at [(-1.5, 0.0), (3.0, 0.0)];
    exp2: |x, y| x.exp2(), at [(1.5, 0.0)];
    exp_m1: |x, y| x.exp_m1(), at [(1e-8, 0.0), (-2.0, 0.0)];
    ln: |x, y| x.ln(), at [(0.3, 0.0), (40.0, 0.0)];
    ln_1p: |x, y| x.ln_1p(), at [(1e-8, 0.0), (2.0, 0.0)];
    log2: |x, y| x.log2(), at [(3.0, 0.0)];
    log10: |x, y| x.log10(), at [(3.0, 0.0)];
    log: |x, y| x.log(y), at [(3.0, 5.0)];
    powi: |x, y| x.powi(3), at [(-1.5, 0.0)];
    powi_zero: |x, y| x.powi(0), at [(-1.5, 0.0)];
    powf: |x, y| x.powf(y), at [(1.5, 2.5), (0.0, 0.0), (0.0, 2.0)];
    sin: |x, y| x.sin(), at [(0.7, 0.0)];
    cos: |x, y| x.cos(), at [(0.7, 0.0)];
    tan: |x, y| x.tan(), at [(0.7, 0.0)];
    asin: |x, y| x.asin(), at [(0.3, 0.0)];
    acos: |x, y| x.acos(), at [(0.3, 0.0)];
    atan: |x, y| x.atan(), at [(3.0, 0.0)];
    atan2: |x, y| x.atan2(y), at [(1.0, -2.0), (0.0, 0.0)];
    sinh: |x, y| x.sinh(), at [(0.7, 0.0)];
    cosh: |x, y| x.cosh(), at [(0.7, 0.0)];
    tanh: |x, y| x.tanh(), at [(0.7, 0.0)];
    asinh: |x, y| x.asinh(), at [(-2.0, 0.0)];
    acosh: |x, y| x.acosh(), at [(2.0, 0.0)];
    atanh: |x, y| x.atanh(), at [(0.5, 0.0)];
    hypot: |x, y| x.hypot(y), at [(3.0, -4.0), (0.0, 0.0)];
    max: |x, y| x.max(y), at [(3.0, -4.0), (-4.0, 3.0), (2.0, 2.0)];
    min: |x, y| x.min(y), at [(3.0, -4.0), (-4.0, 3.0), (2.0, 2.0)];
    mul_add: |x, y| x.mul_add(y, x), at [(1.5, -2.0)];
    copysign: |x, y| x.copysign(y), at [(1.5, -2.0), (-1.5, -2.0)];
    clamp: |x, y| x.clamp(y, y + T::one()), at [(1.5, -2.0), (1.5, 1.0), (1.5, 1.25)];
    to_degrees: |x, y| x.to_degrees(), at [(1.5, 0.0)];
    to_radians: |x, y| x.to_radians(), at [(90.0, 0.0)];
    abs_sub: |x, y| x.abs_sub(y), at [(3.0, 1.0)];
}

/// The activations `Var` and `Dual` have beyond `Float`, at large `|z|`
/// where only their stable forms stay finite.
#[test]
fn activations_agree_with_the_tape_at_large_inputs() {
    for z in [-800.0, -3.0, 0.0, 2.5, 800.0] {
        let tape = Tape::new();
        let x = tape.var(z);
        let d = Dual::<f64, 1>::input(z, 0);
        let pairs = [
            (x.sigmoid(), d.sigmoid()),
            (x.ln_sigmoid(), d.ln_sigmoid()),
            (x.softplus(), d.softplus()),
            (x.relu(), d.relu()),
        ];
        for (i, (v, d)) in pairs.into_iter().enumerate() {
            assert_eq!(d.value(), v.value(), "activation {i} at {z}: value");
            assert_eq!(
                d.tangent()[0],
                v.backward().wrt(&x),
                "activation {i} at {z}"
            );
            assert!(d.tangent()[0].is_finite());
        }
    }
}

fn rosenbrock_term<T: Float>([a, b]: [T; 2]) -> T {
    lit::<T>(100.0) * (b - a * a).powi(2) + (T::one() - a).powi(2)
}

/// Rosenbrock's sum recorded node by node and as one fused node.
fn rosenbrock_both_ways<F: Real>() {
    let xs: Vec<F> = [-1.2, 1.0, 0.3, -0.7, 2.0, 0.9]
        .into_iter()
        .map(lit)
        .collect();
    let tape = Tape::<F>::default();
    let x = tape.vars(&xs);
    let terms: Vec<Var<F>> = x
        .windows(2)
        .map(|w| rosenbrock_term([w[0], w[1]]))
        .collect();
    let by_node = sum(&terms);
    let before = tape.len();
    let fused = sum_windows(&x, rosenbrock_term);
    assert_eq!(tape.len(), before + 1, "sum_windows records one node");
    assert_relative_eq!(
        fused.value(),
        by_node.value(),
        max_relative = F::epsilon() * lit(8.0)
    );
    let (g, h) = (fused.backward(), by_node.backward());
    for xi in &x {
        assert_relative_eq!(
            g.wrt(xi),
            h.wrt(xi),
            max_relative = F::epsilon() * lit(16.0)
        );
    }
}

#[test]
fn sum_windows_matches_the_sum_recorded_node_by_node_f64() {
    rosenbrock_both_ways::<f64>();
}

#[test]
fn sum_windows_matches_the_sum_recorded_node_by_node_f32() {
    rosenbrock_both_ways::<f32>();
}

#[test]
fn sum_windows_matches_finite_differences() {
    let x = [0.3, -1.1, 0.8, 1.7];
    check_gradient(|v| sum_windows(v, rosenbrock_term), &x).unwrap();
    // Windows of three, a term that reads all of them.
    check_gradient(
        |v| sum_windows(v, |[a, b, c]| (a * b).sin() + c.exp() * a - b.hypot(c)),
        &x,
    )
    .unwrap();
}

#[test]
fn sum_windows_gives_constants_no_gradient() {
    let tape = Tape::new();
    let (a, c) = (tape.var(0.5), tape.var(-2.0));
    let k = Var::constant(3.0);
    let f = sum_windows(&[a, k, c], |[x, y]| x * y);
    assert_eq!(f.value(), 0.5 * 3.0 + 3.0 * -2.0);
    let grads = f.backward();
    assert_eq!(grads.wrt(&a), 3.0);
    assert_eq!(grads.wrt(&c), 3.0);
    assert_eq!(grads.get(&k), Err(Error::Constant));
}

#[test]
fn sum_windows_over_variables_in_any_order_and_with_repeats() {
    // Inputs recorded together, the same inputs reversed, and one of them
    // twice.
    let tape = Tape::new();
    let x = tape.vars(&[0.3, -1.1, 0.8, 1.7, -0.4]);
    let term = |[a, b]: [Dual<f64, 2>; 2]| (a - b * b).powi(2) + a.sin();
    let forward = sum_windows(&x, term).backward();
    let reversed: Vec<Var> = x.iter().rev().copied().collect();
    let backward = sum_windows(&reversed, |[a, b]| term([b, a])).backward();
    for (k, xk) in x.iter().enumerate() {
        assert_relative_eq!(forward.wrt(xk), backward.wrt(xk), max_relative = 1e-15);
        assert_ne!(forward.wrt(xk), 0.0, "x[{k}]");
    }
    let repeated = [x[0], x[1], x[1], x[2]];
    let f = sum_windows(&repeated, |[a, b]| a * b);
    let grads = f.backward();
    // x0·x1 + x1·x1 + x1·x2
    assert_eq!(
        grads.wrt(&x[1]),
        x[0].value() + 2.0 * x[1].value() + x[2].value()
    );
    assert_eq!(grads.wrt(&x[2]), x[1].value());
}

#[test]
#[should_panic(expected = "cannot combine variables of two different tapes")]
fn sum_windows_with_a_variable_of_another_tape_at_the_end_panics() {
    let (one, two) = (Tape::new(), Tape::new());
    let xs = [one.var(1.0), one.var(2.0), one.var(3.0), two.var(4.0)];
    let _ = sum_windows(&xs, |[a, b, c]: [Dual<f64, 3>; 3]| a * b * c);
}

#[test]
fn sum_windows_of_too_few_variables_is_the_empty_sum() {
    let tape: Tape = Tape::new();
    let x = tape.vars(&[1.0, 2.0]);
    let before = tape.len();
    let f = sum_windows(&x, |[a, b, c]| a * b * c);
    assert!(f.is_constant());
    assert!(f.value() == 0.0 && f.value().is_sign_negative());
    assert_eq!(tape.len(), before);
}

#[test]
fn sum_windows_of_constants_is_a_constant() {
    let xs = [Var::constant(1.0), Var::constant(2.0), Var::constant(4.0)];
    let f = sum_windows(&xs, |[a, b]| a * b);
    assert!(f.is_constant());
    assert_eq!(f.value(), 10.0);
}

#[test]
#[should_panic(expected = "cannot combine variables of two different tapes")]
fn sum_windows_of_two_tapes_panics() {
    let (one, two) = (Tape::new(), Tape::new());
    let _ = sum_windows(
        &[one.var(1.0), two.var(2.0)],
        |[a, b]: [Dual<f64, 2>; 2]| a * b,
    );
}

#[test]
#[should_panic(expected = "input 2 of a Dual with 2 derivatives")]
fn dual_input_out_of_range_panics() {
    let _ = Dual::<f64, 2>::input(1.0, 2);
}

#[test]
fn sum_windows_on_a_checked_tape_reports_a_term_that_is_not_finite() {
    let tape = Tape::checked();
    let x = tape.vars(&[1.0, 0.0, 2.0]);
    let f = sum_windows(&x, |[a, b]| a / b);
    match f.backward_checked() {
        Err(Error::NonFinite { op, .. }) => assert_eq!(op, "sum_windows"),
        other => panic!("expected the infinite term to be reported, got {other:?}"),
    }
}

#[test]
fn sum_windows_leaves_a_training_loop_without_new_tapes_or_nodes() {
    // The scratch buffer goes back to the tape: a second step on a cleared
    // tape records the same, and gives the same gradient bits.
    let mut tape = Tape::new();
    let mut last = None;
    for _ in 0..3 {
        let x = tape.vars(&[0.1, 0.2, 0.3, 0.4]);
        let g = sum_windows(&x, rosenbrock_term).backward().wrt_all(&x);
        assert_eq!(tape.len(), 5);
        if let Some(previous) = last.replace(g.clone()) {
            assert_eq!(previous, g);
        }
        tape.clear();
    }
}

#[test]
fn fused_records_one_node_with_the_graphs_gradient() {
    let tape = Tape::new();
    let x = tape.vars(&[0.8, -0.3]);
    let by_node = (x[0] * x[1].exp() + x[1].sin()) / x[0].hypot(x[1]);
    let before = tape.len();
    let fused = Var::fused("f", [x[0], x[1]], |[a, b]| {
        (a * b.exp() + b.sin()) / a.hypot(b)
    });
    assert_eq!(tape.len(), before + 1);
    assert_eq!(fused.value(), by_node.value());
    let (g, h) = (fused.backward(), by_node.backward());
    for xi in &x {
        assert_relative_eq!(g.wrt(xi), h.wrt(xi), max_relative = 1e-15);
    }
}

fn rosenbrock_by_node<T: Float + Sum>(x: &[T]) -> T {
    x.windows(2).map(|w| rosenbrock_term([w[0], w[1]])).sum()
}

#[test]
fn dual_sums_and_products_carry_their_derivatives() {
    let [x, y] = Dual::inputs([3.0, 1.5]);
    let s: Dual<f64, 2> = [x, y, x].into_iter().sum();
    assert_eq!(s.tangent(), [2.0, 1.0]);
    let p: Dual<f64, 2> = [x, y, x].into_iter().product();
    assert_eq!(p.value(), 13.5);
    assert_eq!(p.tangent(), [2.0 * 3.0 * 1.5, 9.0]);
}

#[test]
fn fused_nodes_have_exact_second_derivatives() {
    // On a nested tape the Dual numbers carry variables of the outer tape:
    // the Hessian of a fused Rosenbrock equals the one recorded node by node.
    let x = [-1.2, 1.0, 0.3];
    let fused = tapegrad::hessian(|v| sum_windows(v, rosenbrock_term), &x);
    let by_node = tapegrad::hessian(|v| rosenbrock_by_node(v), &x);
    for (row_f, row_n) in fused.iter().zip(&by_node) {
        for (a, b) in row_f.iter().zip(row_n) {
            assert_relative_eq!(a, b, max_relative = 1e-14);
        }
    }
    assert_eq!(fused[0][1], -400.0 * -1.2);
}

#[test]
fn dual_is_send_sync_and_shows_its_derivatives() {
    fn send_sync_static<T: Send + Sync + 'static>() {}
    send_sync_static::<Dual<f64, 3>>();
    send_sync_static::<Dual<f32, 1>>();
    let [x, _] = Dual::inputs([1.5, 2.0]);
    let shown = format!("{x:?}");
    assert!(
        shown.contains("1.5") && shown.contains("tangent: [1.0, 0.0]"),
        "{shown}"
    );
    assert_eq!(format!("{x}"), "1.5");
}

/// `√a + b` at `a = 0`, where `∂√a/∂a` is infinite: `∂/∂b` is `1`, not the
/// NaN of `0 · ∞`. `Var::fused` and `sum_windows` run the term once, on
/// `Dual` numbers that pass no derivative through `0 · ±∞`; their gradient is
/// the one recorded node by node, to the bit.
fn infinite_partial_both_ways<F: Real>() {
    let runs = core::cell::Cell::new(0);
    let term = |[a, b]: [Dual<F, 2>; 2]| {
        runs.set(runs.get() + 1);
        a.sqrt() + b
    };
    let tape = Tape::<F>::default();
    let x = tape.vars(&[F::zero(), F::one()]);
    let by_node = (x[0].sqrt() + x[1]).backward();
    let fused = Var::fused("f", [x[0], x[1]], term).backward();
    assert_eq!(runs.replace(0), 1, "once");
    assert_eq!(fused.wrt_all(&x), [F::infinity(), F::one()]);
    assert_eq!(fused.wrt_all(&x), by_node.wrt_all(&x));

    let xs = tape.vars(&[0.0, 1.0, 4.0].map(lit::<F>));
    let by_node = sum(&[xs[0].sqrt() + xs[1], xs[1].sqrt() + xs[2]]);
    let windows = sum_windows(&xs, term);
    assert_eq!(runs.replace(0), 2, "once a window");
    assert_eq!(windows.value(), by_node.value());
    let gradient = windows.backward().wrt_all(&xs);
    assert_eq!(gradient, [F::infinity(), lit(1.5), F::one()]);
    assert_eq!(gradient, by_node.backward().wrt_all(&xs));

    let _ = sum_windows(&xs[1..], term);
    assert_eq!(runs.get(), 1, "one window");
}

#[test]
fn fused_nodes_pass_nothing_through_an_infinite_partial_f64() {
    infinite_partial_both_ways::<f64>();
}

#[test]
fn fused_nodes_pass_nothing_through_an_infinite_partial_f32() {
    infinite_partial_both_ways::<f32>();
}

#[test]
fn a_dual_passes_nothing_through_an_infinite_partial() {
    let [a, b] = Dual::inputs([0.0, 1.0]);
    assert_eq!((a.sqrt() + b).tangent(), [f64::INFINITY, 1.0]);
    assert_eq!((a.sqrt() * b).tangent(), [f64::INFINITY, 0.0]);
    // A constant's derivatives stay zero, alone or with an input.
    assert_eq!(Dual::<f64, 2>::constant(0.0).sqrt().tangent(), [0.0; 2]);
    assert_eq!((Dual::constant(0.0).sqrt() + b).tangent(), [0.0, 1.0]);
    let c = Dual::<f64, 2>::new(0.0, [0.0, 2.0]);
    assert_eq!(c.sqrt().tangent(), [0.0, f64::INFINITY]);
}

fn sqrt_term<T: Float>([a, b]: [T; 2]) -> T {
    a.sqrt() * b + b
}

#[test]
fn an_infinite_partial_gives_the_hessian_recorded_node_by_node() {
    // On a nested tape, the term's `Dual` arithmetic records on the outer
    // tape, and the second derivatives go through it.
    fn by_node<T: Float + Sum>(x: &[T]) -> T {
        x.windows(2).map(|w| sqrt_term([w[0], w[1]])).sum()
    }
    for x in [[0.0, 1.0, 4.0], [1.0, 0.0, 2.0]] {
        let fused = tapegrad::hessian(|v| sum_windows(v, sqrt_term), &x);
        assert_eq!(fused, tapegrad::hessian(|v| by_node(v), &x), "at {x:?}");
        assert!(fused.iter().flatten().any(|h| h.is_infinite()));
    }
}
