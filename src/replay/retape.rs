//! [`Retaping`]: a recorded function that keeps its closure, and records
//! again where a branch changes.

use super::{Function, Outputs, Vjp, Workspace};
use crate::active::{Active, Scalar};
use crate::{Error, Result};

/// A [`Function`] with the closure that recorded it: an evaluation where a
/// guarded comparison comes out otherwise ([`Error::BranchChanged`]) in
/// the recording it used last tries the others it keeps, and where none
/// holds records the closure again at that point and evaluates the new
/// recording, instead of returning the error. It keeps the
/// [`KEPT`](Retaping::KEPT) recordings used last, so a closure whose
/// branches alternate records each once; [`records`](Retaping::records)
/// counts the recordings made after the first, so that a caller sees
/// whether replaying pays. A closure that takes more branches than it
/// keeps, in turn, tries each kept one (a forward pass each) before it
/// records: a tape recording afresh serves it better.
///
/// ```
/// use tapegrad::{Active, replay::Retaping};
///
/// // |x|·x, with an `if`: each side of 0 is its own recording.
/// let mut f = Retaping::new(&[1.0], &[], |x: &[Active], _: &[Active]| {
///     if x[0] < 0.0 { -x[0] * x[0] } else { x[0] * x[0] }
/// })?;
/// assert_eq!(f.gradient(&[3.0])?, [6.0]);
/// assert_eq!(f.records(), 0); // the first recording served
/// assert_eq!(f.gradient(&[-3.0])?, [6.0]);
/// assert_eq!(f.records(), 1); // the branch changed: recorded again
/// assert_eq!(f.gradient(&[2.0])?, [4.0]);
/// assert_eq!((f.records(), f.kept()), (1, 2)); // the first recording, kept
/// assert!(format!("{f:?}").contains("records: 1"));
/// # Ok::<(), tapegrad::Error>(())
/// ```
pub struct Retaping<F: Scalar, C> {
    /// The recordings kept, each with its workspace (holding the
    /// parameters); the one that served last first.
    kept: Vec<(Function<F>, Workspace<F>)>,
    params: Vec<F>,
    closure: C,
    records: usize,
}

/// Shows the recording in use, how many are kept and the count of records
/// (not the closure).
impl<F: Scalar + core::fmt::Debug, C> core::fmt::Debug for Retaping<F, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Retaping")
            .field("function", self.function())
            .field("kept", &self.kept.len())
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl<F, C, O> Retaping<F, C>
where
    F: Scalar,
    C: Fn(&[Active<F>], &[Active<F>]) -> O,
    O: Outputs<F>,
{
    /// The recordings kept at most.
    pub const KEPT: usize = 16;

    /// Records `closure` at `x` with the dynamic parameters `params` (see
    /// [`Function::record_with_params`]).
    ///
    /// # Errors
    ///
    /// As [`Function::record`].
    #[track_caller]
    pub fn new(x: &[F], params: &[F], closure: C) -> Result<Self> {
        let mut retaping = Retaping {
            kept: Vec::new(),
            params: params.to_vec(),
            closure,
            records: 0,
        };
        retaping.record_at(x)?;
        Ok(retaping)
    }

    /// The outputs' values at `x`, by the first kept recording that holds
    /// there, or one recorded there.
    ///
    /// # Errors
    ///
    /// As [`Function::value`], except [`Error::BranchChanged`].
    pub fn value(&mut self, x: &[F]) -> Result<Vec<F>> {
        self.run(x, |f, ws| f.value(ws, x))
    }

    /// The one output's value and gradient at `x` (see
    /// [`value`](Retaping::value)).
    ///
    /// # Errors
    ///
    /// As [`Function::value_and_gradient`], except [`Error::BranchChanged`].
    pub fn value_and_gradient(&mut self, x: &[F]) -> Result<(F, Vec<F>)> {
        self.run(x, |f, ws| f.value_and_gradient(ws, x))
    }

    /// The one output's gradient at `x` (see
    /// [`value_and_gradient`](Retaping::value_and_gradient)).
    ///
    /// # Errors
    ///
    /// As [`value_and_gradient`](Retaping::value_and_gradient).
    pub fn gradient(&mut self, x: &[F]) -> Result<Vec<F>> {
        Ok(self.value_and_gradient(x)?.1)
    }

    /// The outputs' values and the vector–Jacobian product at `x` (see
    /// [`Function::vjp`]).
    ///
    /// # Errors
    ///
    /// As [`Function::vjp`], except [`Error::BranchChanged`].
    pub fn vjp(&mut self, x: &[F], weights: &[F]) -> Result<Vjp<F>> {
        self.run(x, |f, ws| f.vjp(ws, x, weights))
    }

    /// The directional derivatives of the outputs at `x` along `v` (see
    /// [`Function::jvp`]).
    ///
    /// # Errors
    ///
    /// As [`Function::jvp`], except [`Error::BranchChanged`].
    pub fn jvp(&mut self, x: &[F], v: &[F]) -> Result<Vec<F>> {
        self.run(x, |f, ws| f.jvp(ws, x, v))
    }

    /// The Hessian of the one output at `x` times `v` (see
    /// [`Function::hvp`]).
    ///
    /// ```
    /// use tapegrad::{Active, replay::Retaping};
    ///
    /// let mut f = Retaping::new(&[1.0], &[], |x: &[Active], _: &[Active]| {
    ///     if x[0] < 0.0 { -x[0] * x[0] * x[0] } else { x[0] * x[0] * x[0] }
    /// })?;
    /// assert_eq!(f.hvp(&[2.0], &[1.0])?, [12.0]);
    /// assert_eq!(f.hvp(&[-2.0], &[1.0])?, [12.0]);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Function::hvp`], except [`Error::BranchChanged`].
    pub fn hvp(&mut self, x: &[F], v: &[F]) -> Result<Vec<F>> {
        self.run(x, |f, ws| f.hvp(ws, x, v))
    }

    /// Sets the dynamic parameters of every recording kept and of those to
    /// come (see [`Workspace::set_params`]).
    ///
    /// # Errors
    ///
    /// [`Error::Length`] if `params` is not as long as the recording's.
    pub fn set_params(&mut self, params: &[F]) -> Result<()> {
        for (_, ws) in &mut self.kept {
            ws.set_params(params)?;
        }
        self.params = params.to_vec();
        Ok(())
    }

    /// How many times an evaluation recorded the closure again.
    pub fn records(&self) -> usize {
        self.records
    }

    /// How many recordings are kept: one a branch met, at most
    /// [`KEPT`](Retaping::KEPT).
    pub fn kept(&self) -> usize {
        self.kept.len()
    }

    /// What `eval` gives of the first kept recording that holds at `x`
    /// (moved to the front), or of a new one recorded there.
    fn run<T>(
        &mut self,
        x: &[F],
        eval: impl Fn(&Function<F>, &mut Workspace<F>) -> Result<T>,
    ) -> Result<T> {
        for k in 0..self.kept.len() {
            let (function, ws) = &mut self.kept[k];
            match eval(function, ws) {
                Err(Error::BranchChanged { .. }) => continue,
                result => {
                    self.kept[..=k].rotate_right(1);
                    return result;
                }
            }
        }
        self.record_at(x)?;
        self.records += 1;
        let (function, ws) = &mut self.kept[0];
        eval(function, ws)
    }

    /// Records the closure at `x`, with the parameters, and keeps it first
    /// (dropping the one used longest ago past [`KEPT`](Retaping::KEPT)).
    #[track_caller]
    fn record_at(&mut self, x: &[F]) -> Result<()> {
        let function = Function::record_with_params(x, &self.params, &self.closure)?;
        let mut ws = function.workspace();
        ws.set_params(&self.params)?;
        self.kept.truncate(Self::KEPT - 1);
        self.kept.insert(0, (function, ws));
        Ok(())
    }
}

impl<F: Scalar, C> Retaping<F, C> {
    /// The recording used last.
    pub fn function(&self) -> &Function<F> {
        &self.kept[0].0
    }
}
