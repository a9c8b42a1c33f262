//! The tape: a Wengert list of recorded nodes.

use core::cell::RefCell;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use num_traits::Float;

use crate::Var;
use crate::ops::Block;
use crate::trace::{Anomaly, Trace, Traced};

/// Marks, in a node's second parent, a node of more than two parents:
/// its edges are in the tape's n-ary table, from the first parent's index,
/// as many as the second parent's [`COUNT`] bits say.
const WIDE: u32 = 1 << 31;

/// The bits of a wide node's second parent that count its edges.
const COUNT: u32 = BLOCK - 1;

/// Marks, beside [`WIDE`], the node of a block op ([`crate::block`]): its
/// first parent indexes the tape's blocks, which hold the op, its inputs'
/// nodes and values and its outputs' values; its outputs are the nodes
/// right after it, each with the block as its one parent (partial zero:
/// the block's backward pass reads their gradients itself).
const BLOCK: u32 = 1 << 30;

/// A recorded block op: the op, its inputs' nodes (the sink for a
/// constant) and values, its outputs' values, and its first output's node.
struct BlockRecord<F> {
    op: Box<dyn Block<F>>,
    inputs: Vec<u32>,
    x: Vec<F>,
    y: Vec<F>,
    first_output: u32,
}

impl<F: Float> BlockRecord<F> {
    /// Adds `Jᵀ·ȳ` into the inputs' adjoints, `ȳ` read from the outputs'
    /// adjoints; nothing if every `ȳ` is zero, whose true contribution is
    /// zero (as a node with a zero adjoint passes nothing through a partial
    /// that is not finite).
    fn pass(&self, adjoints: &mut [F]) {
        // Outputs after the sweep's own output have no adjoint: zero.
        let first = self.first_output as usize;
        let mut y_bar = vec![F::zero(); self.y.len()];
        let known = adjoints
            .len()
            .min(first + y_bar.len())
            .saturating_sub(first);
        y_bar[..known].copy_from_slice(&adjoints[first..first + known]);
        if y_bar.iter().all(|g| g.is_zero()) {
            return;
        }
        let mut x_bar = vec![F::zero(); self.x.len()];
        self.op.vjp(&self.x, &self.y, &y_bar, &mut x_bar);
        for (&input, &g) in self.inputs.iter().zip(&x_bar) {
            let adjoint = &mut adjoints[input as usize];
            *adjoint = *adjoint + g;
        }
    }

    /// The inputs that output `output` depends on, by the op's word.
    fn parents_of(&self, output: usize) -> impl Iterator<Item = u32> + '_ {
        let n = self.inputs.len();
        let inputs = self.inputs.iter().enumerate();
        inputs
            .filter(move |&(i, &p)| p != SINK && self.op.depends(n, output, i))
            .map(|(_, &p)| p)
    }
}

/// What a tape says when it holds as many nodes (2³¹) or n-ary edges (2³²)
/// as it can index, or one node has more edges (2³⁰) than it can count.
const FULL: &str = "tapegrad: the tape is full (2^31 nodes, 2^32 edges of n-ary ops, \
     or 2^30 edges in one node); clear it between steps";

/// Node 0 is a sink: an input's parent, and a unary node's second one, so
/// every node has two parents and the sweep needs no special case for
/// inputs. Nothing ever reads the sink's gradient.
const SINK: u32 = 0;

/// A recorded node of one or two parents with `∂node/∂parent` for each,
/// in 24 bytes for `f64`: one record to write and one to read back. A unary
/// node's second parent is the [`SINK`]; a node of more parents keeps its
/// edges in the tape's n-ary table (see [`WIDE`]).
#[derive(Clone, Copy)]
struct Node<F> {
    parents: [u32; 2],
    partials: [F; 2],
}

impl<F: Float> Node<F> {
    /// An input, or the sink: no parent but the sink.
    fn input() -> Self {
        Node {
            parents: [SINK; 2],
            partials: [F::zero(); 2],
        }
    }

    /// The index of the node's block among the tape's, if it is a block
    /// op's node (see [`BLOCK`]).
    fn block(&self) -> Option<usize> {
        let [index, wide] = self.parents;
        (wide & (WIDE | BLOCK) == WIDE | BLOCK).then_some(index as usize)
    }

    /// The node's edges, `(parents, ∂node/∂parent)` in the order they were
    /// recorded: its own, or those in the n-ary table `(parents, partials)`.
    /// The one decoder of a node, for the sweep, the walks and the counts;
    /// an input's edge goes to the sink, and a block's node has none (its
    /// outputs name its inputs).
    #[inline(always)]
    fn edges<'a>(&'a self, table: (&'a [u32], &'a [F])) -> (&'a [u32], &'a [F]) {
        match self.parents {
            [start, wide] if wide & WIDE != 0 => {
                let own = start as usize..start as usize + (wide & COUNT) as usize;
                (&table.0[own.clone()], &table.1[own])
            }
            [_, SINK] => (&self.parents[..1], &self.partials[..1]),
            _ => (&self.parents, &self.partials),
        }
    }

    /// Adds `partial × incoming` into each parent's adjoint, the edges last
    /// to first as they were recorded; `finite_only` skips the partials
    /// that are not finite. A block's node runs its op's backward pass.
    ///
    /// A node of one parent returns the product for it instead of adding it,
    /// if that parent is `next`, the node recorded just before: the sweep
    /// adds it when it gets there, after every product passed to it before,
    /// as the store would have been. (Checking two parents cost more than it
    /// saved.)
    #[inline(always)]
    fn pass(
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
        match self.parents {
            [block, wide] if wide & BLOCK != 0 => blocks[block as usize].pass(adjoints),
            [_, wide] if wide & WIDE != 0 => {
                let (parents, partials) = self.edges(table);
                for (&parent, &partial) in parents.iter().zip(partials).rev() {
                    add(&mut adjoints[parent as usize], partial);
                }
            }
            [a, SINK] => {
                let partial = self.partials[0];
                if a as usize == next && (!finite_only || partial.is_finite()) {
                    return Some(partial * incoming);
                }
                add(&mut adjoints[a as usize], partial);
            }
            [a, b] => {
                add(&mut adjoints[b as usize], self.partials[1]);
                add(&mut adjoints[a as usize], self.partials[0]);
            }
        }
        None
    }
}

/// The mark of `node` among `marks`, which are in recording order.
fn find_mark<F>(marks: &[Logistic<F>], node: u32) -> Option<usize> {
    // Usually the sigmoid was recorded just before its `ln` or `1 - s`.
    match marks.last() {
        Some(last) if last.node == node => Some(marks.len() - 1),
        _ => marks.binary_search_by_key(&node, |m| m.node).ok(),
    }
}

/// Hands out a fresh identity for every tape and every `clear`.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Which tape, and which of its recordings between two `clear`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Recording {
    pub(crate) tape: u64,
    pub(crate) generation: u64,
}

/// A Wengert list: the record of every operation on its variables.
///
/// Each operation on a [`Var`] appends one node that stores its parents and
/// its local derivative with respect to each of them, `∂node/∂parent`,
/// computed when it is recorded. [`Var::backward`] then walks the nodes once,
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
    id: Recording,
    inner: RefCell<Inner<F>>,
}

struct Inner<F> {
    /// Every node, indexed by its number; node 0 is the sink.
    nodes: Vec<Node<F>>,
    /// The edges of the nodes of more than two parents: each parent's node
    /// index, and `∂node/∂parent`.
    parents: Vec<u32>,
    partials: Vec<F>,
    /// How many of the first nodes are all inputs: the backward sweep
    /// stops above them, since their only edges go to the sink.
    inputs: u32,
    /// The nodes that are a sigmoid of another node, in recording order.
    logistic: Vec<Logistic<F>>,
    /// Each node's op, value and location, if the tape is traced or checked.
    trace: Option<Trace<F>>,
    /// A buffer n-ary ops lend between calls, so that a training loop
    /// does not allocate.
    scratch: Vec<F>,
    /// The block ops, in recording order.
    blocks: Vec<BlockRecord<F>>,
}

/// Records that a node's value is `σ(u)` with `u = ±pre`, so that its `ln`
/// can be computed from `u` in a stable form.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Logistic<F> {
    pub(crate) node: u32,
    pub(crate) pre: u32,
    pub(crate) u: F,
    /// `du/dpre`: `1` for `pre.sigmoid()`, `-1` for `1 - pre.sigmoid()`.
    pub(crate) sign: F,
    /// For `1 - s`, the sigmoid `s` it complements.
    pub(crate) complement_of: Option<u32>,
    /// The first stable `ln` node that bypasses this one, if any.
    pub(crate) fused_at: Option<u32>,
}

impl<F: Float> Inner<F> {
    /// The block whose output `node` is, and which of its outputs, if it
    /// is one.
    fn output_of(&self, node: usize) -> Option<(&BlockRecord<F>, usize)> {
        let [parent, SINK] = self.nodes[node].parents else {
            return None;
        };
        let block = &self.blocks[self.nodes[parent as usize].block()?];
        Some((block, node - parent as usize - 1))
    }

    /// Counts `n` inputs recorded from node `first` on among the leading
    /// inputs, if only inputs came before them.
    fn count_inputs(&mut self, first: u32, n: u32) {
        if first == self.inputs + 1 {
            self.inputs += n;
        }
    }

    fn new() -> Self {
        Inner {
            nodes: vec![Node::input()],
            parents: Vec::new(),
            partials: Vec::new(),
            inputs: 0,
            logistic: Vec::new(),
            trace: None,
            scratch: Vec::new(),
            blocks: Vec::new(),
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

    /// An empty tape that also remembers each node's operation and value,
    /// so that [`to_dot`](Tape::to_dot) can draw the graph.
    ///
    /// Tracing costs memory and a little time per node; a plain tape
    /// records exactly the same gradients.
    ///
    /// ```
    /// let tape = tapegrad::Tape::traced();
    /// let x = tape.var(2.0);
    /// let y = x.ln();
    /// let dot = tape.to_dot(&y, None)?;
    /// assert!(dot.contains("ln"));
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    pub fn traced() -> Self {
        let tape = Self::default();
        tape.inner.borrow_mut().trace = Some(Trace::new(false));
        tape
    }

    /// An empty tape in checked mode: traced, and watching every node it
    /// records for the first number that is not finite, a value or a local
    /// derivative, and for custom ops whose declared derivatives disagree
    /// with central differences.
    ///
    /// [`Var::backward_checked`] then reports the first such problem in the
    /// output's computation as an error naming the op, the line that
    /// recorded it and the ops that led there; [`Tape::check`] reports the
    /// first on the whole tape. A plain tape does none of this and pays
    /// nothing for it.
    ///
    /// ```
    /// use tapegrad::{Error, Tape};
    ///
    /// let tape = Tape::checked();
    /// let x = tape.var(-1.0);
    /// let y = (x * 2.0).sqrt() + 1.0; // √(−2) is NaN
    /// match y.backward_checked() {
    ///     Err(Error::NonFinite { op, chain, .. }) => {
    ///         assert_eq!(op, "sqrt");
    ///         assert_eq!(chain, ["input", "mul", "sqrt"]);
    ///     }
    ///     other => panic!("expected a NaN to be reported, got {other:?}"),
    /// }
    /// ```
    pub fn checked() -> Self {
        let tape = Self::default();
        tape.inner.borrow_mut().trace = Some(Trace::new(true));
        tape
    }

    /// Whether the tape is in checked mode (see [`checked`](Tape::checked)).
    pub fn is_checked(&self) -> bool {
        self.inner
            .borrow()
            .trace
            .as_ref()
            .is_some_and(|t| t.checked)
    }

    /// Whether the tape remembers each node's operation and value
    /// (see [`traced`](Tape::traced)).
    pub fn is_traced(&self) -> bool {
        self.inner.borrow().trace.is_some()
    }

    /// Records an input: a variable with no parents.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(3.0);
    /// assert_eq!(x.value(), 3.0);
    /// assert_eq!(tape.len(), 1);
    /// ```
    #[track_caller]
    pub fn var(&self, value: F) -> Var<'_, F> {
        let x = self.record_node("input", Node::input(), value);
        self.inner.borrow_mut().count_inputs(x.node(), 1);
        x
    }

    /// Records one input per value, in order.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let theta = tape.vars(&[1.0, 2.0, 3.0]);
    /// let total = tapegrad::sum(&theta);
    /// assert_eq!(total.backward().wrt_all(&theta), [1.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn vars(&self, values: &[F]) -> Vec<Var<'_, F>> {
        let mut vars = Vec::with_capacity(values.len());
        if self.is_traced() {
            // A loop, not a closure: `#[track_caller]` passes through the
            // one and not the other, and a checked tape names the caller's
            // line.
            for &v in values {
                vars.push(self.var(v));
            }
            return vars;
        }
        // In bulk.
        let mut inner = self.inner.borrow_mut();
        let first = inner.nodes.len() as u32;
        let n = u32::try_from(values.len())
            .ok()
            .filter(|&n| n <= WIDE - first);
        let n = n.unwrap_or_else(|| panic!("{FULL}"));
        inner.count_inputs(first, n);
        inner
            .nodes
            .extend(core::iter::repeat_n(Node::input(), values.len()));
        vars.extend(
            (first..first + n)
                .zip(values)
                .map(|(node, &v)| Var::recorded(self, node, v)),
        );
        vars
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
        let edges = |n: &Node<F>| match n.block() {
            Some(block) => inner.blocks[block].inputs.len(),
            None => n.edges(table).0.len(),
        };
        inner.nodes[1..].iter().map(edges).sum()
    }

    /// How many nodes of up to two parents the tape can hold before it
    /// reallocates.
    pub fn capacity(&self) -> usize {
        self.inner.borrow().nodes.capacity() - 1
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
        inner.logistic.clear();
        inner.blocks.clear();
        if let Some(trace) = &mut inner.trace {
            trace.clear();
        }
        inner.inputs = 0;
        self.id.generation = fresh_id();
    }

    pub(crate) fn id(&self) -> Recording {
        self.id
    }

    /// Appends a node with `value` and its `(parent, ∂node/∂parent)` edges.
    ///
    /// Every caller passes at least one edge: a node whose parents are all
    /// constants is itself a constant and is not recorded.
    #[inline]
    #[track_caller]
    pub(crate) fn record<I>(&self, op: &'static str, value: F, edges: I) -> Var<'_, F>
    where
        I: IntoIterator<Item = (u32, F)>,
    {
        let mut edges = edges.into_iter();
        let Some((a, da)) = edges.next() else {
            unreachable!("a node must have at least one edge");
        };
        match (edges.next(), edges.next()) {
            (None, _) => self.unary(op, value, a, da),
            (Some((b, db)), None) => self.binary(op, value, [a, b], [da, db]),
            (Some(second), Some(third)) => self.record_with(op, |out| {
                for (parent, partial) in [(a, da), second, third].into_iter().chain(edges) {
                    out.push(parent, partial);
                }
                value
            }),
        }
    }

    /// Appends a node of one parent.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn unary(&self, op: &'static str, value: F, parent: u32, d: F) -> Var<'_, F> {
        let node = Node {
            parents: [parent, SINK],
            partials: [d, F::zero()],
        };
        self.record_node(op, node, value)
    }

    /// Appends a node of two parents.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn binary(
        &self,
        op: &'static str,
        value: F,
        parents: [u32; 2],
        partials: [F; 2],
    ) -> Var<'_, F> {
        self.record_node(op, Node { parents, partials }, value)
    }

    #[inline(always)]
    #[track_caller]
    fn record_node(&self, op: &'static str, record: Node<F>, value: F) -> Var<'_, F> {
        let caller = core::panic::Location::caller();
        self.push_node(&mut self.inner.borrow_mut(), op, record, value, caller)
    }

    /// [`record_node`](Tape::record_node) with the tape already borrowed;
    /// a traced tape names `caller` as the line that recorded the node.
    #[inline(always)]
    fn push_node(
        &self,
        inner: &mut Inner<F>,
        op: &'static str,
        record: Node<F>,
        value: F,
        caller: &'static core::panic::Location<'static>,
    ) -> Var<'_, F> {
        let node = inner.nodes.len();
        assert!(node < WIDE as usize, "{FULL}");
        inner.nodes.push(record);
        let node = node as u32;
        if inner.trace.is_some() {
            trace_node(inner, op, node, value, caller);
        }
        Var::recorded(self, node, value)
    }

    /// Appends a node whose edges `write` pushes, and whose value it returns:
    /// one pass for an n-ary node, whose edges go to the n-ary table. `write`
    /// must not record on this tape (it is borrowed); if it panics, the
    /// edges it pushed stay in the table, where no node points to them.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_with(
        &self,
        op: &'static str,
        write: impl FnOnce(&mut Edges<'_, F>) -> F,
    ) -> Var<'_, F> {
        let var = self.try_record_with(op, |edges| Some(write(edges)));
        var.unwrap_or_else(|| unreachable!("the writer always gives a value"))
    }

    /// [`record_with`](Tape::record_with), for a writer that may find,
    /// while it writes, that it cannot record the node: if it returns
    /// `None`, the edges it pushed are taken back and nothing is recorded.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn try_record_with(
        &self,
        op: &'static str,
        write: impl FnOnce(&mut Edges<'_, F>) -> Option<F>,
    ) -> Option<Var<'_, F>> {
        let mut inner = self.inner.borrow_mut();
        let start = inner.parents.len();
        let mut edges = Edges { inner: &mut inner };
        let Some(value) = write(&mut edges) else {
            inner.parents.truncate(start);
            inner.partials.truncate(start);
            return None;
        };
        let count = inner.parents.len() - start;
        debug_assert!(count > 0, "a node must have at least one edge");
        let wide = u32::try_from(start)
            .ok()
            .zip(u32::try_from(count).ok().filter(|&n| n <= COUNT));
        let (start, count) = wide.unwrap_or_else(|| panic!("{FULL}"));
        let record = Node {
            parents: [start, WIDE | count],
            partials: [F::zero(); 2],
        };
        let caller = core::panic::Location::caller();
        Some(self.push_node(&mut inner, op, record, value, caller))
    }

    /// Records the block op `op` of the inputs `x` (on this tape, or
    /// constants), whose values are `values`, and its outputs `y`: the
    /// block's node, then a node per output.
    #[track_caller]
    pub(crate) fn record_block(
        &self,
        op: Box<dyn Block<F>>,
        x: &[Var<'_, F>],
        values: Vec<F>,
        y: Vec<F>,
    ) -> Vec<Var<'_, F>> {
        let caller = core::panic::Location::caller();
        let mut inner = self.inner.borrow_mut();
        let index = u32::try_from(inner.blocks.len()).unwrap_or_else(|_| panic!("{FULL}"));
        let name = op.name();
        let record = Node {
            parents: [index, WIDE | BLOCK],
            partials: [F::zero(); 2],
        };
        let block = self
            .push_node(&mut inner, name, record, F::zero(), caller)
            .node();
        let inputs = x
            .iter()
            .map(|x| if x.is_constant() { SINK } else { x.node() });
        let outputs: Vec<Var<'_, F>> = y
            .iter()
            .map(|&value| {
                let record = Node {
                    parents: [block, SINK],
                    partials: [F::zero(); 2],
                };
                self.push_node(&mut inner, name, record, value, caller)
            })
            .collect();
        inner.blocks.push(BlockRecord {
            op,
            inputs: inputs.collect(),
            x: values,
            y,
            first_output: block + 1,
        });
        outputs
    }

    /// Names `caller` as the line of the nodes a traced tape records from
    /// now on, instead of each op's caller, until it is set to `None`.
    pub(crate) fn trace_as(&self, caller: Option<&'static core::panic::Location<'static>>) {
        if let Some(trace) = &mut self.inner.borrow_mut().trace {
            trace.caller = caller;
        }
    }

    /// Lends the tape's scratch buffer, empty if it is already lent.
    pub(crate) fn take_scratch(&self) -> Vec<F> {
        core::mem::take(&mut self.inner.borrow_mut().scratch)
    }

    /// Gives the scratch buffer back.
    pub(crate) fn return_scratch(&self, buffer: Vec<F>) {
        self.inner.borrow_mut().scratch = buffer;
    }

    /// Remembers that a node is a sigmoid, for [`Tape::logistic`].
    pub(crate) fn mark_logistic(&self, mark: Logistic<F>) {
        self.inner.borrow_mut().logistic.push(mark);
    }

    /// The sigmoid that `node` is, if it is one.
    pub(crate) fn logistic(&self, node: u32) -> Option<Logistic<F>> {
        let inner = self.inner.borrow();
        find_mark(&inner.logistic, node).map(|i| inner.logistic[i])
    }

    /// Notes that the stable `ln` node `at` bypasses the sigmoid `node` (and,
    /// for `1 - s`, the `s` it complements): their gradients no longer see
    /// that path.
    pub(crate) fn fuse(&self, node: u32, at: u32) {
        let mut inner = self.inner.borrow_mut();
        let mut next = Some(node);
        while let Some(i) = next.and_then(|n| find_mark(&inner.logistic, n)) {
            let mark = &mut inner.logistic[i];
            mark.fused_at = Some(mark.fused_at.map_or(at, |first| first.min(at)));
            next = mark.complement_of;
        }
    }

    /// Whether any node is a sigmoid (that a stable `ln` may bypass).
    pub(crate) fn has_logistic(&self) -> bool {
        !self.inner.borrow().logistic.is_empty()
    }

    /// Whether a stable `ln` recorded at or before `output` bypasses `node`.
    pub(crate) fn bypassed(&self, node: u32, output: u32) -> bool {
        self.logistic(node)
            .and_then(|mark| mark.fused_at)
            .is_some_and(|at| at <= output)
    }

    /// What a traced tape remembers of each node after the sink.
    pub(crate) fn trace(&self) -> Option<Vec<Traced<F>>> {
        self.inner.borrow().trace.as_ref().map(|t| t.nodes.clone())
    }

    /// The anomalies a checked tape found, `None` for an unchecked tape.
    pub(crate) fn anomalies(&self) -> Option<Vec<(u32, Anomaly<F>)>> {
        let inner = self.inner.borrow();
        inner
            .trace
            .as_ref()
            .filter(|t| t.checked)
            .map(|t| t.anomalies.clone())
    }

    /// Whether a checked tape should check the custom op called at
    /// `location`: the first time only, for each call site.
    pub(crate) fn first_call_of_checked(
        &self,
        location: &'static core::panic::Location<'static>,
    ) -> bool {
        let mut inner = self.inner.borrow_mut();
        match &mut inner.trace {
            Some(trace) if trace.checked && !trace.verified.contains(&location) => {
                trace.verified.push(location);
                true
            }
            _ => false,
        }
    }

    /// Notes that the custom op at `node` declared a wrong partial.
    pub(crate) fn report_custom(&self, node: u32, argument: usize, declared: F, numeric: F) {
        if let Some(trace) = &mut self.inner.borrow_mut().trace {
            let anomaly = Anomaly::CustomPartial {
                argument,
                declared,
                numeric,
            };
            let at = trace.anomalies.partition_point(|&(n, _)| n < node);
            trace.anomalies.insert(at, (node, anomaly));
        }
    }

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

    /// Whether `node` is an output of a block op, whose edges have no
    /// partials of their own (the op's backward pass is code).
    pub(crate) fn is_block_output(&self, node: usize) -> bool {
        self.inner.borrow().output_of(node).is_some()
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
    /// the next in the sweep, stays in a register ([`Node::pass`]'s carry)
    /// instead of going through memory: in a chain of ops, each node's
    /// adjoint is the last one's product, and a store and a load would sit
    /// between them.
    pub(crate) fn sweep(&self, output: u32, adjoints: &mut [F]) {
        let inner = self.inner.borrow();
        let table = (&inner.parents[..], &inner.partials[..]);
        let nodes = &inner.nodes[..=output as usize];
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
            let blocks = &inner.blocks[..];
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
}

/// Remembers the node just recorded, `node`, on a traced tape: out of
/// line, so that a plain tape's recording stays small.
#[cold]
#[inline(never)]
fn trace_node<F: Float>(
    inner: &mut Inner<F>,
    op: &'static str,
    node: u32,
    value: F,
    caller: &'static core::panic::Location<'static>,
) {
    let named = inner.trace.as_ref().and_then(|t| t.caller);
    let traced = Traced {
        op,
        value,
        location: named.unwrap_or(caller),
    };
    let record = inner.nodes[node as usize];
    let Inner {
        trace: Some(trace),
        parents,
        partials,
        ..
    } = inner
    else {
        return;
    };
    let (parents, partials) = record.edges((parents, partials));
    let parents = parents.iter().map(|&p| p as usize);
    trace.record(node, traced, parents, partials);
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

/// The edges of the n-ary node being recorded.
pub(crate) struct Edges<'a, F> {
    inner: &'a mut Inner<F>,
}

impl<F> Edges<'_, F> {
    /// Adds the edge to `parent` with `partial = ∂node/∂parent`.
    #[inline]
    pub(crate) fn push(&mut self, parent: u32, partial: F) {
        self.inner.parents.push(parent);
        self.inner.partials.push(partial);
    }

    /// Adds `n` edges, whose parents and partials `write` fills in place;
    /// what `write` returns.
    #[inline]
    pub(crate) fn fill<R>(&mut self, n: usize, write: impl FnOnce(&mut [u32], &mut [F]) -> R) -> R
    where
        F: Float,
    {
        let start = self.inner.parents.len();
        self.inner.parents.resize(start + n, SINK);
        self.inner.partials.resize(start + n, F::zero());
        write(
            &mut self.inner.parents[start..],
            &mut self.inner.partials[start..],
        )
    }

    /// Adds an edge to each of `parents` with the `partials` in order, in
    /// bulk: both iterators must have the same, exact length.
    #[inline]
    pub(crate) fn extend(
        &mut self,
        parents: impl ExactSizeIterator<Item = u32>,
        partials: impl ExactSizeIterator<Item = F>,
    ) {
        debug_assert_eq!(parents.len(), partials.len());
        self.inner.parents.extend(parents);
        self.inner.partials.extend(partials);
    }
}

/// An empty tape of any float type: `Tape::<f32>::default()`, or
/// `Tape::<F>::default()` in generic code.
impl<F: Float> Default for Tape<F> {
    fn default() -> Self {
        Tape {
            id: Recording {
                tape: fresh_id(),
                generation: fresh_id(),
            },
            inner: RefCell::new(Inner::new()),
        }
    }
}

/// Shows the tape's size and allocation, so a tape that grows without bound
/// across training steps is easy to notice.
impl<F: Float> fmt::Debug for Tape<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tape")
            .field("len", &self.len())
            .field("edges", &self.edges())
            .field("capacity", &self.capacity())
            .finish()
    }
}
