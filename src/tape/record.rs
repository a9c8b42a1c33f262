//! Recording: appending a node of one parent, two or many, and what a
//! traced or checked tape remembers of each.

use core::cell::RefMut;
use core::ops::DerefMut;

use num_traits::Float;

use super::node::{FULL, Node, SINK, WIDE};
use super::trace::{Caller, Recorder, Trace, Traced};
use super::{Inner, Tape};
use crate::table::Instr;

impl<F: Float> Tape<F> {
    /// [`record_edges`](Tape::record_edges) as recorded at `caller`: the node's index.
    #[inline]
    pub(crate) fn record_at<I>(&self, op: &'static str, value: F, edges: I, caller: Caller) -> u32
    where
        I: IntoIterator<Item = (u32, F)>,
    {
        let mut edges = edges.into_iter();
        let Some((a, da)) = edges.next() else {
            unreachable!("a node must have at least one edge");
        };
        match (edges.next(), edges.next()) {
            (None, _) => self.push(op, value, [Some(a), None], [da, F::zero()], caller),
            (Some((b, db)), None) => self.push(op, value, [Some(a), Some(b)], [da, db], caller),
            (Some(second), Some(third)) => {
                let wide = self.push_wide(op, caller, |out| {
                    for (parent, partial) in [(a, da), second, third].into_iter().chain(edges) {
                        out.push(parent, partial);
                    }
                    Some(value)
                });
                wide.unwrap_or_else(|| unreachable!("the writer always gives a value"))
                    .0
            }
        }
    }

    /// Appends a node of one parent (`[parent, None]`, its second partial
    /// unread) or two, and returns its index: [`Access::record_node`] on
    /// the shared tape.
    #[inline(always)]
    pub(crate) fn push(
        &self,
        op: &'static str,
        value: F,
        parents: [Option<u32>; 2],
        partials: [F; 2],
        caller: Caller,
    ) -> u32 {
        let mut tape = self;
        tape.record_node(op, value, parents, partials, caller)
    }

    /// Appends `record` to the borrowed tape and returns its index; a
    /// traced tape names `caller` as the line that recorded the node.
    #[inline(always)]
    pub(super) fn push_node(
        inner: &mut Inner<F>,
        op: &'static str,
        record: Node<F>,
        value: F,
        caller: Caller,
    ) -> u32 {
        let node = inner.nodes.len();
        assert!(node < WIDE as usize, "{FULL}");
        inner.nodes.push(record);
        let node = node as u32;
        if inner.trace.is_some() {
            trace_node(inner, op, node, value, caller);
        }
        node
    }

    /// [`try_record_with`](Tape::try_record_with) as recorded at `caller`:
    /// the node's index and value.
    #[inline(always)]
    pub(crate) fn push_wide(
        &self,
        op: &'static str,
        caller: Caller,
        write: impl FnOnce(&mut Edges<'_, F>) -> Option<F>,
    ) -> Option<(u32, F)> {
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
        let wide = u32::try_from(start).ok().zip(u32::try_from(count).ok());
        let (start, count) = wide.unwrap_or_else(|| panic!("{FULL}"));
        let record = Node::wide(start, count);
        Some((
            Self::push_node(&mut inner, op, record, value, caller),
            value,
        ))
    }

    /// This tape, remembering what `trace` asks of every node from now on.
    pub(crate) fn with_new_trace(self, trace: Trace<F>) -> Self {
        self.inner.borrow_mut().trace = Some(trace);
        self
    }

    /// Lends the tape's scratch buffer, empty if it is already lent.
    pub(crate) fn take_scratch(&self) -> Vec<F> {
        core::mem::take(&mut self.inner.borrow_mut().scratch)
    }

    /// Gives the scratch buffer back.
    pub(crate) fn return_scratch(&self, buffer: Vec<F>) {
        self.inner.borrow_mut().scratch = buffer;
    }

    /// What listens to the recording, if this tape records a function
    /// that is evaluated again.
    #[inline(always)]
    pub(crate) fn recorder_mut(&mut self) -> Option<&mut (dyn Recorder<F> + 'static)> {
        let trace = self.inner.get_mut().trace.as_mut()?;
        trace.recorder.as_deref_mut()
    }

    /// Tells the recorder, if there is one, that the next node is computed
    /// by `instr`.
    pub(crate) fn expect(&self, instr: Instr<F>) {
        self.with_trace(|trace| {
            if let Some(recorder) = &mut trace.recorder {
                recorder.expect(instr);
            }
        });
    }

    /// A tape of nodes with these `parents` (node 0, the sink, first; a
    /// node of many parents as [`wide`] encodes it, its edges in `table`
    /// with their `partials`) and zero partials of their own, which
    /// [`partials_mut`](Tape::partials_mut) fills: a recorded function's
    /// workspace, swept as any tape.
    pub(crate) fn with_layout(
        parents: &[[u32; 2]],
        (table, partials): (&[u32], Vec<F>),
        inputs: u32,
    ) -> Self {
        let tape = Self::default();
        {
            let mut inner = tape.inner.borrow_mut();
            inner.nodes.clear();
            let zero = [F::zero(); 2];
            inner.nodes.extend(parents.iter().map(|&parents| Node {
                parents,
                partials: zero,
            }));
            inner.parents = table.to_vec();
            inner.partials = partials;
            inner.inputs = inputs;
        }
        tape
    }

    /// Every node's own partials and the n-ary table's, to write in place.
    pub(crate) fn partials_mut(&mut self) -> (PartialsMut<'_, F>, &mut [F]) {
        let inner = self.inner.get_mut();
        (PartialsMut(&mut inner.nodes), &mut inner.partials)
    }

    /// `f` of the tape's trace, if it is traced or checked: the hook of
    /// the debugging tools.
    pub(crate) fn with_trace<R>(&self, f: impl FnOnce(&mut Trace<F>) -> R) -> Option<R> {
        self.inner.borrow_mut().trace.as_mut().map(f)
    }
}

/// A tape held to record a node on: shared, and borrowed for each node (a
/// `Var`'s), or held alone (an `Active`'s, lent to the thread), which needs
/// no borrow.
pub(crate) trait Access<F: Float> {
    /// The tape's storage, borrowed for one node.
    fn inner(&mut self) -> impl DerefMut<Target = Inner<F>>;

    /// Appends a node of one parent (`[parent, None]`) or two; its index.
    #[inline(always)]
    fn record_node(
        &mut self,
        op: &'static str,
        value: F,
        parents: [Option<u32>; 2],
        partials: [F; 2],
        caller: Caller,
    ) -> u32 {
        let record = Node::new(parents, partials);
        Tape::push_node(&mut self.inner(), op, record, value, caller)
    }

    /// Appends the sigmoid `s = σ(z)` of the node `input`, of derivative
    /// `ds`, and keeps it as a sigmoid; its index.
    #[inline(always)]
    fn record_sigmoid(&mut self, s: F, input: u32, ds: F, z: F, caller: Caller) -> u32 {
        Tape::push_sigmoid(&mut self.inner(), s, input, ds, z, caller)
    }
}

impl<F: Float> Access<F> for &Tape<F> {
    #[inline(always)]
    fn inner(&mut self) -> impl DerefMut<Target = Inner<F>> {
        self.inner.borrow_mut()
    }
}

impl<F: Float> Access<F> for RefMut<'_, Tape<F>> {
    #[inline(always)]
    fn inner(&mut self) -> impl DerefMut<Target = Inner<F>> {
        self.inner.get_mut()
    }
}

/// The nodes' own partials, for [`Tape::partials_mut`].
pub(crate) struct PartialsMut<'a, F>(&'a mut [Node<F>]);

impl<F> PartialsMut<'_, F> {
    /// Node `node`'s two partials.
    #[inline(always)]
    pub(crate) fn node(&mut self, node: usize) -> &mut [F; 2] {
        &mut self.0[node].partials
    }

    /// Makes node `node`, of one or two parents, one of these: a select's
    /// node takes the branch an evaluation chose.
    pub(crate) fn set(&mut self, node: usize, parents: [u32; 2], partials: [F; 2]) {
        self.0[node] = Node { parents, partials };
    }
}

/// The parents of a node of `count` edges from `start` in the n-ary table.
pub(crate) fn wide(start: u32, count: u32) -> [u32; 2] {
    Node::<f64>::wide(start, count).parents
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
    caller: Caller,
) {
    let Inner {
        nodes,
        parents,
        partials,
        trace: Some(trace),
        ..
    } = inner
    else {
        return;
    };
    let location = trace.caller.unwrap_or(caller);
    let (parents, partials) = nodes[node as usize].edges((parents, partials));
    let parents = parents.iter().map(|&p| p as usize);
    trace.record(
        node,
        Traced {
            op,
            value,
            location,
        },
        parents,
        partials,
    );
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
