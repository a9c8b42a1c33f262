//! The stable formulas of the classifier's ops (`sigmoid`, `ln_sigmoid`,
//! `softplus`, `bce_with_logits`, entries of the op table), and how `Var`
//! records the textbook loss `ln σ(z)`, `ln(1 − σ(z))` in a stable form.
//!
//! All of them are computed from `e^(−|z|)`, which never overflows, so value
//! and gradient stay finite and exact for any finite `z`. Each is written as
//! two analytic branches, on the sign of `z`, rather than with `|z|` and
//! `max(z, 0)`: a nested tape differentiates the formula, and `|z|` would put
//! a kink at `z = 0` into the second derivative of a smooth function.

use num_traits::Float;

use core::panic::Location;

use crate::replay::{Arg, Code};
use crate::tape::{Caller, Sigmoid};
use crate::{Tape, Var};

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
    /// `σ(z)`, of value `s` and derivative `ds`, kept as a sigmoid of `z`
    /// for a stable [`ln`](Var::ln).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn sigmoid_node(self, s: F, ds: F) -> Self {
        match self.tape() {
            Some(tape) => tape.sigmoid_of(s, self.node(), ds, self.value()),
            None => Var::constant(s),
        }
    }

    /// `ln self` in the stable form, if `self` is a sigmoid (see [`stable_ln`]).
    #[track_caller]
    pub(crate) fn ln_of_sigmoid(self) -> Option<Self> {
        let tape = self.tape()?;
        let (node, value) = stable_ln(tape, self.node(), Location::caller())?;
        Some(Var::recorded(tape, node, value))
    }

    /// `1 − self` if `self` is a sigmoid (see [`complement`]).
    #[track_caller]
    pub(crate) fn sigmoid_complement(self) -> Option<Self> {
        let tape = self.tape()?;
        let (node, value) = complement(tape, self.node(), Location::caller())?;
        Some(Var::recorded(tape, node, value))
    }
}

/// `ln` of `node` in the stable form, if `node` is a sigmoid `σ(u)` with
/// `u = ±z`: `ln σ(u) = −softplus(−u)`, recorded with `z` as its parent and
/// `∂/∂z = ±σ(−u)`; the nodes it goes around are noted as bypassed. The
/// new node and its value.
pub(crate) fn stable_ln<F: Float>(tape: &Tape<F>, node: u32, caller: Caller) -> Option<(u32, F)> {
    let Sigmoid {
        input, at, negated, ..
    } = tape.sigmoid(node)?;
    let sign = if negated { -F::one() } else { F::one() };
    let (value, d) = (-softplus(-at), sign * sigmoid(-at).0);
    tape.expect_instr(Code::LnSigmoid { negated }, [Arg::Node(input); 2]);
    let out = tape.push(
        "ln∘sigmoid",
        value,
        [Some(input), None],
        [d, F::zero()],
        caller,
    );
    // `1 − σ(z)` goes around the sigmoid `σ(z)` too, its one parent.
    let sigmoid_node = negated.then(|| tape.parent(node));
    for bypassed in [Some(node), sigmoid_node].into_iter().flatten() {
        tape.bypass(bypassed, out);
    }
    Some((out, value))
}

/// `1 − node` if `node` is a sigmoid `σ(z)`: recorded as `σ(−z)`, exactly,
/// and kept as a sigmoid of `−z`, so that its `ln` is stable too. The new
/// node and its value.
pub(crate) fn complement<F: Float>(tape: &Tape<F>, node: u32, caller: Caller) -> Option<(u32, F)> {
    let Sigmoid {
        input, at, negated, ..
    } = tape.sigmoid(node)?;
    if negated {
        return None; // 1 − (1 − s) is recorded as it is written
    }
    let value = sigmoid(-at).0;
    tape.expect_instr(Code::Complement, [Arg::Node(node), Arg::Node(input)]);
    let out = tape.push(
        "1 − sigmoid",
        value,
        [Some(node), None],
        [-F::one(), F::zero()],
        caller,
    );
    tape.keep_sigmoid(Sigmoid {
        node: out,
        input,
        at: -at,
        negated: true,
    });
    Some((out, value))
}
