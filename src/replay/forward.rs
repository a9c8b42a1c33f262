//! An evaluation of a [`Function`]: the forward pass, the guards, the
//! sweeps, and the [`Workspace`] they write.

use num_traits::Float;

use super::{Arg, Function, Op, Route, Summand};
use crate::active::Scalar;
use crate::forward::Dual;
use crate::table::{Binary, Unary};
use crate::tape::{PartialsMut, Tape};
use crate::{Error, Result};

impl<F: Scalar> Function<F> {
    /// A tape of this function's sweep, for evaluations in numbers `T`.
    pub(super) fn tape<T: Float + From<F>>(&self) -> Tape<T> {
        let leading = self.lead() as u32 - 1;
        let sweep = &self.sweep;
        let partials = sweep.partials.iter().map(|&p| <T as From<F>>::from(p));
        let table = (&sweep.table[..], partials.collect());
        Tape::with_layout(&sweep.layout, table, leading)
    }

    /// Evaluates the function at `x` (and `params`) into `values`, and the
    /// partials into `tape` if given; then checks the guards.
    #[inline]
    pub(super) fn forward<T: Float + From<F>>(
        &self,
        values: &mut [T],
        tape: Option<&mut Tape<T>>,
        x: &[T],
        params: &[T],
    ) -> Result<()> {
        if let Some(location) = self.read {
            return Err(Error::ValueRead { location });
        }
        Error::check_length("inputs", self.inputs, x.len())?;
        let lead = self.lead();
        values[1..lead]
            .iter_mut()
            .zip(x.iter().chain(params))
            .for_each(|(v, &x)| *v = x);
        // The node computed just before and its value (see `Op::eval`).
        let mut last = (0, T::zero());
        let mut tape = tape.map(|tape| tape.partials_mut());
        for visit in &self.sweep.program {
            let value = match visit.op {
                Op::Sum { .. } => {
                    let Route::Sum(slot) = visit.route else {
                        unreachable!("a sum's route")
                    };
                    let table = tape.as_mut().map(|(_, table)| &mut **table);
                    self.sum(visit.op, values, slot, table)
                }
                Op::Select(k) => {
                    let (value, chosen) = self.selects[k as usize].pick(values);
                    if let Some((partials, _)) = tape.as_mut() {
                        self.route_select(visit.route, chosen, partials);
                    }
                    value
                }
                op => {
                    let (value, d) = op.eval(values, last);
                    if let Some((partials, table)) = tape.as_mut() {
                        self.route(visit.route, d, partials, table);
                    }
                    value
                }
            };
            values[visit.node as usize] = value;
            last = (visit.node, value);
        }
        self.check_guards(values)
    }

    /// The value of the sum `op` at `values`, term by term in order (the
    /// same arithmetic as the ops it was written with, so the same bits),
    /// its products' partials, times their factors, written to `table`, if
    /// given, from `slot` on.
    #[inline(always)]
    pub(super) fn sum<T: Float + From<F>>(
        &self,
        op: Op<F>,
        values: &[T],
        slot: u32,
        mut table: Option<&mut [T]>,
    ) -> T {
        let Op::Sum { first, count } = op else {
            unreachable!("a sum")
        };
        let range = first as usize..(first + count) as usize;
        let terms = self.terms[range.clone()].iter();
        let (mut acc, mut slot) = (T::zero(), slot as usize);
        for (i, (term, factors)) in terms.zip(&self.sweep.factors[range]).enumerate() {
            let x = match term.value {
                Summand::Const(c) => <T as From<F>>::from(c),
                Summand::Node(n) => values[n as usize],
                Summand::Product(a, b) => {
                    let (x, y) = (values[a as usize], values[b as usize]);
                    if let Some(table) = table.as_deref_mut() {
                        let [f, g] = factors.map(|f| <T as From<F>>::from(f));
                        table[slot] = y * f;
                        table[slot + 1] = x * g;
                    }
                    slot += 2;
                    x * y
                }
            };
            acc = match (i, term.minus) {
                (0, _) => x,
                (_, false) => acc + x,
                (_, true) => acc - x,
            };
        }
        acc
    }

    /// Puts a node's partials `d` where its `route` says: its node in the
    /// sweep's tape, scaled or not; a sum's table; or nowhere, for a node
    /// folded into an edge.
    #[inline(always)]
    fn route<T: Float + From<F>>(
        &self,
        route: Route,
        d: [T; 2],
        partials: &mut PartialsMut<'_, T>,
        table: &mut [T],
    ) {
        let lift = |f: F| <T as From<F>>::from(f);
        match route {
            Route::Node(n) => *partials.node(n as usize) = d,
            Route::Scaled(n) => {
                let s = self.sweep.scales[n as usize];
                *partials.node(n as usize) = [d[0] * lift(s[0]), d[1] * lift(s[1])];
            }
            Route::Table(k) => {
                let lent = &self.sweep.lent[k as usize];
                for k in 0..lent.count as usize {
                    table[lent.slots[k] as usize] = d[k] * lift(lent.factors[k]);
                }
            }
            Route::Sum(_) | Route::Absorbed => {}
        }
    }

    /// Makes the sweep's node of a select (routed to `route`) a node of one
    /// edge, to the branch `chosen`, or of none where the branch taken is a
    /// constant: the branch not taken gets nothing, where a zero partial
    /// would get `0 · ∞ = NaN` from an infinite adjoint.
    fn route_select<T: Float + From<F>>(
        &self,
        route: Route,
        chosen: Option<usize>,
        partials: &mut PartialsMut<'_, T>,
    ) {
        let r = route.node().expect("a select keeps its node") as usize;
        let parents = self.sweep.layout[r];
        let scales = match route {
            Route::Scaled(_) => self.sweep.scales[r],
            _ => [F::one(); 2],
        };
        let (zero, sink) = (T::zero(), crate::tape::SINK);
        let edge = match chosen {
            Some(k) => ([parents[k], sink], [<T as From<F>>::from(scales[k]), zero]),
            None => ([sink; 2], [zero; 2]),
        };
        partials.set(r, edge.0, edge.1);
    }

    /// The first guard whose test comes out otherwise at `values`.
    fn check_guards<T: Float + From<F>>(&self, values: &[T]) -> Result<()> {
        for guard in &self.guards {
            let [a, b] = guard.operands.map(|x| x.get(values));
            let now = guard.test.outcome(a, b);
            if now != guard.outcome {
                return Err(Error::BranchChanged {
                    test: guard.test.name(),
                    location: guard.location,
                    recorded: guard.outcome.describe(),
                    now: now.describe(),
                });
            }
        }
        Ok(())
    }
}

impl<F: Float> Op<F> {
    /// The node's value and its partials with respect to the nodes it
    /// reads, in order (an op of one node: the second is zero), at
    /// `values`, a number per node, in numbers `T`: what every evaluation
    /// of the function computes for this node, to the bit. A compiler
    /// that calls it for one op keeps the interpreter's arithmetic; in
    /// `Dual` numbers, that of `jvp` and `hvp`.
    ///
    /// ```
    /// use tapegrad::replay::ir::Op;
    ///
    /// // Node 3 = node 1 / node 2, at 6 and 4.
    /// let (q, d) = Op::<f64>::Div(1, 2).value_and_partials(&[0.0, 6.0, 4.0]);
    /// assert_eq!((q, d), (1.5, [0.25, -1.5 / 4.0]));
    /// ```
    ///
    /// # Panics
    ///
    /// For a sum or a select, which the evaluation loop computes (a sum's
    /// terms are [`Term`](super::ir::Term)s), and where `values` has no
    /// number for a node the op reads.
    pub fn value_and_partials<T: Float + From<F>>(self, values: &[T]) -> (T, [T; 2]) {
        self.eval(values, (0, T::zero()))
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

/// The gradient of the outputs weighted by their seeds (`Σ ȳₖ·yₖ`) with
/// respect to the nodes `leading` (the inputs, and the parameters after
/// them), by the tape's reverse sweep over the replayed partials; an output
/// seeded twice gets both seeds, a constant output none.
pub(super) fn sweep<T: Float>(
    tape: &Tape<T>,
    seeds: impl IntoIterator<Item = (Arg<T>, T)>,
    leading: core::ops::Range<usize>,
    adjoints: &mut Vec<T>,
) -> Vec<T> {
    adjoints.clear();
    for (y, seed) in seeds {
        if let Arg::Node(n) = y {
            let n = n as usize;
            if adjoints.len() <= n {
                adjoints.resize(n + 1, T::zero());
            }
            adjoints[n] = adjoints[n] + seed;
        }
    }
    if let Some(last) = adjoints.len().checked_sub(1) {
        tape.sweep(last as u32, adjoints);
    }
    let adjoint = |node: usize| adjoints.get(node).copied().unwrap_or(T::zero());
    leading.map(adjoint).collect()
}

/// `x` with tangent `v`, and the constant `params`, for forward mode.
#[allow(clippy::type_complexity)]
pub(super) fn dual_point<F: Float>(
    x: &[F],
    v: &[F],
    params: &[F],
) -> Result<(Vec<Dual<F, 1>>, Vec<Dual<F, 1>>)> {
    Error::check_length("direction", x.len(), v.len())?;
    let x = x.iter().zip(v).map(|(&x, &v)| Dual::new(x, [v])).collect();
    Ok((x, params.iter().map(|&p| Dual::constant(p)).collect()))
}

/// An operand of `F` as one of `Dual<F, 1>`.
pub(super) fn lift<F: Float>(arg: Arg<F>) -> Arg<Dual<F, 1>> {
    match arg {
        Arg::Node(node) => Arg::Node(node),
        Arg::Const(c) => Arg::Const(Dual::constant(c)),
    }
}

/// What an evaluation of a [`Function`] writes: every node's value and
/// partials, the adjoints, the dynamic parameters; kept between
/// evaluations so that they allocate nothing. One per thread, made by
/// [`Function::workspace`] for that function (and for it alone: after
/// [`Function::optimize`], make a new one).
#[derive(Debug)]
pub struct Workspace<F: Scalar = f64> {
    /// The layout of the function it was made for.
    pub(super) layout: u64,
    pub(super) values: Vec<F>,
    pub(super) tape: Tape<F>,
    pub(super) adjoints: Vec<F>,
    pub(super) params: Vec<F>,
    /// The same for forward mode over reverse, made on first use.
    #[allow(clippy::type_complexity)]
    pub(super) second: Option<(Vec<Dual<F, 1>>, Tape<Dual<F, 1>>, Vec<Dual<F, 1>>)>,
}

impl<F: Scalar> Workspace<F> {
    /// Sets the dynamic parameters for the evaluations that follow.
    ///
    /// # Errors
    ///
    /// [`Error::Length`] if `params` is not as long as the recording's.
    pub fn set_params(&mut self, params: &[F]) -> Result<()> {
        Error::check_length("parameters", self.params.len(), params.len())?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    /// The dynamic parameters the evaluations use.
    pub fn params(&self) -> &[F] {
        &self.params
    }

    /// The forward-over-reverse buffers for `function`.
    #[allow(clippy::type_complexity)]
    pub(super) fn second(
        &mut self,
        function: &Function<F>,
    ) -> (
        &mut [Dual<F, 1>],
        &mut Tape<Dual<F, 1>>,
        &mut Vec<Dual<F, 1>>,
    ) {
        let (values, tape, adjoints) = self.second.get_or_insert_with(|| {
            (
                vec![Dual::constant(F::zero()); function.ops.len() + 1],
                function.tape(),
                Vec::new(),
            )
        });
        (values, tape, adjoints)
    }
}
