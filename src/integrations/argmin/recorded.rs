//! [`Recorded`]: argmin's problems of a [`Function`] recorded once, each
//! call a replay in a workspace the problem keeps.

use core::marker::PhantomData;
use std::sync::Mutex;

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian, Jacobian, Operator};

use super::{DMatrix, DVector, matrix};
use crate::{Error, replay::Function, replay::Workspace};

/// The argmin problem (`CostFunction` and `Gradient` over `Vec<f64>`, and
/// over nalgebra's `DVector<f64>` `Hessian` too) of a [`Function`] of one
/// output, or of residuals (`Operator` and `Jacobian`, see
/// [`residuals`](Recorded::residuals)), recorded once: each call replays the
/// recording in a workspace the problem keeps, without the function's code.
/// A point where a recorded comparison comes out otherwise is argmin's
/// error ([`Error::BranchChanged`]), never a number.
///
/// ```
/// use argmin::core::{Executor, State};
/// use argmin::solver::linesearch::MoreThuenteLineSearch;
/// use argmin::solver::quasinewton::LBFGS;
/// use tapegrad::{Active, replay::Function};
/// use tapegrad::integrations::argmin::Recorded;
///
/// let f = Function::record(&[0.0; 2], |x: &[Active]| {
///     (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
/// })?;
/// let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7);
/// let result = Executor::new(Recorded::new(f)?, solver)
///     .configure(|state| state.param(vec![-1.2, 1.0]).max_iters(100))
///     .run()?;
/// let best = result.state().get_best_param().unwrap();
/// assert!((best[0] - 1.0).abs() < 1e-6 && (best[1] - 1.0).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Recorded<P = Vec<f64>> {
    function: Function<f64>,
    workspace: Mutex<Workspace<f64>>,
    param: PhantomData<fn(P)>,
}

impl Recorded<Vec<f64>> {
    /// The problem of `function` over `Vec<f64>`.
    ///
    /// # Errors
    ///
    /// [`Error::Length`] if the function has more than one output.
    pub fn new(function: Function<f64>) -> crate::Result<Self> {
        Recorded::over(function)
    }
}

impl Recorded<DVector<f64>> {
    /// The problem of `function` over nalgebra's `DVector<f64>`, where the
    /// Hessian is available too (Newton), replayed as the value and
    /// gradient are.
    ///
    /// ```
    /// use argmin::core::{Executor, State};
    /// use argmin::solver::newton::Newton;
    /// use nalgebra_v0_34::DVector;
    /// use tapegrad::integrations::argmin::Recorded;
    /// use tapegrad::{Active, replay::Function};
    ///
    /// // A convex quadratic: Newton lands on its minimum (1, −2) in one step.
    /// let f = Function::record(&[0.0; 2], |x: &[Active]| {
    ///     (x[0] - 1.0).powi(2) + 3.0 * (x[1] + 2.0).powi(2) + x[0] * x[1]
    /// })?;
    /// let result = Executor::new(Recorded::dvector(f)?, Newton::<f64>::new())
    ///     .configure(|state| state.param(DVector::from_vec(vec![5.0, 5.0])).max_iters(3))
    ///     .run()?;
    /// let best = result.state().get_best_param().unwrap();
    /// // ∇ = (2(x − 1) + y, 6(y + 2) + x) = 0.
    /// assert!((2.0 * (best[0] - 1.0) + best[1]).abs() < 1e-12);
    /// assert!((6.0 * (best[1] + 2.0) + best[0]).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Length`] if the function has more than one output.
    pub fn dvector(function: Function<f64>) -> crate::Result<Self> {
        Recorded::over(function)
    }
}

impl Recorded<DVector<f64>> {
    /// The problem of `function`'s outputs as residuals over nalgebra's
    /// `DVector<f64>`: argmin's `Operator` and `Jacobian` (Gauss–Newton),
    /// replayed.
    ///
    /// ```
    /// use argmin::core::{Executor, State};
    /// use argmin::solver::gaussnewton::GaussNewton;
    /// use tapegrad::integrations::argmin::{DVector, Recorded};
    /// use tapegrad::{Active, replay::Function};
    ///
    /// // a·e^(b·t) against points on 2·e^(−t/2).
    /// let t: Vec<f64> = (0..10).map(|i| 0.3 * i as f64).collect();
    /// let f = Function::record(&[1.0, 0.0], |p: &[Active]| {
    ///     let model = |t: f64| p[0] * (p[1] * t).exp() - 2.0 * (-0.5 * t).exp();
    ///     t.iter().map(|&t| model(t)).collect::<Vec<_>>()
    /// })?;
    /// let result = Executor::new(Recorded::residuals(f), GaussNewton::<f64>::new())
    ///     .configure(|state| state.param(DVector::from_vec(vec![1.0, 0.0])).max_iters(30))
    ///     .run()?;
    /// let best = result.state().get_best_param().unwrap();
    /// assert!((best[0] - 2.0).abs() < 1e-8 && (best[1] + 0.5).abs() < 1e-8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn residuals(function: Function<f64>) -> Self {
        let workspace = Mutex::new(function.workspace());
        Recorded {
            function,
            workspace,
            param: PhantomData,
        }
    }
}

impl<P> Recorded<P> {
    fn over(function: Function<f64>) -> crate::Result<Self> {
        Error::check_length("outputs of a cost", 1, function.outputs())?;
        let workspace = Mutex::new(function.workspace());
        Ok(Recorded {
            function,
            workspace,
            param: PhantomData,
        })
    }

    /// The recorded function.
    pub fn function(&self) -> &Function<f64> {
        &self.function
    }

    fn workspace(&self) -> std::sync::MutexGuard<'_, Workspace<f64>> {
        // An evaluation does not panic halfway through a workspace's state
        // that the next would read: each sets every value it reads.
        self.workspace.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl CostFunction for Recorded<Vec<f64>> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok(self.function.value(&mut self.workspace(), x)?[0])
    }
}

impl Gradient for Recorded<Vec<f64>> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        Ok(self.function.gradient(&mut self.workspace(), x)?)
    }
}

impl CostFunction for Recorded<DVector<f64>> {
    type Param = DVector<f64>;
    type Output = f64;

    fn cost(&self, x: &DVector<f64>) -> Result<f64, ArgminError> {
        Ok(self.function.value(&mut self.workspace(), x.as_slice())?[0])
    }
}

impl Gradient for Recorded<DVector<f64>> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;

    fn gradient(&self, x: &DVector<f64>) -> Result<DVector<f64>, ArgminError> {
        let g = self
            .function
            .gradient(&mut self.workspace(), x.as_slice())?;
        Ok(DVector::from_vec(g))
    }
}

/// The Hessian replayed: forward mode over the recorded reverse sweep, one
/// Hessian–vector product a column.
impl Hessian for Recorded<DVector<f64>> {
    type Param = DVector<f64>;
    type Hessian = DMatrix<f64>;

    fn hessian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, ArgminError> {
        let rows = self.function.hessian(&mut self.workspace(), x.as_slice())?;
        Ok(matrix(rows, x.len()))
    }
}

impl Operator for Recorded<DVector<f64>> {
    type Param = DVector<f64>;
    type Output = DVector<f64>;

    fn apply(&self, x: &DVector<f64>) -> Result<DVector<f64>, ArgminError> {
        let r = self.function.value(&mut self.workspace(), x.as_slice())?;
        Ok(DVector::from_vec(r))
    }
}

/// The Jacobian replayed: one forward pass, one reverse sweep an output.
impl Jacobian for Recorded<DVector<f64>> {
    type Param = DVector<f64>;
    type Jacobian = DMatrix<f64>;

    fn jacobian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, ArgminError> {
        let rows = self
            .function
            .jacobian(&mut self.workspace(), x.as_slice())?;
        Ok(matrix(rows, x.len()))
    }
}
