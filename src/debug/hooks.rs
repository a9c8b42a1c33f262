//! What the debugging tools read from a tape and tell it, through its one
//! hook, [`Tape::with_trace`].

use core::panic::Location;

use num_traits::Float;

use super::trace::{Anomaly, Traced};
use crate::Tape;

impl<F: Float> Tape<F> {
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
