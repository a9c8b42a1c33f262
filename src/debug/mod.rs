//! Seeing what was recorded: from what a traced or checked tape remembers
//! of each node (`tape::trace`), checked mode's errors (`checked`), the graph as
//! Graphviz DOT (`graphviz`) or an SVG picture (`svg`), what an output
//! depends on (`walk`), and what these read from a tape and tell it
//! (`hooks`).

mod checked;
mod graphviz;
mod hooks;
mod svg;
mod walk;
