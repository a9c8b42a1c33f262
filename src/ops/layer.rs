//! A layer of a network over a whole batch of samples, as one block op.

use num_traits::Float;

use super::block::block;
use crate::table::BlockOp;
use crate::table::stable::sigmoid;
use crate::{Var, nn::Operand};

/// The activation a [`layer`] applies to each unit's weighted sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Activation {
    /// `a = z`: `da/dz = 1`.
    Identity,
    /// `a = tanh z`: `da/dz = 1 − a²`.
    Tanh,
    /// `a = σ(z)`: `da/dz = a·(1 − a)`.
    Sigmoid,
    /// `a = max(z, 0)`: `da/dz = 1` where `a > 0`, else `0`.
    Relu,
}

impl Activation {
    fn apply<T: Float>(self, z: T) -> T {
        match self {
            Activation::Identity => z,
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => sigmoid(z).0,
            Activation::Relu => z.max(T::zero()),
        }
    }

    /// `da/dz`, from the activation's output `a`, or for the sigmoid from
    /// `z` itself (`z()`): `a·(1 − a)` is 0 where `a` rounds to 1, and the
    /// crate's `σ′` stays exact there.
    fn slope<T: Float>(self, a: T, z: impl FnOnce() -> T) -> T {
        match self {
            Activation::Identity => T::one(),
            Activation::Tanh => T::one() - a * a,
            Activation::Sigmoid => sigmoid(z()).1,
            Activation::Relu if a > T::zero() => T::one(),
            Activation::Relu => T::zero(),
        }
    }
}

/// The block op of [`layer`]: `units` units of `inputs` inputs each, and
/// an activation. Its inputs are the parameters, rows `[w₀ … wₙ₋₁, b]` of
/// `inputs + 1` for each unit, then the batch, rows of `inputs` values for
/// each sample; its outputs, rows of `units` activations for each sample.
/// [`layer`] records it; [`block_forward`](crate::custom::block_forward) runs it in
/// forward mode (it declares its `jvp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layer {
    inputs: usize,
    units: usize,
    activation: Activation,
}

impl Layer {
    /// A layer of `units` units over `inputs` inputs.
    ///
    /// # Panics
    ///
    /// If `inputs` is zero.
    #[track_caller]
    pub fn new(inputs: usize, units: usize, activation: Activation) -> Self {
        assert!(
            inputs > 0,
            "tapegrad::nn::Layer: a unit needs at least one input"
        );
        Layer {
            inputs,
            units,
            activation,
        }
    }

    /// A unit's weighted sum: `affine`'s sum, in its order (the products,
    /// then the bias).
    fn z<T: Float>(&self, row: &[T], sample: &[T]) -> T {
        let n = self.inputs;
        let products = row[..n]
            .iter()
            .zip(sample)
            .fold(T::zero(), |z, (&w, &x)| z + w * x);
        products + row[n]
    }

    /// The parameters and the batch, from the block's inputs.
    fn split<'a, T>(&self, x: &'a [T]) -> (&'a [T], &'a [T]) {
        x.split_at(self.units * (self.inputs + 1))
    }
}

impl BlockOp for Layer {
    fn name(&self) -> &'static str {
        "layer"
    }

    /// # Panics
    ///
    /// Unless the inputs are the parameters and whole samples.
    fn outputs(&self, inputs: usize) -> usize {
        let params = self.units * (self.inputs + 1);
        let batch = inputs.checked_sub(params).filter(|b| b % self.inputs == 0);
        let batch = batch.unwrap_or_else(|| {
            panic!(
                "tapegrad::nn::Layer: {inputs} inputs are not {params} parameters ({} units of {} \
                 weights and a bias) followed by samples of {} inputs",
                self.units, self.inputs, self.inputs
            )
        });
        batch / self.inputs * self.units
    }

    /// `Y = act(X·Wᵀ + b)`, a sample a row.
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
        let n = self.inputs;
        let (params, batch) = self.split(x);
        for (sample, out) in batch.chunks_exact(n).zip(y.chunks_exact_mut(self.units)) {
            for (a, row) in out.iter_mut().zip(params.chunks_exact(n + 1)) {
                *a = self.activation.apply(self.z(row, sample));
            }
        }
    }

    /// With `δ = ȳ ⊙ act′`: `W̄ = δᵀ·X`, `b̄ = Σ δ` over the samples, and
    /// `X̄ = δ·W`: two matrix products.
    fn vjp<T: Float>(&self, x: &[T], y: &[T], y_bar: &[T], x_bar: &mut [T]) {
        let n = self.inputs;
        let (params, batch) = self.split(x);
        let (params_bar, batch_bar) = x_bar.split_at_mut(params.len());
        let samples = batch.chunks_exact(n).zip(batch_bar.chunks_exact_mut(n));
        let outputs = y
            .chunks_exact(self.units)
            .zip(y_bar.chunks_exact(self.units));
        for ((sample, sample_bar), (a, a_bar)) in samples.zip(outputs) {
            let units = params
                .chunks_exact(n + 1)
                .zip(params_bar.chunks_exact_mut(n + 1));
            for ((row, row_bar), (&a, &a_bar)) in units.zip(a.iter().zip(a_bar)) {
                let delta = a_bar * self.activation.slope(a, || self.z(row, sample));
                for i in 0..n {
                    row_bar[i] = row_bar[i] + delta * sample[i];
                    sample_bar[i] = sample_bar[i] + delta * row[i];
                }
                row_bar[n] = row_bar[n] + delta;
            }
        }
    }

    /// With `ż = Ẇ·x + W·ẋ + ḃ` for each unit and sample, `ẏ = act′·ż`.
    fn jvp<T: Float>(&self, x: &[T], y: &[T], x_dot: &[T], y_dot: &mut [T]) -> bool {
        let n = self.inputs;
        let ((params, batch), (params_dot, batch_dot)) = (self.split(x), self.split(x_dot));
        let samples = batch.chunks_exact(n).zip(batch_dot.chunks_exact(n));
        let outputs = y
            .chunks_exact(self.units)
            .zip(y_dot.chunks_exact_mut(self.units));
        for ((sample, sample_dot), (a, a_dot)) in samples.zip(outputs) {
            let units = params
                .chunks_exact(n + 1)
                .zip(params_dot.chunks_exact(n + 1));
            for ((row, row_dot), (&a, a_dot)) in units.zip(a.iter().zip(a_dot)) {
                let z_dot = (0..n).fold(row_dot[n], |z, i| {
                    z + row_dot[i] * sample[i] + row[i] * sample_dot[i]
                });
                *a_dot = *a_dot + self.activation.slope(a, || self.z(row, sample)) * z_dot;
            }
        }
        true
    }

    /// A unit's output depends on its own row of parameters and on its
    /// sample's inputs.
    fn depends(&self, _inputs: usize, output: usize, input: usize) -> bool {
        let params = self.units * (self.inputs + 1);
        let (sample, unit) = (output / self.units, output % self.units);
        if input < params {
            input / (self.inputs + 1) == unit
        } else {
            (input - params) / self.inputs == sample
        }
    }
}

/// A layer of a network over a whole batch of samples, as one node: for
/// each sample (a row of `inputs` values of `x`) and each unit (a row
/// `[w₀ … wₙ₋₁, b]` of `params`), `activation(w·x + b)`. The outputs come a
/// sample a row, `units` to a row, ready to be the next layer's `x`.
///
/// The values are those of [`dense`](crate::nn::dense) sample by sample (the
/// same sums in the same order); the backward pass is two matrix products,
/// `W̄ = δᵀ·X` and `X̄ = δ·W` with `δ = ȳ ⊙ activation′`, instead of a
/// sweep over every unit of every sample. `x` may hold variables or floats
/// (the data).
///
/// # Panics
///
/// If `inputs` is zero, `params`' length is not a multiple of `inputs + 1`,
/// `x`'s is not a multiple of `inputs`, or two variables are on different
/// tapes.
///
/// ```
/// use tapegrad::{Tape, nn::{Activation, layer}};
///
/// let tape = Tape::new();
/// // Two units of two inputs, [w₀, w₁, b] each; three samples.
/// let params = tape.vars(&[0.5, -1.0, 0.25, 2.0, 1.0, -0.5]);
/// let x = [1.0, 2.0, 0.0, 1.0, -1.0, 0.5];
/// let a = layer(&params, &x, 2, Activation::Tanh);
/// assert_eq!(a.len(), 3 * 2);
/// assert_eq!(a[1].value(), (2.0 * 1.0 + 1.0 * 2.0 - 0.5_f64).tanh());
/// let grads = a[1].backward();
/// let slope = 1.0 - a[1].value().powi(2);
/// assert_eq!(grads.wrt(&params[4]), slope * 2.0);
/// ```
#[track_caller]
pub fn layer<'t, F, B>(
    params: &[Var<'t, F>],
    x: &[B],
    inputs: usize,
    activation: Activation,
) -> Vec<Var<'t, F>>
where
    F: Float,
    B: Operand<'t, F>,
{
    let op = Layer::new(inputs, params.len() / (inputs + 1), activation);
    assert!(
        params.len() % (inputs + 1) == 0 && x.len() % inputs == 0,
        "tapegrad::nn::layer: the parameters must be rows of {inputs} weights and a bias, and the \
         batch rows of {inputs} inputs, but there are {} parameters and {} inputs",
        params.len(),
        x.len()
    );
    let all: Vec<Var<'t, F>> = params
        .iter()
        .copied()
        .chain(x.iter().map(|x| x.into_var()))
        .collect();
    block(op, &all)
}
