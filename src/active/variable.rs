//! What the recording core, [`Gradients`](crate::Gradients) and the losses
//! ask of an [`Active`]: where its tape is, its recording and node, and a
//! mean of terms as one node.

use core::cell::RefMut;

use super::slot::{Misuse, recording};
use super::{Active, Scalar};
use crate::gradients::Variable;
use crate::gradients::sealed::Sealed;
use crate::ops::{outputs_at, record_on};
use crate::recording::{self, Recorded};
use crate::table::BlockOp;
use crate::tape::Tape;

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

    #[track_caller]
    fn record_node(op: &'static str, value: F, args: &[(Self, F)]) -> Self {
        recording::combine(op, value, args.iter().copied())
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

/// Where an `Active`'s tape is: lent to the thread, in the slot of its
/// float type, which must hold the variable's recording.
impl<F: Scalar> Recorded for Active<F> {
    type Float = F;
    type Tape = RefMut<'static, Tape<F>>;

    #[inline(always)]
    fn constant(value: F) -> Self {
        Active::constant(value)
    }

    #[inline(always)]
    fn is_constant(&self) -> bool {
        self.recording() == 0
    }

    #[inline(always)]
    fn raw(&self) -> F {
        self.value
    }

    #[inline(always)]
    fn node(&self) -> u32 {
        self.tag as u32
    }

    #[inline(always)]
    #[track_caller]
    fn tape(&self) -> RefMut<'static, Tape<F>> {
        recording(F::slot(), Some(self.recording()))
    }

    #[inline(always)]
    #[track_caller]
    fn same_recording(a: &Self, b: &Self) {
        if a.recording() != b.recording() {
            Misuse::mixed(a.recording(), b.recording()).panic::<F>();
        }
    }

    #[inline(always)]
    fn at(&self, node: u32, value: F) -> Self {
        Active::make(value, node, self.recording())
    }

    #[inline(always)]
    fn replays(&self) -> bool {
        Active::replays(self)
    }
}
