//! # Where is the camera? A 3-D pose fitted by Gauss–Newton, written once for nalgebra
//!
//! A rigid motion, a rotation `R` and a translation `t` (nalgebra's
//! `Isometry3`), carries known landmarks `pᵢ` to where a sensor sees them,
//! `qᵢ ≈ R·pᵢ + t`, with a little noise. The pose has six parameters, the
//! rotation as an axis-angle vector `ω` (`R = exp([ω]×)`) and `t`:
//!
//! ```text
//! rᵢ(ω, t) = R(ω)·pᵢ + t − qᵢ            (three residuals a landmark)
//! minimize ½ Σᵢ |rᵢ|²  by Gauss–Newton:  (JᵀJ) δ = −Jᵀr,   J = ∂r/∂(ω, t)
//! ```
//!
//! The residuals are written once, for any `T: RealField`, the way nalgebra
//! code is written; on `f64` they give the misfit, and on tapegrad's
//! [`Active`](tapegrad::Active) variables the Jacobian `J` for argmin's
//! Gauss–Newton, through `Isometry3`'s exponential map and its rotation of
//! every point. No derivative is written by hand.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --features nalgebra,argmin --example pose_fit
//! ```

use std::process::ExitCode;

use argmin::core::{Executor, State};
use argmin::solver::gaussnewton::GaussNewton;
use nalgebra::{Isometry3, Point3, RealField, Vector3};
// argmin-math 0.5's vectors are nalgebra 0.34's (the `nalgebra_v0_34` feature).
use nalgebra_v0_34::DVector;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use tapegrad::integrations::argmin::{Problem, Residuals};

/// The landmarks and where the sensor saw them.
struct Sightings {
    landmarks: Vec<[f64; 3]>,
    seen: Vec<[f64; 3]>,
}

/// The pose of the parameters `[ωx, ωy, ωz, tx, ty, tz]`.
fn pose<T: RealField + Copy>(x: &[T]) -> Isometry3<T> {
    Isometry3::new(
        Vector3::new(x[3], x[4], x[5]),
        Vector3::new(x[0], x[1], x[2]),
    )
}

impl<T: RealField + Copy> Residuals<T> for Sightings {
    fn residuals(&self, x: &[T]) -> Vec<T> {
        let lit = |v: f64| T::from_f64(v).expect("a float");
        let point = |p: &[f64; 3]| Point3::new(lit(p[0]), lit(p[1]), lit(p[2]));
        let pose = pose(x);
        let mut r = Vec::with_capacity(3 * self.seen.len());
        for (p, q) in self.landmarks.iter().zip(&self.seen) {
            let miss = pose * point(p) - point(q);
            r.extend(miss.iter().copied());
        }
        r
    }
}

/// `n` landmarks in a 4-metre box, seen through the pose `truth` with
/// Gaussian noise of deviation `noise` on every coordinate.
fn sightings(n: usize, truth: &[f64; 6], noise: f64, seed: u64) -> Sightings {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, noise).expect("a finite deviation");
    let landmarks: Vec<[f64; 3]> = (0..n)
        .map(|_| [0; 3].map(|_| rng.random_range(-2.0..2.0)))
        .collect();
    let pose = pose(truth);
    let seen = landmarks
        .iter()
        .map(|p| {
            let q = pose * Point3::new(p[0], p[1], p[2]);
            [q.x, q.y, q.z].map(|c| c + normal.sample(&mut rng))
        })
        .collect();
    Sightings { landmarks, seen }
}

/// The pose Gauss–Newton finds from near the identity, and its iterations.
fn fit(data: Sightings) -> Result<(Vec<f64>, u64), argmin::core::Error> {
    // Not from ω = 0 itself: nalgebra's quaternion exponential returns the
    // identity, a constant, where |ω| is below about 3e-8, so the derivative
    // in ω there is zero and JᵀJ singular. A hundredth of a radian away, the
    // branch taken is the formula, and the tape differentiates it.
    let start = DVector::from_vec(vec![0.01, 0.01, 0.01, 0.0, 0.0, 0.0]);
    let result = Executor::new(Problem::dvector(data), GaussNewton::<f64>::new())
        .configure(|state| state.param(start).max_iters(50))
        .run()?;
    let state = result.state();
    let best = state.get_best_param().expect("a best point");
    Ok((best.iter().copied().collect(), state.get_iter()))
}

fn main() -> ExitCode {
    // A turn of about 29° about a tilted axis, and a shift of a few metres.
    let truth = [0.3, -0.2, 0.35, 1.5, -0.7, 2.0];
    let data = sightings(40, &truth, 1e-3, 7);
    let (fitted, iterations) = match fit(data) {
        Ok(fit) => fit,
        Err(e) => {
            eprintln!("pose_fit: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Gauss–Newton from near the identity, 40 landmarks seen with 1 mm of noise:");
    println!("{iterations} iterations\n");
    println!("parameter      truth     fitted");
    for (name, (t, f)) in ["ωx", "ωy", "ωz", "tx", "ty", "tz"]
        .iter()
        .zip(truth.iter().zip(&fitted))
    {
        println!("{name:<8} {t:>10.5} {f:>10.5}");
    }
    let worst = truth
        .iter()
        .zip(&fitted)
        .map(|(t, f)| (t - f).abs())
        .fold(0.0, f64::max);
    println!("\nlargest error: {worst:.2e} (the noise is 1e-3)");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_noise_the_fit_is_the_truth() -> Result<(), argmin::core::Error> {
        let truth = [0.3, -0.2, 0.35, 1.5, -0.7, 2.0];
        let (fitted, _) = fit(sightings(12, &truth, 0.0, 1))?;
        for (f, t) in fitted.iter().zip(truth) {
            assert!((f - t).abs() < 1e-10, "{fitted:?} against {truth:?}");
        }
        Ok(())
    }

    #[test]
    fn with_noise_the_fit_is_within_it() -> Result<(), argmin::core::Error> {
        let truth = [-0.5, 0.1, 0.2, -1.0, 0.4, 3.0];
        let (fitted, _) = fit(sightings(40, &truth, 1e-3, 2))?;
        for (f, t) in fitted.iter().zip(truth) {
            assert!((f - t).abs() < 2e-3, "{fitted:?} against {truth:?}");
        }
        Ok(())
    }

    #[test]
    fn the_jacobian_matches_central_differences() {
        use argmin::core::{Jacobian, Operator};
        let problem = Problem::dvector(sightings(5, &[0.1, 0.2, -0.3, 1.0, 2.0, 3.0], 0.0, 3));
        let x = DVector::from_vec(vec![0.2, -0.1, 0.4, 0.5, 0.0, -0.5]);
        let j = problem.jacobian(&x).expect("a Jacobian");
        let h = 1e-6;
        for k in 0..6 {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[k] += h;
            down[k] -= h;
            let (ru, rd) = (
                problem.apply(&up).expect("r"),
                problem.apply(&down).expect("r"),
            );
            for i in 0..ru.len() {
                let numeric = (ru[i] - rd[i]) / (2.0 * h);
                assert!((j[(i, k)] - numeric).abs() < 1e-7, "J[{i}][{k}]");
            }
        }
    }
}
