//! The classifier's nodes and their numerically stable relatives:
//! `sigmoid`, `ln_sigmoid`, `softplus`, `relu`, `bce_with_logits`.
//!
//! All of them are computed from `e^(−|z|)`, which never overflows, so value
//! and gradient stay finite and exact for any finite `z`. Each is written as
//! two analytic branches, on the sign of `z`, rather than with `|z|` and
//! `max(z, 0)`: a nested tape differentiates the formula, and `|z|` would put
//! a kink at `z = 0` into the second derivative of a smooth function.

use num_traits::Float;

use crate::Var;
use crate::tape::SigmoidMark;

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

impl<'t, F: Float> Var<'t, F> {
    /// The logistic sigmoid `σ(z) = 1/(1 + e^(−z))`:
    /// `d/dz σ(z) = σ(z)·(1 − σ(z))`.
    ///
    /// Computed without overflow: `σ(±800)` is `1` or `0` with a zero (not
    /// NaN) gradient. Its [`ln`](Var::ln), and the `ln` of `1 − σ(z)`, are
    /// recorded in the stable form of [`ln_sigmoid`](Var::ln_sigmoid).
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let z = tape.var(0.0);
    /// let s = z.sigmoid();
    /// assert_eq!(s.value(), 0.5);
    /// assert_eq!(s.backward().wrt(&z), 0.25);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn sigmoid(self) -> Self {
        let (s, ds) = sigmoid(self.value());
        let out = self.unary("sigmoid", s, ds);
        if let Some(tape) = out.tape() {
            tape.mark_sigmoid(SigmoidMark {
                node: out.node(),
                pre: self.node(),
                u: self.value(),
                sign: F::one(),
                complement_of: None,
                bypassed_at: None,
            });
        }
        out
    }

    /// `ln σ(z) = −softplus(−z)`, stable for any `z`:
    /// `d/dz ln σ(z) = σ(−z) = 1 − σ(z)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let z = tape.var(-800.0);
    /// let y = z.ln_sigmoid();
    /// assert_eq!(y.value(), -800.0);
    /// assert_eq!(y.backward().wrt(&z), 1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn ln_sigmoid(self) -> Self {
        let z = self.value();
        self.unary("ln_sigmoid", -softplus(-z), sigmoid(-z).0)
    }

    /// `softplus(z) = ln(1 + eᶻ)`, stable for any `z`:
    /// `d/dz softplus(z) = σ(z)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let z = tape.var(800.0);
    /// let y = z.softplus();
    /// assert_eq!(y.value(), 800.0);
    /// assert_eq!(y.backward().wrt(&z), 1.0);
    /// ```
    pub fn softplus(self) -> Self {
        let z = self.value();
        self.unary("softplus", softplus(z), sigmoid(z).0)
    }

    /// `max(x, 0)`: `d/dx = 1` for `x > 0` and `0` otherwise, including at
    /// `0` (the convention of PyTorch). A NaN stays NaN.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.0);
    /// assert_eq!(x.relu().backward().wrt(&x), 0.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn relu(self) -> Self {
        let x = self.value();
        match x > F::zero() {
            true => self.unary("relu", x, F::one()),
            false if x.is_nan() => self.unary("relu", x, F::zero()),
            false => self.unary("relu", F::zero(), F::zero()),
        }
    }

    /// Binary cross-entropy of the label `y` against the prediction
    /// `σ(z)`, from the logit `z`:
    /// `−y·ln σ(z) − (1 − y)·ln(1 − σ(z)) = softplus(z) − y·z`,
    /// with `∂/∂z = σ(z) − y` and `∂/∂y = −z`.
    ///
    /// Stable for any `z`: at `z = ±800` the loss is exact and the gradient
    /// is `±1` or `0`, never NaN.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let z = tape.var(800.0);
    /// let loss = z.bce_with_logits(0.0); // a confident wrong answer
    /// assert_eq!(loss.value(), 800.0);
    /// assert_eq!(loss.backward().wrt(&z), 1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn bce_with_logits(self, y: impl Into<Self>) -> Self {
        let (z, y) = (self.value(), y.into());
        let (loss, dz) = bce(z, y.value());
        self.binary("bce_with_logits", y, loss, dz, -z)
    }

    /// `ln self` in the stable form, if `self` is a sigmoid `σ(u)` with
    /// `u = ±z`: `ln σ(u) = −softplus(−u)`, recorded with `z` as its parent
    /// and `∂/∂z = ±σ(−u)`.
    #[track_caller]
    pub(crate) fn ln_of_sigmoid(self) -> Option<Self> {
        let tape = self.tape()?;
        let mark = tape.sigmoid_mark(self.node())?;
        let u = mark.u;
        let out = tape.record(
            "ln∘sigmoid",
            -softplus(-u),
            [(mark.pre, mark.sign * sigmoid(-u).0)],
        );
        tape.bypass(self.node(), out.node());
        Some(out)
    }

    /// `1 − self` if `self` is a sigmoid `σ(u)`: recorded as `σ(−u)`, exactly,
    /// and itself marked as a sigmoid, so that its `ln` is stable too.
    #[track_caller]
    pub(crate) fn sigmoid_complement(self) -> Option<Self> {
        let tape = self.tape()?;
        let mark = tape.sigmoid_mark(self.node())?;
        let out = tape.record(
            "1 − sigmoid",
            sigmoid(-mark.u).0,
            [(self.node(), -F::one())],
        );
        tape.mark_sigmoid(SigmoidMark {
            node: out.node(),
            pre: mark.pre,
            u: -mark.u,
            sign: -mark.sign,
            complement_of: Some(self.node()),
            bypassed_at: None,
        });
        Some(out)
    }
}
