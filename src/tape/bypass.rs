//! What a stable `ln` of a sigmoid needs: which nodes are sigmoids, of
//! which input, kept beside the nodes (never in a partial, where a value
//! could read as "none"), and the nodes such an `ln` bypassed.

use num_traits::Float;

use super::node::Node;
use super::trace::Caller;
use super::{Inner, Tape};

/// A node that is `σ(at)` of the input node `input`'s value `z`, with
/// `at = z`, or `at = −z` for `1 − σ(z)` recorded as `σ(−z)` (`negated`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sigmoid<F> {
    pub(crate) node: u32,
    pub(crate) input: u32,
    pub(crate) at: F,
    pub(crate) negated: bool,
}

impl<F: Float> Tape<F> {
    /// Appends the sigmoid's node to the borrowed tape and keeps it.
    #[inline(always)]
    pub(super) fn push_sigmoid(
        inner: &mut Inner<F>,
        s: F,
        input: u32,
        ds: F,
        z: F,
        caller: Caller,
    ) -> u32 {
        let record = Node::new([Some(input), None], [ds, F::zero()]);
        let node = Self::push_node(inner, "sigmoid", record, s, caller);
        inner.sigmoids.push(Sigmoid {
            node,
            input,
            at: z,
            negated: false,
        });
        node
    }

    /// Keeps `sigmoid`, whose node was just recorded.
    pub(crate) fn keep_sigmoid(&self, sigmoid: Sigmoid<F>) {
        self.inner.borrow_mut().sigmoids.push(sigmoid);
    }

    /// The sigmoid recorded at `node`, if it is one. Nodes are recorded in
    /// order, so the list is sorted by node.
    pub(crate) fn sigmoid(&self, node: u32) -> Option<Sigmoid<F>> {
        let inner = self.inner.borrow();
        let k = inner
            .sigmoids
            .binary_search_by_key(&node, |s| s.node)
            .ok()?;
        Some(inner.sigmoids[k])
    }

    /// The first parent of `node`, a node of one or two parents.
    pub(crate) fn parent(&self, node: u32) -> u32 {
        self.inner.borrow().nodes[node as usize].parents[0]
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
