//! `Gradients`: the result of a backward sweep.

use core::ops::Index;

use num_traits::Float;

use crate::tape::RecordingId;
use crate::{Error, Result, Tape};

/// The gradient of one output with respect to every variable recorded before
/// it, as computed by [`Var::backward`](crate::Var::backward).
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
    /// The sigmoids a stable `ln` at or before the output bypassed.
    bypassed: Vec<u32>,
    zero: F,
}

/// A variable whose partial derivative [`Gradients`] gives, and that the
/// losses take: a [`Var`](crate::Var) or an [`Active`](crate::Active).
pub trait Variable<F: Float>: Copy + sealed::Sealed {
    /// The variable's value.
    #[doc(hidden)]
    fn scalar_value(&self) -> F;

    /// `(1/n)·Σᵢ tᵢ` as one node, where `term(i, xᵢ)` gives `tᵢ` and
    /// `∂tᵢ/∂xᵢ`: one pass over `xs`, a constant if none is a variable.
    #[doc(hidden)]
    fn record_mean(
        op: &'static str,
        xs: &[Self],
        n: F,
        term: impl FnMut(usize, F) -> (F, F),
    ) -> Self;

    /// One node of value `value` whose edges go to the arguments that are
    /// variables, each with its partial; a constant if none is.
    #[doc(hidden)]
    fn record_node(op: &'static str, value: F, args: &[(Self, F)]) -> Self;

    /// `(recording, tape, node)`: the recording it belongs to, its tape if
    /// the variable knows it, and its node; `None` for a constant.
    #[doc(hidden)]
    fn site(&self) -> Option<(u32, Option<u64>, u32)>;

    /// Whether `self` is of the recording of `other`, a recorded variable,
    /// cheaply.
    #[doc(hidden)]
    fn same_recording(&self, other: &Self) -> bool;

    /// The node, for a variable known to be recorded.
    #[doc(hidden)]
    fn node_index(&self) -> u32;

    /// [`block`](crate::custom::block) of variables of this kind.
    #[doc(hidden)]
    fn record_block<Op: crate::custom::BlockOp>(op: Op, x: &[Self]) -> Vec<Self>;
}

/// Only the crate's variables are [`Variable`]s.
pub(crate) mod sealed {
    pub trait Sealed {}
}

impl<F: Float> Gradients<F> {
    /// Empty gradients, to be filled by [`Var::backward_into`](crate::Var::backward_into).
    pub fn new() -> Self {
        Gradients {
            tape: None,
            adjoints: Vec::new(),
            bypassed: Vec::new(),
            zero: F::zero(),
        }
    }

    /// Clears for a sweep of `nodes` nodes of recording `tape`, all zero:
    /// the adjoints, and the list of bypassed sigmoids to fill.
    pub(crate) fn reset(
        &mut self,
        tape: Option<RecordingId>,
        nodes: usize,
    ) -> (&mut [F], &mut Vec<u32>) {
        self.tape = tape;
        self.adjoints.clear();
        self.adjoints.resize(nodes, F::zero());
        self.bypassed.clear();
        (&mut self.adjoints, &mut self.bypassed)
    }

    /// The partial derivative of the output with respect to `x`, checked.
    ///
    /// # Errors
    ///
    /// [`Error::Constant`] if `x` is a constant, [`Error::ForeignVariable`] if
    /// it is on another tape, [`Error::StaleGradients`] if its tape was
    /// cleared since these gradients were computed, and
    /// [`Error::BypassedSigmoid`] if `x` is a sigmoid whose `ln` was recorded
    /// in the stable form (see [`Var::ln`](crate::Var::ln)), which routes the gradient around
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
    pub fn get(&self, x: &impl Variable<F>) -> Result<F> {
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
    pub fn wrt(&self, x: &impl Variable<F>) -> F {
        match self.slot(x) {
            Ok(slot) => *slot,
            Err(e) => panic!("tapegrad: {e}"),
        }
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
    pub fn wrt_all<V: Variable<F>>(&self, xs: &[V]) -> Vec<F> {
        // One full check, of the first; the others need only be of its
        // recording, when no sigmoid was bypassed: checked in the pass that
        // reads them.
        let first = xs.first();
        if first.is_some_and(|x| self.get(x).is_ok() && self.bypassed.is_empty()) {
            let (first, mut shared) = (first.unwrap_or_else(|| unreachable!()), true);
            let all: Vec<F> = xs
                .iter()
                .map(|x| {
                    shared &= x.same_recording(first);
                    self.adjoint(x.node_index() as usize).unwrap_or(self.zero)
                })
                .collect();
            if shared {
                return all;
            }
        }
        let mut all = Vec::with_capacity(xs.len());
        for x in xs {
            all.push(self.wrt(x)); // a loop: the caller's line reaches `wrt`
        }
        all
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

    fn slot(&self, x: &impl Variable<F>) -> Result<&F> {
        let (recording, tape, node) = x.site().ok_or(Error::Constant)?;
        match self.tape {
            // A constant output depends on nothing, on any tape.
            None => return Ok(&self.zero),
            Some(id) if id.generation == recording => {}
            Some(id) if tape == Some(id.tape) => return Err(Error::StaleGradients),
            Some(_) if tape.is_some() => return Err(Error::ForeignVariable),
            Some(_) => return Err(Error::OtherRecording),
        }
        if self.bypassed.contains(&node) {
            return Err(Error::BypassedSigmoid);
        }
        Ok(self.adjoints.get(node as usize).unwrap_or(&self.zero))
    }
}

impl<F: Float> Default for Gradients<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// `grads[&x]` is [`grads.wrt(&x)`](Gradients::wrt).
impl<F: Float, V: Variable<F>> Index<&V> for Gradients<F> {
    type Output = F;

    #[track_caller]
    fn index(&self, x: &V) -> &F {
        match self.slot(x) {
            Ok(slot) => slot,
            Err(e) => panic!("tapegrad: {e}"),
        }
    }
}
