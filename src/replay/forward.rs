//! An evaluation of a [`Function`]: the forward pass, the guards, the
//! sweeps, and the [`Workspace`] they write.

use num_traits::Float;

use super::fuse::{Chains, Summand};
use super::{Arg, Function, Op, Route};
use crate::active::Scalar;
use crate::forward::Dual;
use crate::tape::{PartialsMut, Tape};
use crate::{Error, Result};

impl<F: Scalar> Function<F> {
    /// A tape of this function's sweep (its chains as nodes of many
    /// parents, after `optimize`), for evaluations in numbers `T`.
    pub(super) fn tape<T: Float + From<F>>(&self) -> Tape<T> {
        let leading = self.lead() as u32 - 1;
        match &self.chains {
            None => Tape::with_layout(&self.parents, (&[], Vec::new()), leading),
            Some(chains) => {
                let partials = chains.partials.iter().map(|&p| <T as From<F>>::from(p));
                let table = (&chains.table[..], partials.collect());
                Tape::with_layout(&chains.layout, table, leading)
            }
        }
    }

    /// Evaluates the function at `x` (and `params`) into `values` (every
    /// node but the running sums and products a chain computes inside its
    /// sum), and the partials into `tape` if given; then checks the guards.
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
        for visit in &self.program {
            let value = match visit.op {
                Op::Sum(k) => {
                    let chains = self.chains.as_ref().expect("a sum's chains");
                    let table = tape.as_mut().map(|(_, table)| &mut **table);
                    chains.sum(k as usize, values, table)
                }
                Op::Select(k) => {
                    let (value, chosen) = self.selects[k as usize].pick(values);
                    if let Some((partials, _)) = tape.as_mut() {
                        self.route_select(visit.node, visit.route, chosen, partials);
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

    /// Puts a node's partials `d` where its `route` says: its node in the
    /// sweep's tape, scaled or not; a chain's table; or nowhere, for a node
    /// absorbed into an edge.
    #[inline(always)]
    fn route<T: Float + From<F>>(
        &self,
        route: Route,
        d: [T; 2],
        partials: &mut PartialsMut<'_, T>,
        table: &mut [T],
    ) {
        let lift = |f: F| <T as From<F>>::from(f);
        let chains = || self.chains.as_ref().expect("a chain's route");
        match route {
            Route::Node(n) => *partials.node(n as usize) = d,
            Route::Scaled(n) => {
                let s = chains().scales[n as usize];
                *partials.node(n as usize) = [d[0] * lift(s[0]), d[1] * lift(s[1])];
            }
            Route::Term(k) => {
                let term = &chains().terms[k as usize];
                for k in 0..term.count as usize {
                    table[term.slots[k] as usize] = d[k] * lift(term.factors[k]);
                }
            }
            Route::Absorbed => {}
        }
    }

    /// Makes the sweep's node of the select at `node` (routed to `route`)
    /// a node of one edge, to the branch `chosen`, or of none where the
    /// branch taken is a constant: the branch not taken gets nothing, where
    /// a zero partial would get `0 · ∞ = NaN` from an infinite adjoint.
    fn route_select<T: Float + From<F>>(
        &self,
        node: u32,
        route: Route,
        chosen: Option<usize>,
        partials: &mut PartialsMut<'_, T>,
    ) {
        let r = route.node().expect("a select keeps its node") as usize;
        let (parents, scales) = match (&self.chains, route) {
            (None, _) => (self.parents[node as usize], [F::one(); 2]),
            (Some(chains), Route::Scaled(_)) => (chains.layout[r], chains.scales[r]),
            (Some(chains), _) => (chains.layout[r], [F::one(); 2]),
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

/// The gradient of `output` with respect to the first `inputs` nodes after
/// the sink, by the tape's reverse sweep over the replayed partials.
pub(super) fn sweep<T: Float>(
    tape: &Tape<T>,
    output: Arg<T>,
    inputs: usize,
    adjoints: &mut Vec<T>,
) -> Vec<T> {
    let Arg::Node(output) = output else {
        return vec![T::zero(); inputs]; // a constant output
    };
    adjoints.clear();
    adjoints.resize(output as usize + 1, T::zero());
    adjoints[output as usize] = T::one();
    tape.sweep(output, adjoints);
    (1..=inputs)
        .map(|node| adjoints.get(node).copied().unwrap_or(T::zero()))
        .collect()
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
                vec![Dual::constant(F::zero()); function.parents.len()],
                function.tape(),
                Vec::new(),
            )
        });
        (values, tape, adjoints)
    }
}

impl<F: Float> Chains<F> {
    /// The value of chain `k` at `values`, link by link in order (the same
    /// arithmetic as the links' own steps, so the same bits), its products'
    /// partials written to `table`, if given, as their terms say.
    #[inline(always)]
    pub(crate) fn sum<T: Float + From<F>>(
        &self,
        k: usize,
        values: &[T],
        mut table: Option<&mut [T]>,
    ) -> T {
        let links = &self.links[self.sums[k] as usize..self.sums[k + 1] as usize];
        let mut acc = T::zero();
        for (i, link) in links.iter().enumerate() {
            let x = match link.summand {
                Summand::Const(c) => <T as From<F>>::from(c),
                Summand::Node(n) => values[n as usize],
                Summand::Product {
                    operands: [a, b],
                    slot,
                    factors,
                } => {
                    let (x, y) = (values[a as usize], values[b as usize]);
                    if let Some(table) = table.as_deref_mut() {
                        let [f, g] = factors.map(|f| <T as From<F>>::from(f));
                        table[slot as usize] = y * f;
                        table[slot as usize + 1] = x * g;
                    }
                    x * y
                }
            };
            // The first link's summand is the sum's first value.
            acc = match (i, link.minus) {
                (0, _) => x,
                (_, false) => acc + x,
                (_, true) => acc - x,
            };
        }
        acc
    }
}
