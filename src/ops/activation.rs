//! How a tape records the textbook loss `ln σ(z)`, `ln(1 − σ(z))` in the
//! stable form of the table's `ln_sigmoid` (its formulas are in
//! `table::stable`).

use num_traits::Float;

use core::panic::Location;

use crate::table::stable::{sigmoid, softplus};
use crate::table::{Arg, Code, Instr};
use crate::tape::{Caller, Sigmoid};
use crate::{Tape, Var};

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
    tape.expect(Instr::new(
        Code::LnSigmoid { negated },
        [Arg::Node(input); 2],
    ));
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
    tape.expect(Instr::new(
        Code::Complement,
        [Arg::Node(node), Arg::Node(input)],
    ));
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
