//! # A planar arm reaching for a point: nalgebra's types on the tape
//!
//! A three-link arm in the plane, joints at angles `θ₁, θ₂, θ₃`, each measured
//! from the link before. Its hand is at
//!
//! ```text
//! p(θ) = Σₖ Lₖ · R(φₖ)·(1, 0)ᵀ,     φₖ = θ₁ + … + θₖ
//! ```
//!
//! written below with nalgebra's `Rotation2` and `Vector2` for any
//! `RealField`, the way robotics code is written. Inverse kinematics asks for
//! angles that put the hand on a target: minimize
//! `E(θ) = ½|p(θ) − target|² + ½μ|θ|²` (a little `μ` keeps the elbow from
//! wandering). The gradient `∂E/∂θ` comes from the tape: the same `hand`
//! function runs on [`Active`] variables, which nalgebra accepts because they
//! are `'static`, and records every rotation on the way.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --features nalgebra --example arm_ik
//! ```

use std::process::ExitCode;

use nalgebra::{RealField, Rotation2, Vector2};
use tapegrad::{Active, Tape, check::check_active_gradient};

/// The links' lengths.
const LENGTHS: [f64; 3] = [1.0, 0.8, 0.5];
/// How strongly the angles are kept small.
const MU: f64 = 1e-4;

/// Where the hand is for joint angles `theta`.
fn hand<T: RealField + Copy>(theta: &[T]) -> Vector2<T> {
    let mut rotation = Rotation2::identity();
    let mut p = Vector2::zeros();
    for (&angle, &length) in theta.iter().zip(&LENGTHS) {
        rotation *= Rotation2::new(angle);
        p += rotation * Vector2::new(T::from_f64(length).expect("a length"), T::zero());
    }
    p
}

/// `E(θ) = ½|p(θ) − target|² + ½μ|θ|²`.
fn error<T: RealField + Copy>(theta: &[T], target: &Vector2<f64>) -> T {
    let lit = |v: f64| T::from_f64(v).expect("a float");
    let miss = hand(theta) - target.map(lit);
    let bend = theta.iter().fold(T::zero(), |s, &t| s + t * t);
    miss.norm_squared() * lit(0.5) + bend * lit(0.5 * MU)
}

fn main() -> ExitCode {
    let target = Vector2::new(1.2, 1.1);
    let mut theta = vec![0.3, 0.3, 0.3];
    let mut tape = Tape::new();

    // First, the tape's gradient against central differences at the start.
    match check_active_gradient(|t| error(t, &target), &theta) {
        Ok(report) => println!(
            "∂E/∂θ at the start {:.6?}, central differences {:.6?}\n",
            report.tape, report.numeric
        ),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }

    // Gradient descent, θ := θ − α·∂E/∂θ, on a tape cleared every step.
    let alpha = 0.5;
    println!("{:>5} {:>12} {:>24}", "step", "E(θ)", "hand");
    for step in 0..=400 {
        tape.clear();
        let (e, gradient) = tape.record(|| {
            let vars = Active::vars(&theta);
            let e = error(&vars, &target);
            (e.value(), e.backward().wrt_all(&vars))
        });
        if step % 50 == 0 {
            let p = hand(&theta);
            println!("{step:>5} {e:>12.3e}     ({:>8.5}, {:>8.5})", p.x, p.y);
        }
        theta
            .iter_mut()
            .zip(&gradient)
            .for_each(|(t, g)| *t -= alpha * g);
    }
    let p = hand(&theta);
    println!(
        "\nangles {:.4?} rad put the hand at ({:.5}, {:.5}); the target is ({}, {}), {:.1e} away",
        theta,
        p.x,
        p.y,
        target.x,
        target.y,
        (p - target).norm()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gradient_matches_central_differences() {
        let target = Vector2::new(1.2, 1.1);
        for theta in [[0.3, 0.3, 0.3], [-1.0, 2.0, 0.5], [0.0, 0.0, 0.0]] {
            let report = check_active_gradient(|t| error(t, &target), &theta);
            assert!(report.is_ok(), "{report:?}");
        }
    }

    #[test]
    fn the_hand_of_a_straight_arm_is_at_its_length() {
        let p = hand(&[0.0, 0.0, 0.0]);
        assert_eq!((p.x, p.y), (2.3, 0.0));
        let p = hand(&[std::f64::consts::FRAC_PI_2, 0.0, 0.0]);
        approx::assert_relative_eq!(p.y, 2.3);
    }
}
