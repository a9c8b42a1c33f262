//! What a traced or checked tape remembers beyond the gradient: each node's
//! op, value and source location, and the first non-finite numbers.

use core::panic::Location;

use num_traits::Float;

use crate::check::disagreements;
use crate::replay::Program;

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
#[derive(Clone, Debug)]
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
    /// recording op's caller: set while an iterator ([`crate::dense`])
    /// records, whose `next` cannot pass its own caller's line on.
    pub(crate) caller: Option<&'static Location<'static>>,
    /// What a recorded function keeps to evaluate the nodes again, if the
    /// tape records one (see [`crate::Function`]).
    pub(crate) program: Option<Box<Program<F>>>,
}

impl<F: Float> Trace<F> {
    pub(crate) fn new(checked: bool) -> Self {
        Trace {
            nodes: Vec::new(),
            checked,
            anomalies: Vec::new(),
            verified: Vec::new(),
            caller: None,
            program: None,
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
        if let Some(program) = &mut self.program {
            program.recorded(traced.op, traced.value, traced.location);
        }
        self.nodes.push(traced);
    }
}

/// Checks a custom op's declared partials against central differences of
/// `f` at `x`: the first argument (a variable) where they disagree, with
/// both numbers.
pub(crate) fn check_custom<F: Float, const N: usize>(
    f: &impl Fn([F; N]) -> (F, [F; N]),
    x: [F; N],
    declared: [F; N],
    variables: [bool; N],
) -> Option<(usize, F, F)> {
    let value = |x: &[F]| f(core::array::from_fn(|k| x[k])).0;
    disagreements(value, &x, &declared, (0..N).filter(|&i| variables[i])).next()
}
