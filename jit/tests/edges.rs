//! Compiled code at the edges of the float types: the ops of
//! `tests/edge_values.rs`, recorded at ±0, 0.5, −1, 2, −800, a subnormal,
//! a huge number, ±∞ and NaN, plain and optimized, compiled, and evaluated
//! at every pair of them: the interpreter's value, gradient, Hessian–vector
//! product and errors, to the bit.

#[macro_use]
#[path = "../../tests/common/edges.rs"]
mod edges;

use edges::{Case, bits, points};
use num_traits::Float;
use tapegrad::replay::Function;
use tapegrad::{Error, Scalar};
use tapegrad_jit::{Real, compile};

/// What an evaluation gives: the value, the gradient and a Hessian–vector
/// product, each number's bits, or the error's text.
type Numbers = Result<(Vec<u64>, Vec<u64>, Vec<u64>), String>;

/// The numbers of one way of evaluating, from its products.
fn numbers<F: Real>(
    value_and_gradient: tapegrad::Result<(F, Vec<F>)>,
    hvp: tapegrad::Result<Vec<F>>,
) -> Numbers {
    let text = |e: Error| format!("{e:?}");
    let (value, gradient) = value_and_gradient.map_err(text)?;
    Ok((bits(&[value]), bits(&gradient), bits(&hvp.map_err(text)?)))
}

fn compiled_as_interpreted<F: Real + Scalar + std::fmt::Debug>(cases: Vec<Case<F>>) {
    let points = points::<F>();
    let direction = [F::one(), F::from(-0.5).expect("a literal")];
    for (name, case) in cases {
        // Recorded where both inputs are one edge value (the recordings
        // made elsewhere differ in their guards' outcomes alone).
        for at in points.iter().filter(|x| bits(&x[..1]) == bits(&x[1..])) {
            let Ok(Ok(plain)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                Function::record(at, case)
            })) else {
                continue; // clamp's bounds out of order: a fresh recording panics
            };
            let mut optimized = plain.clone();
            optimized.optimize();
            for function in [plain, optimized] {
                let compiled = compile(&function).expect("compiles");
                let (mut ws, mut cws) = (function.workspace(), compiled.workspace());
                for x in &points {
                    let interpreted = numbers(
                        function.value_and_gradient(&mut ws, x),
                        function.hvp(&mut ws, x, &direction),
                    );
                    let native = numbers(
                        compiled.value_and_gradient(&mut cws, x),
                        compiled.hvp(&mut cws, x, &direction),
                    );
                    assert_eq!(native, interpreted, "{name}: recorded at {at:?}, at {x:?}");
                }
            }
        }
    }
}

#[test]
fn f64_compiled_code_is_the_interpreters_at_the_edges() {
    compiled_as_interpreted::<f64>(cases!(f64));
}

#[test]
fn f32_compiled_code_is_the_interpreters_at_the_edges() {
    compiled_as_interpreted::<f32>(cases!(f32));
}
