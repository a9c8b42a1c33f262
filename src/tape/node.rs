//! How a node is stored: one parent, two, many (in the tape's n-ary
//! table), or a block op's; the one decoder of a node's edges.

use num_traits::Float;

/// Marks, in a node's second parent, a node of more than two parents:
/// its edges are in the tape's n-ary table, from the first parent's index,
/// as many as the second parent's [`COUNT`] bits say.
pub(super) const WIDE: u32 = 1 << 31;

/// The bits of a wide node's second parent that count its edges.
pub(super) const COUNT: u32 = BLOCK - 1;

/// Marks, beside [`WIDE`], the node of a block op ([`crate::custom::block`]): its
/// first parent indexes the tape's blocks, which hold the op, its inputs'
/// nodes and values and its outputs' values; its outputs are the nodes
/// right after it, each with the block as its one parent (partial zero:
/// the block's backward pass reads their gradients itself).
pub(super) const BLOCK: u32 = 1 << 30;

/// What a tape says when it holds as many nodes (2³¹) or n-ary edges (2³²)
/// as it can index, or one node has more edges (2³⁰) than it can count.
pub(super) const FULL: &str = "tapegrad: the tape is full (2^31 nodes, 2^32 edges of n-ary ops, \
     or 2^30 edges in one node); clear it between steps";

/// Node 0 is a sink: an input's parent, and a unary node's second one, so
/// every node has two parents and the sweep needs no special case for
/// inputs. Nothing ever reads the sink's gradient.
pub(crate) const SINK: u32 = 0;

/// A recorded node of one or two parents with `∂node/∂parent` for each,
/// in 24 bytes for `f64`: one record to write and one to read back. A unary
/// node's second parent is the [`SINK`]; a node of more parents keeps its
/// edges in the tape's n-ary table (see [`WIDE`]).
#[derive(Clone, Copy)]
pub(super) struct Node<F> {
    pub(super) parents: [u32; 2],
    pub(super) partials: [F; 2],
}

impl<F: Float> Node<F> {
    /// A node of one parent (`[Some(a), None]`) or two.
    #[inline(always)]
    pub(super) fn new(parents: [Option<u32>; 2], partials: [F; 2]) -> Self {
        Node {
            parents: parents.map(|p| p.unwrap_or(SINK)),
            partials,
        }
    }

    /// An input, or the sink: no parent but the sink.
    pub(super) fn input() -> Self {
        Node {
            parents: [SINK; 2],
            partials: [F::zero(); 2],
        }
    }

    /// The index of the node's block among the tape's, if it is a block
    /// op's node (see [`BLOCK`]).
    pub(super) fn block(&self) -> Option<usize> {
        let [index, wide] = self.parents;
        (wide & (WIDE | BLOCK) == WIDE | BLOCK).then_some(index as usize)
    }

    /// The node's edges, `(parents, ∂node/∂parent)` in the order they were
    /// recorded: its own, or those in the n-ary table `(parents, partials)`.
    /// The one decoder of a node, for the sweep, the walks and the counts;
    /// an input's edge goes to the sink, and a block's node has none (its
    /// outputs name its inputs).
    #[inline(always)]
    pub(super) fn edges<'a>(&'a self, table: (&'a [u32], &'a [F])) -> (&'a [u32], &'a [F]) {
        match self.parents {
            [start, wide] if wide & WIDE != 0 => {
                let own = start as usize..start as usize + (wide & COUNT) as usize;
                (&table.0[own.clone()], &table.1[own])
            }
            [_, SINK] => (&self.parents[..1], &self.partials[..1]),
            _ => (&self.parents, &self.partials),
        }
    }
}
