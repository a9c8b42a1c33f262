//! The IR of a recorded [`Function`](super::Function), as
//! [`Function::ir`](super::Function::ir) shows it: each node's [`Op`], its
//! operands typed per op (a node by its index, a constant by its value),
//! the sums' [`Term`]s, the [`Select`]s and [`Guard`]s, the outputs. Node
//! 0 is the sink, which no op reads; node `i`'s op is `ops[i − 1]`, after
//! the nodes it reads. Each op's value and partials are the op table's
//! ([`Unary::eval`], [`Binary::eval`]): an evaluation of the IR by them, in
//! order, gives the bits the recording did (a sum's terms added in order).
//!
//! Inside the crate: decoded once from the instruction the recorder heard
//! (`Op::decode`); `optimize`'s passes rewrite it; the evaluation loop
//! runs it.

use num_traits::Float;

mod reverse;

pub use crate::table::{Arg, Binary, Comparison, Guard, Outcome, Select, Test, Unary};
use crate::table::{Code, Instr, Side};
pub use reverse::{Partial, ReverseSweep, Swept};

/// A node's computation: its op and operands, a node by its index. The
/// four arithmetic ops and `−x`, most of what programs are made of, have
/// their own variants, so `Binary` never holds them; an op of a constant
/// and a constant is never one (the recording computes it).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Op<F> {
    /// The function's `k`-th input: set, not computed.
    Input(u32),
    /// The function's `k`-th dynamic parameter: set, not computed.
    Param(u32),
    /// A variable made inside the recorded closure, fixed at its value then
    /// (`optimize` makes it a constant of the ops that read it).
    Fixed(F),
    /// `a + b`.
    Add(u32, u32),
    /// `a + c` (or `c + a`: the same bits).
    AddConst(u32, F),
    /// `a − b`.
    Sub(u32, u32),
    /// `a − c`.
    SubConst(u32, F),
    /// `c − b`.
    ConstSub(F, u32),
    /// `a · b`.
    Mul(u32, u32),
    /// `a · c` (or `c · a`).
    MulConst(u32, F),
    /// `a / b`.
    Div(u32, u32),
    /// `a / c`.
    DivConst(u32, F),
    /// `c / b`.
    ConstDiv(F, u32),
    /// `−a`.
    Neg(u32),
    /// An op of the table of one operand (never `Neg`).
    Unary(Unary, u32),
    /// Any other op of the table of two nodes.
    Binary(Binary, u32, u32),
    /// Any other op of the table of a node and a constant, `op(a, c)`.
    BinaryConst(Binary, u32, F),
    /// Any other op of the table of a constant and a node, `op(c, b)`.
    ConstBinary(Binary, F, u32),
    /// The stable `ln` of a sigmoid: `ln σ(z)`, or `ln(1 − σ(z))`, computed
    /// as `ln σ(−z)`, if `negated` ([`Unary::LnSigmoid`] of `z` or `−z`;
    /// its partial negated with it).
    LnSigmoid {
        /// The sigmoid's input.
        z: u32,
        /// Whether it is `ln(1 − σ(z))`.
        negated: bool,
    },
    /// `1 − σ(z)` of the sigmoid node `sigmoid` of `z`, computed as `σ(−z)`;
    /// its partial, to `sigmoid`, is `−1`.
    Complement {
        /// The sigmoid's node, the one parent.
        sigmoid: u32,
        /// The sigmoid's input.
        z: u32,
    },
    /// The function's `k`-th [`Select`]: a branch's value, its partial 1 to
    /// the branch taken.
    Select(u32),
    /// The sum of the function's terms `first..first + count`, in order:
    /// the first term's value, then each term added or taken away. Made by
    /// `optimize` of a sum written term by term, a product that only the
    /// sum reads one of its terms (a dot product).
    Sum {
        /// The first term's index.
        first: u32,
        /// The number of terms.
        count: u32,
    },
}

/// A term of a sum: what it adds, or takes away if `minus` (never the
/// first term).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Term<F> {
    /// Whether the sum takes it away.
    pub minus: bool,
    /// What it adds.
    pub value: Summand<F>,
}

/// What a term of a sum adds: a constant, a node's value, or the product
/// of two nodes' values, computed as `a·b` is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Summand<F> {
    /// This value.
    Const(F),
    /// The value of the node of this index.
    Node(u32),
    /// `a · b` of the nodes of these indices.
    Product(u32, u32),
}

/// A recorded function's IR, read from outside (see the [module](self)):
/// what a compiler of recordings reads.
///
/// ```
/// use tapegrad::{Active, replay::{Function, ir::{Op, Summand}}};
///
/// let mut f = Function::record(&[1.0, 2.0], |x: &[Active]| x[0] * x[1] + x[1].sin())?;
/// f.optimize();
/// let ir = f.ir();
/// assert_eq!(ir.ops[..2], [Op::Input(0), Op::Input(1)]);
/// let Op::Sum { first, count } = ir.ops[3] else { panic!("a sum") };
/// let terms: Vec<_> = ir.terms[first as usize..][..count as usize].iter().map(|t| t.value).collect();
/// assert_eq!(terms, [Summand::Product(1, 2), Summand::Node(3)]);
/// # Ok::<(), tapegrad::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Ir<'a, F> {
    /// Node `i`'s op at `i − 1`: the inputs' first, in order, then the
    /// parameters' (no later op is either, whether optimized or not).
    pub ops: &'a [Op<F>],
    /// The sums' terms.
    pub terms: &'a [Term<F>],
    /// The selects, by [`Op::Select`]'s index.
    pub selects: &'a [Select<F>],
    /// The comparisons each evaluation makes again after the ops, in
    /// order, each returning [`Error::BranchChanged`](crate::Error::BranchChanged)
    /// where it comes out otherwise.
    pub guards: &'a [Guard<F>],
    /// The outputs.
    pub outputs: &'a [Arg<F>],
}

impl<F: Float> Op<F> {
    /// The op of `instr`, as the recorder heard it.
    pub(crate) fn decode(instr: Instr<F>) -> Self {
        let [a, b] = instr.args;
        let node = |arg: Arg<F>| arg.node().expect("a node's operand");
        match instr.code {
            Code::Input(k) => Op::Input(k),
            Code::Param(k) => Op::Param(k),
            Code::Fixed => Op::Fixed(a.get::<F>(&[])),
            Code::Unary(Unary::Neg) => Op::Neg(node(a)),
            Code::Unary(op) => Op::Unary(op, node(a)),
            Code::Binary(op, _) => Op::binary(op, a, b),
            Code::LnSigmoid { negated } => Op::LnSigmoid {
                z: node(a),
                negated,
            },
            Code::Complement => Op::Complement {
                sigmoid: node(a),
                z: node(b),
            },
            Code::Select(k) => Op::Select(k),
        }
    }

    /// The op `a op b`, at least one operand a node.
    ///
    /// # Panics
    ///
    /// If both are constants (the recording and constant folding compute
    /// such an op).
    pub(crate) fn binary(op: Binary, a: Arg<F>, b: Arg<F>) -> Self {
        use Arg::{Const as C, Node as N};
        match (op, a, b) {
            (Binary::Add, N(a), N(b)) => Op::Add(a, b),
            (Binary::Add, N(a), C(c)) | (Binary::Add, C(c), N(a)) => Op::AddConst(a, c),
            (Binary::Sub, N(a), N(b)) => Op::Sub(a, b),
            (Binary::Sub, N(a), C(c)) => Op::SubConst(a, c),
            (Binary::Sub, C(c), N(b)) => Op::ConstSub(c, b),
            (Binary::Mul, N(a), N(b)) => Op::Mul(a, b),
            (Binary::Mul, N(a), C(c)) | (Binary::Mul, C(c), N(a)) => Op::MulConst(a, c),
            (Binary::Div, N(a), N(b)) => Op::Div(a, b),
            (Binary::Div, N(a), C(c)) => Op::DivConst(a, c),
            (Binary::Div, C(c), N(b)) => Op::ConstDiv(c, b),
            (op, N(a), N(b)) => Op::Binary(op, a, b),
            (op, N(a), C(c)) => Op::BinaryConst(op, a, c),
            (op, C(c), N(b)) => Op::ConstBinary(op, c, b),
            (_, C(_), C(_)) => panic!("an op of two constants is a constant"),
        }
    }

    /// The op of two operands and its operands, if it is one.
    pub(super) fn as_binary(self) -> Option<(Binary, Arg<F>, Arg<F>)> {
        use Arg::{Const as C, Node as N};
        Some(match self {
            Op::Add(a, b) => (Binary::Add, N(a), N(b)),
            Op::AddConst(a, c) => (Binary::Add, N(a), C(c)),
            Op::Sub(a, b) => (Binary::Sub, N(a), N(b)),
            Op::SubConst(a, c) => (Binary::Sub, N(a), C(c)),
            Op::ConstSub(c, b) => (Binary::Sub, C(c), N(b)),
            Op::Mul(a, b) => (Binary::Mul, N(a), N(b)),
            Op::MulConst(a, c) => (Binary::Mul, N(a), C(c)),
            Op::Div(a, b) => (Binary::Div, N(a), N(b)),
            Op::DivConst(a, c) => (Binary::Div, N(a), C(c)),
            Op::ConstDiv(c, b) => (Binary::Div, C(c), N(b)),
            Op::Binary(op, a, b) => (op, N(a), N(b)),
            Op::BinaryConst(op, a, c) => (op, N(a), C(c)),
            Op::ConstBinary(op, c, b) => (op, C(c), N(b)),
            _ => return None,
        })
    }

    /// The table's code of the op, and the operands it reads (a select's
    /// are its own): what the common-subexpression pass compares.
    pub(crate) fn code(self) -> (Code, [Option<Arg<F>>; 2]) {
        let node = |n| Some(Arg::Node(n));
        if let Some((op, a, b)) = self.as_binary() {
            let side = match (a, b) {
                (Arg::Const(_), _) => Side::Left,
                (_, Arg::Const(_)) => Side::Right,
                _ => Side::Neither,
            };
            return (Code::Binary(op, side), [Some(a), Some(b)]);
        }
        match self {
            Op::Input(k) => (Code::Input(k), [None; 2]),
            Op::Param(k) => (Code::Param(k), [None; 2]),
            Op::Fixed(c) => (Code::Fixed, [Some(Arg::Const(c)), None]),
            Op::Neg(a) => (Code::Unary(Unary::Neg), [node(a), None]),
            Op::Unary(op, a) => (Code::Unary(op), [node(a), None]),
            Op::LnSigmoid { z, negated } => (Code::LnSigmoid { negated }, [node(z), None]),
            Op::Complement { sigmoid, z } => (Code::Complement, [node(sigmoid), node(z)]),
            Op::Select(k) => (Code::Select(k), [None; 2]),
            Op::Sum { .. } => unreachable!("a sum's terms are the function's"),
            _ => unreachable!("an op of two operands is coded above"),
        }
    }

    /// The operands the op reads, in order, a node or a constant each (an
    /// op of one operand: the second is `None`); none for an input, a
    /// parameter, a sum (its [`Term`]s) or a select (its [`Select`]).
    ///
    /// ```
    /// use tapegrad::replay::ir::{Arg, Op};
    ///
    /// assert_eq!(Op::ConstSub(1.0, 4).operands(), [Some(Arg::Const(1.0)), Some(Arg::Node(4))]);
    /// assert_eq!(Op::<f64>::Neg(2).operands(), [Some(Arg::Node(2)), None]);
    /// ```
    pub fn operands(self) -> [Option<Arg<F>>; 2] {
        match self {
            Op::Input(_) | Op::Param(_) | Op::Fixed(_) | Op::Select(_) | Op::Sum { .. } => {
                [None; 2]
            }
            op => op.code().1,
        }
    }

    /// The same op of `operands`, ordered as [`operands`](Op::operands):
    /// an op of two may take a node or a constant for either (`x + 1` of
    /// two nodes is `x + y`), one of one a node. One without stays as is.
    ///
    /// ```
    /// use tapegrad::replay::ir::{Arg, Op};
    ///
    /// let op = Op::MulConst(7, 2.5).with_operands([Some(Arg::Node(1)), Some(Arg::Node(2))]);
    /// assert_eq!(op, Op::Mul(1, 2));
    /// ```
    ///
    /// # Panics
    ///
    /// If an operand the op has is missing, both operands of an op of two
    /// are constants (a constant, not an op), or an op of one operand is
    /// given a constant.
    pub fn with_operands(self, [a, b]: [Option<Arg<F>>; 2]) -> Self {
        let arg = |a: Option<Arg<F>>| a.expect("an operand for each the op has");
        if let Some((op, ..)) = self.as_binary() {
            return Op::binary(op, arg(a), arg(b));
        }
        let node = |a| arg(a).node().expect("a node for an op of one operand");
        match self {
            Op::Neg(_) => Op::Neg(node(a)),
            Op::Unary(op, _) => Op::Unary(op, node(a)),
            Op::LnSigmoid { negated, .. } => Op::LnSigmoid {
                z: node(a),
                negated,
            },
            Op::Complement { .. } => Op::Complement {
                sigmoid: node(a),
                z: node(b),
            },
            other => other,
        }
    }

    /// The op with each node operand `n` renamed `f(n)`: a node, or, for an
    /// op of two operands, a constant.
    pub(crate) fn renamed(self, f: impl Fn(u32) -> Arg<F>) -> Self {
        let operands = self.operands().map(|a| a.map(|a| a.map_node(&f)));
        self.with_operands(operands)
    }

    /// The parents its node has in the sweep: the nodes its partials go to.
    pub(crate) fn parents(self, selects: &[Select<F>]) -> [u32; 2] {
        match self {
            Op::Select(k) => selects[k as usize].parents(),
            Op::Complement { sigmoid, .. } => [sigmoid, 0],
            op => match op.code().1 {
                [Some(Arg::Node(a)), Some(Arg::Node(b))] => [a, b],
                [Some(Arg::Node(a)), _] | [_, Some(Arg::Node(a))] => [a, 0],
                _ => [0; 2],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Arg::{Const as C, Node as N};

    const OPS: [Binary; 8] = [
        Binary::Add,
        Binary::Sub,
        Binary::Mul,
        Binary::Div,
        Binary::Powf,
        Binary::Atan2,
        Binary::Max,
        Binary::Rem,
    ];

    /// The value and partials of `op` at `a` and `b` as its node keeps them:
    /// a constant operand gets no partial, a node's come in order.
    fn table(op: Binary, a: Arg<f64>, b: Arg<f64>, values: &[f64]) -> (f64, [f64; 2]) {
        let (value, [da, db]) = op.eval(a.get(values), b.get(values));
        match (a, b) {
            (C(_), _) => (value, [db, 0.0]),
            (_, C(_)) => (value, [da, 0.0]),
            _ => (value, [da, db]),
        }
    }

    #[test]
    fn every_op_of_two_decodes_to_the_tables_numbers_and_back() {
        // Edge constants: zeros of both signs, an infinity, a NaN, the
        // largest node index.
        let values = [0.0, 1.5, -0.75];
        for op in OPS {
            for c in [0.0, -0.0, f64::INFINITY, f64::NAN, 2.5] {
                for (a, b) in [(N(1), N(2)), (N(1), C(c)), (C(c), N(2)), (N(2), N(2))] {
                    let decoded = Op::binary(op, a, b);
                    let (value, d) = decoded.eval(&values, (0, 0.0));
                    let (v0, d0) = table(op, a, b, &values);
                    assert_eq!(value.to_bits(), v0.to_bits(), "{decoded:?}");
                    assert_eq!(d.map(f64::to_bits), d0.map(f64::to_bits), "{decoded:?}");
                    // Back to the same op and operands, but for a constant
                    // first operand of `+` and `·`, which come second (the
                    // same bits: IEEE `+` and `·` commute).
                    let (op2, a2, b2) = decoded.as_binary().expect("an op of two");
                    let commutes = matches!(op, Binary::Add | Binary::Mul);
                    let swapped = commutes && matches!(a, C(_));
                    let (a, b) = if swapped { (b, a) } else { (a, b) };
                    assert_eq!(op2, op);
                    assert_eq!(format!("{:?}", (a2, b2)), format!("{:?}", (a, b)));
                }
            }
        }
        let last = Op::binary(Binary::Sub, N(u32::MAX), C(1.0));
        assert_eq!(last, Op::SubConst(u32::MAX, 1.0));
    }

    #[test]
    #[should_panic(expected = "an op of two constants is a constant")]
    fn an_op_of_two_constants_is_never_made() {
        let _ = Op::binary(Binary::Add, C(1.0), C(2.0));
    }

    #[test]
    fn renaming_an_operand_to_a_constant_takes_the_ops_constant_form() {
        let op: Op<f64> = Op::Mul(1, 2);
        assert_eq!(
            op.renamed(|n| if n == 2 { C(3.0) } else { N(n) }),
            Op::MulConst(1, 3.0)
        );
        let op: Op<f64> = Op::Binary(Binary::Powf, 1, 2);
        let renamed = op.renamed(|n| if n == 1 { C(2.0) } else { N(n + 5) });
        assert_eq!(renamed, Op::ConstBinary(Binary::Powf, 2.0, 7));
    }
}
