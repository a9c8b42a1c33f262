//! argmin's problems from a function written once: a [`Cost`] (or
//! [`Residuals`]) is implemented for every scalar type its code runs on, and
//! [`Problem`] makes it argmin's `CostFunction` and `Gradient` (for
//! `Vec<f64>` and nalgebra's `DVector<f64>`), `Hessian` (on nalgebra), and
//! for residuals `Operator` and `Jacobian` (on nalgebra, for Gauss–Newton).
//! The value is the plain function on `f64`; the derivatives come from the
//! same code on [`Active`] variables, on a tape that the problem keeps from
//! call to call. [`Recorded`] is the problem of a [`Function`](crate::replay::Function) recorded
//! once: value, gradient and (over `DVector<f64>`) Hessian replayed.
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
//! impl<T: Float> Cost<T> for Rosenbrock {
//!     fn cost(&self, x: &[T]) -> T {
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
//!
//! # Which bound to write
//!
//! The scalar is the trait's parameter, so the bound is yours:
//! `impl<T: num_traits::Float> Cost<T>` for code on floats, or
//! `impl<T: nalgebra::RealField + Copy> Cost<T>` for nalgebra's generic code
//! (a model written once for `T: RealField`, on nalgebra 0.35 with the
//! `nalgebra` feature or 0.34 with `nalgebra_v0_34`; [`Active`] is both).
//! The problem asks for the value on `f64`, the gradient on `Active<f64>`
//! and the Hessian on `Active<Active<f64>>`: where the compiler says
//! ``the trait `Cost<Active<…>>` is not implemented``, the impl is for one
//! scalar type only, or its bound is one `Active` does not meet. A cost that
//! is easier written as a closure (over data it captures) can instead be
//! recorded once as a [`Function`](crate::replay::Function) of `Active` variables and handed to
//! argmin as [`Recorded`]: value, gradient, Hessian and, for residuals,
//! the Jacobian, each replayed.
//!
//! ```
//! # #[cfg(feature = "nalgebra")] {
//! use argmin::core::{Executor, State};
//! use argmin::solver::newton::Newton;
//! use nalgebra::{RealField, Vector2};
//! use nalgebra_v0_34::DVector;
//! use tapegrad::integrations::argmin::{Cost, Problem};
//!
//! /// ½‖A·x − b‖², written for nalgebra's scalars.
//! struct LeastSquares;
//!
//! impl<T: RealField + Copy> Cost<T> for LeastSquares {
//!     fn cost(&self, x: &[T]) -> T {
//!         let lit = |v: f64| T::from_f64(v).unwrap();
//!         let r = Vector2::new(x[0] * lit(2.0) + x[1] - lit(3.0), x[1] - lit(1.0));
//!         r.norm_squared() * lit(0.5)
//!     }
//! }
//!
//! let start = DVector::from_vec(vec![0.0, 0.0]);
//! let result = Executor::new(Problem::dvector(LeastSquares), Newton::<f64>::new())
//!     .configure(|state| state.param(start).max_iters(5))
//!     .run()?;
//! let best = result.state().get_best_param().unwrap();
//! assert!((best[0] - 1.0).abs() < 1e-12 && (best[1] - 1.0).abs() < 1e-12);
//! # }
//! # Ok::<(), argmin::core::Error>(())
//! ```

use core::marker::PhantomData;
use std::sync::Mutex;

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian, Jacobian, Operator};
/// argmin-math 0.5's vector and matrix (nalgebra 0.34's), re-exported so
/// that a crate on nalgebra 0.35 needs no second nalgebra to hand argmin a
/// start point or read its answer.
pub use nalgebra_v0_34::{DMatrix, DVector};

use crate::{Active, Gradients, Tape};

mod recorded;
pub use recorded::Recorded;

/// A scalar function of a point, implemented for every scalar type `T` its
/// code runs on (see [Which bound to write](self#which-bound-to-write)): on
/// `f64` it gives the value, on tapegrad's [`Active`] variables its
/// derivatives.
pub trait Cost<T> {
    /// The function at `x`.
    fn cost(&self, x: &[T]) -> T;
}

/// A vector of residuals `r(x)`, implemented for every scalar type `T` as
/// [`Cost`] is, whose sum of squares Gauss–Newton minimizes.
pub trait Residuals<T> {
    /// The residuals at `x`.
    fn residuals(&self, x: &[T]) -> Vec<T>;
}

/// An argmin problem of a [`Cost`] or [`Residuals`] `C`, over parameters
/// `P` (`Vec<f64>` or `DVector<f64>`), with the tape and gradients it keeps
/// from one call to the next.
pub struct Problem<C, P = Vec<f64>> {
    function: C,
    tape: Mutex<(Tape, Gradients)>,
    param: PhantomData<fn(P)>,
}

/// Shows the function and the tape kept between calls.
impl<C: core::fmt::Debug, P> core::fmt::Debug for Problem<C, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Problem")
            .field("function", &self.function)
            .field("tape", &self.tape)
            .finish_non_exhaustive()
    }
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

    /// `f` with the kept tape, cleared, and gradients.
    fn with_tape<R>(&self, f: impl FnOnce(&mut Tape, &mut Gradients) -> R) -> R {
        // A panic in another call (of the user's cost) poisons the lock; the
        // tape is cleared before use, so it is still good.
        let mut kept = self.tape.lock().unwrap_or_else(|e| e.into_inner());
        let (tape, grads) = &mut *kept;
        tape.clear();
        f(tape, grads)
    }
}

impl<C: Cost<Active>, P> Problem<C, P> {
    /// The gradient at `x`, on the kept tape.
    fn gradient_at(&self, x: &[f64]) -> Vec<f64> {
        self.with_tape(|tape, grads| {
            tape.record(|| {
                let vars = Active::vars(x);
                self.function.cost(&vars).backward_into(grads);
                grads.wrt_all(&vars)
            })
        })
    }
}

impl<C: Cost<Active<Active>>, P> Problem<C, P> {
    /// The Hessian at `x`, a row a variable: the gradient on an inner tape
    /// whose values are the outer tape's variables, then each of its
    /// components swept on the outer tape.
    fn hessian_at(&self, x: &[f64]) -> Vec<Vec<f64>> {
        self.with_tape(|tape, _| {
            tape.record(|| {
                let outer = Active::vars(x);
                let mut inner = Tape::<Active>::default();
                let gradient = inner.record(|| {
                    let vars = Active::<Active>::vars(&outer);
                    self.function.cost(&vars).backward().wrt_all(&vars)
                });
                let row = |g: &Active| g.backward().wrt_all(&outer);
                gradient.iter().map(row).collect()
            })
        })
    }
}

impl<C: Residuals<Active>, P> Problem<C, P> {
    /// The Jacobian of the residuals at `x`, a row a residual.
    fn jacobian_at(&self, x: &[f64]) -> Vec<Vec<f64>> {
        self.with_tape(|tape, _| {
            tape.record(|| {
                let vars = Active::vars(x);
                let rows = self.function.residuals(&vars);
                rows.iter().map(|r| r.backward().wrt_all(&vars)).collect()
            })
        })
    }
}

impl<C: Cost<f64>> CostFunction for Problem<C, Vec<f64>> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok(self.function.cost(x))
    }
}

impl<C: Cost<Active>> Gradient for Problem<C, Vec<f64>> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        Ok(self.gradient_at(x))
    }
}

impl<C: Cost<f64>> CostFunction for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Output = f64;

    fn cost(&self, x: &DVector<f64>) -> Result<f64, ArgminError> {
        Ok(self.function.cost(x.as_slice()))
    }
}

impl<C: Cost<Active>> Gradient for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;

    fn gradient(&self, x: &DVector<f64>) -> Result<DVector<f64>, ArgminError> {
        Ok(DVector::from_vec(self.gradient_at(x.as_slice())))
    }
}

/// The Hessian by a nested tape (forward over reverse is not needed: the
/// backward sweep of the inner tape records on the outer one).
impl<C: Cost<Active<Active>>> Hessian for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Hessian = DMatrix<f64>;

    fn hessian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, ArgminError> {
        Ok(matrix(self.hessian_at(x.as_slice()), x.len()))
    }
}

impl<C: Residuals<f64>> Operator for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Output = DVector<f64>;

    fn apply(&self, x: &DVector<f64>) -> Result<DVector<f64>, ArgminError> {
        Ok(DVector::from_vec(self.function.residuals(x.as_slice())))
    }
}

impl<C: Residuals<Active>> Jacobian for Problem<C, DVector<f64>> {
    type Param = DVector<f64>;
    type Jacobian = DMatrix<f64>;

    fn jacobian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, ArgminError> {
        Ok(matrix(self.jacobian_at(x.as_slice()), x.len()))
    }
}

/// The matrix of `rows`, each of `columns` entries.
fn matrix(rows: Vec<Vec<f64>>, columns: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows.len(), columns, |i, j| rows[i][j])
}
