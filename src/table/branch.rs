//! What a recording keeps of the branches its code took: every comparison
//! made while recording, with its operands and outcome ([`Guard`]), and the
//! branches written to replay ([`Select`]).

use core::cmp::Ordering;
use core::num::FpCategory;

use num_traits::Float;

use core::panic::Location;

use super::operand::Arg;

/// How two values are compared in [`Active::select`](crate::Active::select).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Comparison {
    /// Whether `a` compares to `b` so.
    pub(crate) fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Comparison::Lt => a < b,
            Comparison::Le => a <= b,
            Comparison::Gt => a > b,
            Comparison::Ge => a >= b,
            Comparison::Eq => a == b,
            Comparison::Ne => a != b,
        }
    }

    /// As it is written in code.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }
}

/// A comparison or inspection of values that code can branch on, each
/// as `f64`'s method of its name (or `num_traits::Zero::is_zero`); a test
/// of one value reads the first operand alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Test {
    /// `a < b` and the other comparisons.
    Compare(Comparison),
    /// `a.partial_cmp(&b)`.
    PartialCmp,
    /// `a.is_nan()`.
    IsNan,
    /// `a.is_infinite()`.
    IsInfinite,
    /// `a.is_finite()`.
    IsFinite,
    /// `a.is_normal()`.
    IsNormal,
    /// `a.classify() == FpCategory::Subnormal`.
    IsSubnormal,
    /// `a.classify()`.
    Classify,
    /// `a.is_sign_positive()`.
    IsSignPositive,
    /// `a.is_sign_negative()`.
    IsSignNegative,
    /// `a.is_zero()`.
    IsZero,
}

impl Test {
    /// How the test reads in source code.
    pub fn name(self) -> &'static str {
        match self {
            Test::Compare(comparison) => comparison.symbol(),
            Test::PartialCmp => "partial_cmp",
            Test::IsNan => "is_nan",
            Test::IsInfinite => "is_infinite",
            Test::IsFinite => "is_finite",
            Test::IsNormal => "is_normal",
            Test::IsSubnormal => "is_subnormal",
            Test::Classify => "classify",
            Test::IsSignPositive => "is_sign_positive",
            Test::IsSignNegative => "is_sign_negative",
            Test::IsZero => "is_zero",
        }
    }

    /// The outcome at `(a, b)` (`b` unused by a test of one value).
    pub fn outcome<T: Float>(self, a: T, b: T) -> Outcome {
        match self {
            Test::Compare(comparison) => Outcome::Bool(comparison.holds(a, b)),
            Test::PartialCmp => Outcome::Order(a.partial_cmp(&b)),
            Test::IsNan => Outcome::Bool(a.is_nan()),
            Test::IsInfinite => Outcome::Bool(a.is_infinite()),
            Test::IsFinite => Outcome::Bool(a.is_finite()),
            Test::IsNormal => Outcome::Bool(a.is_normal()),
            Test::IsSubnormal => Outcome::Bool(a.classify() == FpCategory::Subnormal),
            Test::Classify => Outcome::Class(a.classify()),
            Test::IsSignPositive => Outcome::Bool(a.is_sign_positive()),
            Test::IsSignNegative => Outcome::Bool(a.is_sign_negative()),
            Test::IsZero => Outcome::Bool(a.is_zero()),
        }
    }
}

/// What a test gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A comparison's or a predicate's.
    Bool(bool),
    /// `partial_cmp`'s.
    Order(Option<Ordering>),
    /// `classify`'s.
    Class(FpCategory),
}

impl Outcome {
    pub(crate) fn describe(self) -> String {
        match self {
            Outcome::Bool(b) => b.to_string(),
            Outcome::Order(o) => format!("{o:?}"),
            Outcome::Class(c) => format!("{c:?}"),
        }
    }
}

/// A comparison made while recording: replaying where it comes out
/// otherwise would take the other branch's derivatives.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Guard<F> {
    /// The test, of `operands`.
    pub test: Test,
    /// What it tested.
    pub operands: [Arg<F>; 2],
    /// What it gave while recording: an evaluation where it gives another
    /// is [`Error::BranchChanged`](crate::Error::BranchChanged).
    pub outcome: Outcome,
    /// The line that made the comparison.
    pub location: &'static Location<'static>,
}

/// A `select`: one of `branches`, by `test` of `operands`. Its node's two
/// edges go to the branches that are nodes; a constant branch's edge goes
/// to another operand that is a node, with a zero partial.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Select<F> {
    /// The test, of `operands`.
    pub test: Test,
    /// What it tests.
    pub operands: [Arg<F>; 2],
    /// Its value where the test gives `true`, and where it gives anything
    /// else.
    pub branches: [Arg<F>; 2],
}

impl<F: Float> Select<F> {
    /// The node's two parents: each branch that is a node, and for a
    /// constant branch the first of the branches and operands that is one
    /// (the anchor; `Active::select` records these).
    pub(crate) fn parents(&self) -> [u32; 2] {
        let all = [self.branches, self.operands].concat();
        let anchor = all.iter().find_map(Arg::node).unwrap_or(0);
        self.branches.map(|b| b.node().unwrap_or(anchor))
    }

    /// The value at `values`, and the branch taken if it is a node.
    #[inline]
    pub(crate) fn pick<T: Float + From<F>>(&self, values: &[T]) -> (T, Option<usize>) {
        let [a, b] = self.operands.map(|x| x.get(values));
        let (chosen, _) = self.choose::<T>(a, b);
        let branch = self.branches[chosen];
        (branch.get(values), branch.node().map(|_| chosen))
    }

    /// The branch the test of the operands' values `a` and `b` takes (0 or
    /// 1), and the node's partials: 1 to the branch taken if it is a node.
    #[inline]
    pub(crate) fn choose<T: Float>(&self, a: T, b: T) -> (usize, [T; 2]) {
        let chosen = match self.test.outcome(a, b) == Outcome::Bool(true) {
            true => 0,
            false => 1,
        };
        let partial = |k: usize| match (k == chosen, self.branches[k]) {
            (true, Arg::Node(_)) => T::one(),
            _ => T::zero(),
        };
        (chosen, [partial(0), partial(1)])
    }
}
