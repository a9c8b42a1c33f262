//! # The classifier, trained by argmin's solvers
//!
//! The breast-cancer classifier of `binary_classifier`, with its loss written
//! once as a [`Cost`] for every float type (the same code gives the loss on
//! floats and its derivatives on the tape) and handed to argmin three ways:
//!
//! ```text
//! J(θ) = mean over samples of softplus(z) − y·z,   z = w·x + b
//!        + λ/2 · |w|²                              (a little ridge, so Newton's steps stay finite)
//! ```
//!
//! - L-BFGS with a Moré–Thuente line search, on `Vec<f64>`: the gradient from
//!   the tape at each point;
//! - Newton's method, on nalgebra's `DVector<f64>`: the 31 × 31 Hessian from
//!   a tape whose backward sweep records on an outer one;
//! - plain gradient descent, as a baseline.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --features argmin --example argmin_classifier
//! ```

mod common;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use argmin::core::{Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::Newton;
use argmin::solver::quasinewton::LBFGS;
use common::metrics::Confusion;
use common::prep::{Scaling, split_and_scale};
// argmin-math 0.5's nalgebra, 0.34 (the `nalgebra_v0_34` feature).
use nalgebra_v0_34::DVector;
use num_traits::Float;
use tapegrad::integrations::argmin::{Cost, Problem};

/// The regularized mean cross-entropy of logistic regression on a data set.
#[derive(Clone)]
struct Logistic {
    features: Vec<Vec<f64>>,
    labels: Vec<f64>,
    ridge: f64,
}

impl<T: Float> Cost<T> for Logistic {
    fn cost(&self, theta: &[T]) -> T {
        let lit = |v: f64| T::from(v).expect("a float");
        let (w, b) = theta.split_at(theta.len() - 1);
        let mut total = T::zero();
        for (x, &y) in self.features.iter().zip(&self.labels) {
            let z = w.iter().zip(x).fold(b[0], |z, (&wi, &xi)| z + wi * lit(xi));
            total = total + softplus(z) - lit(y) * z;
        }
        let ridge = w.iter().fold(T::zero(), |s, &wi| s + wi * wi);
        total / lit(self.labels.len() as f64) + lit(self.ridge / 2.0) * ridge
    }
}

/// `ln(1 + eᶻ)` without overflow, in two analytic branches so that its
/// second derivative is exact too.
fn softplus<T: Float>(z: T) -> T {
    match z > T::zero() {
        true => z + (-z).exp().ln_1p(),
        false => z.exp().ln_1p(),
    }
}

impl Logistic {
    /// Accuracy on the test split: the share of samples whose `σ(z) ≥ ½`
    /// matches the label.
    fn accuracy(&self, theta: &[f64]) -> f64 {
        let (w, b) = theta.split_at(theta.len() - 1);
        let predicted: Vec<f64> = self
            .features
            .iter()
            .map(|x| {
                1.0 / (1.0 + (-(b[0] + w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>())).exp())
            })
            .collect();
        Confusion::new(&predicted, &self.labels).accuracy()
    }
}

/// One solver's outcome.
struct Outcome {
    name: &'static str,
    iterations: u64,
    theta: Vec<f64>,
    seconds: f64,
}

fn main() -> ExitCode {
    common::exit(run())
}

fn run() -> Result<(), Box<dyn Error>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/breast_cancer.csv");
    let (data, train, test) = split_and_scale(&path, Scaling::Standardize, 42)?;
    let split = |rows: &[usize], ridge| Logistic {
        features: rows.iter().map(|&i| data.features[i].clone()).collect(),
        labels: rows.iter().map(|&i| data.labels[i]).collect(),
        ridge,
    };
    let ridge = 1e-3;
    let (training, testing) = (split(&train, ridge), split(&test, ridge));
    let start = vec![0.0; data.features[0].len() + 1];
    println!(
        "{} samples for training, {} for testing; {} parameters, ridge λ = {ridge}\n",
        train.len(),
        test.len(),
        start.len()
    );

    let clock = Instant::now();
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7).with_tolerance_grad(1e-8)?;
    let result = Executor::new(Problem::new(training.clone()), solver)
        .configure(|state| state.param(start.clone()).max_iters(500))
        .run()?;
    let lbfgs = Outcome {
        name: "L-BFGS (argmin)",
        iterations: result.state().get_iter(),
        theta: result
            .state()
            .get_best_param()
            .cloned()
            .ok_or("no best point")?,
        seconds: clock.elapsed().as_secs_f64(),
    };

    let clock = Instant::now();
    let result = Executor::new(Problem::dvector(training.clone()), Newton::<f64>::new())
        .configure(|state| state.param(DVector::from_vec(start.clone())).max_iters(12))
        .run()?;
    let newton = Outcome {
        name: "Newton (argmin, tape's Hessian)",
        iterations: result.state().get_iter(),
        theta: result
            .state()
            .get_best_param()
            .ok_or("no best point")?
            .as_slice()
            .to_vec(),
        seconds: clock.elapsed().as_secs_f64(),
    };

    // Gradient descent: θ := θ − α·∇J, the gradient from the same problem.
    let clock = Instant::now();
    let (problem, alpha, steps) = (Problem::new(training), 0.5, 2000);
    let mut theta = start.clone();
    for _ in 0..steps {
        let g = problem.gradient(&theta)?;
        theta.iter_mut().zip(&g).for_each(|(t, g)| *t -= alpha * g);
    }
    let descent = Outcome {
        name: "gradient descent (α = 0.5)",
        iterations: steps,
        theta,
        seconds: clock.elapsed().as_secs_f64(),
    };

    println!(
        "{:<34} {:>10} {:>14} {:>14} {:>9} {:>9}",
        "solver", "iterations", "training loss", "|gradient|", "test acc.", "time"
    );
    for o in [&lbfgs, &newton, &descent] {
        let loss = problem.function().cost(&o.theta);
        let g = problem.gradient(&o.theta)?;
        let norm = g.iter().map(|g| g * g).sum::<f64>().sqrt();
        println!(
            "{:<34} {:>10} {:>14.10} {:>14.3e} {:>8.1}% {:>8.3}s",
            o.name,
            o.iterations,
            loss,
            norm,
            100.0 * testing.accuracy(&o.theta),
            o.seconds
        );
    }
    Ok(())
}
