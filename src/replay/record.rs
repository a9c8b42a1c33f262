//! Recording a [`Function`]: the closure runs once on a tape whose
//! [`Recorder`] (the [`Program`]) keeps, for every node, the instruction
//! that computes it again, and the branches and reads of values the
//! evaluations must know of.

use core::any::Any;

use num_traits::Float;

use super::{Function, Op, Sweep, fresh_layout};
use crate::active::{Active, Scalar};
use crate::gradients::Variable;
use crate::ops::surface::Handle;
use crate::table::{Arg, Code, Guard, Instr, Select};
use crate::tape::{Caller, Note, Recorder, Tape};
use crate::{Error, Result};

/// What a recorded closure returns: one output or several.
pub trait Outputs<F: Scalar> {
    /// The outputs, in order.
    fn into_outputs(self) -> Vec<Active<F>>;
}

impl<F: Scalar> Outputs<F> for Active<F> {
    fn into_outputs(self) -> Vec<Active<F>> {
        vec![self]
    }
}

impl<F: Scalar> Outputs<F> for Vec<Active<F>> {
    fn into_outputs(self) -> Vec<Active<F>> {
        self
    }
}

impl<F: Scalar, const M: usize> Outputs<F> for [Active<F>; M] {
    fn into_outputs(self) -> Vec<Active<F>> {
        self.into()
    }
}

impl<F: Scalar> Function<F> {
    /// Records `f` at `x`: its inputs are variables of the values `x`.
    ///
    /// # Errors
    ///
    /// [`Error::NotReplayable`] if `f` records an op that cannot be
    /// evaluated again (see [What can be recorded](Function#what-can-be-recorded)),
    /// [`Error::GradientWhileRecording`] if `f` takes a gradient of the
    /// function's own variables ([`Active::backward`]),
    /// [`Error::OtherRecording`] if an output is a variable of another
    /// recording.
    #[track_caller]
    pub fn record<O: Outputs<F>>(x: &[F], f: impl FnOnce(&[Active<F>]) -> O) -> Result<Self> {
        Self::record_with_params(x, &[], |x, _| f(x))
    }

    /// Records `f` at `x` with dynamic parameters `params`: data the
    /// function reads (a mini-batch, targets, a weight) that an evaluation
    /// may change ([`Workspace::set_params`](super::Workspace::set_params)) without recording again.
    /// Derivatives are with respect to `x` only.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// // (w·t − y)², with the data (t, y) a dynamic parameter.
    /// let f = Function::record_with_params(&[0.5], &[2.0, 3.0], |w: &[Active], p: &[Active]| {
    ///     (w[0] * p[0] - p[1]).powi(2)
    /// })?;
    /// let mut ws = f.workspace();
    /// ws.set_params(&[1.0, 5.0])?; // new data, same recording
    /// assert_eq!(f.gradient(&mut ws, &[2.0])?, [2.0 * (2.0 - 5.0)]);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`record`](Function::record).
    #[track_caller]
    pub fn record_with_params<O: Outputs<F>>(
        x: &[F],
        params: &[F],
        f: impl FnOnce(&[Active<F>], &[Active<F>]) -> O,
    ) -> Result<Self> {
        let mut tape = Tape::<F>::for_program(Box::<Program<F>>::default());
        let outputs = tape.record(|| {
            let (xs, ps) = (Active::vars(x), Active::vars(params));
            f(&xs, &ps).into_outputs()
        });
        let recorder = tape.with_trace(|trace| trace.recorder.take()).flatten();
        let program = *recorder
            .and_then(|recorder| recorder.into_any().downcast::<Program<F>>().ok())
            .unwrap_or_else(|| unreachable!("the tape was made with a program"));
        if let Some((op, location)) = program.refused {
            return Err(Error::NotReplayable { op, location });
        }
        if let Some(location) = program.gradient {
            return Err(Error::GradientWhileRecording { location });
        }
        let generation = tape.id().generation;
        let outputs = outputs
            .iter()
            .map(|y| match y.site() {
                None => Ok(Arg::Const(y.value_of())),
                Some((recording, _, node)) if recording == generation => Ok(Arg::Node(node)),
                Some(_) => Err(Error::OtherRecording),
            })
            .collect::<Result<_>>()?;
        let (n, p) = (x.len(), params.len());
        let mut ops = program.ops;
        for (k, op) in ops[..n + p].iter_mut().enumerate() {
            *op = match k < n {
                true => Op::Input(k as u32),
                false => Op::Param((k - n) as u32),
            };
        }
        ops.shrink_to_fit();
        let mut function = Function {
            ops,
            terms: Vec::new(),
            selects: program.selects,
            guards: program.guards,
            sweep: Sweep::empty(),
            layout: fresh_layout(),
            inputs: n,
            params: params.to_vec(),
            outputs,
            read: program.read,
        };
        function.sweep = function.lower(false);
        Ok(function)
    }
}

/// What the recording of a function gathers besides the tape: filled in by
/// the trace of the tape it records on.
#[derive(Clone, Debug)]
pub(crate) struct Program<F> {
    /// Node `i`'s op at `i − 1` (node 0 is the sink).
    pub(crate) ops: Vec<Op<F>>,
    /// The instruction of the node about to be recorded.
    pending: Option<Instr<F>>,
    pub(crate) selects: Vec<Select<F>>,
    pub(crate) guards: Vec<Guard<F>>,
    /// The first op recorded that cannot be evaluated again.
    pub(crate) refused: Option<(&'static str, Caller)>,
    /// The first line that read a variable's value.
    pub(crate) read: Option<Caller>,
    /// The first line that took a gradient inside the recording.
    pub(crate) gradient: Option<Caller>,
}

impl<F: Float> Default for Program<F> {
    fn default() -> Self {
        Program {
            ops: Vec::new(),
            pending: None,
            selects: Vec::new(),
            guards: Vec::new(),
            refused: None,
            read: None,
            gradient: None,
        }
    }
}

impl<F: Scalar> Recorder<F> for Program<F> {
    fn expect(&mut self, instr: Instr<F>) {
        self.pending = Some(instr);
    }

    /// The node is computed by the instruction expected, if an op said how;
    /// a node no op said how to compute refuses the recording.
    fn recorded(&mut self, op: &'static str, value: F, location: Caller) {
        let instr = self.pending.take();
        if instr.is_none() && op != "input" {
            self.refused.get_or_insert((op, location));
        }
        self.ops.push(instr.map_or(Op::Fixed(value), Op::decode));
    }

    fn select(&mut self, select: Select<F>) {
        let k = self.selects.len() as u32;
        self.selects.push(select);
        self.expect(Instr::new(Code::Select(k), [Arg::Const(F::zero()); 2]));
    }

    fn guard(&mut self, guard: Guard<F>) {
        self.guards.push(guard);
    }

    fn note(&mut self, note: Note, location: Caller) {
        match note {
            Note::Read => self.read.get_or_insert(location),
            Note::Gradient => self.gradient.get_or_insert(location),
        };
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
