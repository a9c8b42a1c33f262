//! How a node is stored: one parent, two, many (in the tape's n-ary
//! table), or a block op's; the one decoder of a node's edges.

use num_traits::Float;

/// Marks, in a node's second parent, a node of more than two parents:
/// its edges are in the tape's n-ary table, from the first parent's index,
/// as many as the second parent's [`COUNT`] bits say.
pub(super) const WIDE: u32 = 1 << 31;

/// The bits of a wide node's second parent that count its edges.
pub(super) const COUNT: u32 = BLOCK - 1;

/// Marks, beside [`WIDE`], the node of a block op (`custom::block`): its
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

/// What a node is, decoded from its parents by [`Node::kind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One parent, with the node's first partial (an input's parent is the
    /// sink).
    One(u32),
    /// Two parents, with the node's two partials.
    Two(u32, u32),
    /// Its edges in the n-ary table, at these positions.
    Wide(core::ops::Range<usize>),
    /// The node of the tape's block op of this index.
    Block(usize),
}

/// What a node of these parents is: [`Node::kind`], for a reader of a
/// layout of nodes outside the tape (a recorded function's sweep).
pub(crate) fn kind_of(parents: [u32; 2]) -> Kind {
    Node::<f32> {
        parents,
        partials: [0.0; 2],
    }
    .kind()
}

impl<F> Node<F> {
    /// What the node is: the one decoder of the encoding above.
    #[inline(always)]
    pub(super) fn kind(&self) -> Kind {
        // Nodes of one or two parents first: the sweep meets them most.
        match self.parents {
            [a, SINK] => Kind::One(a),
            [a, b] if b & WIDE == 0 => Kind::Two(a, b),
            [index, flags] if flags & BLOCK != 0 => Kind::Block(index as usize),
            [start, flags] => Kind::Wide(start as usize..start as usize + (flags & COUNT) as usize),
        }
    }
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

    /// A node of `count` edges in the n-ary table, from `start`.
    pub(super) fn wide(start: u32, count: u32) -> Self {
        assert!(count <= COUNT, "{FULL}");
        Node {
            parents: [start, WIDE | count],
            partials: [F::zero(); 2],
        }
    }

    /// The node of the tape's `index`-th block op.
    pub(super) fn block(index: u32) -> Self {
        Node {
            parents: [index, WIDE | BLOCK],
            partials: [F::zero(); 2],
        }
    }

    /// The node's edges, `(parents, ∂node/∂parent)` in the order they were
    /// recorded: its own, or those in the n-ary table `(parents, partials)`.
    /// The one decoder of a node, for the sweep, the walks and the counts;
    /// an input's edge goes to the sink, and a block's node has none (its
    /// outputs name its inputs).
    #[inline(always)]
    pub(super) fn edges<'a>(&'a self, table: (&'a [u32], &'a [F])) -> (&'a [u32], &'a [F]) {
        match self.kind() {
            Kind::Wide(own) => (&table.0[own.clone()], &table.1[own]),
            Kind::Block(_) => (&[], &[]),
            Kind::One(_) => (&self.parents[..1], &self.partials[..1]),
            Kind::Two(..) => (&self.parents, &self.partials),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoder at the encoding's edges: the largest index a parent can
    /// have, a second parent with the block bit's value but no wide bit
    /// (a node recorded after 2³⁰ others), the largest count.
    #[test]
    fn every_kind_decodes_at_its_edges() {
        let node = |parents| Node::<f64> {
            parents,
            partials: [0.0; 2],
        };
        let last = WIDE - 1;
        assert_eq!(node([last, SINK]).kind(), Kind::One(last));
        assert_eq!(node([SINK, SINK]).kind(), Kind::One(SINK));
        assert_eq!(node([last, BLOCK]).kind(), Kind::Two(last, BLOCK));
        assert_eq!(node([BLOCK + 3, last]).kind(), Kind::Two(BLOCK + 3, last));
        let most = COUNT as usize;
        assert_eq!(
            Node::<f64>::wide(last, COUNT).kind(),
            Kind::Wide(last as usize..last as usize + most)
        );
        assert_eq!(Node::<f64>::wide(0, 3).kind(), Kind::Wide(0..3));
        assert_eq!(Node::<f64>::block(last).kind(), Kind::Block(last as usize));
        assert_eq!(Node::<f64>::block(0).kind(), Kind::Block(0));
    }

    #[test]
    #[should_panic(expected = "the tape is full")]
    fn a_count_past_the_largest_is_refused() {
        let _ = Node::<f64>::wide(0, COUNT + 1);
    }
}
