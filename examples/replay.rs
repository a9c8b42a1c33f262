//! # Record once, evaluate many times
//!
//! The breast-cancer classifier of `binary_classifier`, trained by
//! mini-batch gradient descent, with its loss recorded **once** as a
//! [`Function`]: each step sets the batch as the function's dynamic
//! parameters and evaluates the recording again, without running the loss's
//! code or recording a node.
//!
//! ```text
//! J(θ; batch) = mean over the batch of  bce_with_logits(z, y),   z = w·x + b
//! ```
//!
//! Then what a recording cannot do: a function with an `if` holds the
//! branch it took, and an evaluation on the other side returns an error
//! naming the line (never the other branch's numbers); `select` writes the
//! same branch so that it replays, and `Retaping` records again where a
//! branch changes.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --example replay
//! ```

mod common;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use common::metrics::Confusion;
use common::prep::{Scaling, split_and_scale};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use tapegrad::{
    Active, Tape,
    replay::{Comparison, Function, Retaping},
};

/// Samples a step.
const BATCH: usize = 32;

/// The mean cross-entropy of the batch in `p`: each sample's features, then
/// its label.
fn batch_loss(theta: &[Active], p: &[Active]) -> Active {
    let (w, b) = theta.split_at(theta.len() - 1);
    let total = p
        .chunks(w.len() + 1)
        .fold(Active::constant(0.0), |total, sample| {
            let (x, y) = sample.split_at(w.len());
            let z = w.iter().zip(x).fold(b[0], |z, (&wi, &xi)| z + wi * xi);
            total + z.bce_with_logits(y[0])
        });
    total / BATCH as f64
}

/// Where mini-batch descent ended, and how long it took.
struct Trained {
    theta: Vec<f64>,
    steps: usize,
    seconds: f64,
}

/// Thirty epochs of mini-batch gradient descent over `rows` (shuffled with a
/// fixed seed), each step's loss and gradient from `step(θ, batch)`.
fn descend(
    rows: &[usize],
    batch: &dyn Fn(&[usize]) -> Vec<f64>,
    mut theta: Vec<f64>,
    mut step: impl FnMut(&[f64], &[f64]) -> tapegrad::Result<(f64, Vec<f64>)>,
) -> tapegrad::Result<Trained> {
    let (mut rng, mut order) = (StdRng::seed_from_u64(7), rows.to_vec());
    let (alpha, epochs) = (0.5, 30);
    let (clock, mut steps) = (Instant::now(), 0);
    for _ in 0..epochs {
        order.shuffle(&mut rng);
        for rows in order.chunks_exact(BATCH) {
            let (_, gradient) = step(&theta, &batch(rows))?;
            theta
                .iter_mut()
                .zip(&gradient)
                .for_each(|(t, g)| *t -= alpha * g);
            steps += 1;
        }
    }
    let seconds = clock.elapsed().as_secs_f64();
    Ok(Trained {
        theta,
        steps,
        seconds,
    })
}

fn main() -> ExitCode {
    common::exit(run())
}

fn run() -> Result<(), Box<dyn Error>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/breast_cancer.csv");
    let (data, train, test) = split_and_scale(&path, Scaling::Standardize, 42)?;
    let features = data.features[0].len();
    // A batch as parameters: each sample's features, then its label.
    let batch = |rows: &[usize]| -> Vec<f64> {
        rows.iter()
            .flat_map(|&i| data.features[i].iter().copied().chain([data.labels[i]]))
            .collect()
    };

    // Recorded once, at θ = 0 and the first batch.
    let theta = vec![0.0; features + 1];
    let clock = Instant::now();
    let mut loss = Function::record_with_params(&theta, &batch(&train[..BATCH]), batch_loss)?;
    let recorded = loss.len();
    loss.optimize();
    println!(
        "the batch loss recorded once in {:.2} ms: {recorded} nodes, {} after optimize()",
        clock.elapsed().as_secs_f64() * 1e3,
        loss.len()
    );

    // Mini-batch gradient descent: each step new parameters, no new recording;
    // then the same steps recording afresh each time, for comparison.
    let mut ws = loss.workspace();
    let replayed = descend(&train, &batch, theta.clone(), |theta, params| {
        ws.set_params(params)?;
        loss.value_and_gradient(&mut ws, theta)
    })?;
    let mut tape = Tape::new();
    let fresh = descend(&train, &batch, theta, |theta, params| {
        tape.clear();
        tape.record(|| {
            let (t, p) = (Active::vars(theta), Active::vars(params));
            let y = batch_loss(&t, &p);
            Ok((y.value(), y.backward().wrt_all(&t)))
        })
    })?;
    println!(
        "{} steps: {:.1} µs a step replayed, {:.1} µs recording afresh; the same θ: {}",
        replayed.steps,
        replayed.seconds * 1e6 / replayed.steps as f64,
        fresh.seconds * 1e6 / fresh.steps as f64,
        replayed.theta == fresh.theta
    );
    let theta = replayed.theta;
    let (w, b) = theta.split_at(features);
    let predicted: Vec<f64> = test
        .iter()
        .map(|&i| {
            let z = b[0]
                + w.iter()
                    .zip(&data.features[i])
                    .map(|(w, x)| w * x)
                    .sum::<f64>();
            1.0 / (1.0 + (-z).exp())
        })
        .collect();
    let labels: Vec<f64> = test.iter().map(|&i| data.labels[i]).collect();
    let accuracy = Confusion::new(&predicted, &labels).accuracy();
    println!(
        "test accuracy {:.1} % on {} samples\n",
        100.0 * accuracy,
        test.len()
    );

    // A recording holds the branch it took.
    let relu = |x: &[Active]| if x[0] > 0.0 { x[0] } else { x[0] * 0.0 };
    let f = Function::record(&[1.0], relu)?;
    let mut ws = f.workspace();
    println!(
        "relu written with `if`, recorded at 1: gradient at 2 = {:?}",
        f.gradient(&mut ws, &[2.0])?
    );
    match f.gradient(&mut ws, &[-2.0]) {
        Err(e) => println!("at −2: error: {e}"),
        Ok(g) => return Err(format!("the guard did not fire: {g:?}").into()),
    }
    let relu = |x: &[Active]| x[0].select(Comparison::Gt, 0.0, x[0], 0.0);
    let f = Function::record(&[1.0], relu)?;
    let mut ws = f.workspace();
    println!(
        "relu written with `select`: gradient at 2 = {:?}, at −2 = {:?}",
        f.gradient(&mut ws, &[2.0])?,
        f.gradient(&mut ws, &[-2.0])?
    );
    let mut f = Retaping::new(
        &[1.0],
        &[],
        |x: &[Active], _: &[Active]| {
            if x[0] > 0.0 { x[0] } else { x[0] * 0.0 }
        },
    )?;
    for x in [2.0, -2.0, -1.0, 3.0] {
        f.gradient(&[x])?;
    }
    println!(
        "relu with `if` under Retaping, at 2, −2, −1, 3: {} recordings kept, one a branch \
         ({} made after the first)",
        f.kept(),
        f.records()
    );
    Ok(())
}
