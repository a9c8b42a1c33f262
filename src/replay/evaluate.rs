//! The evaluations of a [`Function`] at new inputs: values, gradients,
//! Jacobians, directional derivatives and Hessians.

use super::forward::{dual_point, lift, sweep};
use super::{Arg, Function, Workspace};
use crate::active::Scalar;
use crate::forward::Dual;
use crate::{Error, Result};

impl<F: Scalar> Function<F> {
    /// The outputs' values at `x`.
    ///
    /// # Errors
    ///
    /// [`Error::Length`] if `x` has not [`inputs`](Function::inputs)
    /// values; [`Error::BranchChanged`] and [`Error::ValueRead`] (see
    /// [Branches](Function#branches)).
    pub fn value(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        self.check(ws)?;
        self.forward(&mut ws.values, None, x, &ws.params)?;
        Ok(self.outputs.iter().map(|y| y.get(&ws.values)).collect())
    }

    /// The one output's value and gradient at `x`.
    ///
    /// # Errors
    ///
    /// As [`value`](Function::value), and [`Error::Length`] if the function
    /// has more than one output (see [`jacobian`](Function::jacobian)).
    pub fn value_and_gradient(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<(F, Vec<F>)> {
        self.check(ws)?;
        let output = self.scalar_output()?;
        self.forward(&mut ws.values, Some(&mut ws.tape), x, &ws.params)?;
        let seed = [(self.sweep.outputs[0], F::one())];
        let gradient = sweep(&ws.tape, seed, 1..self.inputs + 1, &mut ws.adjoints);
        Ok((output.get(&ws.values), gradient))
    }

    /// The one output's gradient at `x`.
    ///
    /// # Errors
    ///
    /// As [`value_and_gradient`](Function::value_and_gradient).
    pub fn gradient(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        Ok(self.value_and_gradient(ws, x)?.1)
    }

    /// The Jacobian at `x`: a row per output, a column per input, one
    /// reverse sweep per output after one forward pass.
    ///
    /// # Errors
    ///
    /// As [`value`](Function::value).
    pub fn jacobian(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<Vec<F>>> {
        self.check(ws)?;
        self.forward(&mut ws.values, Some(&mut ws.tape), x, &ws.params)?;
        let (tape, adjoints) = (&ws.tape, &mut ws.adjoints);
        let rows = self.sweep.outputs.iter();
        Ok(rows
            .map(|&y| sweep(tape, [(y, F::one())], 1..self.inputs + 1, adjoints))
            .collect())
    }

    /// The outputs' values and the vector–Jacobian product at `x`: the
    /// gradient of `Σₖ ȳₖ·yₖ`, the
    /// outputs weighted by `weights` (ȳ), with respect to the inputs and to
    /// the dynamic parameters, in one forward pass and one reverse sweep:
    /// the reverse step of a loop whose state the outputs are.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// // y = (p·x₀, x₀·x₁), with p a dynamic parameter, at x = (2, 3), p = 5.
    /// let f = Function::record_with_params(&[2.0, 3.0], &[5.0], |x: &[Active], p: &[Active]| {
    ///     [p[0] * x[0], x[0] * x[1]]
    /// })?;
    /// let mut ws = f.workspace();
    /// let vjp = f.vjp(&mut ws, &[2.0, 3.0], &[1.0, 10.0])?;
    /// assert_eq!(vjp.outputs, [10.0, 6.0]);
    /// assert_eq!(vjp.inputs, [5.0 + 10.0 * 3.0, 10.0 * 2.0]);
    /// assert_eq!(vjp.params, [2.0]);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`value`](Function::value), and [`Error::Length`] if `weights`
    /// has not one weight per output.
    pub fn vjp(&self, ws: &mut Workspace<F>, x: &[F], weights: &[F]) -> Result<Vjp<F>> {
        self.check(ws)?;
        Error::check_length("output weights", self.outputs.len(), weights.len())?;
        self.forward(&mut ws.values, Some(&mut ws.tape), x, &ws.params)?;
        let seeds = self
            .sweep
            .outputs
            .iter()
            .copied()
            .zip(weights.iter().copied());
        let leading = 1..1 + self.inputs + self.params.len();
        let mut cotangents = sweep(&ws.tape, seeds, leading, &mut ws.adjoints);
        let params = cotangents.split_off(self.inputs);
        Ok(Vjp {
            outputs: self.outputs.iter().map(|y| y.get(&ws.values)).collect(),
            inputs: cotangents,
            params,
        })
    }

    /// The directional derivatives of the outputs at `x` along `v`
    /// (forward mode: the Jacobian times `v`), in one pass.
    ///
    /// # Errors
    ///
    /// As [`value`](Function::value), and [`Error::Length`] if `v` is not
    /// as long as `x`.
    pub fn jvp(&self, ws: &mut Workspace<F>, x: &[F], v: &[F]) -> Result<Vec<F>> {
        self.check(ws)?;
        let (x, params) = dual_point(x, v, &ws.params)?;
        let (values, _, _) = ws.second(self);
        self.forward(values, None, &x, &params)?;
        Ok(self
            .outputs
            .iter()
            .map(|y| y.get(values).tangent()[0])
            .collect())
    }

    /// The Hessian of the one output at `x` times `v`: forward mode over
    /// the reverse sweep, in one pass each.
    ///
    /// # Errors
    ///
    /// As [`jvp`](Function::jvp), and [`Error::Length`] if the function has
    /// more than one output.
    pub fn hvp(&self, ws: &mut Workspace<F>, x: &[F], v: &[F]) -> Result<Vec<F>> {
        self.check(ws)?;
        self.scalar_output()?;
        let (x, params) = dual_point(x, v, &ws.params)?;
        let (values, tape, adjoints) = ws.second(self);
        self.forward(values, Some(tape), &x, &params)?;
        let seed = [(lift(self.sweep.outputs[0]), Dual::constant(F::one()))];
        let gradient = sweep(tape, seed, 1..self.inputs + 1, adjoints);
        Ok(gradient.iter().map(|g| g.tangent()[0]).collect())
    }

    /// The Hessian of the one output at `x`: a Hessian–vector product per
    /// input.
    ///
    /// # Errors
    ///
    /// As [`hvp`](Function::hvp).
    pub fn hessian(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<Vec<F>>> {
        let mut e = vec![F::zero(); x.len()];
        (0..x.len())
            .map(|k| {
                e[k] = F::one();
                let column = self.hvp(ws, x, &e);
                e[k] = F::zero();
                column
            })
            .collect()
    }

    /// Whether `ws` was made for this function as it is now.
    fn check(&self, ws: &Workspace<F>) -> Result<()> {
        match ws.layout == self.layout {
            true => Ok(()),
            false => Err(Error::ForeignWorkspace),
        }
    }

    /// The output of a function of one.
    pub(super) fn scalar_output(&self) -> Result<Arg<F>> {
        let what = "outputs of a function asked for a gradient (use jacobian)";
        Error::check_length(what, 1, self.outputs.len())?;
        Ok(self.outputs[0])
    }
}

/// What [`Function::vjp`] gives: the outputs' values, and the cotangents
/// of the inputs and of the dynamic parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Vjp<F> {
    /// The outputs' values.
    pub outputs: Vec<F>,
    /// The gradient of the weighted outputs with respect to the inputs.
    pub inputs: Vec<F>,
    /// The same with respect to the dynamic parameters.
    pub params: Vec<F>,
}
