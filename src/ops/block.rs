//! Block operations: a node whose backward pass is a vector–Jacobian product
//! the op supplies, over many inputs and outputs at once.

use num_traits::Float;

use crate::difference::disagreements;
use crate::gradients::Variable;
use crate::table::BlockOp;
use crate::tape::SINK;
use crate::var::common_tape;
use crate::{Tape, Var, forward::Dual};

/// Records the block op `op` of the inputs `x`, [`Var`] or
/// [`Active`](crate::Active) variables: one node for the op and one per
/// output, which are ordinary variables. If every input is a constant, so
/// is every output, and nothing is recorded. On the recording of a
/// [`Function`](crate::replay::Function), which must compute each node again from
/// its op, the op's forward function is recorded op by op instead (see
/// [What can be recorded](crate::replay::Function#what-can-be-recorded)).
///
/// # Panics
///
/// If two inputs are on different tapes, or the op refuses their number
/// (as [`Layer`](crate::nn::Layer) does for a batch of partial samples).
///
/// ```
/// # use num_traits::Float;
/// # struct Square;
/// # impl tapegrad::custom::BlockOp for Square {
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
/// let y = tapegrad::custom::block(Square, &x); // yᵢ = xᵢ²
/// assert_eq!(tape.len(), 2 + 1 + 2); // the inputs, the block, its outputs
/// assert_eq!(y[1].backward().wrt(&x[1]), 8.0);
/// ```
#[track_caller]
pub fn block<F: Float, V: Variable<F>, Op: BlockOp>(op: Op, x: &[V]) -> Vec<V> {
    V::record_block(op, x)
}

/// [`block`] of variables: recorded on their tape, or, if every input is a
/// constant, constants.
#[track_caller]
pub(crate) fn block_of_vars<'t, F: Float, Op: BlockOp>(
    op: Op,
    x: &[Var<'t, F>],
) -> Vec<Var<'t, F>> {
    let Some(tape) = common_tape(x.iter().copied()) else {
        let values: Vec<F> = x.iter().map(|x| x.value()).collect();
        return outputs_at(&op, &values)
            .into_iter()
            .map(Var::constant)
            .collect();
    };
    record_on(tape, op, x, |node, value| Var::recorded(tape, node, value))
}

/// The outputs of `op` at `x`.
pub(crate) fn outputs_at<F: Float, Op: BlockOp>(op: &Op, x: &[F]) -> Vec<F> {
    let mut y = vec![F::zero(); op.outputs(x.len())];
    op.forward(x, &mut y);
    y
}

/// Records `op` of the variables `x` (recorded on `tape`, or constants) on
/// `tape`, each output as `output(node, value)`, checking the op's
/// vector–Jacobian product at the first call from each line of a checked
/// tape.
#[track_caller]
pub(crate) fn record_on<F: Float, Op: BlockOp, V: Variable<F>>(
    tape: &Tape<F>,
    op: Op,
    x: &[V],
    output: impl FnMut(u32, F) -> V,
) -> Vec<V> {
    let values: Vec<F> = x.iter().map(Variable::scalar_value).collect();
    let inputs: Vec<u32> = x
        .iter()
        .map(|x| x.site().map_or(SINK, |(.., node)| node))
        .collect();
    let y = outputs_at(&op, &values);
    let checked = tape.first_call_of_checked(core::panic::Location::caller());
    let wrong = if checked {
        check_vjp(&op, &values, &y, &inputs)
    } else {
        Vec::new()
    };
    // Each output reports the first wrong input it depends on, so that
    // checked mode finds it from whichever output the loss uses.
    let report: Vec<(usize, (usize, F, F))> = match wrong.is_empty() {
        true => Vec::new(),
        false => (0..y.len())
            .filter_map(|j| {
                let first = wrong
                    .iter()
                    .find(|&&(i, ..)| op.depends(values.len(), j, i));
                first.map(|&w| (j, w))
            })
            .collect(),
    };
    let (first, outputs) = tape.record_block(Box::new(op), inputs, values, y, output);
    for (j, (i, declared, numeric)) in report {
        tape.report_custom(first + j as u32, i, declared, numeric);
    }
    outputs
}

/// The block op `op` in forward mode, on [`Dual`] numbers: the outputs'
/// values, and their derivatives `ẏ = J·ẋ` for each of the `N` directions,
/// by the op's [`jvp`](BlockOp::jvp), or, if it declares none, by its
/// `vjp` once per output (`ẏⱼ = (Jᵀ·eⱼ)·ẋ`).
///
/// This is how a block op runs inside [`Var::fused`] or
/// [`sum_windows`](crate::custom::sum_windows), whose terms are differentiated in
/// forward mode.
///
/// ```
/// # use num_traits::Float;
/// # struct Square;
/// # impl tapegrad::custom::BlockOp for Square {
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
/// use tapegrad::{forward::Dual, custom::block_forward};
///
/// let [a, b] = Dual::inputs([3.0, 4.0]);
/// let y = block_forward(&Square, &[a, b]); // yᵢ = xᵢ²
/// assert_eq!(y[1].value(), 16.0);
/// assert_eq!(y[1].tangent(), [0.0, 8.0]);
/// ```
pub fn block_forward<F: Float, const N: usize, Op: BlockOp>(
    op: &Op,
    x: &[Dual<F, N>],
) -> Vec<Dual<F, N>> {
    let values: Vec<F> = x.iter().map(|x| x.value()).collect();
    let y = outputs_at(op, &values);
    // tangents[k][j]: ∂yⱼ along the k-th direction.
    let mut tangents = vec![vec![F::zero(); y.len()]; N];
    let x_dot = |k: usize| x.iter().map(|x| x.tangent()[k]).collect::<Vec<F>>();
    let declared = (0..N).all(|k| op.jvp(&values, &y, &x_dot(k), &mut tangents[k]));
    if !declared {
        // Row j of J from the vjp of eⱼ, then its product with each ẋ.
        let mut e = vec![F::zero(); y.len()];
        let mut row = vec![F::zero(); x.len()];
        for j in 0..y.len() {
            e[j] = F::one();
            row.iter_mut().for_each(|r| *r = F::zero());
            op.vjp(&values, &y, &e, &mut row);
            e[j] = F::zero();
            for (k, tangent) in tangents.iter_mut().enumerate() {
                let dot = row
                    .iter()
                    .zip(x)
                    .fold(F::zero(), |s, (&r, x)| s + r * x.tangent()[k]);
                tangent[j] = dot;
            }
        }
    }
    y.iter()
        .enumerate()
        .map(|(j, &v)| Dual::new(v, core::array::from_fn(|k| tangents[k][j])))
        .collect()
}

/// Checks `op`'s vector–Jacobian product at `x` against central differences
/// of its forward function, for the outputs' sum weighted by `wⱼ = 1/(j + 1)`:
/// the inputs (variables) where `x̄ᵢ` and `∂(w·y)/∂xᵢ` disagree, with both
/// numbers.
fn check_vjp<F: Float, Op: BlockOp>(
    op: &Op,
    values: &[F],
    y: &[F],
    inputs: &[u32],
) -> Vec<(usize, F, F)> {
    let weights: Vec<F> = (1..=y.len())
        .map(|j| F::from(j).map_or(F::one(), |j| j.recip()))
        .collect();
    let mut x_bar = vec![F::zero(); values.len()];
    op.vjp(values, y, &weights, &mut x_bar);
    let mut out = vec![F::zero(); y.len()];
    let weighted = |at: &[F]| {
        op.forward(at, &mut out);
        out.iter()
            .zip(&weights)
            .fold(F::zero(), |s, (&y, &w)| s + y * w)
    };
    let variables = (0..values.len()).filter(|&i| inputs[i] != SINK);
    disagreements(weighted, values, &x_bar, variables).collect()
}
