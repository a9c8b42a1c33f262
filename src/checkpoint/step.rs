//! What a loop asks of its step, and the interpreter's answer.

use crate::replay::{Function, Vjp, Workspace};
use crate::{Result, Scalar};

/// What a loop runs of its step: a recorded [`Function`]'s value and
/// vector–Jacobian product, by the interpreter (`Function` itself, or a
/// reference to one) or by anything that evaluates the same recording,
/// such as the machine code `tapegrad_jit::compile` makes of it.
///
/// An implementation returns the numbers and errors of its
/// [`function`](Step::function)'s [`Function::value`] and
/// [`Function::vjp`]: a loop takes its shape from that function and a
/// workspace for it from [`Function::workspace`].
///
/// A step that counts what the loop asks of it:
///
/// ```
/// use std::cell::Cell;
/// use tapegrad::checkpoint::{Loop, Step};
/// use tapegrad::replay::{Function, Vjp, Workspace};
/// use tapegrad::{Active, Result};
///
/// struct Counted<'f> {
///     step: &'f Function,
///     runs: Cell<u64>,
///     products: Cell<u64>,
/// }
///
/// impl Step<f64> for Counted<'_> {
///     fn function(&self) -> &Function {
///         self.step
///     }
///     fn value(&self, ws: &mut Workspace<f64>, x: &[f64]) -> Result<Vec<f64>> {
///         self.runs.set(self.runs.get() + 1);
///         self.step.value(ws, x)
///     }
///     fn vjp(&self, ws: &mut Workspace<f64>, x: &[f64], weights: &[f64]) -> Result<Vjp<f64>> {
///         self.products.set(self.products.get() + 1);
///         self.step.vjp(ws, x, weights)
///     }
/// }
///
/// let half = Function::record(&[1.0], |x: &[Active]| [x[0] * 0.5])?;
/// let counted = Counted { step: &half, runs: Cell::new(0), products: Cell::new(0) };
/// let r = Loop::new(&counted, 3).gradient(&[1.0], &[], 50, |_, _| {}, &[1.0])?;
/// assert_eq!(r.d_state, [0.5_f64.powi(50)]);
/// assert_eq!((counted.runs.get(), counted.products.get()), (r.report.forward_steps, 50));
/// # Ok::<(), tapegrad::Error>(())
/// ```
pub trait Step<F: Scalar> {
    /// The recording evaluated.
    fn function(&self) -> &Function<F>;
    /// As [`Function::value`].
    ///
    /// # Errors
    ///
    /// As [`Function::value`].
    fn value(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>>;
    /// As [`Function::vjp`].
    ///
    /// # Errors
    ///
    /// As [`Function::vjp`].
    fn vjp(&self, ws: &mut Workspace<F>, x: &[F], weights: &[F]) -> Result<Vjp<F>>;
}

impl<F: Scalar> Step<F> for Function<F> {
    fn function(&self) -> &Function<F> {
        self
    }
    fn value(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        Function::value(self, ws, x)
    }
    fn vjp(&self, ws: &mut Workspace<F>, x: &[F], weights: &[F]) -> Result<Vjp<F>> {
        Function::vjp(self, ws, x, weights)
    }
}

impl<F: Scalar, S: Step<F> + ?Sized> Step<F> for &S {
    fn function(&self) -> &Function<F> {
        (**self).function()
    }
    fn value(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        (**self).value(ws, x)
    }
    fn vjp(&self, ws: &mut Workspace<F>, x: &[F], weights: &[F]) -> Result<Vjp<F>> {
        (**self).vjp(ws, x, weights)
    }
}
