//! The tape's side of a block op (`custom::block`): the record it keeps,
//! the backward pass that calls the op, and where its outputs are.

use core::mem::size_of;

use num_traits::Float;

use super::node::{FULL, Kind, Node, SINK};
use super::{Inner, Tape};
use crate::table::Block;

/// A recorded block op: the op, its inputs' nodes (the sink for a
/// constant) and values, its outputs' values, and its first output's node.
pub(super) struct BlockRecord<F> {
    op: Box<dyn Block<F>>,
    pub(super) inputs: Vec<u32>,
    x: Vec<F>,
    y: Vec<F>,
    first_output: u32,
}

impl<F: Float> BlockRecord<F> {
    /// Adds `Jᵀ·ȳ` into the inputs' adjoints, `ȳ` read from the outputs'
    /// adjoints. If every `ȳ` is zero, a component that is not finite is
    /// `0 · ∞` inside the op, whose true value is zero, and is dropped, as a
    /// node with a zero adjoint passes nothing through a partial that is not
    /// finite; the finite ones are added, because on a nested tape an
    /// adjoint whose value is zero can still have a derivative.
    pub(super) fn pass(&self, adjoints: &mut [F]) {
        // Outputs after the sweep's own output have no adjoint: zero.
        let first = self.first_output as usize;
        let mut y_bar = vec![F::zero(); self.y.len()];
        let known = adjoints
            .len()
            .min(first + y_bar.len())
            .saturating_sub(first);
        y_bar[..known].copy_from_slice(&adjoints[first..first + known]);
        let zero = y_bar.iter().all(|g| g.is_zero());
        let mut x_bar = vec![F::zero(); self.x.len()];
        self.op.vjp(&self.x, &self.y, &y_bar, &mut x_bar);
        for (&input, &g) in self.inputs.iter().zip(&x_bar) {
            if !zero || g.is_finite() {
                let adjoint = &mut adjoints[input as usize];
                *adjoint = *adjoint + g;
            }
        }
    }

    /// The inputs that output `output` depends on, by the op's word.
    pub(super) fn parents_of(&self, output: usize) -> impl Iterator<Item = u32> + '_ {
        let n = self.inputs.len();
        let inputs = self.inputs.iter().enumerate();
        inputs
            .filter(move |&(i, &p)| p != SINK && self.op.depends(n, output, i))
            .map(|(_, &p)| p)
    }
}

impl<F: Float> Inner<F> {
    /// The block whose output `node` is, and which of its outputs, if it
    /// is one.
    pub(super) fn output_of(&self, node: usize) -> Option<(&BlockRecord<F>, usize)> {
        let [parent, SINK] = self.nodes[node].parents else {
            return None;
        };
        let Kind::Block(block) = self.nodes[parent as usize].kind() else {
            return None;
        };
        let block = &self.blocks[block];
        Some((block, node - parent as usize - 1))
    }
}

impl<F: Float> Tape<F> {
    /// Records the block op `op` of the inputs `inputs` (their nodes on
    /// this tape, the sink for a constant), whose values are `values`, and
    /// its outputs `y`: the block's node, then a node per output. Returns
    /// the first output's node, and each output as `output(node, value)`.
    #[track_caller]
    pub(crate) fn record_block<V>(
        &self,
        op: Box<dyn Block<F>>,
        inputs: Vec<u32>,
        values: Vec<F>,
        y: Vec<F>,
        mut output: impl FnMut(u32, F) -> V,
    ) -> (u32, Vec<V>) {
        let caller = core::panic::Location::caller();
        let mut inner = self.inner.borrow_mut();
        let index = u32::try_from(inner.blocks.len()).unwrap_or_else(|_| panic!("{FULL}"));
        let name = op.name();
        let record = Node::block(index);
        let block = Self::push_node(&mut inner, name, record, F::zero(), caller);
        let outputs = y
            .iter()
            .map(|&value| {
                let record = Node {
                    parents: [block, SINK],
                    partials: [F::zero(); 2],
                };
                output(
                    Self::push_node(&mut inner, name, record, value, caller),
                    value,
                )
            })
            .collect();
        let (n, m) = (inputs.len(), y.len());
        inner.block_bytes += n * size_of::<u32>() + (n + m) * size_of::<F>();
        inner.blocks.push(BlockRecord {
            op,
            inputs,
            x: values,
            y,
            first_output: block + 1,
        });
        (block + 1, outputs)
    }

    /// Whether `node` is an output of a block op, whose edges have no
    /// partials of their own (the op's backward pass is code).
    pub(crate) fn is_block_output(&self, node: usize) -> bool {
        self.inner.borrow().output_of(node).is_some()
    }
}
