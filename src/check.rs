//! A finite-difference check of tape gradients, for your own ops.

use approx::RelativeEq;
use num_traits::Float;

use crate::{Active, Error, Result, Scalar, Tape, Var};

/// How close a tape gradient and its finite-difference estimate must be:
/// they pass where `approx::relative_eq!(tape, numeric, epsilon, max_relative)`
/// holds, or where they differ by no more than the estimate's own rounding
/// error (see [`check_gradient`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance<F> {
    /// The absolute difference that always passes (for partials near `0`).
    pub epsilon: F,
    /// The difference that passes, relative to the larger magnitude.
    pub max_relative: F,
}

impl<F: Float> Default for Tolerance<F> {
    /// `∛ε` of the float type for both, the error of a central difference
    /// with the step [`check_gradient`] takes: about `6e-6` in `f64` and
    /// `5e-3` in `f32`.
    fn default() -> Self {
        let cbrt_eps = F::epsilon().cbrt();
        Tolerance {
            epsilon: cbrt_eps,
            max_relative: cbrt_eps,
        }
    }
}

impl<F: Float> Tolerance<F> {
    /// Whether `derivative` agrees with its central-difference `estimate`:
    /// as `approx::relative_eq!` under the tolerance, or within the
    /// estimate's own rounding. A NaN never agrees, nor does an infinity
    /// with a finite number.
    pub(crate) fn accepts(&self, derivative: F, estimate: Estimate<F>) -> bool {
        self.excess(derivative, estimate) <= F::one()
    }

    /// How far `derivative` is from `estimate`, in multiples of what is
    /// allowed; infinite for a NaN.
    fn excess(&self, derivative: F, estimate: Estimate<F>) -> F {
        let (d, n) = (derivative, estimate.value);
        if d == n {
            return F::zero();
        }
        let allowed = self
            .epsilon
            .max(self.max_relative * d.abs().max(n.abs()))
            .max(estimate.rounding);
        let e = (d - n).abs() / allowed;
        if e.is_nan() { F::infinity() } else { e }
    }
}

/// A central-difference estimate of a partial derivative, and how far the
/// rounding of the function's two values may move it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Estimate<F> {
    pub(crate) value: F,
    pub(crate) rounding: F,
}

/// The one finite-difference routine: `∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h`
/// with the step `h = ∛ε · max(1, |xᵢ|)` that balances truncation and
/// rounding error, and the rounding `4ε·(|f(x + h·eᵢ)| + |f(x − h·eᵢ)|) / 2h`
/// (four ulps in each value). `x` is as it was afterwards.
pub(crate) fn central_difference<F: Float>(
    mut f: impl FnMut(&[F]) -> F,
    x: &mut [F],
    i: usize,
) -> Estimate<F> {
    let xi = x[i];
    let h = F::epsilon().cbrt() * xi.abs().max(F::one());
    x[i] = xi + h;
    let up = f(x);
    x[i] = xi - h;
    let down = f(x);
    x[i] = xi;
    // The step actually taken, after rounding x ± h.
    let step = (xi + h) - (xi - h);
    let four = F::from(4).expect("every float type has 4");
    Estimate {
        value: (up - down) / step,
        rounding: four * F::epsilon() * (up.abs() + down.abs()) / step,
    }
}

/// Where `declared` partials of `f` at `x` disagree with central
/// differences, under [`check_gradient`]'s default tolerance, as
/// `(input, declared, numeric)`, over the inputs `checked` lists: the check
/// of checked tapes for custom ops and block ops. Where the difference or
/// the declared partial is not finite (a kink, a pole) there is nothing to
/// compare: checked mode reports non-finite numbers on their own.
pub(crate) fn disagreements<F: Float>(
    mut f: impl FnMut(&[F]) -> F,
    x: &[F],
    declared: &[F],
    checked: impl Iterator<Item = usize>,
) -> impl Iterator<Item = (usize, F, F)> {
    let mut at = x.to_vec();
    let found: Vec<(usize, F, F)> = checked
        .filter_map(|i| {
            let estimate = central_difference(&mut f, &mut at, i);
            let agree = Tolerance::default().accepts(declared[i], estimate);
            let comparable = estimate.value.is_finite() && declared[i].is_finite();
            (!agree && comparable).then_some((i, declared[i], estimate.value))
        })
        .collect();
    found.into_iter()
}

/// What [`check_gradient`] compared.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientCheck<F> {
    /// The gradient from the tape, one partial per input.
    pub tape: Vec<F>,
    /// The central-difference estimate, one partial per input.
    pub numeric: Vec<F>,
    /// The input where the two disagree most, relative to the tolerance;
    /// `None` for a function of no inputs.
    pub worst: Option<usize>,
}

/// Compares the tape gradient of `f` at `x` with central finite differences,
/// under the [default tolerance](Tolerance::default).
///
/// Pass `f` as a closure written in the call, or as a function item like
/// `square_wrong` below: a closure stored in a variable first does not get the
/// signature that works for every tape lifetime.
///
/// Each partial is estimated as `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h`, with the
/// step `h = ∛ε · max(1, |xᵢ|)` that balances truncation and rounding error
/// for the float type. Where `f` is large, the rounding of its two values
/// alone can move the estimate by more than the tolerance of a small
/// partial; a partial also passes within that rounding,
/// `4ε·(|f(x + h·eᵢ)| + |f(x − h·eᵢ)|) / 2h` (four ulps in each value of
/// `f`).
///
/// # Errors
///
/// [`Error::GradientMismatch`], naming the worst input and both values, if
/// any partial disagrees (a NaN always does).
///
/// ```
/// use tapegrad::{check_gradient, Var};
///
/// let report = check_gradient(|x| x[0].sin() * x[1].exp(), &[0.3, -1.2])?;
/// assert_eq!(report.tape.len(), 2);
///
/// // A wrong derivative of x² is caught.
/// fn square_wrong<'t>(x: &[Var<'t>]) -> Var<'t> {
///     Var::custom("square, wrongly", [x[0]], |[v]| (v * v, [v]))
/// }
/// let err = check_gradient(square_wrong, &[1.5]).unwrap_err();
/// assert!(matches!(err, tapegrad::Error::GradientMismatch { index: 0, .. }));
/// # Ok::<(), tapegrad::Error>(())
/// ```
pub fn check_gradient<F, G>(f: G, x: &[F]) -> Result<GradientCheck<F>>
where
    F: Float + RelativeEq<Epsilon = F>,
    G: for<'t> Fn(&[Var<'t, F>]) -> Var<'t, F>,
{
    check_gradient_with(f, x, Tolerance::default())
}

/// [`check_gradient`] with your own tolerance.
///
/// # Errors
///
/// [`Error::GradientMismatch`] if any partial disagrees beyond `tolerance`.
///
#[doc = closure_rule!()]
pub fn check_gradient_with<F, G>(f: G, x: &[F], tolerance: Tolerance<F>) -> Result<GradientCheck<F>>
where
    F: Float + RelativeEq<Epsilon = F>,
    G: for<'t> Fn(&[Var<'t, F>]) -> Var<'t, F>,
{
    let mut tape = Tape::default();
    let tape_gradient = {
        let vars = tape.vars(x);
        let grads = f(&vars).backward();
        vars.iter().map(|v| grads.wrt(v)).collect::<Vec<_>>()
    };
    let value = |at: &[F]| {
        tape.clear();
        let vars = tape.vars(at);
        f(&vars).value()
    };
    compare(tape_gradient, value, x, tolerance)
}

/// [`check_gradient`] for a function of [`Active`] variables, such as one
/// written against nalgebra's types.
///
/// # Errors
///
/// [`Error::GradientMismatch`], as [`check_gradient`].
///
/// ```
/// use tapegrad::{Active, check_active_gradient};
///
/// let report = check_active_gradient(|x: &[Active]| x[0].hypot(x[1]), &[3.0, 4.0])?;
/// assert_eq!(report.tape, [0.6, 0.8]);
/// # Ok::<(), tapegrad::Error>(())
/// ```
pub fn check_active_gradient<F, G>(f: G, x: &[F]) -> Result<GradientCheck<F>>
where
    F: Scalar + RelativeEq<Epsilon = F>,
    G: Fn(&[Active<F>]) -> Active<F>,
{
    check_active_gradient_with(f, x, Tolerance::default())
}

/// [`check_active_gradient`] with your own tolerance.
///
/// # Errors
///
/// [`Error::GradientMismatch`] if any partial disagrees beyond `tolerance`.
pub fn check_active_gradient_with<F, G>(
    f: G,
    x: &[F],
    tolerance: Tolerance<F>,
) -> Result<GradientCheck<F>>
where
    F: Scalar + RelativeEq<Epsilon = F>,
    G: Fn(&[Active<F>]) -> Active<F>,
{
    let mut tape = Tape::<F>::default();
    let tape_gradient = tape.record(|| {
        let vars = Active::vars(x);
        f(&vars).backward().wrt_all(&vars)
    });
    let value = |at: &[F]| {
        tape.clear();
        tape.record(|| f(&Active::vars(at)).value())
    };
    compare(tape_gradient, value, x, tolerance)
}

/// The tape's gradient against central differences of `value` at `x`.
fn compare<F: Float>(
    tape_gradient: Vec<F>,
    mut value: impl FnMut(&[F]) -> F,
    x: &[F],
    tolerance: Tolerance<F>,
) -> Result<GradientCheck<F>> {
    let mut at = x.to_vec();
    let estimates: Vec<Estimate<F>> = (0..x.len())
        .map(|i| central_difference(&mut value, &mut at, i))
        .collect();
    let numeric: Vec<F> = estimates.iter().map(|e| e.value).collect();

    let passes = |i: usize| tolerance.accepts(tape_gradient[i], estimates[i]);
    let excess = |i: usize| tolerance.excess(tape_gradient[i], estimates[i]);
    let worst_of = |inputs: &mut dyn Iterator<Item = usize>| {
        inputs.reduce(|w, i| if excess(i) > excess(w) { i } else { w })
    };
    if let Some(i) = worst_of(&mut (0..x.len()).filter(|&i| !passes(i))) {
        return Err(Error::GradientMismatch {
            index: i,
            tape: tape_gradient[i].to_f64().unwrap_or(f64::NAN),
            numeric: numeric[i].to_f64().unwrap_or(f64::NAN),
        });
    }
    Ok(GradientCheck {
        worst: worst_of(&mut (0..x.len())),
        tape: tape_gradient,
        numeric,
    })
}
