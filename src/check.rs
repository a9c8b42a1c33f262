//! A finite-difference check of tape gradients, for your own ops:
//! [`check_gradient`] holds a function's gradient to central differences.

use approx::RelativeEq;
use num_traits::Float;

pub use crate::difference::Tolerance;
use crate::difference::{Estimate, central_difference};
use crate::{Active, Error, Result, Scalar, Tape, Var};

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
/// use tapegrad::{check::check_gradient, Var};
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
/// use tapegrad::{Active, check::check_active_gradient};
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
