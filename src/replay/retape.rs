//! [`Retaping`]: a recorded function that keeps its closure, and records
//! again where a branch changes.

use super::{Function, Outputs, Workspace};
use crate::active::{Active, Scalar};
use crate::{Error, Result};

/// A [`Function`] with the closure that recorded it: an evaluation where a
/// guarded comparison comes out otherwise ([`Error::BranchChanged`]) records
/// the closure again at that point and evaluates the new recording, instead
/// of returning the error. [`records`](Retaping::records) counts how often it
/// did, so that a caller sees whether replaying pays.
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
/// assert!(format!("{f:?}").contains("records: 1"));
/// # Ok::<(), tapegrad::Error>(())
/// ```
pub struct Retaping<F: Scalar, C> {
    function: Function<F>,
    workspace: Workspace<F>,
    closure: C,
    records: usize,
}

/// Shows the recording in use and the count of records (not the closure).
impl<F: Scalar + core::fmt::Debug, C> core::fmt::Debug for Retaping<F, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Retaping")
            .field("function", &self.function)
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
    /// Records `closure` at `x` with the dynamic parameters `params` (see
    /// [`Function::record_with_params`]).
    ///
    /// # Errors
    ///
    /// As [`Function::record`].
    #[track_caller]
    pub fn new(x: &[F], params: &[F], closure: C) -> Result<Self> {
        let function = Function::record_with_params(x, params, &closure)?;
        let workspace = function.workspace();
        Ok(Retaping {
            function,
            workspace,
            closure,
            records: 0,
        })
    }

    /// The one output's value and gradient at `x`, recording again first if
    /// a branch changed.
    ///
    /// # Errors
    ///
    /// As [`Function::value_and_gradient`], except [`Error::BranchChanged`].
    pub fn value_and_gradient(&mut self, x: &[F]) -> Result<(F, Vec<F>)> {
        match self.function.value_and_gradient(&mut self.workspace, x) {
            Err(Error::BranchChanged { .. }) => {
                self.record_at(x)?;
                self.function.value_and_gradient(&mut self.workspace, x)
            }
            other => other,
        }
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

    /// Sets the dynamic parameters (see [`Workspace::set_params`]).
    ///
    /// # Errors
    ///
    /// [`Error::Length`] if `params` is not as long as the recording's.
    pub fn set_params(&mut self, params: &[F]) -> Result<()> {
        self.workspace.set_params(params)
    }

    /// How many times an evaluation recorded the closure again.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The recording in use.
    pub fn function(&self) -> &Function<F> {
        &self.function
    }

    /// Records the closure again at `x`, with the workspace's parameters.
    fn record_at(&mut self, x: &[F]) -> Result<()> {
        let params = self.workspace.params().to_vec();
        self.function = Function::record_with_params(x, &params, &self.closure)?;
        self.workspace = self.function.workspace();
        self.workspace.set_params(&params)?;
        self.records += 1;
        Ok(())
    }
}
