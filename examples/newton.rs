//! # Newton's method, with the Hessian from the tape
//!
//! The binary classifier of `binary_classifier.rs`, trained by Newton's
//! method instead of gradient descent. Newton's step solves
//! `H·δ = ∇J` and moves to `θ − δ`: it uses the curvature `H`, the matrix
//! of second derivatives, so near the minimum every step roughly squares
//! the error. It needs the Hessian, which the tape computes by nesting: the
//! loss is recorded on an inner tape whose values are variables of an outer
//! one, so the inner backward sweep is itself recorded, and sweeping the
//! outer tape once per parameter differentiates the gradient again.
//!
//! The loss is written once, generic over `num_traits::Float`, and runs on
//! `f64`, on the tape, and on the nested tape unchanged. A small ridge
//! penalty `(λ/2)·‖w‖²` makes the minimum unique (the training data are
//! almost separable, and without it the weights would grow without bound).
//!
//! Run it with `cargo run --release --example newton --features faer`: the
//! linear solve is faer's Cholesky factorization, from tapegrad's optional
//! `faer` feature.

mod common;

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use common::data::Dataset;
use common::prep::{Scaling, split_and_scale};
use faer::linalg::solvers::Solve;
use faer::{Col, Mat, Side};
use num_traits::Float;
use tapegrad::{grad, hessian};

const LAMBDA: f64 = 1e-2;

/// The mean cross-entropy of logistic regression plus `(λ/2)·‖w‖²`, θ = [w, b].
fn objective<T: Float>(theta: &[T], data: &Dataset, rows: &[usize]) -> T {
    let constant = |v: f64| T::from(v).expect("a float");
    let (w, b) = theta.split_at(theta.len() - 1);
    let total = rows.iter().fold(T::zero(), |acc, &i| {
        let z = w
            .iter()
            .zip(&data.features[i])
            .fold(b[0], |z, (&wj, &xj)| z + wj * constant(xj));
        let y = constant(data.labels[i]);
        // ln(1 + eᶻ) − y·z, by branches that never overflow and are smooth
        // to every order (a formula with |z| would put a kink into the
        // Hessian at z = 0).
        let softplus = if z > T::zero() {
            z + (-z).exp().ln_1p()
        } else {
            z.exp().ln_1p()
        };
        acc + softplus - y * z
    });
    let ridge = w.iter().fold(T::zero(), |acc, &wj| acc + wj * wj);
    total / constant(rows.len() as f64) + constant(LAMBDA / 2.0) * ridge
}

/// Solves `H·δ = g` for a symmetric positive definite `H`, by faer's
/// Cholesky factorization.
fn solve(h: &[Vec<f64>], g: &[f64]) -> Result<Vec<f64>, Box<dyn Error>> {
    let h = Mat::from_fn(g.len(), g.len(), |i, j| h[i][j]);
    let llt = h
        .llt(Side::Lower)
        .map_err(|e| format!("the Hessian is not positive definite: {e}"))?;
    let delta = llt.solve(Col::from_fn(g.len(), |i| g[i]));
    Ok(delta.iter().copied().collect())
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/breast_cancer.csv");
    let (data, train, _) = split_and_scale(&path, Scaling::Standardize, 42)?;
    let n = data.feature_names.len() + 1;
    let loss = |theta: &[f64]| objective(theta, &data, &train);
    println!(
        "logistic regression with ridge λ = {LAMBDA}: {n} parameters, {} training samples\n",
        train.len()
    );

    println!("Newton's method: θ ← θ − H⁻¹·∇J");
    println!("{:>5}  {:>20}  {:>12}", "step", "loss", "‖∇J‖");
    let started = Instant::now();
    let mut theta = vec![0.0; n];
    let mut newton_steps = 0;
    let mut losses = Vec::new();
    loop {
        let g = grad(|t| objective(t, &data, &train), &theta);
        losses.push(loss(&theta));
        println!(
            "{newton_steps:>5}  {:>20.15}  {:>12.3e}",
            loss(&theta),
            norm(&g)
        );
        if norm(&g) < 1e-10 || newton_steps == 50 {
            break;
        }
        let h = hessian(|t| objective(t, &data, &train), &theta);
        let step = solve(&h, &g)?;
        for (t, s) in theta.iter_mut().zip(&step) {
            *t -= s;
        }
        newton_steps += 1;
    }
    let newton_time = started.elapsed().as_secs_f64();
    let optimum = loss(&theta);
    println!(
        "{newton_steps} Newton steps, {newton_time:.2} s (each: one gradient, one {n}×{n} Hessian)\n"
    );

    // Gradient descent on the same loss, with the step 1/L that the largest
    // curvature allows, until it is as close to the optimum as 1e-8.
    let h = hessian(|t| objective(t, &data, &train), &vec![0.0; n]);
    let largest_curvature = (0..n)
        .map(|i| h[i].iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let rate = 1.0 / largest_curvature; // 1/L, L bounded by the largest row sum of |H|
    let started = Instant::now();
    let mut theta = vec![0.0; n];
    let (mut steps, limit) = (0, 100_000);
    while loss(&theta) - optimum > 1e-8 && steps < limit {
        let g = grad(|t| objective(t, &data, &train), &theta);
        for (t, gi) in theta.iter_mut().zip(&g) {
            *t -= rate * gi;
        }
        steps += 1;
    }
    let gd_time = started.elapsed().as_secs_f64();
    let newton_to_tolerance = losses
        .iter()
        .position(|l| l - optimum <= 1e-8)
        .unwrap_or(losses.len());
    println!("steps until the loss is within 1e-8 of the optimum:");
    println!("  Newton's method     {newton_to_tolerance:>6}");
    match steps < limit {
        true => {
            println!("  gradient descent    {steps:>6}   (step 1/L = {rate:.3}; {gd_time:.2} s)")
        }
        false => println!("  gradient descent    more than {limit} (step 1/L = {rate:.3})"),
    }
    Ok(())
}
