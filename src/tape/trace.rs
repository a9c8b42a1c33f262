//! What a traced or checked tape remembers beyond the gradient: each node's
//! op, value and source location, and the first non-finite numbers; and the
//! hook a recorded function listens through, [`Recorder`].

use core::any::Any;
use core::panic::Location;

use num_traits::Float;

use super::Tape;
use crate::table::{Guard, Instr, Select};

/// The line that recorded a node.
pub(crate) type Caller = &'static Location<'static>;

/// What a tape tells the recording of a function that will be evaluated
/// again (replay's program implements it; the tape knows no more of it):
/// the instruction that computes each node, each node as it is recorded,
/// and the branches and reads of values the evaluations must know of.
pub(crate) trait Recorder<F>: Send {
    /// The next node recorded is computed by `instr`.
    fn expect(&mut self, instr: Instr<F>);

    /// A node was recorded, by `op` at `location`, of `value`.
    fn recorded(&mut self, op: &'static str, value: F, location: Caller);

    /// The next node recorded is `select`, whose branch each evaluation
    /// takes again.
    fn select(&mut self, select: Select<F>);

    /// Code branched on a comparison of variables: each evaluation checks
    /// that it comes out the same.
    fn guard(&mut self, guard: Guard<F>);

    /// Code read a variable's value (`Note::Read`) or took a gradient
    /// inside the recording (`Note::Gradient`) at `location`.
    fn note(&mut self, note: Note, location: Caller);

    /// The recorder, for its owner to take back when the recording ends.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// What [`Recorder::note`] is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Note {
    /// A variable's value was read.
    Read,
    /// A gradient was taken of the function's own variables.
    Gradient,
}

/// What a traced tape remembers of a node.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Traced<F> {
    pub(crate) op: &'static str,
    pub(crate) value: F,
    pub(crate) location: &'static Location<'static>,
}

/// Something a checked tape noticed while recording a node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Anomaly<F> {
    /// The value is not finite, though every parent's is.
    Value(F),
    /// The partial with respect to the `edge`-th parent is not finite, though
    /// every parent's value is.
    Partial { edge: usize, partial: F },
    /// A custom op's declared partial disagrees with central differences.
    CustomPartial {
        argument: usize,
        declared: F,
        numeric: F,
    },
}

/// The per-node record of a traced tape, and a checked tape's findings.
pub(crate) struct Trace<F> {
    /// Per node after the sink.
    pub(crate) nodes: Vec<Traced<F>>,
    /// Whether to look for anomalies while recording.
    pub(crate) checked: bool,
    /// `(node, anomaly)`, in recording order: only where a problem starts,
    /// not every node that a NaN flows into.
    pub(crate) anomalies: Vec<(u32, Anomaly<F>)>,
    /// The call sites of custom ops whose partials were checked already.
    pub(crate) verified: Vec<&'static Location<'static>>,
    /// The line to name for the nodes being recorded, instead of the
    /// recording op's caller: set while an iterator (`nn::dense`)
    /// records, whose `next` cannot pass its own caller's line on.
    pub(crate) caller: Option<&'static Location<'static>>,
    /// What listens, if the tape records a function to be evaluated again.
    pub(crate) recorder: Option<Box<dyn Recorder<F>>>,
}

impl<F: Float> Trace<F> {
    pub(crate) fn new(checked: bool) -> Self {
        Trace {
            nodes: Vec::new(),
            checked,
            anomalies: Vec::new(),
            verified: Vec::new(),
            caller: None,
            recorder: None,
        }
    }

    /// The bytes its buffers hold.
    pub(crate) fn allocated_bytes(&self) -> usize {
        use core::mem::size_of;
        self.nodes.capacity() * size_of::<Traced<F>>()
            + self.anomalies.capacity() * size_of::<(u32, Anomaly<F>)>()
            + self.verified.capacity() * size_of::<&Location<'static>>()
    }

    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        self.anomalies.clear();
    }

    /// Remembers node `node`, whose edges are `(parents, partials)`, and, if
    /// checked, where a non-finite number first appears in it.
    pub(crate) fn record(
        &mut self,
        node: u32,
        traced: Traced<F>,
        parents: impl Iterator<Item = usize>,
        partials: &[F],
    ) {
        if self.checked && (!traced.value.is_finite() || partials.iter().any(|p| !p.is_finite())) {
            let parents_finite = parents
                .filter(|&p| p != 0)
                .all(|p| self.nodes[p - 1].value.is_finite());
            if parents_finite {
                let anomaly = match partials.iter().position(|p| !p.is_finite()) {
                    Some(edge) if traced.value.is_finite() => Anomaly::Partial {
                        edge,
                        partial: partials[edge],
                    },
                    _ => Anomaly::Value(traced.value),
                };
                self.anomalies.push((node, anomaly));
            }
        }
        if let Some(recorder) = &mut self.recorder {
            recorder.recorded(traced.op, traced.value, traced.location);
        }
        self.nodes.push(traced);
    }
}

/// What the debugging tools and checked mode read from a tape and tell it,
/// through its one hook, `Tape::with_trace`.
impl<F: Float> Tape<F> {
    /// An empty tape that also remembers each node's operation and value,
    /// so that [`to_svg`](Tape::to_svg) and [`to_dot`](Tape::to_dot) can draw
    /// the graph.
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
        Self::default().with_new_trace(Trace::new(false))
    }

    /// An empty tape in checked mode: traced, and watching every node it
    /// records for the first number that is not finite, a value or a local
    /// derivative, and for custom ops' declared derivatives and block ops'
    /// vector–Jacobian products that disagree with central differences.
    ///
    /// [`Var::backward_checked`](crate::Var::backward_checked) then reports the first such problem in the
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
        Self::default().with_new_trace(Trace::new(true))
    }

    /// Whether the tape is in checked mode (see [`checked`](Tape::checked)).
    pub fn is_checked(&self) -> bool {
        self.with_trace(|trace| trace.checked).unwrap_or(false)
    }

    /// Whether the tape remembers each node's operation and value
    /// (see [`traced`](Tape::traced)).
    pub fn is_traced(&self) -> bool {
        self.with_trace(|_| ()).is_some()
    }

    /// Names `caller` as the line of the nodes a traced tape records from
    /// now on, instead of each op's caller, until it is set to `None`.
    pub(crate) fn trace_as(&self, caller: Option<&'static Location<'static>>) {
        self.with_trace(|trace| trace.caller = caller);
    }

    /// What a traced tape remembers of each node after the sink.
    pub(crate) fn trace(&self) -> Option<Vec<Traced<F>>> {
        self.with_trace(|trace| trace.nodes.clone())
    }

    /// The anomalies a checked tape found, `None` for an unchecked tape.
    pub(crate) fn anomalies(&self) -> Option<Vec<(u32, Anomaly<F>)>> {
        self.with_trace(|trace| trace.checked.then(|| trace.anomalies.clone()))
            .flatten()
    }

    /// Whether a checked tape should check the op called at `location`: the
    /// first time only, for each call site.
    pub(crate) fn first_call_of_checked(&self, location: &'static Location<'static>) -> bool {
        self.with_trace(|trace| {
            let first = trace.checked && !trace.verified.contains(&location);
            if first {
                trace.verified.push(location);
            }
            first
        })
        .unwrap_or(false)
    }

    /// Notes that the op at `node` declared a wrong partial.
    pub(crate) fn report_custom(&self, node: u32, argument: usize, declared: F, numeric: F) {
        self.with_trace(|trace| {
            let anomaly = Anomaly::CustomPartial {
                argument,
                declared,
                numeric,
            };
            let at = trace.anomalies.partition_point(|&(n, _)| n < node);
            trace.anomalies.insert(at, (node, anomaly));
        });
    }
}
