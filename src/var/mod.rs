//! `Var`: a handle to a recorded value that reads like a float.

mod record;
mod variable;

use core::fmt;

use num_traits::Float;

use crate::ops::surface::Handle;
use crate::recording::{self, Recorded};
use crate::table::{Binary, Unary};
use crate::{Gradients, Tape};

/// A value recorded on a [`Tape`], used like a float.
///
/// A `Var` is a small `Copy` handle: the tape it lives on, the index of its
/// node, and its value. Arithmetic and the elementary functions of `f64`
/// (`ln`, `exp`, `sin`, `powf`, …) record a new node and return a new `Var`;
/// [`backward`](Var::backward) differentiates it.
///
/// A `Var` may also be a constant that lives on no tape
/// ([`Var::constant`], or the empty [`Sum`](core::iter::Sum)): operations
/// with a constant record only the edges to real variables.
///
/// A `Var` borrows its tape, so it cannot outlive it:
///
/// ```compile_fail
/// let x = {
///     let tape = tapegrad::Tape::new();
///     tape.var(1.0) // error: `tape` does not live long enough
/// };
/// ```
///
/// `Var` implements [`num_traits::Float`], so a function written once for
/// `T: Float` runs on floats and on the tape alike. Its `==` and `<` compare
/// values, as they would on the floats; they never ask whether two variables
/// are the same node.
///
/// # Panics
///
/// `+ - * /` and `%` (with their assigning and by-reference forms), and every
/// method that combines two variables (`powf`, `atan2`, `hypot`, `max`,
/// `min`, `mul_add`, [`sum`](crate::sum), [`dot`](crate::dot), …), panic if
/// the variables are on different tapes, with a message that names the fix:
/// record every variable of one computation on the same [`Tape`]. A float
/// on either side is a constant and never panics.
///
/// ```should_panic
/// let (a, b) = (tapegrad::Tape::new(), tapegrad::Tape::new());
/// let _ = a.var(1.0) + b.var(2.0); // panics: two different tapes
/// ```
#[derive(Clone, Copy)]
#[must_use = "an operation returns a new Var and leaves its operands unchanged"]
pub struct Var<'t, F: Float = f64> {
    tape: Option<&'t Tape<F>>,
    value: F,
    node: u32,
}

impl<'t, F: Float> Var<'t, F> {
    pub(crate) fn recorded(tape: &'t Tape<F>, node: u32, value: F) -> Self {
        Var {
            tape: Some(tape),
            value,
            node,
        }
    }

    /// A constant: a value on no tape, whose gradient is never asked.
    ///
    /// ```
    /// use tapegrad::{Tape, Var};
    ///
    /// let tape = Tape::new();
    /// let x = tape.var(3.0);
    /// let y = x * Var::constant(2.0); // records one node, with one parent
    /// assert_eq!(y.backward().wrt(&x), 2.0);
    /// ```
    pub fn constant(value: F) -> Self {
        Var {
            tape: None,
            value,
            node: 0,
        }
    }

    /// The value.
    pub fn value(&self) -> F {
        self.value
    }

    /// Whether this is a constant, on no tape.
    pub fn is_constant(&self) -> bool {
        self.tape.is_none()
    }

    /// The gradient of this variable with respect to every variable recorded
    /// before it: one reverse sweep over the tape.
    ///
    /// The sweep seeds this variable with `1`; every node, from this one back
    /// to the first, multiplies the gradient it received by its local
    /// derivatives and adds the products into its parents. It is iterative
    /// (a chain of millions of nodes is fine) and leaves the tape untouched,
    /// so `backward` can be called again, on this or any other variable.
    /// Its cost is one pass over the nodes up to this one and their edges,
    /// whatever was recorded after it.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let (x, y) = (tape.var(2.0), tape.var(5.0));
    /// let z = x * y + x.sin();
    /// let grads = z.backward();
    /// assert_eq!(grads.wrt(&x), 5.0 + 2.0_f64.cos());
    /// assert_eq!(grads.wrt(&y), 2.0);
    /// ```
    pub fn backward(&self) -> Gradients<F> {
        let mut grads = Gradients::new();
        self.backward_into(&mut grads);
        grads
    }

    /// [`backward`](Var::backward) into `grads`, reusing its allocation.
    ///
    /// ```
    /// use tapegrad::{Gradients, Tape};
    ///
    /// let mut tape = Tape::new();
    /// let mut grads = Gradients::new();
    /// for step in 1..=3 {
    ///     let x = tape.var(step as f64);
    ///     x.powi(3).backward_into(&mut grads);
    ///     assert_eq!(grads.wrt(&x), 3.0 * (step * step) as f64);
    ///     tape.clear();
    /// }
    /// ```
    pub fn backward_into(&self, grads: &mut Gradients<F>) {
        match self.tape {
            Some(tape) => tape.backward_into(self.node, grads),
            None => {
                grads.reset(None, 0);
            }
        }
    }

    pub(crate) fn tape(&self) -> Option<&'t Tape<F>> {
        self.tape
    }

    pub(crate) fn node(&self) -> u32 {
        self.node
    }

    /// Whether the variable is recorded on `tape` (a constant is on none).
    #[inline(always)]
    pub(crate) fn is_on(&self, tape: &Tape<F>) -> bool {
        self.tape.is_some_and(|t| core::ptr::eq(t, tape))
    }

    /// Records `value` with `partials[i] = ∂value/∂args[i]`: one node whose
    /// parents are the arguments that are variables. If all are constants,
    /// so is the result.
    ///
    /// # Panics
    ///
    /// If two arguments are on different tapes.
    #[inline]
    #[track_caller]
    pub(crate) fn combine<const N: usize>(
        op: &'static str,
        args: [Self; N],
        value: F,
        partials: [F; N],
    ) -> Self {
        recording::combine(op, value, args.into_iter().zip(partials))
    }
}

/// The tape of the variables among `args`, `None` if all are constants.
///
/// # Panics
///
/// If two of them are on different tapes.
#[inline]
#[track_caller]
pub(crate) fn common_tape<'t, F: Float>(
    args: impl IntoIterator<Item = Var<'t, F>>,
) -> Option<&'t Tape<F>> {
    match one_tape(args) {
        Ok(tape) => tape,
        Err(TwoTapes) => panic!("tapegrad: {TWO_TAPES}"),
    }
}

/// Variables of two different tapes, found by [`one_tape`].
pub(crate) struct TwoTapes;

/// The tape of the variables among `args`, `None` if all are constants, or
/// [`TwoTapes`] if two of them are on different tapes.
#[inline]
pub(crate) fn one_tape<'t, F: Float>(
    args: impl IntoIterator<Item = Var<'t, F>>,
) -> Result<Option<&'t Tape<F>>, TwoTapes> {
    let mut tapes = args.into_iter().filter_map(|x| x.tape);
    let Some(first) = tapes.next() else {
        return Ok(None);
    };
    match tapes.all(|other| core::ptr::eq(first, other)) {
        true => Ok(Some(first)),
        false => Err(TwoTapes),
    }
}

/// Panics unless `a` and `b` are the same tape.
#[inline]
#[track_caller]
pub(crate) fn same_tape<F: Float>(a: &Tape<F>, b: &Tape<F>) {
    assert!(core::ptr::eq(a, b), "tapegrad: {TWO_TAPES}");
}

/// What mixing tapes panics with.
pub(crate) const TWO_TAPES: &str = "cannot combine variables of two different tapes; \
     record every variable of one computation on the same Tape";

/// `Var` records what the op table gives, through the one recording core.
impl<F: Float> Handle for Var<'_, F> {
    type Float = F;

    #[inline(always)]
    fn value_of(&self) -> F {
        self.value
    }

    #[inline(always)]
    #[track_caller]
    fn unary_op(&self, op: Unary, value: F, d: F) -> Self {
        recording::unary(*self, op, value, d)
    }

    #[inline(always)]
    #[track_caller]
    fn binary_op(&self, op: Binary, other: &Self, value: F, partials: [F; 2]) -> Self {
        recording::binary(*self, op, *other, value, partials)
    }
}

/// Where a `Var`'s tape is: borrowed by the variable itself.
impl<'t, F: Float> Recorded for Var<'t, F> {
    type Float = F;
    type Tape = &'t Tape<F>;

    #[inline(always)]
    fn constant(value: F) -> Self {
        Var::constant(value)
    }

    #[inline(always)]
    fn is_constant(&self) -> bool {
        self.tape.is_none()
    }

    #[inline(always)]
    fn raw(&self) -> F {
        self.value
    }

    #[inline(always)]
    fn node(&self) -> u32 {
        self.node
    }

    #[inline(always)]
    fn tape(&self) -> &'t Tape<F> {
        self.tape.expect("a variable, not a constant, records")
    }

    #[inline(always)]
    #[track_caller]
    fn same_recording(a: &Self, b: &Self) {
        if let (Some(a), Some(b)) = (a.tape, b.tape) {
            same_tape(a, b);
        }
    }

    #[inline(always)]
    fn at(&self, node: u32, value: F) -> Self {
        Var::recorded(Recorded::tape(self), node, value)
    }
}

impl<F: Float> From<F> for Var<'_, F> {
    /// A [constant](Var::constant).
    fn from(value: F) -> Self {
        Var::constant(value)
    }
}

impl<F: Float + fmt::Debug> fmt::Debug for Var<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Var");
        s.field("value", &self.value);
        match self.tape {
            Some(_) => s.field("node", &self.node),
            None => s.field("constant", &true),
        };
        s.finish()
    }
}

/// Formats the value, as the float would be.
impl<F: Float + fmt::Display> fmt::Display for Var<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}
