//! Drawing a recorded computation as a Graphviz DOT graph.

use core::fmt::{Display, Write};

use num_traits::Float;

use crate::tape::Traced;
use crate::{Error, Gradients, Result, Tape, Var};

impl<F: Float + Display> Tape<F> {
    /// The part of the tape that `output` depends on, as a Graphviz DOT
    /// graph: a node per recorded operation, labelled with its name and
    /// value (and, given the `gradients` of `output`, its gradient), and an
    /// edge from each parent to its child, labelled with the local
    /// derivative `∂child/∂parent` (or `vjp` for an output of a
    /// [`block`](crate::custom::block) op, whose backward pass is the op's own).
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
        let picture = self.picture(output, gradients)?;
        let mut dot = String::from("digraph tape {\n  rankdir=LR;\n  node [shape=box];\n");
        for node in &picture.nodes {
            let op = node.op.replace('\\', "\\\\").replace('"', "\\\"");
            let gradient = node
                .gradient
                .as_ref()
                .map(|g| format!("\\ngrad = {g}"))
                .unwrap_or_default();
            let (id, value) = (node.id, &node.value);
            let _ = writeln!(
                dot,
                "  n{id} [label=\"{op} #{id}\\nvalue = {value}{gradient}\"];"
            );
        }
        for edge in &picture.edges {
            let _ = writeln!(
                dot,
                "  n{} -> n{} [label=\"{}\"];",
                edge.from, edge.to, edge.label
            );
        }
        dot.push_str("}\n");
        Ok(dot)
    }

    /// What [`to_dot`](Tape::to_dot) and [`to_svg`](Tape::to_svg) draw:
    /// the nodes `output` depends on, in recording order, and their edges.
    pub(super) fn picture(
        &self,
        output: &Var<'_, F>,
        gradients: Option<&Gradients<F>>,
    ) -> Result<Picture> {
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
        let needed = (1..=out).filter(|&n| graph.needs(n));
        let nodes = needed
            .clone()
            .map(|id| {
                let Traced { op, value, .. } = trace[id - 1];
                let gradient = gradients.and_then(|g| g.adjoint(id)).map(|g| g.to_string());
                PictureNode {
                    id,
                    op,
                    value: value.to_string(),
                    gradient,
                    input: graph.parents[id].is_empty(),
                }
            })
            .collect();
        let edges = needed
            .flat_map(|id| {
                let block = self.is_block_output(id);
                graph.parents[id]
                    .iter()
                    .map(move |&(from, partial)| PictureEdge {
                        from,
                        to: id,
                        label: if block {
                            "vjp".to_string()
                        } else {
                            partial.to_string()
                        },
                    })
            })
            .collect();
        Ok(Picture {
            nodes,
            edges,
            output: out,
        })
    }
}

/// A computation to draw: its nodes and edges, labelled.
pub(super) struct Picture {
    pub(super) nodes: Vec<PictureNode>,
    pub(super) edges: Vec<PictureEdge>,
    pub(super) output: usize,
}

pub(super) struct PictureNode {
    pub(super) id: usize,
    pub(super) op: &'static str,
    pub(super) value: String,
    pub(super) gradient: Option<String>,
    /// Whether it has no parents (an input).
    pub(super) input: bool,
}

/// An edge from parent to child, labelled with `∂child/∂parent`.
pub(super) struct PictureEdge {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) label: String,
}
