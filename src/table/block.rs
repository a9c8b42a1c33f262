//! A block op: an op of many inputs and outputs that supplies its own
//! forward function and vector–Jacobian product, generic over the scalar
//! (the one extension point for ops the table does not list).

use num_traits::Float;

/// An operation on a block of variables that supplies its own backward
/// pass: the extension point for matrix operations, layers over a batch,
/// softmax and the like, as JAX's `custom_vjp` and PyTorch's
/// `autograd.Function`. [`block`](crate::custom::block) records it.
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
/// On a [checked](crate::Tape::checked) tape, the first call of [`block`](crate::custom::block)
/// at each line checks `vjp` against central differences of `forward` (for
/// a weighted sum of the outputs), and [`Var::backward_checked`](crate::Var::backward_checked) reports a
/// disagreement as
/// [`Error::WrongCustomDerivative`](crate::Error::WrongCustomDerivative)
/// naming the input.
///
/// An op may also declare its forward-mode derivative
/// ([`jvp`](BlockOp::jvp)), for [`block_forward`](crate::custom::block_forward) on [`Dual`](crate::forward::Dual) numbers, and
/// which outputs depend on which inputs ([`depends`](BlockOp::depends)).
///
/// Where the other extension points stand: [`Var::custom`](crate::Var::custom) records one
/// output from its value and partials, and [`Var::fused`](crate::Var::fused) and
/// [`sum_windows`](crate::custom::sum_windows) one output whose partials forward
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
/// use tapegrad::{Tape, custom::{BlockOp, block}, check::check_gradient};
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

    /// Adds `J·ẋ` into `y_dot` (`J = ∂y/∂x` at `x`), the op's forward-mode
    /// derivative, and returns `true`; or returns `false`, the default, for
    /// an op that declares none. [`block_forward`](crate::custom::block_forward) uses it, and falls back
    /// on one `vjp` per output without it.
    fn jvp<T: Float>(&self, x: &[T], y: &[T], x_dot: &[T], y_dot: &mut [T]) -> bool {
        let _ = (x, y, x_dot, y_dot);
        false
    }

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
