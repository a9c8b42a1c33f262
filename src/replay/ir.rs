//! The IR of a recorded function: each node's [`Op`], its operands typed
//! per op (a node by index, a constant by value), decoded once from the
//! instruction the recorder heard ([`Op::decode`]). `optimize`'s passes
//! rewrite it; the evaluation loop runs it, each op's value and partials
//! by the op table's own arithmetic, so the bits the recording made.

use num_traits::Float;

use crate::table::{Arg, Binary, Code, Instr, Select, Side, Unary};

/// A node's computation: its op and operands. The four arithmetic ops
/// and `−x`, most of what programs are made of, have their own variants
/// (one dispatch each in the evaluation loop); [`Op::binary`] makes every
/// op of two operands, so `Binary` never holds them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op<F> {
    /// The function's `k`-th input, or dynamic parameter: set, not computed.
    Input(u32),
    Param(u32),
    /// A variable made inside the recorded closure, fixed at its value then.
    Fixed(F),
    Add(u32, u32),
    /// `a + c` (or `c + a`: the same bits).
    AddConst(u32, F),
    Sub(u32, u32),
    SubConst(u32, F),
    ConstSub(F, u32),
    Mul(u32, u32),
    /// `a·c` (or `c·a`).
    MulConst(u32, F),
    Div(u32, u32),
    DivConst(u32, F),
    ConstDiv(F, u32),
    Neg(u32),
    /// An op of the table of one operand (never `Neg`).
    Unary(Unary, u32),
    /// Any other op of the table of two operands, of two nodes, of a node
    /// and a constant, or of a constant and a node.
    Binary(Binary, u32, u32),
    BinaryConst(Binary, u32, F),
    ConstBinary(Binary, F, u32),
    /// The stable `ln` of a sigmoid: `ln σ(z)`, or `ln(1 − σ(z))` if
    /// `negated`.
    LnSigmoid {
        z: u32,
        negated: bool,
    },
    /// `1 − σ(z)` of the sigmoid node `sigmoid` of `z`, computed as `σ(−z)`.
    Complement {
        sigmoid: u32,
        z: u32,
    },
    /// The function's `k`-th select, whose node the evaluation makes a node
    /// of one edge, to the branch it takes (see `Function::forward`).
    Select(u32),
    /// The sum of the function's terms `first..first + count`, in order:
    /// the first term's value, then each term added or taken away. Made by
    /// `optimize` of a sum written term by term, a product that only the
    /// sum reads one of its terms (a dot product).
    Sum {
        first: u32,
        count: u32,
    },
}

/// A term of a sum: what it adds, or takes away if `minus` (never the
/// first term).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Term<F> {
    pub(crate) minus: bool,
    pub(crate) value: Summand<F>,
}

/// What a term of a sum adds: a constant, a node's value, or the product
/// of two nodes' values, computed as `a·b` is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Summand<F> {
    Const(F),
    Node(u32),
    Product(u32, u32),
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

    /// The op with each node operand `n` renamed `f(n)`: a node, or, for an
    /// op of two operands, a constant.
    pub(crate) fn renamed(self, f: impl Fn(u32) -> Arg<F>) -> Self {
        if let Some((op, a, b)) = self.as_binary() {
            return Op::binary(op, a.map_node(&f), b.map_node(&f));
        }
        let g = |n: u32| f(n).node().expect("an op of one operand renamed to a node");
        match self {
            Op::Neg(a) => Op::Neg(g(a)),
            Op::Unary(op, a) => Op::Unary(op, g(a)),
            Op::LnSigmoid { z, negated } => Op::LnSigmoid { z: g(z), negated },
            Op::Complement { sigmoid, z } => Op::Complement {
                sigmoid: g(sigmoid),
                z: g(z),
            },
            other => other,
        }
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

    /// The node's value and its partials, one per parent, at `values`;
    /// `last` is the node computed just before and its value.
    #[inline(always)]
    pub(crate) fn eval<T: Float + From<F>>(self, values: &[T], last: (u32, T)) -> (T, [T; 2]) {
        // An op of one operand reads the node just computed from a
        // register: through memory, a chain of such ops would wait for each
        // store to reach the next load. Ops of two read memory: the tests
        // cost sums and products more than the wait (BENCHMARKS.md).
        let v = |n: u32| {
            if n == last.0 {
                last.1
            } else {
                values[n as usize]
            }
        };
        let m = |n: u32| values[n as usize];
        let c = |c: F| <T as From<F>>::from(c);
        let zero = T::zero();
        // The first partial of an op of two whose second operand is a
        // constant, the second of one whose first is.
        let left = |(value, [d, _]): (T, [T; 2])| (value, [d, zero]);
        let right = |(value, [_, d]): (T, [T; 2])| (value, [d, zero]);
        let unary = |op: Unary, x: T| {
            let (value, d) = op.eval(x);
            (value, [d, zero])
        };
        match self {
            Op::Input(_) | Op::Param(_) => (zero, [zero; 2]),
            Op::Fixed(k) => (c(k), [zero; 2]),
            Op::Add(a, b) => Binary::Add.eval(m(a), m(b)),
            Op::AddConst(a, k) => left(Binary::Add.eval(v(a), c(k))),
            Op::Sub(a, b) => Binary::Sub.eval(m(a), m(b)),
            Op::SubConst(a, k) => left(Binary::Sub.eval(v(a), c(k))),
            Op::ConstSub(k, b) => right(Binary::Sub.eval(c(k), v(b))),
            Op::Mul(a, b) => Binary::Mul.eval(m(a), m(b)),
            Op::MulConst(a, k) => left(Binary::Mul.eval(v(a), c(k))),
            Op::Div(a, b) => Binary::Div.eval(m(a), m(b)),
            Op::DivConst(a, k) => left(Binary::Div.eval(v(a), c(k))),
            Op::ConstDiv(k, b) => right(Binary::Div.eval(c(k), v(b))),
            Op::Neg(a) => unary(Unary::Neg, v(a)),
            Op::Unary(op, a) => unary(op, v(a)),
            Op::Binary(op, a, b) => op.eval(m(a), m(b)),
            Op::BinaryConst(op, a, k) => left(op.eval(v(a), c(k))),
            Op::ConstBinary(op, k, b) => right(op.eval(c(k), v(b))),
            Op::LnSigmoid { z, negated } => {
                let (z, sign) = if negated {
                    (-v(z), -T::one())
                } else {
                    (v(z), T::one())
                };
                let (value, d) = Unary::LnSigmoid.eval(z);
                (value, [sign * d, zero])
            }
            Op::Complement { z, .. } => (crate::table::stable::sigmoid(-m(z)).0, [-T::one(), zero]),
            Op::Select(_) | Op::Sum { .. } => {
                unreachable!("the evaluation loop computes sums and selects")
            }
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
