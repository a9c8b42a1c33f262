//! What the debugging tools read from a tape and tell it, through its one
//! hook, [`Tape::with_trace`].

use core::panic::Location;

use num_traits::Float;

use crate::Tape;
use crate::tape::{Anomaly, Trace, Traced};

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
