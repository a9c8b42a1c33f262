//! The tape: a Wengert list of recorded nodes. `node` says how a node is
//! stored, `record` appends them, `sweep` walks them back; `block` keeps
//! block ops, `bypass` what a stable `ln` of a sigmoid needs, `trace` what a
//! traced tape remembers of each node (and the [`Recorder`] a recorded
//! function listens through), and `walk` the graph for checked mode and
//! pictures. The tape knows node shapes, never ops, and nothing of the
//! floors above it (`tests/floors.rs`).

mod block;
mod bypass;
mod node;
mod record;
mod sweep;
mod trace;
mod walk;

use core::cell::RefCell;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use num_traits::Float;

use block::BlockRecord;
pub(crate) use bypass::Sigmoid;
use node::{FULL, Node, WIDE};
pub(crate) use node::{Kind, SINK, kind_of};
pub(crate) use record::{Access, Edges, PartialsMut, wide};
pub(crate) use trace::{Anomaly, Caller, Note, Recorder, Trace, Traced};

/// Hands out a fresh identity for every tape and every `clear`.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The bit of a recording's identity that marks the recording of a
/// `Function`: an `Active` sees it in its own identity, without a load, and
/// takes the path that keeps how to compute each node again.
pub(crate) const PROGRAM: u32 = 1 << 31;

/// A recording's identity: 32 bits, so that an `Active` is its value and one
/// integer (node and recording), which calls pass in two registers. Counted
/// in 31 bits (the 32nd is [`PROGRAM`]), it repeats only after 2³¹
/// recordings, and a stale variable is accepted only if its first use after
/// its recording ends falls on exactly such a repeat; every other use panics.
/// Never 0, the identity of no recording.
fn fresh_generation(program: bool) -> u32 {
    loop {
        // Truncation is the point: the low 31 bits of a process-wide count.
        let generation = fresh_id() as u32 & !PROGRAM;
        if generation != 0 {
            return generation | if program { PROGRAM } else { 0 };
        }
    }
}

/// Which tape, and which of its recordings between two `clear`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordingId {
    pub(crate) tape: u64,
    pub(crate) generation: u32,
}

/// A Wengert list: the record of every operation on its variables.
///
/// Each operation on a [`Var`](crate::Var) appends one node that stores its parents and
/// its local derivative with respect to each of them, `∂node/∂parent`,
/// computed when it is recorded. [`Var::backward`](crate::Var::backward) then walks the nodes once,
/// in reverse, to produce the gradient with respect to every input.
///
/// Recording takes `&self`, so any number of variables can borrow one tape;
/// [`clear`](Tape::clear) takes `&mut self`, so no variable survives it.
///
/// ```
/// use tapegrad::Tape;
///
/// let mut tape = Tape::new();
/// for step in 0..3 {
///     let x = tape.var(step as f64);
///     let y = x * x;
///     assert_eq!(y.backward().wrt(&x), 2.0 * step as f64);
///     tape.clear(); // keeps the allocation for the next step
/// }
/// ```
pub struct Tape<F: Float = f64> {
    /// Unique per tape, and per recording (renewed by `clear`): gradients
    /// remember both, to refuse variables of another tape or recording.
    id: RecordingId,
    inner: RefCell<Inner<F>>,
}

pub(crate) struct Inner<F> {
    /// How many of the first nodes are all inputs: the backward sweep
    /// stops above them, since their only edges go to the sink.
    inputs: u32,
    /// Every node, indexed by its number; node 0 is the sink.
    nodes: Vec<Node<F>>,
    /// The edges of the nodes of more than two parents: each parent's node
    /// index, and `∂node/∂parent`.
    parents: Vec<u32>,
    partials: Vec<F>,
    /// The nodes that are sigmoids, in order, for a stable `ln` of them.
    sigmoids: Vec<bypass::Sigmoid<F>>,
    /// The nodes a stable `ln` of a sigmoid bypassed, and the `ln`'s node.
    bypassed: Vec<(u32, u32)>,
    /// Each node's op, value and location, if the tape is traced or checked.
    trace: Option<Trace<F>>,
    /// A buffer n-ary ops lend between calls, so that a training loop
    /// does not allocate.
    scratch: Vec<F>,
    /// The block ops, in recording order.
    blocks: Vec<BlockRecord<F>>,
    /// The bytes the block ops' own buffers hold.
    block_bytes: usize,
}

impl<F: Float> Inner<F> {
    /// An empty recording: the sink alone, or for a placeholder nothing.
    fn new(sink: bool) -> Self {
        Inner {
            inputs: 0,
            nodes: if sink {
                vec![Node::input()]
            } else {
                Vec::new()
            },
            parents: Vec::new(),
            partials: Vec::new(),
            sigmoids: Vec::new(),
            bypassed: Vec::new(),
            trace: None,
            scratch: Vec::new(),
            blocks: Vec::new(),
            block_bytes: 0,
        }
    }
}

impl Tape<f64> {
    /// An empty tape of `f64` variables, as most code wants.
    ///
    /// For another float type, or in code generic over `F`, use
    /// [`Tape::<F>::default()`](Tape::default), as `HashMap::new()` is for
    /// the default hasher and `HashMap::default()` for any.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(2.0);
    /// let y = 3.0 / x;
    /// assert_eq!(y.backward().wrt(&x), -0.75); // d/dx 3/x = −3/x²
    ///
    /// let tape32 = tapegrad::Tape::<f32>::default();
    /// assert_eq!(tape32.var(2.0).value(), 2.0f32);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty `f64` tape with room for `nodes` nodes of up to two parents
    /// each before it reallocates; [`reserve`](Tape::reserve) does the same
    /// for a tape of any float type.
    pub fn with_capacity(nodes: usize) -> Self {
        let tape = Self::new();
        tape.reserve(nodes);
        tape
    }
}

impl<F: Float> Tape<F> {
    /// Makes room for at least `nodes` more nodes of up to two parents each
    /// before the tape reallocates, as [`Vec::reserve`].
    pub fn reserve(&self, nodes: usize) {
        self.inner.borrow_mut().nodes.reserve(nodes);
    }

    /// Records an input for each of `values` as recorded at `caller`; the
    /// first one's node, the others' follow it.
    pub(crate) fn inputs_at(&self, values: &[F], caller: Caller) -> u32 {
        let mut inner = self.inner.borrow_mut();
        let first = inner.nodes.len() as u32;
        let n = u32::try_from(values.len())
            .ok()
            .filter(|&n| n <= WIDE - first);
        let n = n.unwrap_or_else(|| panic!("{FULL}"));
        if inner.trace.is_some() {
            for &v in values {
                Self::push_node(&mut inner, "input", Node::input(), v, caller);
            }
        } else {
            inner
                .nodes
                .extend(core::iter::repeat_n(Node::input(), values.len()));
        }
        if first == inner.inputs + 1 {
            inner.inputs += n; // only inputs before them
        }
        first
    }

    /// The number of nodes recorded: inputs and operations.
    pub fn len(&self) -> usize {
        self.inner.borrow().nodes.len() - 1
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of edges (parent links) recorded, counting one per
    /// input; counted in a pass over the nodes.
    ///
    /// A node of one or two parents takes `8 + 2 × size_of::<F>()` bytes (24
    /// for `f64`), a node of more parents that and `4 + size_of::<F>()` per
    /// edge.
    pub fn edges(&self) -> usize {
        let inner = self.inner.borrow();
        let table = (&inner.parents[..], &inner.partials[..]);
        let edges = |n: &Node<F>| match n.kind() {
            node::Kind::Block(block) => inner.blocks[block].inputs.len(),
            _ => n.edges(table).0.len(),
        };
        inner.nodes[1..].iter().map(edges).sum()
    }

    /// How many nodes of up to two parents the tape can hold before it
    /// reallocates.
    pub fn capacity(&self) -> usize {
        self.inner.borrow().nodes.capacity() - 1
    }

    /// The bytes the tape's buffers hold, their unused capacity included:
    /// what a tape costs in memory, which [`clear`](Tape::clear) keeps for
    /// the next step. Counted from the buffers' sizes, in the same time
    /// however long the tape is.
    ///
    /// ```
    /// let tape = tapegrad::Tape::with_capacity(1000);
    /// assert!(tape.allocated_bytes() >= 1000 * 24); // 24 bytes a node in f64
    /// ```
    pub fn allocated_bytes(&self) -> usize {
        use core::mem::size_of;
        let inner = self.inner.borrow();
        inner.nodes.capacity() * size_of::<Node<F>>()
            + inner.parents.capacity() * size_of::<u32>()
            + inner.partials.capacity() * size_of::<F>()
            + inner.bypassed.capacity() * size_of::<(u32, u32)>()
            + inner.sigmoids.capacity() * size_of::<bypass::Sigmoid<F>>()
            + inner.scratch.capacity() * size_of::<F>()
            + inner.blocks.capacity() * size_of::<BlockRecord<F>>()
            + inner.block_bytes
            + inner.trace.as_ref().map_or(0, Trace::allocated_bytes)
    }

    /// Forgets every node and keeps the allocation, for the next step of a
    /// training loop.
    ///
    /// Taking `&mut self` means no variable of the old recording can still be
    /// alive, and [`Gradients`](crate::Gradients) computed before the clear
    /// refuse variables of the new recording.
    ///
    /// ```compile_fail
    /// let mut tape = tapegrad::Tape::new();
    /// let x = tape.var(1.0);
    /// tape.clear();
    /// let y = x * 2.0; // error: `x` borrows the tape that `clear` needs
    /// ```
    pub fn clear(&mut self) {
        let inner = self.inner.get_mut();
        inner.nodes.truncate(SINK as usize + 1);
        inner.parents.clear();
        inner.partials.clear();
        inner.bypassed.clear();
        inner.sigmoids.clear();
        inner.inputs = 0;
        inner.blocks.clear();
        inner.block_bytes = 0;
        if let Some(trace) = &mut inner.trace {
            trace.clear();
        }
        self.id.generation = fresh_generation(self.id.generation & PROGRAM != 0);
    }

    /// An empty tape that records a `Function`: traced, told to `recorder`,
    /// and of an identity marked [`PROGRAM`].
    pub(crate) fn for_program(recorder: Box<dyn Recorder<F>>) -> Self {
        let mut trace = Trace::new(false);
        trace.recorder = Some(recorder);
        let mut tape = Self::default().with_new_trace(trace);
        tape.id.generation = fresh_generation(true);
        tape
    }

    pub(crate) fn id(&self) -> RecordingId {
        self.id
    }

    /// A tape that allocates nothing and is never recorded on: it stands in
    /// for a tape whose storage a thread holds (see `Tape::record`).
    pub(crate) fn placeholder() -> Self {
        Tape {
            id: RecordingId {
                tape: 0,
                generation: 0,
            },
            inner: RefCell::new(Inner::new(false)),
        }
    }
}

/// An empty tape of any float type: `Tape::<f32>::default()`, or
/// `Tape::<F>::default()` in generic code.
impl<F: Float> Default for Tape<F> {
    fn default() -> Self {
        Tape {
            id: RecordingId {
                tape: fresh_id(),
                generation: fresh_generation(false),
            },
            inner: RefCell::new(Inner::new(true)),
        }
    }
}

/// Shows the tape's length, capacity and memory (none of them walks the
/// tape), so a tape that grows without bound across training steps is easy
/// to notice.
impl<F: Float> fmt::Debug for Tape<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tape")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("allocated_bytes", &self.allocated_bytes())
            .finish()
    }
}
