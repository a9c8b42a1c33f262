//! argmin's problems from a function written once: a [`Cost`] (or
//! [`Residuals`]) is a generic method, since a closure cannot be generic, and
//! [`Problem`] makes it argmin's `CostFunction` and `Gradient` (for
//! `Vec<f64>` and nalgebra's `DVector<f64>`), `Hessian` (on nalgebra), and
//! for residuals `Operator` and `Jacobian` (on nalgebra, for Gauss–Newton).
//! The value is the plain function on floats; the derivatives come from a
//! tape that the problem keeps from call to call. [`Recorded`] is the
//! problem of a [`Function`] recorded once: value, gradient and (over
//! `DVector<f64>`) Hessian replayed.
//!
//! ```
//! use argmin::core::{Executor, State};
//! use argmin::solver::linesearch::MoreThuenteLineSearch;
//! use argmin::solver::quasinewton::LBFGS;
//! use num_traits::Float;
//! use tapegrad::integrations::argmin::{Cost, Problem};
//!
//! /// Rosenbrock's function, minimal at (1, 1).
//! struct Rosenbrock;
//!
//! impl Cost for Rosenbrock {
//!     fn cost<T: Float>(&self, x: &[T]) -> T {
//!         let hundred = T::from(100.0).unwrap();
//!         (T::one() - x[0]).powi(2) + hundred * (x[1] - x[0] * x[0]).powi(2)
//!     }
//! }
//!
//! let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7);
//! let result = Executor::new(Problem::new(Rosenbrock), solver)
//!     .configure(|state| state.param(vec![-1.2, 1.0]).max_iters(100))
//!     .run()?;
//! let best = result.state().get_best_param().unwrap();
//! assert!((best[0] - 1.0).abs() < 1e-6 && (best[1] - 1.0).abs() < 1e-6);
//! # Ok::<(), argmin::core::Error>(())
//! ```

use core::marker::PhantomData;
use std::sync::Mutex;

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian, Jacobian, Operator};
use nalgebra_v0_34::{DMatrix, DVector};
use num_traits::Float;

use crate::{Error, Function, Gradients, Tape, Workspace, hessian, jacobian};

/// A scalar function of a point, written once for every float type: on
/// `f64` it gives the value, on tapegrad's variables its derivatives.
pub trait Cost {
    /// The function at `x`.
    fn cost<T: Float>(&self, x: &[T]) -> T;
}

/// A vector of residuals `r(x)`, written once for every float type, whose
/// sum of squares Gauss–Newton minimizes.
pub trait Residuals {
    /// The residuals at `x`.
    fn residuals<T: Float>(&self, x: &[T]) -> Vec<T>;
}

/// An argmin problem of a [`Cost`] or [`Residuals`] `C`, over parameters
/// `P` (`Vec<f64>` or `DVector<f64>`), with the tape and gradients it keeps
/// from one call to the next.
pub struct Problem<C, P = Vec<f64>> {
    function: C,
    tape: Mutex<(Tape, Gradients)>,
    param: PhantomData<fn(P)>,
}

impl<C> Problem<C, Vec<f64>> {
    /// The problem of `function` over `Vec<f64>`.
    pub fn new(function: C) -> Self {
        Problem::over(function)
    }
}

impl<C> Problem<C, DVector<f64>> {
    /// The problem of `function` over nalgebra's `DVector<f64>`, where the
    /// Hessian and the Jacobian are available (Newton, Gauss–Newton).
    pub fn dvector(function: C) -> Self {
        Problem::over(function)
    }
}

impl<C, P> Problem<C, P> {
    fn over(function: C) -> Self {
        Problem {
            function,
            tape: Mutex::new((Tape::new(), Gradients::new())),
            param: PhantomData,
        }
    }

    /// The function.
    pub fn function(&self) -> &C {
        &self.function
    }

    /// The function, giving the problem up.
    pub fn into_function(self) -> C {
        self.function
    }
}

impl<C: Cost, P> Problem<C, P> {
    /// The gradient at `x`, on the kept tape.
    fn gradient_at(&self, x: &[f64]) -> Result<Vec<f64>, ArgminError> {
        // A panic in another call (of the user's cost) poisons the lock; the
        // tape is cleared before use, so it is still good.
        let mut kept = self.tape.lock().unwrap_or_else(|e| e.into_inner());
        let (tape, grads) = &mut *kept;
        tape.clear();
        let vars = tape.vars(x);
        self.function.cost(&vars).backward_into(grads);
        Ok(grads.wrt_all(&vars))
    }
}

impl<C: Cost> CostFunction for Problem<C, Vec<f64>> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok(self.function.cost(x))
    }
}

impl<C: Cost> Gradient for Problem<C, Vec<f64>> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        self.gradient_at(x)
    }
}

impl<C: Cost> CostFunction for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Output = f64;

    fn cost(&self, x: &DVector<f64>) -> Result<f64, ArgminError> {
        Ok(self.function.cost(x.as_slice()))
    }
}

impl<C: Cost> Gradient for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;

    fn gradient(&self, x: &DVector<f64>) -> Result<DVector<f64>, ArgminError> {
        self.gradient_at(x.as_slice()).map(DVector::from_vec)
    }
}

/// The Hessian by a nested tape (forward over reverse is not needed: the
/// backward sweep of the inner tape records on the outer one).
impl<C: Cost> Hessian for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Hessian = DMatrix<f64>;

    fn hessian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, ArgminError> {
        let rows = hessian(|v| self.function.cost(v), x.as_slice());
        Ok(DMatrix::from_fn(x.len(), x.len(), |i, j| rows[i][j]))
    }
}

impl<C: Residuals> Operator for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Output = DVector<f64>;

    fn apply(&self, x: &DVector<f64>) -> Result<DVector<f64>, ArgminError> {
        Ok(DVector::from_vec(self.function.residuals(x.as_slice())))
    }
}

impl<C: Residuals> Jacobian for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Jacobian = DMatrix<f64>;

    fn jacobian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, ArgminError> {
        let rows = jacobian(|v| self.function.residuals(v), x.as_slice());
        let columns = x.len();
        Ok(DMatrix::from_fn(rows.len(), columns, |i, j| rows[i][j]))
    }
}

/// The argmin problem (`CostFunction` and `Gradient` over `Vec<f64>`, and
/// over nalgebra's `DVector<f64>` `Hessian` too) of a [`Function`] of one
/// output, recorded once: each call replays the
/// recording in a workspace the problem keeps, without the function's code.
/// A point where a recorded comparison comes out otherwise is argmin's
/// error ([`Error::BranchChanged`]), never a number.
///
/// ```
/// use argmin::core::{Executor, State};
/// use argmin::solver::linesearch::MoreThuenteLineSearch;
/// use argmin::solver::quasinewton::LBFGS;
/// use tapegrad::{Active, Function};
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
    /// use tapegrad::{Active, Function};
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
        Ok(DMatrix::from_fn(x.len(), x.len(), |i, j| rows[i][j]))
    }
}
