//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod expr;
pub mod program;

use approx::RelativeEq;
use num_traits::Float;
use std::fmt::Debug;

/// The float types every test runs in, with tolerances for each.
pub trait Real: Float + RelativeEq<Epsilon = Self> + Debug + Send + Sync + 'static {
    /// For a partial against its closed form, written differently: half the
    /// digits of the type (the closed form and the recorded partial may round
    /// differently where they cancel).
    fn closed_form_tolerance() -> Self {
        Self::epsilon().sqrt()
    }
}
impl Real for f32 {}
impl Real for f64 {}

/// `F::from(x)` for the literals of a test.
pub fn lit<F: Float>(x: f64) -> F {
    F::from(x).expect("a test literal fits the float type")
}

/// Central difference of `f` at `x` in `f64`, with the step that balances
/// truncation and rounding error.
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = f64::EPSILON.cbrt() * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / ((x + h) - (x - h))
}

/// Asserts `actual ≈ expected` within `tol`, relative, or absolute near zero.
#[track_caller]
pub fn assert_close<F: Real>(actual: F, expected: F, tol: F, what: &str) {
    assert!(
        actual.relative_eq(&expected, tol, tol),
        "{what}: got {actual:?}, expected {expected:?} (tolerance {tol:?})"
    );
}

/// A generic function touching many `Float` methods.
pub fn kitchen_sink<T: Float + std::iter::Sum>(x: &[T]) -> T {
    let two = T::from(2).unwrap();
    let a = x[0].mul_add(x[1], x[2]).sin() + x[1].powi(3) - x[2].abs().sqrt().ln_1p();
    let b = x[0].hypot(x[1]).atan2(x[2]) * x[0].exp_m1().tanh() / (x[1] * x[1] + two).cbrt();
    let c: T = x
        .iter()
        .map(|&v| v.max(T::zero()).min(T::one()) * v.cos())
        .sum();
    let d = (x[0] % x[1]).to_degrees() + x[2].floor() + x[1].clamp(-T::one(), T::one()).asinh();
    a * b + c - d.log10().abs().powf(x[0].abs()) + x[2].signum()
}

/// The message of the panic `op` raises; `what` names it if it raises none.
pub fn panic_message<R>(what: &str, op: impl FnOnce() -> R) -> String {
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(op))
        .err()
        .unwrap_or_else(|| panic!("{what} did not panic"));
    match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => String::new(),
    }
}
