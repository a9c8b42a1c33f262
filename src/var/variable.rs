//! What [`Gradients`](crate::Gradients) and the losses ask of a [`Var`]:
//! its tape and node, and a mean of terms as one node.

use num_traits::Float;

use super::Var;
use crate::gradients::Variable;
use crate::gradients::sealed::Sealed;
use crate::recording;

impl<F: Float> Sealed for Var<'_, F> {}

impl<F: Float> Variable<F> for Var<'_, F> {
    fn scalar_value(&self) -> F {
        self.value()
    }

    #[track_caller]
    fn record_block<Op: crate::custom::BlockOp>(op: Op, x: &[Self]) -> Vec<Self> {
        crate::ops::block_of_vars(op, x)
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
        let id = self.tape()?.id();
        Some((id.generation, Some(id.tape), self.node()))
    }

    fn same_recording(&self, other: &Self) -> bool {
        // Constants (`None`) too: the caller asks with a recorded `other`.
        self.tape().map(core::ptr::from_ref) == other.tape().map(core::ptr::from_ref)
    }

    fn node_index(&self) -> u32 {
        self.node()
    }
}
