//! A function's IR as text, a line a node, its guards and its outputs:
//! [`Function`]'s `Display`.

use core::fmt;

use super::{Arg, Function, Guard, Op, Select, Summand};
use crate::active::Scalar;
use crate::table::{Test, Unary};

/// The IR of the function: a line a node (`%3 = mul %1 %2`, a constant
/// as Rust prints it, `2.0`; a sum of terms `sum %3*%2 - %4 + 1.0`, a
/// product one of them), then each guard with the outcome it must keep and
/// the line that recorded it, then the outputs. Before
/// [`optimize`](Function::optimize) it shows what the closure recorded,
/// after it what the evaluation computes.
///
/// ```
/// use tapegrad::{Active, replay::Function};
///
/// let mut f = Function::record(&[1.0, 2.0], |x: &[Active]| {
///     let s = x[0].sin();
///     x[0].sin() * x[1] - s * 2.0
/// })?;
/// assert_eq!(f.len(), 7);
/// f.optimize(); // the second `sin` is the first; the sum, one op
/// let ir = "\
/// %1 = input 0
/// %2 = input 1
/// %3 = sin %1
/// %4 = mul %3 2.0
/// %5 = sum %3*%2 - %4
/// return %5";
/// assert_eq!(f.to_string(), ir);
/// # Ok::<(), tapegrad::Error>(())
/// ```
impl<F: Scalar + fmt::Debug> fmt::Display for Function<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, &op) in self.ops.iter().enumerate() {
            writeln!(f, "%{} = {}", k + 1, Line(op, self))?;
        }
        for guard in &self.guards {
            let Guard { test, operands, .. } = guard;
            let (outcome, at) = (guard.outcome.describe(), guard.location);
            writeln!(f, "guard {} is {outcome} at {at}", Tested(*test, *operands))?;
        }
        let outputs: Vec<_> = self
            .outputs
            .iter()
            .map(|&y| Operand(y).to_string())
            .collect();
        write!(f, "return {}", outputs.join(", "))
    }
}

/// An operand as the IR's text writes it: `%3`, or a constant.
struct Operand<F>(Arg<F>);

impl<F: fmt::Debug> fmt::Display for Operand<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Arg::Node(n) => write!(f, "%{n}"),
            Arg::Const(c) => write!(f, "{c:?}"),
        }
    }
}

/// A test of two operands as the IR's text writes it: `%1 < %2`,
/// `is_nan(%1)`, `partial_cmp(%1, %2)`.
struct Tested<F>(Test, [Arg<F>; 2]);

impl<F: fmt::Debug + Copy> fmt::Display for Tested<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b] = self.1.map(Operand);
        match self.0 {
            Test::Compare(_) => write!(f, "{a} {} {b}", self.0.name()),
            Test::PartialCmp => write!(f, "partial_cmp({a}, {b})"),
            test => write!(f, "{}({a})", test.name()),
        }
    }
}

/// An op as the IR's text writes it, its name and operands.
struct Line<'a, F: Scalar>(Op<F>, &'a Function<F>);

impl<F: Scalar + fmt::Debug> fmt::Display for Line<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = |n: u32| Operand::<F>(Arg::Node(n));
        if let Some((op, a, b)) = self.0.as_binary() {
            return write!(f, "{} {} {}", op.name(), Operand(a), Operand(b));
        }
        match self.0 {
            Op::Input(k) => write!(f, "input {k}"),
            Op::Param(k) => write!(f, "param {k}"),
            Op::Fixed(c) => write!(f, "fixed {c:?}"),
            Op::Neg(a) => write!(f, "neg {}", node(a)),
            Op::Unary(Unary::Powi(n), a) => write!(f, "powi {} {n}", node(a)),
            Op::Unary(op, a) => write!(f, "{} {}", op.name(), node(a)),
            Op::LnSigmoid { z, negated } => {
                let sign = if negated { "-" } else { "" };
                write!(f, "ln_sigmoid {sign}{}", node(z))
            }
            Op::Complement { sigmoid, .. } => write!(f, "one_minus {}", node(sigmoid)),
            Op::Select(k) => {
                let Select {
                    test,
                    operands,
                    branches: [yes, no],
                } = self.1.selects[k as usize];
                let tested = Tested(test, operands);
                write!(f, "select {tested} ? {} : {}", Operand(yes), Operand(no))
            }
            Op::Sum { .. } => {
                write!(f, "sum")?;
                for (i, term) in self.1.terms_of(self.0).iter().enumerate() {
                    let sign = match (i, term.minus) {
                        (0, _) => "",
                        (_, false) => "+ ",
                        (_, true) => "- ",
                    };
                    match term.value {
                        Summand::Const(c) => write!(f, " {sign}{c:?}")?,
                        Summand::Node(n) => write!(f, " {sign}{}", node(n))?,
                        Summand::Product(a, b) => write!(f, " {sign}{}*{}", node(a), node(b))?,
                    }
                }
                Ok(())
            }
            _ => unreachable!("an op of two operands is written above"),
        }
    }
}
