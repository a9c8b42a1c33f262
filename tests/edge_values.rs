//! A recorded `Function` at the edges of the float types: recorded at any
//! of ±0, ±1, a subnormal, a huge number, ±∞, NaN and a few ordinary
//! values, and evaluated at any other, the ops and rewrites that random
//! expressions on `(−2, 2)` reach rarely or never (the stable `ln` forms,
//! selects, guards, folds by 0, 1, ∞ and NaN, kinks at their kink) give a
//! fresh recording's numbers to the bit, or `BranchChanged`; optimized, the
//! same value and derivatives within 8 units of the last place (or a number
//! where the plain sweep's is NaN, see `Function::optimize`). Recordings
//! made at z = 0, at a kink or at a NaN are
//! where a value doubling as a flag, or a branch frozen at recording,
//! would show.

#[macro_use]
#[path = "common/edges.rs"]
mod edges;

use edges::{Case, bits, points};
use num_traits::Float;
use tapegrad::replay::Function;
use tapegrad::{Active, Error, Scalar, Tape};

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

/// The same to the bit, any NaN as any other.
fn same<F: Float>(a: &[F], b: &[F]) -> bool {
    bits(a) == bits(b)
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
                let mut derivatives = g.iter().chain(&h).zip(gradient.iter().chain(&hvp));
                assert!(
                    derivatives.all(close),
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
