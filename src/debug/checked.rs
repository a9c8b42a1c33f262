//! Checked mode: turning what a checked tape noticed into errors that say
//! which op, on which line, and how the computation got there.

use num_traits::Float;

use crate::tape::{Anomaly, Traced};
use crate::{Error, Gradients, Quantity, Result, Tape, Var};

/// The longest chain [`Error::NonFinite`] names, counting from its end.
const CHAIN: usize = 12;

impl<F: Float> Tape<F> {
    /// The first problem a checked tape has found in everything it recorded
    /// so far, without a backward sweep.
    ///
    /// # Errors
    ///
    /// [`Error::NotChecked`] unless the tape is [checked](Tape::checked);
    /// otherwise the first [`Error::NonFinite`] or
    /// [`Error::WrongCustomDerivative`] in recording order.
    ///
    /// ```
    /// let tape = tapegrad::Tape::checked();
    /// let x = tape.var(0.0);
    /// let _ = x.ln(); // ln 0 = −∞
    /// assert!(tape.check().is_err());
    /// ```
    pub fn check(&self) -> Result<()> {
        let anomalies = self.anomalies().ok_or(Error::NotChecked)?;
        match anomalies.first() {
            Some(&(node, anomaly)) => Err(self.describe(node, anomaly)),
            None => Ok(()),
        }
    }

    /// The error for `anomaly` at `node`, with the ops from an input to it.
    fn describe(&self, node: u32, anomaly: Anomaly<F>) -> Error {
        let trace = self.trace().expect("a checked tape is traced");
        let parents = self.parents_by_node(node);
        let Traced { op, location, .. } = trace[node as usize - 1];
        // Back along the first parent to an input.
        let mut chain = vec![op];
        let mut at = node as usize;
        while let Some(&(parent, _)) = parents[at].first() {
            chain.push(trace[parent - 1].op);
            at = parent;
        }
        chain.reverse();
        let chain = shorten(chain);
        let float = |x: F| x.to_f64().unwrap_or(f64::NAN);
        match anomaly {
            Anomaly::Value(value) => Error::NonFinite {
                op,
                location,
                what: Quantity::Value,
                value: float(value),
                chain,
            },
            Anomaly::Partial { edge, partial } => Error::NonFinite {
                op,
                location,
                what: Quantity::LocalDerivative { argument: edge },
                value: float(partial),
                chain,
            },
            Anomaly::CustomPartial {
                argument,
                declared,
                numeric,
            } => Error::WrongCustomDerivative {
                op,
                location,
                argument,
                declared: float(declared),
                numeric: float(numeric),
            },
        }
    }

    /// The first problem in what `output` depends on: an anomaly found while
    /// recording, else a gradient of the sweep that is not finite.
    fn diagnose(&self, output: u32, gradients: &Gradients<F>) -> Result<()> {
        let anomalies = self.anomalies().ok_or(Error::NotChecked)?;
        let graph = self.dependencies(output);
        let out = output as usize;
        if let Some(&(node, anomaly)) = anomalies
            .iter()
            .find(|&&(n, _)| n <= output && graph.needs(n as usize))
        {
            return Err(self.describe(node, anomaly));
        }
        // The sweep runs from the output down: the highest node whose
        // gradient is not finite is where it first went wrong.
        let Some(node) = (1..=out)
            .rev()
            .find(|&n| graph.needs(n) && gradients.adjoint(n).is_some_and(|g| !g.is_finite()))
        else {
            return Ok(());
        };
        let trace = self.trace().expect("a checked tape is traced");
        let mut chain = vec![trace[node - 1].op];
        let mut at = node;
        while let Some(next) = graph.via(at) {
            chain.push(trace[next - 1].op);
            at = next;
        }
        chain.reverse(); // from the output down to the node, as the sweep went
        let Traced { op, location, .. } = trace[node - 1];
        Err(Error::NonFinite {
            op,
            location,
            what: Quantity::Gradient,
            value: gradients
                .adjoint(node)
                .and_then(|g| g.to_f64())
                .unwrap_or(f64::NAN),
            chain: shorten(chain),
        })
    }
}

/// The last [`CHAIN`] ops, with `…` in front of what is left out.
fn shorten(mut chain: Vec<&'static str>) -> Vec<&'static str> {
    if chain.len() > CHAIN {
        chain.drain(..chain.len() - CHAIN + 1);
        chain.insert(0, "…");
    }
    chain
}

impl<F: Float> Var<'_, F> {
    /// [`backward`](Var::backward) on a [checked](Tape::checked) tape, with
    /// the first problem in this variable's computation as an error: a value
    /// or local derivative that is not finite (where it first appears, not
    /// everywhere a NaN flows), a custom op whose declared derivative
    /// disagrees with central differences, or a gradient that overflows in
    /// the sweep.
    ///
    /// # Errors
    ///
    /// [`Error::NonFinite`] or [`Error::WrongCustomDerivative`], naming the
    /// op, the line that recorded it and the ops that led there;
    /// [`Error::NotChecked`] if the tape is not in checked mode.
    ///
    /// ```
    /// use tapegrad::{Error, Quantity, Tape};
    ///
    /// let tape = Tape::checked();
    /// let x = tape.var(0.0);
    /// let y = x.sqrt(); // √x has an infinite derivative at 0
    /// let err = y.backward_checked().unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     Error::NonFinite { op: "sqrt", what: Quantity::LocalDerivative { argument: 0 }, .. }
    /// ));
    /// assert!(err.to_string().contains(".rs:"), "names the line: {err}");
    /// ```
    pub fn backward_checked(&self) -> Result<Gradients<F>> {
        let gradients = self.backward();
        if let Some(tape) = self.tape() {
            tape.diagnose(self.node(), &gradients)?;
        }
        Ok(gradients)
    }
}
