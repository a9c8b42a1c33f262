//! What a node of a recording that is evaluated again is computed by: its
//! op's code and its operands ([`Instr`]), evaluated with the table's own
//! arithmetic, so that an evaluation gives the bits the recording did.

use num_traits::Float;

use super::branch::Select;
use super::operand::Arg;
use super::stable::sigmoid;
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

impl<F: Float> Instr<F> {
    pub(crate) fn new(code: Code, args: [Arg<F>; 2]) -> Self {
        Instr { code, args }
    }

    /// The node's value and its partials, one per edge in the order the
    /// node records them, at `values` (the nodes before it): the same
    /// arithmetic as when it was recorded, so the same bits.
    #[inline(always)]
    pub(crate) fn eval<T: Float + From<F>>(
        &self,
        values: &[T],
        selects: &[Select<F>],
    ) -> (T, [T; 2]) {
        let [a, b] = self.args;
        let zero = T::zero();
        match self.code {
            Code::Input(_) | Code::Param(_) | Code::Fixed => (a.get(values), [zero; 2]),
            Code::Unary(op) => unary(op, a.get(values)),
            Code::Binary(op, side) => {
                let (value, [da, db]) = op.eval(a.get(values), b.get(values));
                match side {
                    Side::Left => (value, [db, zero]),
                    Side::Right => (value, [da, zero]),
                    Side::Neither => (value, [da, db]),
                }
            }
            Code::LnSigmoid { negated } => {
                let z = a.get(values);
                match negated {
                    false => {
                        let (value, d) = Unary::LnSigmoid.eval(z);
                        (value, [d, zero])
                    }
                    true => {
                        let (value, d) = Unary::LnSigmoid.eval(-z);
                        (value, [-d, zero])
                    }
                }
            }
            Code::Complement => (sigmoid(-b.get(values)).0, [-T::one(), zero]),
            // Its edge is chosen by the evaluation loop (`Step::Select`);
            // here, where `optimize` folds constants, its value alone.
            Code::Select(k) => (selects[k as usize].pick(values).0, [zero; 2]),
        }
    }
}

/// `op(x)` and its partials as its node records them.
#[inline(always)]
fn unary<T: Float>(op: Unary, x: T) -> (T, [T; 2]) {
    let (value, d) = op.eval(x);
    (value, [d, T::zero()])
}
