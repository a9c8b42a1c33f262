//! [`Retaping`], compiled: a recording for each branch the closure took,
//! each compiled once and kept.

use tapegrad::Active;
use tapegrad::replay::{Function, Outputs, Vjp, Workspace};

use crate::{CompileError, Compiled, Real, compile};

/// A closure recorded, optimized and compiled at a first point, and again
/// at each point where no recording it keeps holds (a guarded comparison
/// comes out otherwise in each): the compiled counterpart of
/// [`tapegrad::replay::Retaping`], each recording optimized. A branch
/// taken before runs its compiled code again, so a closure whose branches
/// alternate compiles each once. It keeps the [`KEPT`](Retaping::KEPT)
/// recordings used last; an evaluation tries them, the one that served
/// last first.
///
/// Each evaluation's numbers are those of the recording that holds at its
/// point, to the bit ([`Compiled`]).
///
/// ```
/// use tapegrad::Active;
/// use tapegrad_jit::Retaping;
///
/// // |x|·x, with an `if`: each side of 0 is its own recording.
/// let mut f = Retaping::new(&[1.0], &[], |x: &[Active], _: &[Active]| {
///     if x[0] < 0.0 { -x[0] * x[0] } else { x[0] * x[0] }
/// })?;
/// assert_eq!(f.gradient(&[3.0])?, [6.0]);
/// assert_eq!(f.gradient(&[-3.0])?, [6.0]);
/// assert_eq!(f.gradient(&[2.0])?, [4.0]);
/// assert_eq!(f.gradient(&[-2.0])?, [4.0]);
/// assert_eq!(f.records(), 1); // the other side, once
/// # Ok::<(), tapegrad_jit::CompileError>(())
/// ```
pub struct Retaping<F: Real, C> {
    /// The recordings kept, compiled, each with a workspace holding the
    /// parameters; the one that served last first.
    kept: Vec<(Compiled<F>, Workspace<F>)>,
    params: Vec<F>,
    closure: C,
    records: usize,
}

impl<F: Real, C> core::fmt::Debug for Retaping<F, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Retaping")
            .field("kept", &self.kept.len())
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl<F, C, O> Retaping<F, C>
where
    F: Real,
    C: Fn(&[Active<F>], &[Active<F>]) -> O,
    O: Outputs<F>,
{
    /// The recordings kept at most.
    pub const KEPT: usize = 16;

    /// Records `closure` at `x` with the dynamic parameters `params` (see
    /// [`Function::record_with_params`]), optimizes and compiles it.
    ///
    /// # Errors
    ///
    /// As [`Function::record`] and [`compile`].
    #[track_caller]
    pub fn new(x: &[F], params: &[F], closure: C) -> Result<Self, CompileError> {
        let mut retaping = Retaping {
            kept: Vec::new(),
            params: params.to_vec(),
            closure,
            records: 0,
        };
        retaping.record_at(x)?;
        Ok(retaping)
    }

    /// The outputs' values at `x`.
    ///
    /// # Errors
    ///
    /// As [`Function::value`], except [`Error::BranchChanged`](tapegrad::Error::BranchChanged); as
    /// [`Function::record`] and [`compile`] where it records again.
    pub fn value(&mut self, x: &[F]) -> Result<Vec<F>, CompileError> {
        Ok(self
            .run(x, |compiled, ws| compiled.attempt(ws, x, None))?
            .outputs)
    }

    /// The one output's value and gradient at `x`.
    ///
    /// # Errors
    ///
    /// As [`value`](Retaping::value), and [`Error::Length`](tapegrad::Error::Length) if the closure
    /// has more than one output.
    pub fn value_and_gradient(&mut self, x: &[F]) -> Result<(F, Vec<F>), CompileError> {
        self.kept[0].0.one_output()?;
        let Vjp {
            outputs, inputs, ..
        } = self.run(x, |compiled, ws| compiled.attempt(ws, x, Some(&[F::one()])))?;
        Ok((outputs[0], inputs))
    }

    /// The one output's gradient at `x`.
    ///
    /// # Errors
    ///
    /// As [`value_and_gradient`](Retaping::value_and_gradient).
    pub fn gradient(&mut self, x: &[F]) -> Result<Vec<F>, CompileError> {
        Ok(self.value_and_gradient(x)?.1)
    }

    /// The outputs' values and the vector–Jacobian product at `x`.
    ///
    /// # Errors
    ///
    /// As [`value`](Retaping::value), and [`Error::Length`](tapegrad::Error::Length) if `weights`
    /// is not one a output.
    pub fn vjp(&mut self, x: &[F], weights: &[F]) -> Result<Vjp<F>, CompileError> {
        self.run(x, |compiled, ws| compiled.attempt(ws, x, Some(weights)))
    }

    /// The directional derivatives of the outputs at `x` along `v`
    /// ([`Compiled::jvp`]).
    ///
    /// # Errors
    ///
    /// As [`value`](Retaping::value), and [`Error::Length`](tapegrad::Error::Length) if `v` is
    /// not as long as `x`.
    pub fn jvp(&mut self, x: &[F], v: &[F]) -> Result<Vec<F>, CompileError> {
        self.run(x, |compiled, ws| {
            compiled.attempt_forward_mode(ws, x, v, false)
        })
    }

    /// The Hessian of the one output at `x` times `v` ([`Compiled::hvp`]).
    ///
    /// ```
    /// use tapegrad::Active;
    /// use tapegrad_jit::Retaping;
    ///
    /// let mut f = Retaping::new(&[1.0], &[], |x: &[Active], _: &[Active]| {
    ///     if x[0] < 0.0 { -x[0] * x[0] * x[0] } else { x[0] * x[0] * x[0] }
    /// })?;
    /// assert_eq!(f.hvp(&[2.0], &[1.0])?, [12.0]);
    /// assert_eq!(f.hvp(&[-2.0], &[1.0])?, [12.0]);
    /// # Ok::<(), tapegrad_jit::CompileError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`jvp`](Retaping::jvp), and [`Error::Length`](tapegrad::Error::Length) if the closure
    /// has more than one output.
    pub fn hvp(&mut self, x: &[F], v: &[F]) -> Result<Vec<F>, CompileError> {
        self.kept[0].0.one_output()?;
        self.run(x, |compiled, ws| {
            compiled.attempt_forward_mode(ws, x, v, true)
        })
    }

    /// Sets the dynamic parameters of every recording, kept and to come.
    ///
    /// # Errors
    ///
    /// [`Error::Length`](tapegrad::Error::Length) if `params` is not as long as the recording's.
    pub fn set_params(&mut self, params: &[F]) -> Result<(), CompileError> {
        for (_, ws) in &mut self.kept {
            ws.set_params(params)?;
        }
        self.params = params.to_vec();
        Ok(())
    }

    /// How many times an evaluation recorded and compiled the closure
    /// again.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The recordings kept.
    pub fn kept(&self) -> usize {
        self.kept.len()
    }

    /// What `attempt` gives of the first kept recording that holds at
    /// `x` (moved to the front), or of a new one recorded there.
    fn run<T>(
        &mut self,
        x: &[F],
        attempt: impl Fn(&Compiled<F>, &Workspace<F>) -> tapegrad::Result<Result<T, u32>>,
    ) -> Result<T, CompileError> {
        for k in 0..self.kept.len() {
            let (compiled, ws) = &self.kept[k];
            if let Ok(found) = attempt(compiled, ws)? {
                self.kept[..=k].rotate_right(1);
                return Ok(found);
            }
        }
        self.record_at(x)?;
        self.records += 1;
        let (compiled, ws) = &mut self.kept[0];
        match attempt(compiled, ws)? {
            Ok(found) => Ok(found),
            // Recorded at `x`, it holds there; the interpreter says why not.
            Err(_) => Err(compiled.value(ws, x).err().map_or_else(
                || unreachable!("a recording holds where it was made: a bug of tapegrad-jit"),
                CompileError::from,
            )),
        }
    }

    /// Records the closure at `x`, optimizes and compiles it, and keeps it
    /// first (dropping the one used longest ago past [`KEPT`](Retaping::KEPT)).
    fn record_at(&mut self, x: &[F]) -> Result<(), CompileError> {
        let mut function = Function::record_with_params(x, &self.params, &self.closure)?;
        function.optimize();
        let compiled = compile(&function)?;
        let mut ws = function.workspace();
        ws.set_params(&self.params)?;
        self.kept.truncate(Self::KEPT - 1);
        self.kept.insert(0, (compiled, ws));
        Ok(())
    }
}
