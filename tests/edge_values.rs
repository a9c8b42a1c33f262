//! A recorded `Function` at the edges of the float types: recorded at any
//! of ±0, ±1, a subnormal, a huge number, ±∞, NaN and a few ordinary
//! values, and evaluated at any other, every op the random expressions of
//! `replay.rs` leave out gives a fresh recording's numbers to the bit, or
//! `BranchChanged`. Recordings made at z = 0, at a kink or at a NaN are
//! where a value doubling as a flag, or a branch frozen at recording,
//! would show.

use num_traits::Float;
use tapegrad::replay::{Comparison, Function};
use tapegrad::{Active, Error, Scalar, Tape};

type Case<F> = (&'static str, fn(&[Active<F>]) -> Active<F>);

/// The cases, each of two inputs, for one float type (a literal on the left
/// of an operator needs the concrete type).
macro_rules! cases {
    ($t:ty) => {{
        let cases: Vec<Case<$t>> = vec![
            ("clamp", |x| x[0].clamp(0.0, 1.0) * x[1]),
            ("clamp between variables", |x| x[0].clamp(x[1], x[1] + 1.0)),
            ("max with a constant", |x| x[0].max(0.0) + x[1]),
            ("min", |x| x[0].min(x[1])),
            ("max", |x| x[0].max(x[1]) * x[0]),
            ("relu", |x| x[0].relu() * x[1]),
            ("abs", |x| x[0].abs() * x[1]),
            ("signum", |x| x[0].signum() * x[1]),
            ("copysign", |x| x[0].copysign(x[1])),
            ("floor", |x| x[0].floor() * x[1]),
            ("rem", |x| x[0] % x[1]),
            ("rem by a constant", |x| x[0] % 2.0),
            ("ln σ", |x| x[0].sigmoid().ln()),
            ("ln(1 − σ)", |x| (1.0 - x[0].sigmoid()).ln()),
            ("ln σ(−z)", |x| (-x[0]).sigmoid().ln()),
            ("cross-entropy", |x| {
                let s = (x[0] * x[1]).sigmoid();
                -(x[1] * s.ln() + (1.0 - x[1]) * (1.0 - s).ln())
            }),
            ("σ read beside its ln", |x| {
                let s = x[0].sigmoid();
                s.ln() * s + (1.0 - s).ln() + s.ln()
            }),
            ("ln(σ + 0)", |x| (x[0].sigmoid() + 0.0).ln()),
            ("softplus", |x| x[0].softplus() - x[1]),
            ("powi", |x| {
                x[0].powi(0) * x[1] + x[0].powi(3) + x[1].powi(-1)
            }),
            ("powf of a constant", |x| {
                x[0].powf(0.0) * x[1] + x[0].powf(0.5)
            }),
            ("powf", |x| x[0].powf(x[1])),
            ("sqrt", |x| x[0].sqrt() * x[1]),
            ("recip", |x| x[0].recip() * x[1]),
            ("ln · 0", |x| x[0].ln() * 0.0 + x[1]),
            ("times ±0", |x| x[0] * 0.0 + x[1] * -0.0),
            ("0 times", |x| 0.0 * x[0] + x[1]),
            ("± 0", |x| (x[0] + 0.0) * (x[1] - 0.0) + (x[0] + -0.0)),
            ("0 −", |x| 0.0 - x[0] * x[1]),
            ("times and by 1", |x| x[0] * 1.0 * x[1] / 1.0),
            ("− −", |x| -(-x[0]) * x[1]),
            ("times ∞", |x| x[0] * <$t>::INFINITY + x[1]),
            ("times NaN", |x| x[0] * <$t>::NAN + x[1]),
            ("x − x", |x| x[0] - x[0] + x[1] / x[1]),
            ("a product twice", |x| x[0] * x[1] - x[0] * x[1]),
            ("a sine twice", |x| {
                (x[0] * x[1]).sin() + (x[0] * x[1]).sin()
            }),
            ("sum", |x| {
                [x[0], x[1], x[0] * x[1], x[0] * 2.0].into_iter().sum()
            }),
            ("sum with minus", |x| {
                x[0] - x[1] * x[0] - (x[1] - x[0] * x[0]) + 3.0
            }),
            ("nested sums", |x| {
                (x[0] * x[0] + x[1] * x[1]) + (x[0] - x[1]) + 1.0
            }),
            ("product", |x| {
                [x[0], x[1], x[0] + x[1]].into_iter().product()
            }),
            ("scaled chain", |x| {
                (-(x[0] * 2.0)).sin() * 3.0 + (x[1] / 4.0 - 1.0) * -1.0
            }),
            ("hypot", |x| x[0].hypot(x[1])),
            ("atan2", |x| x[0].atan2(x[1])),
            ("exp ln", |x| x[0].exp().ln() + (x[0] * x[1]).ln_1p()),
            ("a constant output", |x| x[0] * 0.0),
            ("<", |x| if x[0] < x[1] { x[0] } else { x[1] * 2.0 }),
            ("==", |x| if x[0] == x[1] { x[0] * x[0] } else { x[1] }),
            ("is_nan", |x| if x[0].is_nan() { x[1] } else { x[0] }),
            ("select", |x| {
                x[0].select(Comparison::Gt, x[1], x[0], x[1] * 3.0)
            }),
            ("select of a constant", |x| {
                x[0].select(Comparison::Gt, 0.0, x[0].ln(), x[1])
            }),
        ];
        cases
    }};
}

/// The points: every pair of the edge values.
fn points<F: Float>() -> Vec<[F; 2]> {
    let v = |x: f64| F::from(x).expect("a test literal");
    let edges = [
        F::zero(),
        -F::zero(),
        v(0.5),
        -F::one(),
        v(2.0),
        v(-800.0),
        F::min_positive_value() / v(4.0),
        F::max_value() / v(2.0),
        F::infinity(),
        F::neg_infinity(),
        F::nan(),
    ];
    edges
        .iter()
        .flat_map(|&a| edges.iter().map(move |&b| [a, b]))
        .collect()
}

/// What an evaluation gives: the value, the gradient and a Hessian–vector
/// product, or the error's text.
type Numbers<F> = Result<(F, Vec<F>, Vec<F>), String>;

fn evaluate<F: Scalar>(f: &Function<F>, x: &[F]) -> Numbers<F> {
    let mut ws = f.workspace();
    let text = |e: Error| format!("{e:?}");
    let (value, gradient) = f.value_and_gradient(&mut ws, x).map_err(text)?;
    let direction = [F::one(), F::from(-0.5).expect("a literal")];
    let hvp = f.hvp(&mut ws, x, &direction).map_err(text)?;
    Ok((value, gradient, hvp))
}

/// A fresh recording at `x`: the tape's value and gradient, and a fresh
/// function's Hessian–vector product; `None` where recording there panics
/// (`clamp`'s bounds out of order).
fn fresh<F: Scalar>(case: fn(&[Active<F>]) -> Active<F>, x: &[F]) -> Option<Numbers<F>> {
    let run = || {
        let (value, gradient) = Tape::<F>::default().record(|| {
            let vars = Active::vars(x);
            let y = case(&vars);
            (y.value(), y.backward().wrt_all(&vars))
        });
        let function = Function::record(x, case).expect("replayable");
        let hvp = evaluate(&function, x).map(|(_, _, hvp)| hvp);
        hvp.map(|hvp| (value, gradient, hvp))
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).ok()
}

fn bits<F: Float>(v: F) -> u64 {
    v.to_f64().expect("every float converts").to_bits()
}

/// The same to the bit, any NaN as any other.
fn same<F: Float>(a: &[F], b: &[F]) -> bool {
    let one = |(&x, &y): (&F, &F)| (x.is_nan() && y.is_nan()) || bits(x) == bits(y);
    a.len() == b.len() && a.iter().zip(b).all(one)
}

/// Every case recorded at every point and evaluated at every other, plain
/// and optimized, against the fresh recordings there.
fn replays_as_fresh<F: Scalar + std::fmt::Debug>(cases: Vec<Case<F>>) {
    let points = points::<F>();
    for (name, case) in cases {
        let fresh: Vec<_> = points.iter().map(|x| fresh(case, x)).collect();
        for at in &points {
            let record = || Function::record(at, case);
            let Ok(recorded) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(record))
            else {
                continue; // a fresh recording there panics as well
            };
            let plain = recorded.expect("replayable");
            let mut optimized = plain.clone();
            optimized.optimize();
            for (x, fresh) in points.iter().zip(&fresh) {
                let context = || format!("{name}: recorded at {at:?}, evaluated at {x:?}");
                let (plain, optimized) = (evaluate(&plain, x), evaluate(&optimized, x));
                let (value, gradient, hvp) = match (plain, fresh) {
                    (Err(e), _) if e.starts_with("BranchChanged") => {
                        assert_eq!(Err(e), optimized, "{}", context());
                        continue;
                    }
                    (Ok(numbers), Some(Ok(want))) => {
                        let (v, g, h) = &numbers;
                        let ok = same(&[*v], &[want.0]) && same(g, &want.1) && same(h, &want.2);
                        assert!(ok, "{}: {numbers:?}, fresh {want:?}", context());
                        numbers
                    }
                    (got, want) => panic!("{}: {got:?}, fresh {want:?}", context()),
                };
                // Optimized: the same value; derivatives within a few
                // units of the last place, or a number where merged
                // copies' adjoints cancel before an infinite partial
                // (see `Function::optimize`).
                let (v, g, h) = optimized.unwrap_or_else(|e| panic!("{}: {e}", context()));
                assert!(same(&[v], &[value]), "{}: optimized {v:?}", context());
                let close = |(&a, &b): (&F, &F)| {
                    let tolerance = F::epsilon() * F::from(8).expect("8") * a.abs().max(b.abs());
                    same(&[a], &[b]) || (a - b).abs() <= tolerance || b.is_nan()
                };
                let derivatives = g.iter().chain(&h).zip(gradient.iter().chain(&hvp));
                assert!(
                    derivatives.clone().all(close),
                    "{}: optimized {g:?} {h:?}",
                    context()
                );
            }
        }
    }
}

#[test]
fn f64_replays_as_fresh_at_the_edges() {
    replays_as_fresh::<f64>(cases!(f64));
}

#[test]
fn f32_replays_as_fresh_at_the_edges() {
    replays_as_fresh::<f32>(cases!(f32));
}
