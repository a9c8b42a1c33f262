//! How a thread lends its recordings to [`Active`] variables: a slot for
//! each float type and nesting depth, filled by [`Tape::record`] for the
//! scope of a closure and emptied when it returns or unwinds, and the check
//! every op makes that the slot holds the variable's recording.

use core::cell::{Cell, RefCell, RefMut};

use num_traits::Float;

use super::Active;
use crate::tape::PROGRAM;
use crate::{Error, Gradients, Result, Tape};

/// What a thread holds for one float type: the recording in scope, or an
/// empty placeholder (of recording 0). One cell a thread and float type,
/// made on first use and never freed, so that the thread-local is a plain
/// reference (read in one load, no destructor to register) and an op works
/// on the cell outside `LocalKey::with`'s closure.
pub(super) type Slot<F> = &'static RefCell<Tape<F>>;

/// A float type whose recordings a thread can hold while [`Active`]
/// variables record on them: `f32`, `f64`, and `Active` of them (for a
/// recording whose backward sweep records on an outer one).
pub trait Scalar: Float + Send + Sync + 'static + sealed::Sealed {
    /// The thread's slot for recordings of this type.
    #[doc(hidden)]
    fn slot() -> Slot<Self>;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! slots {
    ($($name:ident: $t:ty),*) => {$(
        thread_local! {
            static $name: Cell<Option<Slot<$t>>> = const { Cell::new(None) };
        }

        impl sealed::Sealed for $t {}

        impl Scalar for $t {
            #[inline(always)]
            fn slot() -> Slot<$t> {
                $name.with(|cell| cell.get().unwrap_or_else(|| new_slot(cell)))
            }
        }
    )*};
}

/// The thread's cell for one float type, made on its first use.
#[cold]
fn new_slot<F: Scalar>(cell: &Cell<Option<Slot<F>>>) -> Slot<F> {
    let slot = Box::leak(Box::new(RefCell::new(Tape::placeholder())));
    cell.set(Some(slot));
    slot
}

slots!(
    F32: f32,
    F64: f64,
    ACTIVE_F32: Active<f32>,
    ACTIVE_F64: Active<f64>,
    ACTIVE2_F32: Active<Active<f32>>,
    ACTIVE2_F64: Active<Active<f64>>
);

/// Why an op could not record: the variable's recording (`None` where two
/// variables of different recordings met) and the thread's (0 for none).
pub(super) struct Misuse {
    pub(super) variable: Option<u32>,
    pub(super) current: u32,
}

impl Misuse {
    /// Two variables of different recordings, `a` and `b`, in one op.
    pub(super) fn mixed(a: u32, b: u32) -> Self {
        // A function's recording names the mistake best: it is the one
        // whose closure the other variable was brought into.
        let (variable, current) = if a & PROGRAM != 0 { (b, a) } else { (a, b) };
        Misuse {
            variable: Some(variable),
            current,
        }
    }

    #[cold]
    #[track_caller]
    pub(super) fn panic<F>(self) -> ! {
        let float = core::any::type_name::<F>();
        let function = |id: u32| id & PROGRAM != 0;
        match (self.variable, self.current) {
            (Some(id), 0) if function(id) => panic!(
                "tapegrad: an Active<{float}> of a Function's recording was used after \
                 Function::record returned; evaluate the Function with a Workspace \
                 (value, gradient, hessian, …) instead"
            ),
            (_, current) if function(current) => panic!(
                "tapegrad: an Active<{float}> made outside this Function::record closure was \
                 used inside it; pass it in as an input, or as a dynamic parameter with \
                 Function::record_with_params, or use Active::constant(value)"
            ),
            (Some(id), _) if function(id) => panic!(
                "tapegrad: an Active<{float}> of a Function's recording was used in another \
                 recording; use it only inside its Function::record closure"
            ),
            (_, 0) => panic!(
                "tapegrad: an Active<{float}> was used outside its recording; \
                 record inside tape.record(|| …), on the thread that runs it, and take \
                 gradients there or with tape.backward(&output) afterwards"
            ),
            _ => panic!(
                "tapegrad: an Active<{float}> of another recording (an earlier one, \
                 cleared since, or another tape's or thread's) was used in this one; \
                 use only variables made in the current tape.record(|| …)"
            ),
        }
    }
}

/// The thread's recording of `F` in `slot`, which must be `recording`
/// (any, for `None`), held mutably to record on. A borrow, not a closure:
/// the op's own code runs on it inlined.
///
/// # Panics
///
/// If the thread records no `F` now, or another recording.
#[inline(always)]
#[track_caller]
pub(super) fn recording<F: Scalar>(
    slot: Slot<F>,
    recording: Option<u32>,
) -> RefMut<'static, Tape<F>> {
    let tape = slot.borrow_mut();
    let current = tape.id().generation;
    if recording.is_some_and(|id| id != current) || current == 0 {
        Misuse {
            variable: recording,
            current,
        }
        .panic::<F>();
    }
    tape
}

impl<F: Scalar> Tape<F> {
    /// Runs `f` with this tape as the thread's recording of `F`: the
    /// [`Active`] variables made and combined in `f` record here. The tape
    /// is taken back when `f` returns or panics, with what was recorded.
    ///
    /// A `record` of the same float type inside `f` records on its own tape
    /// until it returns; a variable of the outer recording used there
    /// panics.
    ///
    /// The first `record` of a float type on a thread makes the thread's
    /// cell for it, a few hundred bytes that stay allocated until the
    /// process ends (the price of reaching it in one load, see
    /// BENCHMARKS.md); the tape's own storage always comes back to it.
    ///
    /// ```
    /// use tapegrad::{Active, Tape};
    ///
    /// let mut tape = Tape::new();
    /// let slope = tape.record(|| {
    ///     let x = Active::var(2.0);
    ///     x.powi(3).backward().wrt(&x)
    /// });
    /// assert_eq!(slope, 12.0);
    /// assert_eq!(tape.len(), 2);
    /// ```
    pub fn record<R>(&mut self, f: impl FnOnce() -> R) -> R {
        /// Puts the thread's slot back as it was, and the tape in its place.
        struct Restore<'a, F: Scalar> {
            tape: &'a mut Tape<F>,
        }

        impl<F: Scalar> Drop for Restore<'_, F> {
            fn drop(&mut self) {
                core::mem::swap(&mut *F::slot().borrow_mut(), self.tape);
            }
        }

        // The slot's tape (a placeholder, or an outer recording) waits in
        // `self` while this one records.
        core::mem::swap(&mut *F::slot().borrow_mut(), self);
        let _restore = Restore { tape: self };
        f()
    }

    /// The gradients of `output`, a variable recorded on this tape by
    /// [`record`](Tape::record).
    ///
    /// # Errors
    ///
    /// [`Error::Constant`] if `output` is a constant (its gradients are all
    /// zero, and it has no tape), [`Error::OtherRecording`] if it belongs to
    /// another recording (another tape's, or this tape's before a
    /// [`clear`](Tape::clear)).
    pub fn backward(&self, output: &Active<F>) -> Result<Gradients<F>> {
        if output.is_constant() {
            return Err(Error::Constant);
        }
        if output.recording() != self.id().generation {
            return Err(Error::OtherRecording);
        }
        let mut grads = Gradients::new();
        self.backward_into(output.node(), &mut grads);
        Ok(grads)
    }
}
