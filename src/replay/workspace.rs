//! An evaluation of a [`Function`]: the forward pass, the guards, the
//! sweeps, and the [`Workspace`] they write.

use num_traits::Float;

use super::chains::{FLAGS, SCALED, TERM};
use super::{Arg, Function};
use crate::active::Scalar;
use crate::dual::Dual;
use crate::tape::Tape;
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

    /// Evaluates every node at `x` (and `params`) into `values`, and the
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
        let mut last = (0, T::zero());
        match (tape, &self.chains) {
            (Some(tape), Some(chains)) => {
                let (mut partials, table) = tape.partials_mut();
                let lift = |f: F| <T as From<F>>::from(f);
                for node in lead..values.len() {
                    let d = self.compute(node, values, &mut last);
                    // An absorbed node has no adjoint; a chain's own
                    // partials are unread (its edges' are in the table).
                    let at = chains.index[node];
                    if at == u32::MAX {
                        continue;
                    }
                    if at & TERM != 0 {
                        let term = &chains.terms[(at & FLAGS) as usize];
                        for k in 0..term.count as usize {
                            table[term.slots[k] as usize] = d[k] * lift(term.factors[k]);
                        }
                        continue;
                    }
                    let d = match at & SCALED {
                        0 => d,
                        _ => {
                            let s = chains.scales[(at & FLAGS) as usize];
                            [d[0] * lift(s[0]), d[1] * lift(s[1])]
                        }
                    };
                    *partials.node((at & FLAGS) as usize) = d;
                }
            }
            (Some(tape), None) => tape.set_partials(|node| self.compute(node, values, &mut last)),
            (None, _) => {
                for node in lead..values.len() {
                    self.compute(node, values, &mut last);
                }
            }
        }
        self.check_guards(values)
    }

    /// Computes node `node` into `values` and gives its partials; `last`,
    /// the node computed just before and its value (see `Step::eval`),
    /// becomes this one.
    #[inline(always)]
    fn compute<T: Float + From<F>>(
        &self,
        node: usize,
        values: &mut [T],
        last: &mut (u32, T),
    ) -> [T; 2] {
        let step = self.steps[node - 1];
        let (value, partials) = step.eval(values, *last, &self.instrs, &self.selects);
        values[node] = value;
        *last = (node as u32, value);
        partials
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
