//! Walks over the recorded graph for checked mode and pictures: each
//! node's edges, and what an output depends on.

use num_traits::Float;

use super::Tape;
use super::node::SINK;

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
                if record.block().is_some() {
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

    /// The part of the tape that `output` depends on, walked back from it.
    pub(crate) fn dependencies(&self, output: u32) -> Dependencies<F> {
        let parents = self.parents_by_node(output);
        let out = output as usize;
        let mut via = vec![None; out + 1];
        for node in (1..=out).rev() {
            if node != out && via[node].is_none() {
                continue; // the output does not depend on it
            }
            for &(parent, _) in &parents[node] {
                if via[parent].is_none() {
                    via[parent] = Some(node);
                }
            }
        }
        Dependencies {
            output: out,
            parents,
            via,
        }
    }
}

/// What an output depends on: every node's parents, and for each node
/// the output needs, the child through which it first found it.
pub(crate) struct Dependencies<F> {
    output: usize,
    /// Per node up to the output: its `(parent, ∂node/∂parent)` edges.
    pub(crate) parents: Vec<Vec<(usize, F)>>,
    via: Vec<Option<usize>>,
}

impl<F> Dependencies<F> {
    /// Whether the output depends on `node`.
    pub(crate) fn needs(&self, node: usize) -> bool {
        node == self.output || self.via[node].is_some()
    }

    /// The child through which the output reached `node`.
    pub(crate) fn via(&self, node: usize) -> Option<usize> {
        self.via[node]
    }
}
