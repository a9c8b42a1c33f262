//! argmin's solvers on a function written once: L-BFGS over `Vec<f64>`,
//! Newton with the tape's Hessian and Gauss–Newton with its Jacobian over
//! nalgebra.
#![cfg(feature = "argmin")]

use approx::assert_relative_eq;
use argmin::core::{CostFunction, Executor, Gradient, Hessian, Jacobian, Operator, State};
use argmin::solver::gaussnewton::GaussNewton;
use argmin::solver::newton::Newton;
// argmin-math 0.5's nalgebra, 0.34 (the `nalgebra_v0_34` feature).
use nalgebra_v0_34::{DMatrix, DVector};
use num_traits::Float;
use tapegrad::integrations::argmin::{Cost, Problem, Residuals};

/// `Σ (i + 1)·(xᵢ − i)² + x₀²·x₁²`: smooth, minimal near `(0, 1, 2, …)`.
struct Bowl;

impl<T: Float> Cost<T> for Bowl {
    fn cost(&self, x: &[T]) -> T {
        let mut total = x[0] * x[0] * x[1] * x[1];
        for (i, &xi) in x.iter().enumerate() {
            let (w, c) = (T::from(i + 1).unwrap(), T::from(i).unwrap());
            total = total + w * (xi - c).powi(2);
        }
        total
    }
}

#[test]
fn value_gradient_and_hessian_are_the_closed_forms() -> Result<(), argmin::core::Error> {
    let problem = Problem::dvector(Bowl);
    let x = DVector::from_vec(vec![0.5, -1.0, 3.0]);
    assert_eq!(problem.cost(&x)?, Bowl.cost(x.as_slice()));
    for _ in 0..3 {
        // The same on a tape kept from call to call.
        let g = problem.gradient(&x)?;
        let (x0, x1) = (x[0], x[1]);
        assert_relative_eq!(g[0], 2.0 * x0 + 2.0 * x0 * x1 * x1);
        assert_relative_eq!(g[1], 4.0 * (x1 - 1.0) + 2.0 * x0 * x0 * x1);
        assert_relative_eq!(g[2], 6.0 * (x[2] - 2.0));
    }
    let h = problem.hessian(&x)?;
    let (x0, x1) = (x[0], x[1]);
    assert_relative_eq!(h[(0, 0)], 2.0 + 2.0 * x1 * x1);
    assert_relative_eq!(h[(0, 1)], 4.0 * x0 * x1);
    assert_relative_eq!(h[(1, 0)], 4.0 * x0 * x1);
    assert_relative_eq!(h[(1, 1)], 4.0 + 2.0 * x0 * x0);
    assert_relative_eq!(h[(2, 2)], 6.0);
    assert_eq!(h[(0, 2)], 0.0);
    Ok(())
}

#[test]
fn the_vec_problem_gives_the_same_gradient() -> Result<(), argmin::core::Error> {
    let x = vec![0.5, -1.0, 3.0];
    let on_vec = Problem::new(Bowl).gradient(&x)?;
    let on_dvector = Problem::dvector(Bowl).gradient(&DVector::from_vec(x.clone()))?;
    assert_eq!(on_vec, on_dvector.as_slice());
    assert_eq!(on_vec, tapegrad::grad(|v| Bowl.cost(v), &x));
    Ok(())
}

#[test]
fn newton_with_the_tape_s_hessian_converges() -> Result<(), argmin::core::Error> {
    newton_minimizes_the_bowl(Problem::dvector(Bowl))
}

/// Newton from `(2, 2, 0)` on `problem`, [`Bowl`]'s, lands where its
/// gradient vanishes.
fn newton_minimizes_the_bowl<P>(problem: P) -> Result<(), argmin::core::Error>
where
    P: CostFunction<Param = DVector<f64>, Output = f64>
        + Gradient<Param = DVector<f64>, Gradient = DVector<f64>>
        + Hessian<Param = DVector<f64>, Hessian = DMatrix<f64>>,
{
    let start = DVector::from_vec(vec![2.0, 2.0, 0.0]);
    let result = Executor::new(problem, Newton::<f64>::new())
        .configure(|state| state.param(start).max_iters(30))
        .run()?;
    let best = result.state().get_best_param().expect("a best point");
    let g = Problem::dvector(Bowl).gradient(best)?;
    assert!(g.norm() < 1e-10, "gradient {g} at {best}");
    Ok(())
}

/// Residuals of `a·e^(b·t)` against points on `2·e^(−0.5·t)`.
struct Decay {
    t: Vec<f64>,
    y: Vec<f64>,
}

impl<T: Float> Residuals<T> for Decay {
    fn residuals(&self, p: &[T]) -> Vec<T> {
        let lit = |v: f64| T::from(v).unwrap();
        let model = |t: f64| p[0] * (p[1] * lit(t)).exp();
        self.t
            .iter()
            .zip(&self.y)
            .map(|(&t, &y)| model(t) - lit(y))
            .collect()
    }
}

#[test]
fn gauss_newton_with_the_tape_s_jacobian_fits_a_curve() -> Result<(), argmin::core::Error> {
    let t: Vec<f64> = (0..12).map(|i| 0.25 * f64::from(i)).collect();
    let y = t.iter().map(|&t| 2.0 * (-0.5 * t).exp()).collect();
    let problem = Problem::dvector(Decay { t, y });
    let p = DVector::from_vec(vec![1.0, -0.1]);
    let j = problem.jacobian(&p)?;
    for (i, &ti) in problem.function().t.iter().enumerate() {
        assert_relative_eq!(j[(i, 0)], (-0.1 * ti).exp());
        assert_relative_eq!(j[(i, 1)], ti * (-0.1 * ti).exp());
    }
    assert_eq!(problem.apply(&p)?.len(), 12);
    gauss_newton_fits_the_decay(problem, p)
}

/// Gauss–Newton from `start` on `problem`, residuals of [`Decay`]'s data,
/// lands on the curve's `(2, −0.5)`.
fn gauss_newton_fits_the_decay<O>(
    problem: O,
    start: DVector<f64>,
) -> Result<(), argmin::core::Error>
where
    O: Operator<Param = DVector<f64>, Output = DVector<f64>>
        + Jacobian<Param = DVector<f64>, Jacobian = DMatrix<f64>>,
{
    let result = Executor::new(problem, GaussNewton::<f64>::new())
        .configure(|state| state.param(start).max_iters(50))
        .run()?;
    let best = result.state().get_best_param().expect("a best point");
    assert_relative_eq!(best[0], 2.0, max_relative = 1e-8);
    assert_relative_eq!(best[1], -0.5, max_relative = 1e-8);
    Ok(())
}

/// A cost that panics once, at a point with a negative first coordinate.
struct Touchy;

impl<T: Float> Cost<T> for Touchy {
    fn cost(&self, x: &[T]) -> T {
        assert!(x[0] >= T::zero(), "negative input");
        x[0] * x[0]
    }
}

#[test]
fn a_panic_in_the_cost_leaves_the_problem_usable() -> Result<(), argmin::core::Error> {
    let problem = Problem::new(Touchy);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        problem.gradient(&vec![-1.0])
    }));
    assert!(caught.is_err());
    assert_eq!(problem.gradient(&vec![3.0])?, [6.0]);
    Ok(())
}

#[test]
fn a_recorded_problem_replays_the_same_values_and_refuses_a_changed_branch()
-> Result<(), argmin::core::Error> {
    use tapegrad::integrations::argmin::Recorded;
    use tapegrad::{Active, replay::Function};

    let recorded = Recorded::new(Function::record(&[0.5, -1.0, 3.0], |x: &[Active]| {
        Bowl.cost(x)
    })?)?;
    for x in [vec![0.5, -1.0, 3.0], vec![2.0, 0.25, -1.5]] {
        assert_eq!(recorded.cost(&x)?, Bowl.cost(&x));
        assert_eq!(recorded.gradient(&x)?, Problem::new(Bowl).gradient(&x)?);
    }

    // |x| written with an `if`: recorded at x > 0, refused at x < 0.
    let abs = Function::record(&[1.0], |x: &[Active]| if x[0] > 0.0 { x[0] } else { -x[0] })?;
    let recorded = Recorded::new(abs)?;
    assert_eq!(recorded.gradient(&vec![3.0])?, [1.0]);
    let error = recorded
        .gradient(&vec![-3.0])
        .expect_err("the branch changed");
    assert!(matches!(
        error.downcast_ref::<tapegrad::Error>(),
        Some(tapegrad::Error::BranchChanged { .. })
    ));

    let two = Function::record(&[1.0], |x: &[Active]| [x[0], x[0] * 2.0])?;
    assert!(matches!(
        Recorded::new(two),
        Err(tapegrad::Error::Length { found: 2, .. })
    ));
    Ok(())
}

#[test]
fn newton_on_a_recorded_function_replays_its_hessian() -> Result<(), argmin::core::Error> {
    use tapegrad::integrations::argmin::Recorded;
    use tapegrad::{Active, replay::Function};
    let f = Function::record(&[0.5, 0.5, 0.5], |x: &[Active]| Bowl.cost(x))?;
    let problem = Recorded::dvector(f)?;
    let at = DVector::from_vec(vec![0.3, -1.0, 2.5]);
    // The replayed Hessian is the nested tapes' (Problem's), to the last bits.
    let (replayed, nested) = (problem.hessian(&at)?, Problem::dvector(Bowl).hessian(&at)?);
    for (a, b) in replayed.iter().zip(nested.iter()) {
        assert_relative_eq!(*a, *b, max_relative = 1e-12);
    }
    newton_minimizes_the_bowl(problem)
}

/// A planar pose `(θ, tx, ty)` fitted to points it moved: written once for
/// nalgebra 0.35's `RealField` (what `cargo add nalgebra` gives), on `f64`
/// for the value and on `Active` for the gradient and Hessian.
#[cfg(feature = "nalgebra")]
struct Pose {
    from: Vec<[f64; 2]>,
    to: Vec<[f64; 2]>,
}

#[cfg(feature = "nalgebra")]
impl<T: nalgebra::RealField + Copy> Cost<T> for Pose {
    fn cost(&self, x: &[T]) -> T {
        use nalgebra::{Isometry2, Point2, Vector2};
        let lit = |v: f64| T::from_f64(v).expect("a float");
        let pose = Isometry2::new(Vector2::new(x[1], x[2]), x[0]);
        let misfit = self.from.iter().zip(&self.to).map(|(p, q)| {
            let moved = pose * Point2::new(lit(p[0]), lit(p[1]));
            (moved - Point2::new(lit(q[0]), lit(q[1]))).norm_squared()
        });
        misfit.fold(T::zero(), |s, m| s + m) * lit(0.5)
    }
}

#[cfg(feature = "nalgebra")]
#[test]
fn newton_fits_a_pose_written_for_nalgebra_s_real_field() -> Result<(), argmin::core::Error> {
    let (theta, t): (f64, [f64; 2]) = (0.4, [1.5, -2.0]);
    let from = vec![[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [-1.5, 0.5]];
    let to = from
        .iter()
        .map(|p| {
            let (s, c) = theta.sin_cos();
            [c * p[0] - s * p[1] + t[0], s * p[0] + c * p[1] + t[1]]
        })
        .collect();
    // Newton finds the stationary point nearest its start (θ + π is one).
    let start = DVector::from_vec(vec![0.2, 1.0, -1.0]);
    let result = Executor::new(Problem::dvector(Pose { from, to }), Newton::<f64>::new())
        .configure(|state| state.param(start).max_iters(30))
        .run()?;
    let best = result.state().get_best_param().expect("a best point");
    for (got, want) in best.iter().zip([theta, t[0], t[1]]) {
        assert_relative_eq!(*got, want, epsilon = 1e-10);
    }
    Ok(())
}

#[test]
fn gauss_newton_on_recorded_residuals_replays_their_jacobian() -> Result<(), argmin::core::Error> {
    use tapegrad::integrations::argmin::Recorded;
    use tapegrad::{Active, replay::Function};
    let t: Vec<f64> = (0..12).map(|i| 0.25 * f64::from(i)).collect();
    let y: Vec<f64> = t.iter().map(|&t| 2.0 * (-0.5 * t).exp()).collect();
    let decay = Decay { t, y };
    let f = Function::record(&[1.0, -0.1], |p: &[Active]| decay.residuals(p))?;
    let recorded = Recorded::residuals(f);
    let p = DVector::from_vec(vec![1.3, -0.2]);
    let (replayed, taped) = (
        recorded.jacobian(&p)?,
        Problem::dvector(decay).jacobian(&p)?,
    );
    assert_eq!(replayed.shape(), (12, 2));
    for (a, b) in replayed.iter().zip(taped.iter()) {
        assert_relative_eq!(*a, *b, max_relative = 1e-14);
    }
    gauss_newton_fits_the_decay(recorded, p)
}
