//! The recorded program as the evaluation runs it. Its IR is the table's
//! [`Instr`] (an op's code and operands, one a node), which `optimize`
//! rewrites; from it, built in one place ([`Step::all`]), each node's
//! [`Step`]: the arithmetic most programs are made of spelled out on node
//! indices, with the table's arithmetic (so the same bits), a cache for
//! speed. A [`Visit`] is a node the evaluation computes and where its
//! partials go ([`Route`]).

use num_traits::Float;

use crate::table::{Arg, Binary, Code, Instr, Select, Unary};

/// A node's computation as the evaluation loop runs it: the arithmetic
/// most programs are made of spelled out on node indices, with the table's
/// arithmetic (so the same bits), and anything else by its instruction.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step<F> {
    Add(u32, u32),
    AddConst(u32, F),
    Sub(u32, u32),
    SubConst(u32, F),
    ConstSub(F, u32),
    Mul(u32, u32),
    MulConst(u32, F),
    Div(u32, u32),
    DivConst(u32, F),
    ConstDiv(F, u32),
    Neg(u32),
    /// A unary op of the table on a node (`Neg` spelled out above).
    Unary(Unary, u32),
    /// The instruction of this index.
    Other(u32),
    /// The sum of a chain of this index, which the chain computes (see
    /// `Chains::sum`).
    Sum(u32),
    /// The select of this index, whose node the evaluation makes a node of
    /// one edge, to the branch it takes (see `Function::forward`).
    Select(u32),
}

impl<F: Float> Step<F> {
    /// The step of `instr`, the `k`-th instruction.
    pub(crate) fn of(instr: &Instr<F>, k: usize) -> Self {
        use Arg::{Const as C, Node as N};
        match (instr.code, instr.args) {
            (Code::Binary(op, _), args) => match (op, args) {
                (Binary::Add, [N(a), N(b)]) => Step::Add(a, b),
                (Binary::Add, [N(a), C(c)] | [C(c), N(a)]) => Step::AddConst(a, c),
                (Binary::Sub, [N(a), N(b)]) => Step::Sub(a, b),
                (Binary::Sub, [N(a), C(c)]) => Step::SubConst(a, c),
                (Binary::Sub, [C(c), N(b)]) => Step::ConstSub(c, b),
                (Binary::Mul, [N(a), N(b)]) => Step::Mul(a, b),
                (Binary::Mul, [N(a), C(c)] | [C(c), N(a)]) => Step::MulConst(a, c),
                (Binary::Div, [N(a), N(b)]) => Step::Div(a, b),
                (Binary::Div, [N(a), C(c)]) => Step::DivConst(a, c),
                (Binary::Div, [C(c), N(b)]) => Step::ConstDiv(c, b),
                _ => Step::Other(k as u32),
            },
            (Code::Select(s), _) => Step::Select(s),
            (Code::Unary(Unary::Neg), [N(a), _]) => Step::Neg(a),
            (Code::Unary(op), [N(a), _]) => Step::Unary(op, a),
            _ => Step::Other(k as u32),
        }
    }

    /// The steps of `instrs`, in order.
    pub(crate) fn all(instrs: &[Instr<F>]) -> Vec<Self> {
        let steps = instrs.iter().enumerate();
        steps.map(|(k, instr)| Step::of(instr, k)).collect()
    }

    /// The node's value and partials at `values`, as [`Instr::eval`];
    /// `last` is the node computed just before and its value.
    #[inline(always)]
    pub(crate) fn eval<T: Float + From<F>>(
        self,
        values: &[T],
        last: (u32, T),
        instrs: &[Instr<F>],
        selects: &[Select<F>],
    ) -> (T, [T; 2]) {
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
        let (one, zero) = (T::one(), T::zero());
        match self {
            Step::Add(a, b) => (m(a) + m(b), [one, one]),
            Step::AddConst(a, k) => (v(a) + c(k), [one, zero]),
            Step::Sub(a, b) => (m(a) - m(b), [one, -one]),
            Step::SubConst(a, k) => (v(a) - c(k), [one, zero]),
            Step::ConstSub(k, b) => (c(k) - v(b), [-one, zero]),
            Step::Mul(a, b) => (m(a) * m(b), [m(b), m(a)]),
            Step::MulConst(a, k) => (v(a) * c(k), [c(k), zero]),
            Step::Div(a, b) => {
                let q = m(a) / m(b);
                (q, [m(b).recip(), -q / m(b)])
            }
            Step::DivConst(a, k) => (v(a) / c(k), [c(k).recip(), zero]),
            Step::ConstDiv(k, b) => {
                let q = c(k) / v(b);
                (q, [-q / v(b), zero])
            }
            Step::Neg(a) => (-v(a), [-one, zero]),
            Step::Unary(op, a) => {
                let (value, d) = op.eval(v(a));
                (value, [d, zero])
            }
            Step::Other(k) => instrs[k as usize].eval(values, selects),
            Step::Sum(_) | Step::Select(_) => {
                unreachable!("the evaluation loop computes sums and selects")
            }
        }
    }
}

/// Where an evaluation puts a node's partials: its node in the sweep's
/// tape, or a chain's table, or nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// The sweep's node of this index.
    Node(u32),
    /// The sweep's node of this index, its partials times its
    /// `scales` (see `Chains`) (a node of one constant partial was folded
    /// into its edge).
    Scaled(u32),
    /// The chain's term of this index in `Chains::terms`, whose partials
    /// go to the chain's table.
    Term(u32),
    /// Nowhere: a node with no adjoint of its own, folded into its user's
    /// edge, or a chain's running sum or product.
    Absorbed,
}

impl Route {
    /// The sweep's node, for a route to one.
    pub(crate) fn node(self) -> Option<u32> {
        match self {
            Route::Node(n) | Route::Scaled(n) => Some(n),
            Route::Term(_) | Route::Absorbed => None,
        }
    }

    /// The sweep's node of a node the sweep keeps.
    pub(crate) fn kept(self) -> u32 {
        self.node().expect("a node the sweep keeps")
    }
}

/// A node the evaluation computes: its step, and where its partials go,
/// its [`Route`]: its own node in the sweep's tape, unless `optimize` made
/// chains (see `Chains`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Visit<F> {
    pub(crate) step: Step<F>,
    pub(crate) node: u32,
    pub(crate) route: Route,
}

impl<F: Float> Visit<F> {
    /// Every node of `steps` after the `lead` ones, in order, each routed to
    /// itself.
    pub(crate) fn all(steps: &[Step<F>], lead: usize) -> Vec<Self> {
        let nodes = (lead..=steps.len()).map(|n| n as u32);
        nodes
            .map(|node| Visit {
                step: steps[node as usize - 1],
                node,
                route: Route::Node(node),
            })
            .collect()
    }
}
