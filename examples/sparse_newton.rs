//! # Newton's method at 100,000 variables, with a sparse Hessian
//!
//! The chained Rosenbrock function
//!
//! ```text
//! f(x) = Σᵢ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²,   i = 0 … n − 2,   minimal at x = (1, …, 1)
//! ```
//!
//! has a tridiagonal Hessian: 3n − 2 nonzeros where the dense matrix has n²
//! (80 GB at n = 100,000). The function is recorded once as a [`Function`];
//! its Hessian's pattern comes from the recording, a star coloring groups
//! its columns into 3 colors, and each Newton step takes 3 Hessian–vector
//! products for every nonzero, then faer's sparse Cholesky solves
//! `(H + λI) p = −∇f` (λ grows from 0 until the matrix is positive
//! definite), with a backtracking line search.
//!
//! Beside it, L-BFGS (argmin's, with a Moré–Thuente line search) on the same
//! recording, from the same two starts. From a wavy start both reach the
//! minimum, Newton in a few steps to the last digits. From xᵢ = 2, L-BFGS's
//! first steps fall into the curved valley xᵢ₊₁ = xᵢ² near 0 (every xᵢ ≈ 0.01
//! is nearly stationary there), where it crawls: a point moves toward 1 only
//! as its neighbours do; Newton's steps, which see the coupling, go straight
//! to the minimum.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --features faer,argmin --example sparse_newton [-- --n 100000]
//! ```

mod common;

use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use argmin::core::{Executor, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use common::args::Args;
use faer::Side;
use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Llt, SymbolicLlt};
use num_traits::Float;
use tapegrad::integrations::argmin::Recorded;
use tapegrad::{
    Active,
    replay::{Function, Sparse},
};

fn chained_rosenbrock<T: Float>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from(100.0).expect("a float"));
    x.windows(2).fold(T::zero(), |total, w| {
        total + hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2)
    })
}

/// Where both methods stop: the gradient's norm.
const TOLERANCE: f64 = 1e-8;

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// What a run reached.
struct Run {
    iterations: u64,
    seconds: f64,
    value: f64,
    gradient_norm: f64,
}

/// Newton's method from `x`: the Hessian's values at each step (one
/// Hessian–vector product per color), faer's sparse Cholesky of `H + λI`
/// with λ from 0 up until it is positive definite, a backtracking line search.
fn newton(f: &Function, hessian: &Sparse, mut x: Vec<f64>) -> Result<Run, Box<dyn Error>> {
    let clock = Instant::now();
    let diagonal: Vec<usize> = (hessian.pattern().iter().enumerate())
        .filter(|(_, (i, j))| i == j)
        .map(|(k, _)| k)
        .collect();
    let mut ws = f.workspace();
    // The symbolic factorization depends on the pattern alone: made once.
    let structure = hessian.to_faer(&vec![0.0; hessian.pattern().len()])?;
    let symbolic = SymbolicLlt::try_new(structure.as_ref().transpose().symbolic(), Side::Lower)?;
    let mut iterations = 0;
    loop {
        let (value, g) = f.value_and_gradient(&mut ws, &x)?;
        let gradient_norm = norm(&g);
        if gradient_norm <= TOLERANCE || iterations == 100 {
            let seconds = clock.elapsed().as_secs_f64();
            return Ok(Run {
                iterations,
                seconds,
                value,
                gradient_norm,
            });
        }
        let mut values = hessian.values(&mut ws, &x)?;
        let largest = diagonal
            .iter()
            .map(|&k| values[k].abs())
            .fold(1.0, f64::max);
        let mut shift = 0.0;
        let llt = loop {
            let matrix = hessian.to_faer(&values)?;
            let columns = matrix.as_ref().transpose(); // the same matrix: H is symmetric
            match Llt::try_new_with_symbolic(symbolic.clone(), columns, Side::Lower) {
                Ok(llt) => break llt,
                Err(_) => {
                    let next = if shift == 0.0 {
                        1e-6 * largest
                    } else {
                        10.0 * shift
                    };
                    diagonal.iter().for_each(|&k| values[k] += next - shift);
                    shift = next;
                }
            }
        };
        let step = llt.solve(faer::Col::from_fn(x.len(), |i| -g[i]));
        let slope: f64 = (0..x.len()).map(|i| g[i] * step[i]).sum();
        // Halve the step until the value falls enough (Armijo's rule).
        let mut t = 1.0;
        x = loop {
            let trial: Vec<f64> = (0..x.len()).map(|i| x[i] + t * step[i]).collect();
            if f.value(&mut ws, &trial)?[0] <= value + 1e-4 * t * slope || t < 1e-12 {
                break trial;
            }
            t *= 0.5;
        };
        iterations += 1;
    }
}

/// argmin's L-BFGS (memory 10, Moré–Thuente line search) from `x`, on the
/// same recording.
fn lbfgs(f: &Function, x: Vec<f64>, max_iters: u64) -> Result<Run, Box<dyn Error>> {
    let clock = Instant::now();
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(TOLERANCE)?
        .with_tolerance_cost(0.0)?;
    let result = Executor::new(Recorded::new(f.clone())?, solver)
        .configure(|state| state.param(x).max_iters(max_iters))
        .run()?;
    let seconds = clock.elapsed().as_secs_f64();
    let state = result.state();
    let best = state.get_best_param().ok_or("L-BFGS returned no point")?;
    Ok(Run {
        iterations: state.get_iter(),
        seconds,
        value: state.get_best_cost(),
        gradient_norm: norm(&f.gradient(&mut f.workspace(), best)?),
    })
}

fn run() -> Result<(), Box<dyn Error>> {
    let args = Args::parse(
        "Newton's method with a sparse Hessian beside L-BFGS, on the chained Rosenbrock function",
        &[
            ("n", "the number of variables (default 100000)"),
            ("lbfgs-iters", "L-BFGS's iteration limit (default 300)"),
        ],
    )?;
    let n: usize = args.get("n", 100_000)?;
    let max_iters: u64 = args.get("lbfgs-iters", 300)?;
    if n < 2 {
        return Err("--n must be at least 2".into());
    }

    let clock = Instant::now();
    let mut f = Function::record(&vec![0.0; n], |x: &[Active]| chained_rosenbrock(x))?;
    f.optimize();
    let recorded = clock.elapsed().as_secs_f64();
    let hessian = f.sparse_hessian()?;
    println!(
        "chained Rosenbrock, n = {n}: recorded ({} nodes) in {recorded:.3} s; the Hessian's \
         pattern ({} nonzeros) and {} colors in {:.3} s",
        f.len(),
        hessian.pattern().len(),
        hessian.colors(),
        clock.elapsed().as_secs_f64() - recorded,
    );
    println!("each run stops at |∇f| ≤ {TOLERANCE:e}; L-BFGS also after {max_iters} iterations");

    let wave = (0..n)
        .map(|i| 1.0 + 0.8 * (0.37 * i as f64).sin())
        .collect();
    for (name, x) in [("xᵢ = 1 + 0.8·sin(0.37·i)", wave), ("xᵢ = 2", vec![2.0; n])] {
        println!("\nfrom {name}:");
        println!(
            "{:<8} {:>10} {:>9} {:>14} {:>10}",
            "method", "iterations", "time (s)", "f", "|∇f|"
        );
        let newton = newton(&f, &hessian, x.clone())?;
        let lbfgs = lbfgs(&f, x, max_iters)?;
        for (method, run) in [("Newton", &newton), ("L-BFGS", &lbfgs)] {
            println!(
                "{method:<8} {:>10} {:>9.3} {:>14.6e} {:>10.2e}",
                run.iterations, run.seconds, run.value, run.gradient_norm
            );
        }
        if newton.gradient_norm > TOLERANCE {
            return Err(format!("Newton stopped at |∇f| = {:e}", newton.gradient_norm).into());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    common::exit(run())
}
