//! What an output depends on, walked back from it over the tape's edges.

use num_traits::Float;

use crate::Tape;

impl<F: Float> Tape<F> {
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
