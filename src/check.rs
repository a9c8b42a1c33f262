//! A finite-difference check of tape gradients, for your own ops.

use approx::RelativeEq;
use num_traits::Float;

use crate::{Error, Result, Tape, Var};

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
    let mut at = x.to_vec();
    let mut eval = |at: &[F]| {
        tape.clear();
        let vars = tape.vars(at);
        f(&vars).value()
    };
    // Each estimate, and how far the rounding of f's values may move it.
    let (numeric, rounding): (Vec<F>, Vec<F>) = (0..x.len())
        .map(|i| {
            let h = F::epsilon().cbrt() * x[i].abs().max(F::one());
            at[i] = x[i] + h;
            let up = eval(&at);
            at[i] = x[i] - h;
            let down = eval(&at);
            at[i] = x[i];
            // The step actually taken, after rounding x ± h.
            let step = (x[i] + h) - (x[i] - h);
            let four = F::from(4).expect("every float type has 4");
            let rounding = four * F::epsilon() * (up.abs() + down.abs()) / step;
            ((up - down) / step, rounding)
        })
        .unzip();

    let passes = |i: usize| {
        let (a, n) = (tape_gradient[i], numeric[i]);
        a.relative_eq(&n, tolerance.epsilon, tolerance.max_relative) || (a - n).abs() <= rounding[i]
    };
    let excess = |i: usize| {
        let (a, n) = (tape_gradient[i], numeric[i]);
        if a == n {
            return F::zero();
        }
        let allowed = tolerance
            .epsilon
            .max(tolerance.max_relative * a.abs().max(n.abs()))
            .max(rounding[i]);
        let e = (a - n).abs() / allowed;
        if e.is_nan() { F::infinity() } else { e }
    };
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
