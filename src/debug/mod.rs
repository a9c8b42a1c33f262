//! Seeing what was recorded: what a traced or checked tape remembers of
//! each node (`trace`), checked mode's errors (`checked`), and the graph as
//! Graphviz DOT (`graphviz`), and what an output depends on (`walk`).

mod checked;
mod graphviz;
mod trace;
mod walk;

pub(crate) use trace::{Anomaly, Trace, Traced, check_custom};
