//! Nodes with many parents: `sum`, `Sum`, `Product`, and the user's own ops
//! through [`Var::custom`].

use core::iter::{Product, Sum};

use num_traits::Float;

use crate::Var;
use crate::difference::check_custom;
use crate::recording;

/// `Σ xᵢ` as one node with one edge per variable: `∂/∂xᵢ = 1`.
///
/// The empty sum is the constant `0` (negative zero, as for `f64`).
///
/// # Panics
///
/// If two variables are on different tapes.
///
/// ```
/// let tape = tapegrad::Tape::new();
/// let xs = [tape.var(1.0), tape.var(2.0), tape.var(3.0)];
/// let total = tapegrad::sum(&xs);
/// assert_eq!(total.value(), 6.0);
/// assert_eq!(tape.len(), 4); // three inputs, one sum
/// assert_eq!(total.backward().wrt(&xs[1]), 1.0);
/// ```
#[track_caller]
pub fn sum<'t, F: Float>(xs: &[Var<'t, F>]) -> Var<'t, F> {
    recording::sum(xs)
}

impl<'t, F: Float> Var<'t, F> {
    /// Records your own operation: `f` maps the arguments' values to the
    /// result's value and its partial derivative with respect to each
    /// argument; `name` labels the node in
    /// [`Tape::to_dot`](crate::Tape::to_dot). This is the extension point for
    /// functions the crate does not have, or that are cheaper as one node.
    ///
    /// Check the derivatives you declare with
    /// [`check_gradient`](crate::check::check_gradient). On a
    /// [checked](crate::Tape::checked) tape they are checked for you, the
    /// first time each call site runs: `f` is evaluated again on either side
    /// of each argument, and a disagreement is reported by
    /// [`Var::backward_checked`] as
    /// [`Error::WrongCustomDerivative`](crate::Error::WrongCustomDerivative).
    ///
    /// # Panics
    ///
    /// If two arguments are on different tapes.
    ///
    /// ```
    /// use tapegrad::{Tape, Var};
    ///
    /// /// softsign(x) = x / (1 + |x|), with d/dx = 1 / (1 + |x|)².
    /// fn softsign<'t>(x: Var<'t>) -> Var<'t> {
    ///     Var::custom("softsign", [x], |[x]| {
    ///         let d = 1.0 + x.abs();
    ///         (x / d, [1.0 / (d * d)])
    ///     })
    /// }
    ///
    /// let tape = Tape::new();
    /// let x = tape.var(1.0);
    /// let y = softsign(x);
    /// assert_eq!(y.value(), 0.5);
    /// assert_eq!(y.backward().wrt(&x), 0.25);
    /// # tapegrad::check::check_gradient(|x| softsign(x[0]), &[-0.7]).unwrap();
    /// ```
    #[track_caller]
    pub fn custom<const N: usize>(
        name: &'static str,
        args: [Self; N],
        f: impl Fn([F; N]) -> (F, [F; N]),
    ) -> Self {
        let x = args.map(|a| a.value());
        let (value, partials) = f(x);
        let out = Self::combine(name, args, value, partials);
        if let Some(tape) = out.tape() {
            if tape.first_call_of_checked(core::panic::Location::caller()) {
                // Only the arguments that are variables: a constant's partial
                // is never used.
                let variables = args.map(|a| !a.is_constant());
                if let Some((i, declared, numeric)) = check_custom(&f, x, partials, variables) {
                    tape.report_custom(out.node(), i, declared, numeric);
                }
            }
        }
        out
    }
}

/// `Σ xᵢ` over an iterator, as one node; the empty sum is the constant `0`.
///
/// It collects the iterator first, which allocates; over a slice,
/// [`sum`] does not.
impl<'t, F: Float> Sum for Var<'t, F> {
    #[track_caller]
    fn sum<I: Iterator<Item = Self>>(xs: I) -> Self {
        sum(&xs.collect::<Vec<_>>())
    }
}

impl<'a, 't: 'a, F: Float> Sum<&'a Var<'t, F>> for Var<'t, F> {
    #[track_caller]
    fn sum<I: Iterator<Item = &'a Self>>(xs: I) -> Self {
        xs.copied().sum()
    }
}

/// `Π xᵢ` over an iterator, as one node with `∂/∂xᵢ = Π_{j≠i} xⱼ` (exact
/// where some `xⱼ` is zero); the empty product is the constant `1`.
///
/// It collects the iterator first, which allocates.
impl<'t, F: Float> Product for Var<'t, F> {
    #[track_caller]
    fn product<I: Iterator<Item = Self>>(xs: I) -> Self {
        recording::product(&xs.collect::<Vec<_>>())
    }
}

impl<'a, 't: 'a, F: Float> Product<&'a Var<'t, F>> for Var<'t, F> {
    #[track_caller]
    fn product<I: Iterator<Item = &'a Self>>(xs: I) -> Self {
        xs.copied().product()
    }
}
