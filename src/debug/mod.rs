//! Seeing what was recorded, from what a traced or checked tape remembers
//! of each node (`tape::trace`): checked mode's errors (`checked`), the
//! graph as Graphviz DOT (`graphviz`) or an SVG picture (`svg`), and what an
//! output depends on (`walk`).

mod checked;
mod graphviz;
mod svg;
mod walk;
