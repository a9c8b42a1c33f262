//! What an [`Active`] tells a recording that a [`Function`](crate::replay::Function)
//! will evaluate again: how each node is computed, the comparisons code
//! branched on, the values it read; and `select`, a branch that replays.

use core::panic::Location;

use super::slot::recording;
use super::{Active, Scalar};
use crate::ops::surface::Handle;
use crate::table::{Arg, Code, Comparison, Guard, Instr, Select, Side, Test};
use crate::table::{Binary, Unary};
use crate::tape::{Access, Note, Recorder};

impl<F: Scalar> Active<F> {
    /// `op(self)` on a function's recording: the recording's next node is
    /// computed again by `op`, unless the op records another form (the
    /// stable `ln` of a sigmoid says so itself). Out of line, so that no
    /// other recording pays for it.
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(super) fn unary_replayed(self, op: Unary) -> Self {
        self.expect(Code::Unary(op), [self.arg(); 2]);
        let (value, d) = op.eval(self.value);
        self.unary_op(op, value, d)
    }

    /// `op(self, other)` on a function's recording.
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(super) fn binary_replayed(self, op: Binary, other: Self) -> Self {
        let (side, anchor) = match (self.is_constant(), other.is_constant()) {
            (true, _) => (Side::Left, other),
            (_, true) => (Side::Right, self),
            _ => (Side::Neither, self),
        };
        anchor.expect(Code::Binary(op, side), [self.arg(), other.arg()]);
        let (value, partials) = op.eval(self.value, other.value);
        self.binary_op(op, &other, value, partials)
    }

    /// Tells the program of `self`'s recording that its next node is `code`
    /// of `args`.
    #[track_caller]
    fn expect(&self, code: Code, args: [Arg<F>; 2]) {
        recording(F::slot(), Some(self.recording())).expect(Instr::new(code, args));
    }

    /// The operand `self` is to a recorded function's program.
    pub(super) fn arg(&self) -> Arg<F> {
        match self.is_constant() {
            true => Arg::Const(self.value),
            false => Arg::Node(self.node()),
        }
    }

    /// `if_true` where `self` compares to `other` as `comparison` says,
    /// `if_false` elsewhere, its gradient all to the branch taken. A
    /// [`Function`](crate::replay::Function) records it as one node and evaluates
    /// the comparison again at each point, taking the branch it gives,
    /// where an `if` would be guarded and refuse the other branch (CppAD's
    /// `CondExp`); the branch not taken gets no gradient, not even
    /// `0 · ∞`. On a plain recording it is the branch taken itself.
    ///
    /// ```
    /// use tapegrad::{Active, replay::{Comparison, Function}};
    ///
    /// // |x|, written so that it replays on both sides of 0.
    /// let abs = |x: &[Active]| x[0].select(Comparison::Ge, 0.0, x[0], -x[0]);
    /// let f = Function::record(&[2.0], abs)?;
    /// let mut ws = f.workspace();
    /// assert_eq!(f.value_and_gradient(&mut ws, &[-3.0])?, (3.0, vec![-1.0]));
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If two of the four are variables of different recordings.
    #[track_caller]
    pub fn select(
        self,
        comparison: Comparison,
        other: impl Into<Self>,
        if_true: impl Into<Self>,
        if_false: impl Into<Self>,
    ) -> Self {
        let (other, a, b) = (other.into(), if_true.into(), if_false.into());
        let select = Select {
            test: Test::Compare(comparison),
            operands: [self.arg(), other.arg()],
            branches: [a.arg(), b.arg()],
        };
        let (chosen, partials) = select.choose(self.value, other.value);
        let value = [a, b][chosen].value;
        // The branches first: a constant branch's edge goes to the first
        // variable (the anchor), with a zero partial.
        let Some(anchor) = Active::common([a, b, self, other].into_iter()) else {
            return Active::constant(value);
        };
        let mut tape = recording(F::slot(), Some(anchor.recording()));
        // A function's recording keeps both branches as the node's parents
        // (each evaluation takes one, see `Op::Select`); any other records
        // the branch taken, or is it, as an `if` would.
        let parents = match tape.recorder_mut() {
            Some(recorder) => {
                recorder.select(select);
                select.parents().map(Some)
            }
            None => return [a, b][chosen],
        };
        let node = tape.record_node("select", value, parents, partials, Location::caller());
        anchor.at(node, value)
    }

    /// `self` limited to `[min, max]` on a function's recording: two
    /// selects, which an evaluation computes again on either side of each
    /// bound, and the bounds' order guarded (a fresh recording panics where
    /// `min > max`).
    #[track_caller]
    pub(super) fn clamp_replayed(self, min: Self, max: Self) -> Self {
        assert!(min <= max, "tapegrad: clamp needs min <= max, neither NaN");
        let upper = self.select(Comparison::Gt, max, max, self);
        self.select(Comparison::Lt, min, min, upper)
    }

    /// Keeps `test` of `self` (and `other`) as a guard, if the thread
    /// records a function that is evaluated again and a variable of it is
    /// compared.
    #[track_caller]
    pub(super) fn observe_test(&self, test: Test, other: Option<&Self>) {
        let b = other.unwrap_or(self);
        let Some(variable) = [self, b].into_iter().find(|x| !x.is_constant()) else {
            return;
        };
        let location = Location::caller();
        self::with_recorder(variable, |recorder| {
            recorder.guard(Guard {
                test,
                operands: [self.arg(), b.arg()],
                outcome: test.outcome(self.value, b.value),
                location,
            });
        });
    }

    /// Notes the first gradient taken inside a recorded function's
    /// closure, which the recording would keep as a constant.
    #[track_caller]
    pub(super) fn observe_gradient(&self) {
        let location = Location::caller();
        self::with_recorder(self, |recorder| recorder.note(Note::Gradient, location));
    }

    /// Notes the first value read out of a recorded function's variable.
    #[track_caller]
    pub(super) fn observe_read(&self) {
        if !self.is_constant() {
            let location = Location::caller();
            self::with_recorder(self, |recorder| recorder.note(Note::Read, location));
        }
    }
}

/// `f` of what listens to `variable`'s recording, if it is the thread's and
/// records a function; nothing otherwise (a comparison outside any
/// recording compares values). The variable's own identity says whether
/// its recording is a function's: any other skips the thread's slot.
fn with_recorder<F: Scalar>(variable: &Active<F>, f: impl FnOnce(&mut dyn Recorder<F>)) {
    if !variable.replays() {
        return;
    }
    let Ok(mut tape) = F::slot().try_borrow_mut() else {
        return;
    };
    if tape.id().generation == variable.recording() {
        if let Some(recorder) = tape.recorder_mut() {
            f(recorder);
        }
    }
}
