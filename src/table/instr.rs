//! What an op tells the tape's recorder about the node it records: its
//! op's code and its operands ([`Instr`]), from which replay decodes its
//! typed IR.

use super::operand::Arg;
use super::{Binary, Unary};

/// How a node is computed from its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Code {
    /// The function's `k`-th input, or dynamic parameter: set, not computed.
    Input(u32),
    Param(u32),
    /// A variable made inside the recorded closure: its value then, `args[0]`.
    Fixed,
    /// `op(args[0])`.
    Unary(Unary),
    /// `op(args[0], args[1])`; the node's edges go to the operands that are
    /// nodes, in order, and `Side` says which is a constant.
    Binary(Binary, Side),
    /// The stable `ln` of a sigmoid: `ln σ(z)` of `z = args[0]`, or, if
    /// `negated`, `ln(1 − σ(z)) = ln σ(−z)`.
    LnSigmoid {
        negated: bool,
    },
    /// `1 − σ(z)` of the sigmoid node `args[0]`, whose input is `args[1]`,
    /// computed as `σ(−z)`.
    Complement,
    /// The `k`-th select of the function.
    Select(u32),
}

/// Which operand of a binary op is a constant; the others are the node's
/// parents, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    Neither,
    Left,
    Right,
}

/// A node's code and operands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Instr<F> {
    pub(crate) code: Code,
    pub(crate) args: [Arg<F>; 2],
}

impl<F> Instr<F> {
    pub(crate) fn new(code: Code, args: [Arg<F>; 2]) -> Self {
        Instr { code, args }
    }
}
