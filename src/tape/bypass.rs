//! What a stable `ln` of a sigmoid needs: a node of one parent that also
//! remembers a value, and the nodes such an `ln` bypassed.

use num_traits::Float;

use super::Tape;
use super::node::{Node, SINK};
use crate::Var;

impl<F: Float> Tape<F> {
    /// A node of one parent that remembers `kept` (a value of its parent's)
    /// in its second partial, which the sweep never reads: the second parent
    /// of a node of one parent is the sink.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn unary_keeping(
        &self,
        op: &'static str,
        value: F,
        parent: u32,
        d: F,
        kept: F,
    ) -> Var<'_, F> {
        let caller = core::panic::Location::caller();
        let node = self.push(op, value, [Some(parent), None], [d, kept], caller);
        Var::recorded(self, node, value)
    }

    /// `(parent, ∂node/∂parent, kept)` of a node recorded by
    /// [`unary_keeping`](Tape::unary_keeping) with a nonzero `kept`.
    pub(crate) fn kept(&self, node: u32) -> Option<(u32, F, F)> {
        let inner = self.inner.borrow();
        let Node { parents, partials } = inner.nodes[node as usize];
        let keeps = parents[0] != SINK && parents[1] == SINK && !partials[1].is_zero();
        keeps.then_some((parents[0], partials[0], partials[1]))
    }

    /// Notes that the stable `ln` node `at` bypasses `node`: gradients with
    /// respect to `node` no longer see that path.
    pub(crate) fn bypass(&self, node: u32, at: u32) {
        self.inner.borrow_mut().bypassed.push((node, at));
    }

    /// Adds to `into` the nodes that a stable `ln` recorded at or before
    /// `output` bypasses.
    pub(crate) fn bypassed_up_to(&self, output: u32, into: &mut Vec<u32>) {
        let inner = self.inner.borrow();
        into.extend(
            inner
                .bypassed
                .iter()
                .filter(|&&(_, at)| at <= output)
                .map(|&(n, _)| n),
        );
    }
}
