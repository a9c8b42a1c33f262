//! Central finite differences: the one routine behind the public gradient
//! check (`check.rs`) and checked tapes' check of custom and block ops.

use num_traits::Float;

/// How close a tape gradient and its finite-difference estimate must be:
/// they pass where `approx::relative_eq!(tape, numeric, epsilon, max_relative)`
/// holds, or where they differ by no more than the estimate's own rounding
/// error (see [`check_gradient`](crate::check::check_gradient)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance<F> {
    /// The absolute difference that always passes (for partials near `0`).
    pub epsilon: F,
    /// The difference that passes, relative to the larger magnitude.
    pub max_relative: F,
}

impl<F: Float> Default for Tolerance<F> {
    /// `∛ε` of the float type for both, the error of a central difference
    /// with the step [`check_gradient`](crate::check::check_gradient) takes: about `6e-6` in `f64` and
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
    pub(crate) fn excess(&self, derivative: F, estimate: Estimate<F>) -> F {
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
/// differences, under [`check_gradient`](crate::check::check_gradient)'s default tolerance, as
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
