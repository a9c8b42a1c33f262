//! The reverse sweep: multiply what you receive by your own derivative and
//! pass it on.

use num_traits::Float;

use super::Tape;
use super::block::BlockRecord;
use super::node::{Kind, Node};
use crate::Gradients;

impl<F: Float> Tape<F> {
    /// The reverse sweep: `adjoints[output]` is seeded, and every node from
    /// `output` down multiplies its adjoint by its partials and adds the
    /// products into its parents. It stops above the inputs recorded
    /// first, whose only edges go to the sink.
    ///
    /// A node with a zero adjoint passes on its finite partials' zero
    /// products as usual, but nothing through a partial that is not finite:
    /// `0 · ∞` would be NaN where the true contribution is zero (a node the
    /// output does not depend on, or one behind a flat `relu`). Testing the
    /// adjoint alone would be wrong on a nested tape, where an adjoint whose
    /// value is zero can still have a derivative; with a finite partial the
    /// product is recorded as ever.
    ///
    /// What a node of one parent passes to the node recorded just before it,
    /// the next in the sweep, stays in a register (the carry
    /// [`Node::pass`](super::node::Node::pass) returns) instead of going
    /// through memory: in a chain of ops, each node's adjoint is the last
    /// one's product, and a store and a load would sit between them.
    pub(crate) fn sweep(&self, output: u32, adjoints: &mut [F]) {
        let inner = self.inner.borrow();
        let table = (&inner.parents[..], &inner.partials[..]);
        let nodes = &inner.nodes[..=output as usize];
        let blocks = &inner.blocks[..];
        let mut node = output as usize;
        let mut carry = None;
        while node > inner.inputs as usize {
            // Every edge into `node` comes from a later node, all done; the
            // last of them, from `node + 1`, may be carried.
            let mut incoming = adjoints[node];
            if let Some(last) = carry {
                incoming = incoming + last;
                adjoints[node] = incoming;
            }
            carry = match incoming.is_zero() {
                false => nodes[node].pass(adjoints, table, blocks, incoming, false, node - 1),
                true => nodes[node].pass(adjoints, table, blocks, incoming, true, node - 1),
            };
            node -= 1;
        }
        if let Some(last) = carry {
            adjoints[node] = adjoints[node] + last;
        }
    }

    /// The gradients of `output`: seeded with 1, swept back, with the
    /// sigmoids a stable `ln` bypassed on the way.
    pub(crate) fn backward_into(&self, output: u32, grads: &mut Gradients<F>) {
        let (adjoints, bypassed) = grads.reset(Some(self.id()), output as usize + 1);
        adjoints[output as usize] = F::one();
        self.sweep(output, adjoints);
        self.bypassed_up_to(output, bypassed);
    }
}

impl<F: Float> Node<F> {
    /// Adds `partial × incoming` into each parent's adjoint, the edges last
    /// to first as they were recorded; `finite_only` skips the partials
    /// that are not finite. A block's node runs its op's backward pass.
    ///
    /// A node of one parent returns the product for it instead of adding it,
    /// if that parent is `next`, the node recorded just before: the sweep
    /// adds it when it gets there, after every product passed to it before,
    /// as the store would have been.
    #[inline(always)]
    pub(super) fn pass(
        &self,
        adjoints: &mut [F],
        table: (&[u32], &[F]),
        blocks: &[BlockRecord<F>],
        incoming: F,
        finite_only: bool,
        next: usize,
    ) -> Option<F> {
        let add = |adjoint: &mut F, partial: F| {
            if !finite_only || partial.is_finite() {
                *adjoint = *adjoint + partial * incoming;
            }
        };
        match self.kind() {
            Kind::One(a) => {
                let partial = self.partials[0];
                if a as usize == next && (!finite_only || partial.is_finite()) {
                    return Some(partial * incoming);
                }
                add(&mut adjoints[a as usize], partial);
            }
            Kind::Two(a, b) => {
                add(&mut adjoints[b as usize], self.partials[1]);
                add(&mut adjoints[a as usize], self.partials[0]);
            }
            Kind::Wide(own) => {
                let (parents, partials) = (&table.0[own.clone()], &table.1[own]);
                for (&parent, &partial) in parents.iter().zip(partials).rev() {
                    add(&mut adjoints[parent as usize], partial);
                }
            }
            Kind::Block(block) => blocks[block].pass(adjoints),
        }
        None
    }
}
