//! The stable formulas of the classifier's ops (`sigmoid`, `ln_sigmoid`,
//! `softplus`, `bce_with_logits`, entries of the op table).
//!
//! All of them are computed from `e^(−|z|)`, which never overflows, so value
//! and gradient stay finite and exact for any finite `z`. Each is written as
//! two analytic branches, on the sign of `z`, rather than with `|z|` and
//! `max(z, 0)`: a nested tape differentiates the formula, and `|z|` would put
//! a kink at `z = 0` into the second derivative of a smooth function.

use num_traits::Float;

/// `(σ(z), σ′(z))` from one exponential that cannot overflow.
pub(crate) fn sigmoid<F: Float>(z: F) -> (F, F) {
    let one = F::one();
    let (s, e, q) = if z >= F::zero() {
        let e = (-z).exp();
        let q = (one + e).recip(); // σ(z)
        (q, e, q)
    } else {
        let e = z.exp();
        let q = (one + e).recip(); // σ(−z)
        (e * q, e, q)
    };
    // σ′ = σ(z)·σ(−z) = e/(1 + e)², exact even where σ(z) rounds to 1.
    (s, e * q * q)
}

/// The binary cross-entropy `softplus(z) − y·z` of label `y` against
/// `σ(z)`, and its derivative `σ(z) − y` with respect to the logit `z`.
pub(crate) fn bce<F: Float>(z: F, y: F) -> (F, F) {
    let one = F::one();
    if z > F::zero() {
        // (1 − y)·z first: exactly 0 for y = 1, so no digit of the small
        // term ln(1 + e^(−z)) is lost to cancellation; and σ(z) − y as
        // (1 − y) − σ(−z), exact for y = 1 where σ(z) − 1 would cancel.
        let loss = (one - y) * z + (-z).exp().ln_1p();
        (loss, (one - y) - sigmoid(-z).0)
    } else {
        let loss = z.exp().ln_1p() - y * z;
        (loss, sigmoid(z).0 - y)
    }
}

/// `softplus(z) = ln(1 + eᶻ)`, as `z + ln(1 + e^(−z))` for `z > 0`.
pub(crate) fn softplus<F: Float>(z: F) -> F {
    if z > F::zero() {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}
