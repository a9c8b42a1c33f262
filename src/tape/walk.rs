//! Each node's edges, as checked mode and pictures walk them.

use num_traits::Float;

use super::Tape;
use super::node::{Kind, SINK};

impl<F: Float> Tape<F> {
    /// The `(parent, ∂node/∂parent)` edges of every node up to `output`,
    /// indexed by node; the edges of inputs (to the sink) are left out.
    pub(crate) fn parents_by_node(&self, output: u32) -> Vec<Vec<(usize, F)>> {
        let inner = self.inner.borrow();
        let table = (&inner.parents[..], &inner.partials[..]);
        inner.nodes[..=output as usize]
            .iter()
            .enumerate()
            .map(|(node, record)| {
                let mut edges = Vec::new();
                if let Kind::Block(_) = record.kind() {
                    return edges; // its outputs name their inputs
                }
                if let Some((block, output)) = inner.output_of(node) {
                    let parents = block.parents_of(output);
                    return parents.map(|p| (p as usize, F::zero())).collect();
                }
                let (parents, partials) = record.edges(table);
                for (&p, &d) in parents.iter().zip(partials) {
                    if p != SINK {
                        edges.push((p as usize, d));
                    }
                }
                edges
            })
            .collect()
    }
}
