//! What [`Gradients`](crate::Gradients) and the losses ask of an
//! [`Active`]: its recording and node, and a mean of terms as one node.

use super::slot::recording;
use super::{Active, Scalar};
use crate::gradients::Variable;
use crate::gradients::sealed::Sealed;
use crate::ops::{outputs_at, record_on};
use crate::recording;
use crate::table::BlockOp;

impl<F: Scalar> Sealed for Active<F> {}

impl<F: Scalar> Variable<F> for Active<F> {
    fn scalar_value(&self) -> F {
        self.value
    }

    /// A block node on the recording, as of `Var`s; on a function's
    /// recording, the op's forward function recorded op by op, which is
    /// what an evaluation can compute again (the op's `vjp` is then unused:
    /// the sweep differentiates the recorded forward function).
    #[track_caller]
    fn record_block<Op: BlockOp>(op: Op, x: &[Self]) -> Vec<Self> {
        let Some(first) = Active::common(x.iter().copied()) else {
            let values: Vec<F> = x.iter().map(|x| x.value).collect();
            return outputs_at(&op, &values)
                .into_iter()
                .map(Active::constant)
                .collect();
        };
        if first.replays() {
            let mut y = vec![Active::constant(F::zero()); op.outputs(x.len())];
            op.forward(x, &mut y);
            return y;
        }
        let tape = recording(F::slot(), Some(first.recording()));
        record_on(&tape, op, x, |node, value| first.at(node, value))
    }

    #[track_caller]
    fn record_mean(
        op: &'static str,
        xs: &[Self],
        n: F,
        term: impl FnMut(usize, F) -> (F, F),
    ) -> Self {
        recording::mean(op, xs, n, term)
    }

    fn site(&self) -> Option<(u32, Option<u64>, u32)> {
        (!self.is_constant()).then_some((self.recording(), None, self.node()))
    }

    fn same_recording(&self, other: &Self) -> bool {
        self.recording() == other.recording()
    }

    fn node_index(&self) -> u32 {
        self.node()
    }
}
