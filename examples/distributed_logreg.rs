//! Logistic regression on 10⁶ generated samples × 30 features, the samples
//! shared out among the ranks of an MPI job, trained by L-BFGS (argmin) on
//! every rank in lockstep.
//!
//! Each rank generates and keeps only its shard (whole blocks of 10⁴
//! samples, `shard`); the loss and gradient are summed over every rank's
//! blocks in block order, so every rank gets the same bits, and the same
//! bits as one process: each rank's L-BFGS takes the same steps without
//! any other message, and the result does not depend on the number of
//! ranks (the last line, the parameters' bits, is the same at 1, 2 or 3).
//!
//! ```text
//! cargo run --release --features mpi,argmin --example distributed_logreg
//! mpirun -np 2 target/release/examples/distributed_logreg
//! mpirun -np 8 --hostfile hosts target/release/examples/distributed_logreg -- --samples 10000000
//! ```

use std::cell::RefCell;
use std::time::Instant;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use lexopt::prelude::*;
use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use tapegrad::integrations::mpi::{Ranks, abort_on_panic, shard};
use tapegrad::{Var, loss, nn::affine};

/// The samples of one block, generated from the block's own seed: any
/// rank that holds the block makes the same numbers.
fn block(index: usize, len: usize, features: usize, truth: &[f64]) -> Vec<(Vec<f64>, f64)> {
    let mut rng = StdRng::seed_from_u64(1_000_003 * index as u64 + 7);
    let normal = Normal::new(0.0, 1.0).expect("a unit normal");
    (0..len)
        .map(|_| {
            let x: Vec<f64> = (0..features).map(|_| normal.sample(&mut rng)).collect();
            let z: f64 = x.iter().zip(truth).map(|(a, b)| a * b).sum::<f64>() + truth[features];
            let y = f64::from(rng.random::<f64>() < 1.0 / (1.0 + (-z).exp()));
            (x, y)
        })
        .collect()
}

/// A block's summed cross-entropy against θ = (w, b).
fn block_loss<'t>(theta: &[Var<'t>], samples: &[(Vec<f64>, f64)]) -> Var<'t> {
    let (w, b) = theta.split_at(theta.len() - 1);
    let logits: Vec<Var<'t>> = samples.iter().map(|(x, _)| affine(w, x, b[0])).collect();
    let labels: Vec<f64> = samples.iter().map(|s| s.1).collect();
    loss::mean_bce_with_logits(&logits, &labels) * samples.len() as f64
}

/// The mean loss over every rank's samples, its gradient, counted.
struct Fit<'a> {
    ranks: RefCell<Ranks<SimpleCommunicator>>,
    first: usize,
    samples: &'a [(Vec<f64>, f64)],
    block: usize,
    gradients: RefCell<usize>,
    last: RefCell<Option<Evaluated>>,
}

/// The last point evaluated, its mean loss and gradient: L-BFGS asks for
/// the cost and the gradient at a point in two calls.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

impl Fit<'_> {
    fn evaluate(&self, theta: &[f64]) -> Result<(f64, Vec<f64>), argmin::core::Error> {
        if let Some((at, value, gradient)) = &*self.last.borrow()
            && at == theta
        {
            return Ok((*value, gradient.clone()));
        }
        let summed = self.ranks.borrow_mut().sum_over_samples(
            theta,
            self.first,
            self.samples,
            self.block,
            block_loss,
        )?;
        *self.gradients.borrow_mut() += 1;
        let (value, gradient) = summed.per_sample();
        *self.last.borrow_mut() = Some((theta.to_vec(), value, gradient.clone()));
        Ok((value, gradient))
    }
}

impl CostFunction for &Fit<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.evaluate(theta)?.0)
    }
}

impl Gradient for &Fit<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, theta: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.evaluate(theta)?.1)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut samples, mut features, mut block_len, mut iters) = (1_000_000, 30, 10_000, 30u64);
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("samples") => samples = parser.value()?.parse()?,
            Long("features") => features = parser.value()?.parse()?,
            Long("block") => block_len = parser.value()?.parse()?,
            Long("iters") => iters = parser.value()?.parse()?,
            _ => return Err(arg.unexpected().into()),
        }
    }
    let universe = mpi::initialize().ok_or("MPI initializes once a process")?;
    abort_on_panic();
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);

    let mut rng = StdRng::seed_from_u64(2026);
    let normal = Normal::new(0.0, 1.0)?;
    let truth: Vec<f64> = (0..=features).map(|_| normal.sample(&mut rng)).collect();
    let clock = Instant::now();
    let mine = shard(samples, block_len, rank, size);
    let data: Vec<(Vec<f64>, f64)> = (mine.start..mine.end)
        .step_by(block_len)
        .flat_map(|start| {
            let len = block_len.min(mine.end - start);
            block(start / block_len, len, features, &truth)
        })
        .collect();
    println!(
        "rank {rank} of {size}: samples {}..{} ({} blocks), generated in {:.2} s",
        mine.start,
        mine.end,
        data.len().div_ceil(block_len),
        clock.elapsed().as_secs_f64()
    );
    world.barrier();

    let fit = Fit {
        ranks: RefCell::new(Ranks::new(universe.world())),
        first: mine.start,
        samples: &data,
        block: block_len,
        gradients: RefCell::new(0),
        last: RefCell::new(None),
    };
    let start = vec![0.0; features + 1];
    let clock = Instant::now();
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10);
    let result = Executor::new(&fit, solver)
        .configure(|state| state.param(start).max_iters(iters))
        .run()?;
    let seconds = clock.elapsed().as_secs_f64();
    let theta = result
        .state()
        .get_best_param()
        .ok_or("no best point")?
        .clone();
    let loss = result.state().get_best_cost();

    // Accuracy: counts summed exactly, in any order.
    let (w, b) = theta.split_at(features);
    let right = data
        .iter()
        .filter(|(x, y)| {
            let z: f64 = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + b[0];
            (z > 0.0) == (*y > 0.5)
        })
        .count() as u64;
    let mut total = 0u64;
    world.all_reduce_into(&right, &mut total, SystemOperation::sum());
    if rank == 0 {
        let gradients = *fit.gradients.borrow();
        let error = theta
            .iter()
            .zip(&truth)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let ranks = if size == 1 { "rank" } else { "ranks" };
        println!("\n{samples} samples x {features} features on {size} {ranks}, L-BFGS:");
        println!("mean loss           {loss:.6}");
        println!("accuracy            {:.4}", total as f64 / samples as f64);
        println!("largest |θ − truth| {error:.4}");
        println!(
            "time                {seconds:.2} s ({gradients} gradients, {:.1} ms each)",
            1e3 * seconds / gradients.max(1) as f64
        );
        // The same on any number of ranks: the bits of the loss and of θ.
        let bits = theta
            .iter()
            .fold(loss.to_bits(), |h, v| h.rotate_left(5) ^ v.to_bits());
        println!("result bits         {bits:016x}");
    }
    Ok(())
}
