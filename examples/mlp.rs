//! # A multi-layer perceptron, built from the tape's ops
//!
//! Two interleaved half-moons: no straight line separates them, so logistic
//! regression (a single linear layer) cannot; a network with two hidden
//! layers of `tanh` units can. The network here is written out by the example
//! itself, one `layer` call a layer: a neuron is `tanh(w·a + b)` over the
//! previous layer's activations `a`, for every point of the batch at once,
//! and the last layer is one logit `z`, with `P(class 1) = σ(z)`. Each
//! `layer` is one node on the tape, whose backward pass is two matrix
//! products.
//!
//! Both models are trained the same way, full batch, with Adam on the mean
//! binary cross-entropy `loss::mean_bce_with_logits`; one backward sweep a
//! step gives the gradient with respect to every weight of every layer.
//!
//! Run it with `cargo run --release --example mlp` (`-- --help` for flags).

mod common;

use std::error::Error;
use std::time::Instant;

use common::args::Args;
use common::metrics::Confusion;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use tapegrad::optim::{Adam, Optimizer};
use tapegrad::{
    Gradients, Tape, Var, loss,
    nn::{Activation, layer},
};

/// Points with a label: two half-moons, one inside the other's curve.
struct Moons {
    points: Vec<[f64; 2]>,
    labels: Vec<f64>,
}

/// `n` points per moon, with Gaussian noise of standard deviation `noise`.
fn moons(n: usize, noise: f64, rng: &mut StdRng) -> Moons {
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(2 * n);
    for label in [0.0, 1.0] {
        for _ in 0..n {
            let t = rng.random_range(0.0..std::f64::consts::PI);
            let (x, y) = if label == 0.0 {
                (t.cos(), t.sin())
            } else {
                (1.0 - t.cos(), 0.5 - t.sin())
            };
            let (dx, dy): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
            points.push([x + noise * dx, y + noise * dy]);
            labels.push(label);
        }
    }
    Moons { points, labels }
}

/// A multi-layer perceptron: `sizes[0]` inputs, `tanh` hidden layers, and a
/// last layer of one logit. Its parameters live in one flat slice, layer by
/// layer, each neuron's weights followed by its bias.
struct Mlp {
    sizes: Vec<usize>,
}

impl Mlp {
    fn parameter_count(&self) -> usize {
        self.sizes.windows(2).map(|l| (l[0] + 1) * l[1]).sum()
    }

    /// Weights drawn from `N(0, 1/fan_in)`, biases zero.
    fn init(&self, rng: &mut StdRng) -> Vec<f64> {
        let mut theta = Vec::with_capacity(self.parameter_count());
        for layer in self.sizes.windows(2) {
            let fan_in = layer[0];
            for _ in 0..layer[1] {
                let scale = (fan_in as f64).sqrt();
                theta.extend((0..fan_in).map(|_| rng.sample::<f64, _>(StandardNormal) / scale));
                theta.push(0.0);
            }
        }
        theta
    }

    /// The logits of a batch of points, recorded on the tape of `theta`.
    fn logits<'t>(&self, theta: &[Var<'t>], points: &[[f64; 2]]) -> Vec<Var<'t>> {
        let layers = self.sizes.len() - 1;
        // The first layer's inputs are the data, a point a row; each layer
        // after it takes the activations of the one before, a point a row.
        let mut activations: Vec<Var<'t>> = Vec::new();
        let mut rest = theta;
        for (index, sizes) in self.sizes.windows(2).enumerate() {
            let (params, tail) = rest.split_at((sizes[0] + 1) * sizes[1]);
            rest = tail;
            let activation = match index + 1 == layers {
                true => Activation::Identity,
                false => Activation::Tanh,
            };
            activations = match index {
                0 => layer(params, points.as_flattened(), sizes[0], activation),
                _ => layer(params, &activations, sizes[0], activation),
            };
        }
        activations
    }

    fn probability(&self, theta: &[f64], x: &[f64; 2]) -> f64 {
        let tape = Tape::new();
        self.logits(&tape.vars(theta), &[*x])[0].sigmoid().value()
    }

    fn accuracy(&self, theta: &[f64], data: &Moons) -> f64 {
        let predicted: Vec<f64> = data
            .points
            .iter()
            .map(|p| self.probability(theta, p))
            .collect();
        Confusion::new(&predicted, &data.labels).accuracy()
    }

    /// Full-batch Adam on the mean cross-entropy; returns the parameters and
    /// the final loss.
    fn train(
        &self,
        data: &Moons,
        epochs: usize,
        learning_rate: f64,
        rng: &mut StdRng,
    ) -> (Vec<f64>, f64) {
        let mut theta = self.init(rng);
        let mut adam = Adam::new(learning_rate);
        let mut tape = Tape::new();
        let mut grads = Gradients::new();
        let mut gradient = vec![0.0; theta.len()];
        let mut last = f64::NAN;
        for _ in 0..epochs {
            tape.clear();
            let params = tape.vars(&theta);
            let logits = self.logits(&params, &data.points);
            let j = loss::mean_bce_with_logits(&logits, &data.labels);
            j.backward_into(&mut grads);
            for (g, p) in gradient.iter_mut().zip(&params) {
                *g = grads.wrt(p);
            }
            adam.step(&mut theta, &gradient);
            last = j.value();
        }
        (theta, last)
    }
}

/// The plane as characters: the predicted class of a grid of points, and
/// the data drawn over it.
fn draw(model: &Mlp, theta: &[f64], data: &Moons) {
    let (columns, rows) = (64, 20);
    let (x0, x1, y0, y1) = (-1.5, 2.5, -1.0, 1.5);
    let mut grid: Vec<Vec<char>> = (0..rows)
        .map(|r| {
            (0..columns)
                .map(|c| {
                    let x = x0 + (x1 - x0) * (c as f64 + 0.5) / columns as f64;
                    let y = y1 - (y1 - y0) * (r as f64 + 0.5) / rows as f64;
                    if model.probability(theta, &[x, y]) >= 0.5 {
                        '·'
                    } else {
                        ' '
                    }
                })
                .collect()
        })
        .collect();
    for (p, &label) in data.points.iter().zip(&data.labels) {
        let c = ((p[0] - x0) / (x1 - x0) * columns as f64).floor();
        let r = ((y1 - p[1]) / (y1 - y0) * rows as f64).floor();
        if (0.0..columns as f64).contains(&c) && (0.0..rows as f64).contains(&r) {
            grid[r as usize][c as usize] = if label == 1.0 { '1' } else { '0' };
        }
    }
    println!("  ┌{}┐", "─".repeat(columns));
    for row in grid {
        println!("  │{}│", row.into_iter().collect::<String>());
    }
    println!("  └{}┘", "─".repeat(columns));
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse(
        "A two-hidden-layer perceptron against logistic regression on two half-moons.",
        &[
            ("epochs", "full-batch Adam steps [default 1000]"),
            (
                "hidden",
                "units in each of the two hidden layers [default 16]",
            ),
            ("rate", "Adam's learning rate [default 0.02]"),
            (
                "seed",
                "seed of the data and the initial weights [default 7]",
            ),
        ],
    )?;
    let epochs: usize = args.get("epochs", 1000)?;
    let hidden: usize = args.get("hidden", 16)?;
    let rate: f64 = args.get("rate", 0.02)?;
    let mut rng = StdRng::seed_from_u64(args.get("seed", 7)?);

    let train = moons(150, 0.15, &mut rng);
    let test = moons(150, 0.15, &mut rng);
    println!(
        "two half-moons: {} training points, {} test points\n",
        train.labels.len(),
        test.labels.len()
    );

    for (name, model) in [
        ("logistic regression (2 → 1)", Mlp { sizes: vec![2, 1] }),
        (
            &*format!("perceptron (2 → {hidden} → {hidden} → 1, tanh)"),
            Mlp {
                sizes: vec![2, hidden, hidden, 1],
            },
        ),
    ] {
        let started = Instant::now();
        let (theta, final_loss) = model.train(&train, epochs, rate, &mut rng);
        println!(
            "{name}: {} parameters, {epochs} steps in {:.2} s",
            theta.len(),
            started.elapsed().as_secs_f64()
        );
        println!(
            "  final loss {final_loss:.4}; accuracy {:.3} on training points, {:.3} on test points",
            model.accuracy(&theta, &train),
            model.accuracy(&theta, &test)
        );
        println!("  its decision regions (· predicts 1) and the test points:");
        draw(&model, &theta, &test);
        println!();
    }
    Ok(())
}
