//! `Active`: a variable that does not borrow its tape, for code that needs
//! `'static` scalars (nalgebra's and ndarray's element types, argmin's
//! parameters).
//!
//! Rust has no generic statics, so each float type has its own slot on each
//! thread ([`Scalar`]): `f32`, `f64`, and `Active` of them for second and
//! third derivatives. [`Tape::record`](crate::Tape::record) moves the tape's storage into the
//! thread's slot for the scope of a closure and takes it back when the
//! closure returns or unwinds; an `Active` names the recording it belongs
//! to, and every op checks that the slot holds that recording.

mod display;
mod replay;
mod slot;
mod variable;

use core::iter::{Product, Sum};
use core::panic::Location;

use num_traits::Float;

use crate::Gradients;
use crate::float::{float_methods, number_traits};
use crate::ops::surface::{self, Handle, methods, operators};
use crate::recording;
use crate::table::Test;
use crate::table::{Binary, Unary, op_table};
use crate::tape::PROGRAM;
pub use slot::Scalar;
use slot::{Misuse, recording};

/// A variable that does not borrow its tape: `Copy`, `Send`, `Sync` and
/// `'static`, with the ops and derivatives of [`Var`](crate::Var).
///
/// Record inside [`Tape::record`](crate::Tape::record): [`Active::var`] makes an input on the
/// thread's recording of `F`, every op records on it, and the gradients are
/// taken inside the scope ([`backward`](Active::backward)) or on the tape
/// afterwards ([`Tape::backward`](crate::Tape::backward)). Because it is `'static`, nalgebra's and
/// ndarray's generic code accepts it where a `Var<'t>` is refused.
///
/// ```
/// use tapegrad::{Active, Tape};
///
/// let mut tape = Tape::new();
/// let (y, x) = tape.record(|| {
///     let x = Active::var(3.0);
///     (x * x + x.sin(), x)
/// });
/// let grads = tape.backward(&y)?;
/// assert_eq!(grads.wrt(&x), 6.0 + 3.0_f64.cos());
/// # Ok::<(), tapegrad::Error>(())
/// ```
///
/// A variable is never silently wrong: used outside its recording (after
/// the scope, after [`Tape::clear`](crate::Tape::clear), on another thread) or together with a
/// variable of another recording, an operator panics with a message that
/// says so, and a query returns [`Error::OtherRecording`](crate::Error::OtherRecording).
/// One limit, the price of a variable of 16 bytes: a recording's identity
/// is counted in 31 bits and repeats after 2³¹ recordings, so a stale
/// variable whose first use after its recording ended falls on exactly
/// such a repeat is accepted.
///
/// `Var<'t>` is checked by the compiler instead. Where the compiler inlines
/// the ops it is as fast; where they are called out of line (deep generic
/// code, a large program) `Active`, 16 bytes passed in two registers, is
/// faster: see the [crate docs](crate#a-variable-without-a-lifetime-active-for-nalgebra-ndarray-and-argmin)
/// and BENCHMARKS.md.
#[derive(Clone, Copy)]
#[must_use = "an operation returns a new Active and leaves its operands unchanged"]
pub struct Active<F: Scalar = f64> {
    value: F,
    /// The node in the low 32 bits, the recording's identity in the high
    /// ones; `0` for a constant. One integer beside the value: the pair is
    /// passed and returned in two registers, where a third field would go
    /// through memory on every out-of-line call.
    tag: u64,
}

impl<F: Scalar> Active<F> {
    fn make(value: F, node: u32, recording: u32) -> Self {
        let tag = (u64::from(recording) << 32) | u64::from(node);
        Active { value, tag }
    }

    fn node(&self) -> u32 {
        self.tag as u32 // the low half
    }

    fn recording(&self) -> u32 {
        (self.tag >> 32) as u32
    }
    /// An input on the thread's recording of `F`: a variable with no
    /// parents.
    ///
    /// # Panics
    ///
    /// Outside [`Tape::record`](crate::Tape::record).
    #[track_caller]
    pub fn var(value: F) -> Self {
        let tape = recording(F::slot(), None);
        let node = tape.inputs_at(&[value], Location::caller());
        Active::make(value, node, tape.id().generation)
    }

    /// An input for each of `values`, as [`var`](Active::var).
    ///
    /// # Panics
    ///
    /// Outside [`Tape::record`](crate::Tape::record).
    #[track_caller]
    pub fn vars(values: &[F]) -> Vec<Self> {
        let tape = recording(F::slot(), None);
        let (recording, first) = (
            tape.id().generation,
            tape.inputs_at(values, Location::caller()),
        );
        let input = |(node, &value)| Active::make(value, node, recording);
        (first..first + values.len() as u32)
            .zip(values)
            .map(input)
            .collect()
    }

    /// A constant: recorded on no tape, with no gradient.
    pub fn constant(value: F) -> Self {
        Active::make(value, 0, 0)
    }

    /// The value.
    ///
    /// Inside a recording of a [`Function`](crate::replay::Function), reading it
    /// makes the recording unfit to evaluate elsewhere (see
    /// [`Error::ValueRead`](crate::Error::ValueRead)): compare variables instead.
    #[track_caller]
    pub fn value(&self) -> F {
        self.observe_read();
        self.value
    }

    /// Whether this is a constant.
    pub fn is_constant(&self) -> bool {
        self.recording() == 0
    }

    /// The gradient of this output with respect to every variable recorded
    /// before it, inside the scope of [`Tape::record`](crate::Tape::record).
    ///
    /// # Panics
    ///
    /// Outside the variable's recording: after the scope, use
    /// [`Tape::backward`](crate::Tape::backward).
    #[track_caller]
    pub fn backward(&self) -> Gradients<F> {
        let mut grads = Gradients::new();
        self.backward_into(&mut grads);
        grads
    }

    /// [`backward`](Active::backward) into gradients kept between steps.
    ///
    /// # Panics
    ///
    /// As [`backward`](Active::backward).
    #[track_caller]
    pub fn backward_into(&self, grads: &mut Gradients<F>) {
        if self.replays() {
            self.observe_gradient();
        }
        match self.is_constant() {
            true => {
                grads.reset(None, 0);
            }
            false => {
                let slot = F::slot();
                recording(slot, Some(self.recording())).backward_into(self.node(), grads);
            }
        }
    }

    /// Whether this is a variable of a function's recording, whose ops keep
    /// how to compute each node again.
    #[inline(always)]
    fn replays(&self) -> bool {
        self.recording() & PROGRAM != 0
    }

    /// A variable of this one's recording, at `node`.
    fn at(&self, node: u32, value: F) -> Self {
        Active::make(value, node, self.recording())
    }

    /// The first variable of `xs` (`None` if all are constants), whose
    /// recording the others share.
    ///
    /// # Panics
    ///
    /// If two are variables of different recordings.
    #[track_caller]
    pub(super) fn common(xs: impl Iterator<Item = Self> + Clone) -> Option<Self> {
        let mut variables = xs.filter(|x| !x.is_constant());
        let first = variables.clone().next()?;
        if let Some(other) = variables.find(|x| x.recording() != first.recording()) {
            Misuse::mixed(first.recording(), other.recording()).panic::<F>();
        }
        Some(first)
    }

    /// `xⁿ` for an integer `n`: `d/dx = n · xⁿ⁻¹` (and `0` for `n = 0`).
    #[inline(always)]
    #[track_caller]
    pub fn powi(self, n: i32) -> Self {
        surface::apply(Unary::Powi(n), self)
    }

    /// `self · a + b` with one rounding: `∂/∂self = a`, `∂/∂a = self`,
    /// `∂/∂b = 1`. One node.
    #[track_caller]
    pub fn mul_add(self, a: impl Into<Self>, b: impl Into<Self>) -> Self {
        let (a, b) = (a.into(), b.into());
        let value = self.value.mul_add(a.value, b.value);
        let args = [(self, a.value), (a, self.value), (b, F::one())];
        recording::combine("mul_add", value, args)
    }

    /// `x` limited to `[min, max]`: the gradient goes to `x` inside the
    /// interval and to the bound that applies outside it.
    ///
    /// # Panics
    ///
    /// If `min > max` or either is NaN, as `f64::clamp`.
    #[track_caller]
    pub fn clamp(self, min: impl Into<Self>, max: impl Into<Self>) -> Self {
        let (min, max) = (min.into(), max.into());
        if self.replays() || min.replays() || max.replays() {
            return self.clamp_replayed(min, max);
        }
        surface::clamp(self, min, max)
    }

    /// `(sin x, cos x)`, as two nodes.
    #[track_caller]
    pub fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
}

/// `Active` records what the op table gives, with the stable forms of the
/// textbook loss as `Var` does.
impl<F: Scalar> Handle for Active<F> {
    type Float = F;

    #[inline(always)]
    fn value_of(&self) -> F {
        self.value
    }

    /// On a function's recording, the node is also told how to compute it
    /// again (out of line: no other recording pays for it).
    #[inline(always)]
    #[track_caller]
    fn apply_unary(&self, op: Unary) -> Self {
        if self.replays() {
            return self.unary_replayed(op);
        }
        let (value, d) = op.eval(self.value);
        self.unary_op(op, value, d)
    }

    #[inline(always)]
    #[track_caller]
    fn apply_binary(&self, op: Binary, other: &Self) -> Self {
        if self.replays() || other.replays() {
            return self.binary_replayed(op, *other);
        }
        let (value, partials) = op.eval(self.value, other.value);
        self.binary_op(op, other, value, partials)
    }

    #[track_caller]
    fn observe(&self, test: Test, other: Option<&Self>) {
        self.observe_test(test, other);
    }

    #[track_caller]
    fn read(&self) {
        self.observe_read();
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

operators!([F: Scalar] Active<F>; [] Active<f64>, Active<f32>);

op_table!(methods! {[impl<F: Scalar> Active<F>] active});

number_traits!([F: Scalar] Active<F>, F; [] Active<f64>, Active<f32>);

/// Every method is the inherent method of the same name.
impl<F: Scalar> Float for Active<F> {
    float_methods!();
}

impl<F: Scalar> From<F> for Active<F> {
    /// A [constant](Active::constant).
    fn from(value: F) -> Self {
        Active::constant(value)
    }
}

/// `Σ xᵢ` as one node, as [`sum`](crate::sum) of `Var`s.
impl<F: Scalar> Sum for Active<F> {
    #[track_caller]
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        recording::sum(&iter.collect::<Vec<_>>())
    }
}

/// `Π xᵢ` as one node, as the `Product` of `Var`s.
impl<F: Scalar> Product for Active<F> {
    #[track_caller]
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        recording::product(&iter.collect::<Vec<_>>())
    }
}
