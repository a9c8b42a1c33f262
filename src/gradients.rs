//! `Gradients`: the result of a backward sweep.

use core::ops::Index;

use num_traits::Float;

use crate::tape::RecordingId;
use crate::{Error, Result, Tape, Var};

/// The gradient of one output with respect to every variable recorded before
/// it, as computed by [`Var::backward`].
///
/// Gradients live apart from the tape: they stay valid while the tape records
/// more, and [`get`](Gradients::get) refuses variables of another tape or of a
/// later recording (after [`Tape::clear`](crate::Tape::clear)).
///
/// A variable recorded *after* the output cannot influence it: its gradient is
/// zero, and that is what every query returns for it.
///
/// ```
/// let tape = tapegrad::Tape::new();
/// let x = tape.var(3.0);
/// let y = x.powi(2);
/// let grads = y.backward();
/// assert_eq!(grads.wrt(&x), 6.0);      // reads "dy/dx"
/// assert_eq!(grads[&x], 6.0);          // the same
/// assert_eq!(grads.get(&x), Ok(6.0));  // checked
/// ```
#[derive(Clone, Debug)]
pub struct Gradients<F: Float = f64> {
    /// The identity of the recording swept, `None` for a constant output.
    tape: Option<RecordingId>,
    /// One adjoint per node, up to the output.
    adjoints: Vec<F>,
    zero: F,
}

impl<F: Float> Gradients<F> {
    /// Empty gradients, to be filled by [`Var::backward_into`].
    pub fn new() -> Self {
        Gradients {
            tape: None,
            adjoints: Vec::new(),
            zero: F::zero(),
        }
    }

    /// Clears for a sweep of `nodes` nodes of recording `tape`, all zero.
    pub(crate) fn reset(&mut self, tape: Option<RecordingId>, nodes: usize) -> &mut [F] {
        self.tape = tape;
        self.adjoints.clear();
        self.adjoints.resize(nodes, F::zero());
        &mut self.adjoints
    }

    /// The partial derivative of the output with respect to `x`, checked.
    ///
    /// # Errors
    ///
    /// [`Error::Constant`] if `x` is a constant, [`Error::ForeignVariable`] if
    /// it is on another tape, [`Error::StaleGradients`] if its tape was
    /// cleared since these gradients were computed, and
    /// [`Error::BypassedSigmoid`] if `x` is a sigmoid whose `ln` was recorded
    /// in the stable form (see [`Var::ln`]), which routes the gradient around
    /// `x`.
    ///
    /// ```
    /// use tapegrad::{Error, Tape};
    ///
    /// let (a, b) = (Tape::new(), Tape::new());
    /// let (x, y) = (a.var(1.0), b.var(2.0));
    /// let grads = (x * 2.0).backward();
    /// assert_eq!(grads.get(&x), Ok(2.0));
    /// assert_eq!(grads.get(&y), Err(Error::ForeignVariable));
    /// ```
    pub fn get(&self, x: &Var<'_, F>) -> Result<F> {
        self.slot(x).copied()
    }

    /// The partial derivative of the output with respect to `x`: "with
    /// respect to".
    ///
    /// # Panics
    ///
    /// Where [`get`](Gradients::get) returns an error: `x` a constant, of
    /// another tape or of a later recording, or a bypassed sigmoid.
    #[track_caller]
    pub fn wrt(&self, x: &Var<'_, F>) -> F {
        self[x]
    }

    /// The partial derivatives with respect to each of `xs`, in order.
    ///
    /// # Panics
    ///
    /// Where [`wrt`](Gradients::wrt) panics.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.vars(&[1.0, 2.0]);
    /// let y = x[0] * x[1];
    /// assert_eq!(y.backward().wrt_all(&x), [2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn wrt_all(&self, xs: &[Var<'_, F>]) -> Vec<F> {
        // One check for all when they share this tape and no sigmoid on it
        // can have been bypassed, in the pass that reads them; else each is
        // checked on its own.
        let tape = xs.first().and_then(|x| x.tape());
        if let Some(t) = tape.filter(|&t| self.belongs_to(t).is_ok() && !t.has_bypasses()) {
            let mut shared = true;
            let all: Vec<F> = xs
                .iter()
                .map(|x| {
                    shared &= x.is_on(t);
                    self.adjoint(x.node() as usize).unwrap_or(self.zero)
                })
                .collect();
            if shared {
                return all;
            }
        }
        xs.iter().map(|x| self[x]).collect()
    }

    /// The adjoint of `node`, if the sweep reached it.
    pub(crate) fn adjoint(&self, node: usize) -> Option<F> {
        self.adjoints.get(node).copied()
    }

    /// Whether these gradients were computed on `tape`'s current recording
    /// (or of a constant, which belongs to every tape).
    pub(crate) fn belongs_to(&self, tape: &Tape<F>) -> Result<()> {
        match self.tape {
            None => Ok(()),
            Some(id) if id == tape.id() => Ok(()),
            Some(id) if id.tape == tape.id().tape => Err(Error::StaleGradients),
            Some(_) => Err(Error::ForeignVariable),
        }
    }

    fn slot(&self, x: &Var<'_, F>) -> Result<&F> {
        let tape = x.tape().ok_or(Error::Constant)?;
        self.belongs_to(tape)?;
        // A constant output depends on nothing, on any tape.
        let Some(output) = self.adjoints.len().checked_sub(1) else {
            return Ok(&self.zero);
        };
        if tape.bypassed(x.node(), output as u32) {
            return Err(Error::BypassedSigmoid);
        }
        Ok(self.adjoints.get(x.node() as usize).unwrap_or(&self.zero))
    }
}

impl<F: Float> Default for Gradients<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// `grads[&x]` is [`grads.wrt(&x)`](Gradients::wrt).
impl<'t, F: Float> Index<&Var<'t, F>> for Gradients<F> {
    type Output = F;

    #[track_caller]
    fn index(&self, x: &Var<'t, F>) -> &F {
        match self.slot(x) {
            Ok(slot) => slot,
            Err(e) => panic!("tapegrad: {e}"),
        }
    }
}
