//! Losses over many samples, each recorded as one node, of [`Var`](crate::Var)
//! or [`Active`](crate::Active) variables alike.

use num_traits::Float;

use crate::Variable;
use crate::table::stable::bce;

#[track_caller]
fn paired(predictions: usize, targets: usize) -> usize {
    assert_eq!(
        predictions, targets,
        "tapegrad::loss: {predictions} predictions but {targets} targets"
    );
    assert!(
        predictions > 0,
        "tapegrad::loss: the mean of no samples is undefined"
    );
    predictions
}

/// The mean binary cross-entropy of labels `y` against predictions
/// `σ(zᵢ)` from logits `z`, stable for any logit (see
/// [`Var::bce_with_logits`](crate::Var::bce_with_logits)):
/// `J = (1/N)·Σ softplus(zᵢ) − yᵢ·zᵢ`, with `∂J/∂zᵢ = (σ(zᵢ) − yᵢ)/N`.
///
/// One node with one edge per logit.
///
/// # Panics
///
/// If the slices differ in length or are empty, or the logits are on
/// different tapes.
///
/// ```
/// use tapegrad::{loss, Tape};
///
/// let tape = Tape::new();
/// let z = [tape.var(0.0), tape.var(0.0)];
/// let j = loss::mean_bce_with_logits(&z, &[1.0, 0.0]);
/// assert_eq!(j.value(), 2.0_f64.ln());
/// let grads = j.backward();
/// assert_eq!((grads.wrt(&z[0]), grads.wrt(&z[1])), (-0.25, 0.25));
/// ```
#[track_caller]
pub fn mean_bce_with_logits<V: Variable<F>, F: Float>(logits: &[V], labels: &[F]) -> V {
    mean_of("mean_bce_with_logits", logits, labels, bce)
}

/// The mean squared error of predictions `p` against targets `t`:
/// `J = (1/N)·Σ (pᵢ − tᵢ)²`, with `∂J/∂pᵢ = 2·(pᵢ − tᵢ)/N`.
///
/// One node with one edge per prediction.
///
/// # Panics
///
/// If the slices differ in length or are empty, or the predictions are on
/// different tapes.
///
/// ```
/// use tapegrad::{loss, Tape};
///
/// let tape = Tape::new();
/// let p = [tape.var(1.0), tape.var(4.0)];
/// let j = loss::mean_squared_error(&p, &[0.0, 2.0]);
/// assert_eq!(j.value(), 2.5);
/// assert_eq!(j.backward().wrt(&p[1]), 2.0);
/// ```
#[track_caller]
pub fn mean_squared_error<V: Variable<F>, F: Float>(predictions: &[V], targets: &[F]) -> V {
    mean_of("mean_squared_error", predictions, targets, |p, t| {
        let two = F::one() + F::one();
        ((p - t) * (p - t), two * (p - t))
    })
}

/// `(1/N)·Σ ℓ(xᵢ, tᵢ)` as one node, where `term` gives `ℓ` and `∂ℓ/∂xᵢ`.
#[track_caller]
fn mean_of<V: Variable<F>, F: Float>(
    op: &'static str,
    xs: &[V],
    targets: &[F],
    term: impl Fn(F, F) -> (F, F),
) -> V {
    let n = F::from(paired(xs.len(), targets.len())).expect("a sample count fits every float type");
    V::record_mean(op, xs, n, |i, x| term(x, targets[i]))
}
