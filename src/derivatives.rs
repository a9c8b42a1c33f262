//! Gradients, Jacobians, Hessians and Hessian-vector products of closures.
//!
//! Each takes the function as a closure over a slice of variables and
//! records it on tapes of its own. Write the function once, generic over
//! [`num_traits::Float`], and pass `|x| f(x)`: the same code then runs on
//! `f64`, on [`Var`], and on the nested variables that the second derivatives
//! need.
//!
//! Pass the closure directly, as `grad(|x| f(x), &x0)`, or a function item:
//! a closure stored in a variable first does not get the signature that works
//! for every tape lifetime, and the compiler rejects it with "one type is more
//! general than the other":
//!
//! ```compile_fail
//! let f = |x: &[tapegrad::Var]| x[0] * x[0];
//! let g = tapegrad::grad(f, &[3.0]); // error: one type is more general than the other
//! ```
//!
//! ```
//! fn f<'t>(x: &[tapegrad::Var<'t>]) -> tapegrad::Var<'t> {
//!     x[0] * x[0]
//! }
//! assert_eq!(tapegrad::grad(f, &[3.0]), [6.0]);
//! assert_eq!(tapegrad::grad(|x| x[0] * x[0], &[3.0]), [6.0]);
//! ```
//!
//! Second derivatives come from nesting: an inner tape whose values are
//! variables of an outer tape (`Tape<Var<'o, f64>>`). The inner backward
//! sweep is then itself recorded on the outer tape, and sweeping the outer
//! tape from one inner gradient differentiates it again (reverse over
//! reverse). Nest once more for third derivatives.

use num_traits::Float;

use crate::{Tape, Var};

/// The gradient of `f` at `x`: one recording, one sweep.
///
/// ```
/// // f(x, y) = x²·y
/// let g = tapegrad::grad(|v| v[0] * v[0] * v[1], &[3.0, 2.0]);
/// assert_eq!(g, [12.0, 9.0]);
/// ```
///
#[doc = closure_rule!()]
pub fn grad<F, G>(f: G, x: &[F]) -> Vec<F>
where
    F: Float,
    G: for<'t> Fn(&[Var<'t, F>]) -> Var<'t, F>,
{
    let tape = Tape::default();
    let vars = tape.vars(x);
    f(&vars).backward().wrt_all(&vars)
}

/// The Jacobian of `f: ℝⁿ → ℝᵐ` at `x`, row `i` the gradient of output `i`:
/// one recording, and one sweep per output.
///
/// ```
/// // f(r, θ) = (r·cos θ, r·sin θ)
/// let j = tapegrad::jacobian(|v| vec![v[0] * v[1].cos(), v[0] * v[1].sin()], &[2.0, 0.0]);
/// assert_eq!(j, [[1.0, 0.0], [0.0, 2.0]]);
/// ```
///
#[doc = closure_rule!()]
pub fn jacobian<F, G>(f: G, x: &[F]) -> Vec<Vec<F>>
where
    F: Float,
    G: for<'t> Fn(&[Var<'t, F>]) -> Vec<Var<'t, F>>,
{
    let tape = Tape::default();
    let vars = tape.vars(x);
    f(&vars)
        .iter()
        .map(|y| y.backward().wrt_all(&vars))
        .collect()
}

/// The Hessian of `f` at `x`, the matrix of second derivatives
/// `∂²f/∂xᵢ∂xⱼ`: one nested recording, one inner sweep, and one outer sweep
/// per input.
///
/// ```
/// use num_traits::Float;
///
/// // Rosenbrock's function, written once for any float type.
/// fn rosenbrock<T: Float>(x: &[T]) -> T {
///     let (a, b) = (T::one(), T::from(100.0).unwrap());
///     (a - x[0]).powi(2) + b * (x[1] - x[0].powi(2)).powi(2)
/// }
///
/// let h = tapegrad::hessian(|x| rosenbrock(x), &[1.0, 1.0]);
/// assert_eq!(h, [[802.0, -400.0], [-400.0, 200.0]]);
/// ```
///
#[doc = closure_rule!()]
pub fn hessian<F, G>(f: G, x: &[F]) -> Vec<Vec<F>>
where
    F: Float,
    G: for<'o, 'i> Fn(&[Var<'i, Var<'o, F>>]) -> Var<'i, Var<'o, F>>,
{
    let outer = Tape::default();
    let x_outer = outer.vars(x);
    let inner = Tape::default();
    let x_inner = inner.vars(&x_outer);
    let gradient = f(&x_inner).backward().wrt_all(&x_inner);
    gradient
        .iter()
        .map(|g| g.backward().wrt_all(&x_outer))
        .collect()
}

/// The Hessian of `f` at `x` times `v`, without forming the Hessian: the
/// gradient of `∇f(x)·v`, one nested recording and one sweep of each tape.
///
/// # Panics
///
/// If `v` and `x` differ in length.
///
/// ```
/// // f(x, y) = x²·y: H = [[2y, 2x], [2x, 0]]
/// let hv = tapegrad::hvp(|v| v[0] * v[0] * v[1], &[3.0, 2.0], &[1.0, -1.0]);
/// assert_eq!(hv, [4.0 - 6.0, 6.0]);
/// ```
///
#[doc = closure_rule!()]
#[track_caller]
pub fn hvp<F, G>(f: G, x: &[F], v: &[F]) -> Vec<F>
where
    F: Float,
    G: for<'o, 'i> Fn(&[Var<'i, Var<'o, F>>]) -> Var<'i, Var<'o, F>>,
{
    assert_eq!(
        x.len(),
        v.len(),
        "tapegrad::hvp: x and v must have the same length"
    );
    let outer = Tape::default();
    let x_outer = outer.vars(x);
    let inner = Tape::default();
    let x_inner = inner.vars(&x_outer);
    let gradient = f(&x_inner).backward().wrt_all(&x_inner);
    let v: Vec<Var<'_, F>> = v.iter().map(|&vi| Var::constant(vi)).collect();
    crate::dot(&gradient, &v).backward().wrt_all(&x_outer)
}
