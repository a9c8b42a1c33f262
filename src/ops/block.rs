//! Block operations: a node whose backward pass is a vector–Jacobian product
//! the op supplies, over many inputs and outputs at once; and on it, a layer
//! of a network over a whole batch of samples.

use num_traits::Float;

use crate::check::central_difference;
use crate::var::common_tape;
use crate::{Operand, Tolerance, Var};

/// An operation on a block of variables that supplies its own backward
/// pass: the extension point for matrix operations, layers over a batch,
/// softmax and the like, as JAX's `custom_vjp` and PyTorch's
/// `autograd.Function`. [`block`] records it.
///
/// The op maps `n` inputs `x` to `m` outputs `y = f(x)`, and its
/// vector–Jacobian product adds `x̄ += Jᵀ·ȳ`, `J = ∂y/∂x`, given the
/// gradients `ȳ` of the outputs. Both are generic over the scalar: on a tape
/// of a tape (for [`hessian`](crate::hessian) and [`hvp`](crate::hvp)) they
/// run on variables of the outer tape, which record them, so second
/// derivatives flow through the block as through any op. The op owns what
/// it needs (`'static`, `Send`, `Sync`), so the tape can keep it and call it
/// in the backward sweep.
///
/// On a [checked](crate::Tape::checked) tape, the first call of [`block`]
/// at each line checks `vjp` against central differences of `forward` (for
/// a weighted sum of the outputs), and [`Var::backward_checked`] reports a
/// disagreement as
/// [`Error::WrongCustomDerivative`](crate::Error::WrongCustomDerivative)
/// naming the input.
///
/// Where the other extension points stand: [`Var::custom`] records one
/// output from its value and partials, and [`Var::fused`] and
/// [`sum_windows`](crate::sum_windows) one output whose partials forward
/// mode computes; all three are plain nodes of many parents. A block op is
/// the one node shape whose backward pass is code.
///
/// # Example: softmax
///
/// `yᵢ = e^(xᵢ − max x) / Σⱼ e^(xⱼ − max x)`, and `x̄ᵢ = yᵢ·(ȳᵢ − Σⱼ yⱼ·ȳⱼ)`:
/// one node and `n` outputs where the composed ops record `3n + 1` nodes,
/// and a backward pass in `O(n)` instead of the Jacobian's `n²`.
///
/// ```
/// use num_traits::Float;
/// use tapegrad::{BlockOp, Tape, block, check_gradient};
///
/// struct Softmax;
///
/// impl BlockOp for Softmax {
///     fn name(&self) -> &'static str {
///         "softmax"
///     }
///     fn outputs(&self, inputs: usize) -> usize {
///         inputs
///     }
///     fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
///         let max = x.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
///         for (y, &x) in y.iter_mut().zip(x) {
///             *y = (x - max).exp();
///         }
///         let total = y.iter().fold(T::zero(), |s, &v| s + v);
///         y.iter_mut().for_each(|y| *y = *y / total);
///     }
///     fn vjp<T: Float>(&self, _x: &[T], y: &[T], y_bar: &[T], x_bar: &mut [T]) {
///         let dot = y.iter().zip(y_bar).fold(T::zero(), |s, (&y, &g)| s + y * g);
///         for ((x_bar, &y), &g) in x_bar.iter_mut().zip(y).zip(y_bar) {
///             *x_bar = *x_bar + y * (g - dot);
///         }
///     }
/// }
///
/// let tape = Tape::new();
/// let x = tape.vars(&[1.0, 2.0, 3.0]);
/// let y = block(Softmax, &x);
/// let total: f64 = y.iter().map(|y| y.value()).sum();
/// assert!((total - 1.0).abs() < 1e-15);
///
/// // A loss of the outputs, checked against central differences (the
/// // closure passed directly, so that it takes variables of any tape).
/// check_gradient(
///     |x| {
///         let y = block(Softmax, x);
///         y[0] * 2.0 - y[2].ln()
///     },
///     &[1.0, 2.0, 3.0],
/// )?;
/// # Ok::<(), tapegrad::Error>(())
/// ```
pub trait BlockOp: Send + Sync + 'static {
    /// How the op's node is named in traces and [`Tape::to_dot`](crate::Tape::to_dot).
    fn name(&self) -> &'static str {
        "block"
    }

    /// How many outputs the op has for `inputs` inputs.
    fn outputs(&self, inputs: usize) -> usize;

    /// The outputs `y = f(x)`, written into `y` (of
    /// [`outputs`](BlockOp::outputs)`(x.len())` zeros).
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]);

    /// Adds `Jᵀ·ȳ` into `x_bar` (`J = ∂y/∂x` at `x`), given the inputs, the
    /// outputs `forward` computed from them, and the outputs' gradients.
    fn vjp<T: Float>(&self, x: &[T], y: &[T], y_bar: &[T], x_bar: &mut [T]);

    /// Whether output `output` depends on input `input`, of `inputs`: the
    /// edges a traced tape draws. Every pair, unless the op says otherwise.
    fn depends(&self, inputs: usize, output: usize, input: usize) -> bool {
        let _ = (inputs, output, input);
        true
    }
}

/// A block op as the tape of `F` keeps it: its generic methods taken at `F`.
pub(crate) trait Block<F>: Send + Sync {
    fn name(&self) -> &'static str;
    fn vjp(&self, x: &[F], y: &[F], y_bar: &[F], x_bar: &mut [F]);
    fn depends(&self, inputs: usize, output: usize, input: usize) -> bool;
}

impl<F: Float, Op: BlockOp> Block<F> for Op {
    fn name(&self) -> &'static str {
        BlockOp::name(self)
    }
    fn vjp(&self, x: &[F], y: &[F], y_bar: &[F], x_bar: &mut [F]) {
        BlockOp::vjp(self, x, y, y_bar, x_bar);
    }
    fn depends(&self, inputs: usize, output: usize, input: usize) -> bool {
        BlockOp::depends(self, inputs, output, input)
    }
}

/// Records the block op `op` of the inputs `x`: one node for the op and one
/// per output, which are ordinary variables. If every input is a constant,
/// so is every output, and nothing is recorded.
///
/// # Panics
///
/// If two inputs are on different tapes.
///
/// ```
/// # use num_traits::Float;
/// # struct Square;
/// # impl tapegrad::BlockOp for Square {
/// #     fn outputs(&self, n: usize) -> usize { n }
/// #     fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
/// #         y.iter_mut().zip(x).for_each(|(y, &x)| *y = x * x);
/// #     }
/// #     fn vjp<T: Float>(&self, x: &[T], _y: &[T], g: &[T], x_bar: &mut [T]) {
/// #         for ((b, &x), &g) in x_bar.iter_mut().zip(x).zip(g) {
/// #             *b = *b + (x + x) * g;
/// #         }
/// #     }
/// # }
/// let tape = tapegrad::Tape::new();
/// let x = tape.vars(&[3.0, 4.0]);
/// let y = tapegrad::block(Square, &x); // yᵢ = xᵢ²
/// assert_eq!(tape.len(), 2 + 1 + 2); // the inputs, the block, its outputs
/// assert_eq!(y[1].backward().wrt(&x[1]), 8.0);
/// ```
#[track_caller]
pub fn block<'t, F: Float, Op: BlockOp>(op: Op, x: &[Var<'t, F>]) -> Vec<Var<'t, F>> {
    let values: Vec<F> = x.iter().map(|x| x.value()).collect();
    let mut y = vec![F::zero(); op.outputs(x.len())];
    op.forward(&values, &mut y);
    let Some(tape) = common_tape(x.iter().copied()) else {
        return y.into_iter().map(Var::constant).collect();
    };
    let checked = tape.first_call_of_checked(core::panic::Location::caller());
    let wrong = if checked {
        check_vjp(&op, &values, &y, x)
    } else {
        Vec::new()
    };
    // Each output reports the first wrong input it depends on, so that
    // checked mode finds it from whichever output the loss uses.
    let report: Vec<(usize, (usize, F, F))> = (0..y.len())
        .filter_map(|j| {
            let first = wrong.iter().find(|&&(i, ..)| op.depends(x.len(), j, i));
            first.map(|&w| (j, w))
        })
        .collect();
    let outputs = tape.record_block(Box::new(op), x, values, y);
    for (j, (i, declared, numeric)) in report {
        tape.report_custom(outputs[j].node(), i, declared, numeric);
    }
    outputs
}

/// Checks `op`'s vector–Jacobian product at `x` against central differences
/// of its forward function, for the outputs' sum weighted by `wⱼ = 1/(j + 1)`:
/// the inputs (variables) where `x̄ᵢ` and `∂(w·y)/∂xᵢ` disagree, with both
/// numbers.
fn check_vjp<F: Float, Op: BlockOp>(
    op: &Op,
    values: &[F],
    y: &[F],
    x: &[Var<'_, F>],
) -> Vec<(usize, F, F)> {
    let weights: Vec<F> = (1..=y.len())
        .map(|j| F::from(j).map_or(F::one(), |j| j.recip()))
        .collect();
    let mut x_bar = vec![F::zero(); values.len()];
    op.vjp(values, y, &weights, &mut x_bar);
    let mut out = vec![F::zero(); y.len()];
    let mut weighted = |at: &[F]| {
        op.forward(at, &mut out);
        out.iter()
            .zip(&weights)
            .fold(F::zero(), |s, (&y, &w)| s + y * w)
    };
    let mut at = values.to_vec();
    let variables = (0..values.len()).filter(|&i| !x[i].is_constant());
    variables
        .filter_map(|i| {
            let estimate = central_difference(&mut weighted, &mut at, i);
            let agree = Tolerance::default().accepts(x_bar[i], estimate);
            (!agree && estimate.value.is_finite()).then_some((i, x_bar[i], estimate.value))
        })
        .collect()
}

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
            Activation::Sigmoid => {
                // e^(−|z|) never overflows.
                let e = (-z.abs()).exp();
                let one = T::one();
                if z >= T::zero() {
                    one / (one + e)
                } else {
                    e / (one + e)
                }
            }
            Activation::Relu => z.max(T::zero()),
        }
    }

    /// `da/dz`, from the activation's output `a`.
    fn slope<T: Float>(self, a: T) -> T {
        match self {
            Activation::Identity => T::one(),
            Activation::Tanh => T::one() - a * a,
            Activation::Sigmoid => a * (T::one() - a),
            Activation::Relu if a > T::zero() => T::one(),
            Activation::Relu => T::zero(),
        }
    }
}

/// The block op of [`layer`]: its inputs are the parameters, rows
/// `[w₀ … wₙ₋₁, b]` of `n + 1` for each of `units` units, then the batch,
/// rows of `n` inputs for each sample; its outputs, rows of `units`
/// activations for each sample.
#[derive(Clone, Copy, Debug)]
struct Layer {
    inputs: usize,
    units: usize,
    activation: Activation,
}

impl Layer {
    /// The parameters and the batch, from the block's inputs.
    fn split<'a, T>(&self, x: &'a [T]) -> (&'a [T], &'a [T]) {
        x.split_at(self.units * (self.inputs + 1))
    }
}

impl BlockOp for Layer {
    fn name(&self) -> &'static str {
        "layer"
    }

    fn outputs(&self, inputs: usize) -> usize {
        let samples = (inputs - self.units * (self.inputs + 1)) / self.inputs;
        samples * self.units
    }

    /// `Y = act(X·Wᵀ + b)`, a sample a row.
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
        let n = self.inputs;
        let (params, batch) = self.split(x);
        for (sample, out) in batch.chunks_exact(n).zip(y.chunks_exact_mut(self.units)) {
            for (a, row) in out.iter_mut().zip(params.chunks_exact(n + 1)) {
                // `affine`'s sum, in its order: the products, then the bias.
                let z = row[..n]
                    .iter()
                    .zip(sample)
                    .fold(T::zero(), |z, (&w, &x)| z + w * x);
                *a = self.activation.apply(z + row[n]);
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
                let delta = a_bar * self.activation.slope(a);
                for i in 0..n {
                    row_bar[i] = row_bar[i] + delta * sample[i];
                    sample_bar[i] = sample_bar[i] + delta * row[i];
                }
                row_bar[n] = row_bar[n] + delta;
            }
        }
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
/// The values are those of [`dense`](crate::dense) sample by sample (the
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
/// use tapegrad::{Activation, Tape, layer};
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
    assert!(
        inputs > 0,
        "tapegrad::layer: a unit needs at least one input"
    );
    assert!(
        params.len() % (inputs + 1) == 0 && x.len() % inputs == 0,
        "tapegrad::layer: the parameters must be rows of {inputs} weights and a bias, and the \
         batch rows of {inputs} inputs, but there are {} parameters and {} inputs",
        params.len(),
        x.len()
    );
    let op = Layer {
        inputs,
        units: params.len() / (inputs + 1),
        activation,
    };
    let all: Vec<Var<'t, F>> = params
        .iter()
        .copied()
        .chain(x.iter().map(|x| x.into_var()))
        .collect();
    block(op, &all)
}
