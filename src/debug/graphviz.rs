//! Drawing a recorded computation as a Graphviz DOT graph.

use core::fmt::{Display, Write};

use num_traits::Float;

use super::trace::Traced;
use crate::{Error, Gradients, Result, Tape, Var};

impl<F: Float + Display> Tape<F> {
    /// The part of the tape that `output` depends on, as a Graphviz DOT
    /// graph: a node per recorded operation, labelled with its name and
    /// value (and, given the `gradients` of `output`, its gradient), and an
    /// edge from each parent to its child, labelled with the local
    /// derivative `∂child/∂parent` (or `vjp` for an output of a
    /// [`block`](crate::block) op, whose backward pass is the op's own).
    ///
    /// Render it with `dot -Tsvg graph.dot -o graph.svg`.
    ///
    /// # Errors
    ///
    /// [`Error::NotTraced`] unless the tape was created with
    /// [`Tape::traced`], [`Error::Constant`] if `output` is a constant,
    /// [`Error::ForeignVariable`] if `output` or `gradients` are of another
    /// tape, and [`Error::StaleGradients`] if `gradients` are of an earlier
    /// recording.
    ///
    /// ```
    /// let tape = tapegrad::Tape::traced();
    /// let (x, y) = (tape.var(2.0), tape.var(3.0));
    /// let z = (x * y).sin();
    /// let dot = tape.to_dot(&z, Some(&z.backward()))?;
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains("mul") && dot.contains("sin"));
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    pub fn to_dot(&self, output: &Var<'_, F>, gradients: Option<&Gradients<F>>) -> Result<String> {
        let tape = output.tape().ok_or(Error::Constant)?;
        if !core::ptr::eq(tape, self) {
            return Err(Error::ForeignVariable);
        }
        if let Some(gradients) = gradients {
            gradients.belongs_to(self)?;
        }
        let trace = self.trace().ok_or(Error::NotTraced)?;
        let out = output.node() as usize;
        let graph = self.dependencies(output.node());

        let mut dot = String::from("digraph tape {\n  rankdir=LR;\n  node [shape=box];\n");
        for node in (1..=out).filter(|&n| graph.needs(n)) {
            let Traced { op, value, .. } = trace[node - 1];
            let op = op.replace('\\', "\\\\").replace('"', "\\\"");
            let gradient = gradients
                .and_then(|g| g.adjoint(node))
                .map(|g| format!("\\ngrad = {g}"))
                .unwrap_or_default();
            let _ = writeln!(
                dot,
                "  n{node} [label=\"{op} #{node}\\nvalue = {value}{gradient}\"];"
            );
        }
        for node in (1..=out).filter(|&n| graph.needs(n)) {
            let block = self.is_block_output(node);
            for &(parent, partial) in &graph.parents[node] {
                let _ = match block {
                    true => writeln!(dot, "  n{parent} -> n{node} [label=\"vjp\"];"),
                    false => writeln!(dot, "  n{parent} -> n{node} [label=\"{partial}\"];"),
                };
            }
        }
        dot.push_str("}\n");
        Ok(dot)
    }
}
