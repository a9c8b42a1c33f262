//! The workloads' fixed inputs, from a seeded generator, and the functions
//! themselves, written once for any `num_traits::Float`.

use num_traits::Float;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};

use crate::peers::Arith;
use crate::{Row, Workload};

/// A seeded generator drawing from `[-1, 1)`, so that every run times the
/// same inputs.
pub struct Rng(StdRng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(StdRng::seed_from_u64(seed))
    }

    pub fn uniform(&mut self) -> f64 {
        self.0.random_range(-1.0..1.0)
    }
}

/// `ln(1 + eᶻ) − y·z` by two branches that never overflow; `ln(1 + e)`
/// rather than `ln_1p` so that every peer can record the same graph.
pub fn bce<T: Float>(z: T, y: T) -> T {
    let one = T::one();
    let softplus = if z > T::zero() {
        z + (one + (-z).exp()).ln()
    } else {
        (one + z.exp()).ln()
    };
    softplus - y * z
}

/// Logistic regression: the mean binary cross-entropy of 569 samples × 30
/// features, with respect to θ = [w₀ … w₂₉, b].
pub struct Logreg {
    pub x: Vec<Vec<f64>>,
    pub y: Vec<f64>,
    pub theta: Vec<f64>,
}

impl Default for Logreg {
    /// The breast-cancer data's shape: 569 samples × 30 features.
    fn default() -> Self {
        Self::sized(569, 30, 1)
    }
}

impl Logreg {
    pub fn sized(n: usize, d: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let x: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..d).map(|_| rng.uniform()).collect())
            .collect();
        let y = x
            .iter()
            .map(|r| f64::from(r[0] + 0.5 * r[1] - r[2] + 0.3 * rng.uniform() > 0.0))
            .collect();
        let theta = (0..=d).map(|_| 0.5 * rng.uniform()).collect();
        Logreg { x, y, theta }
    }

    pub fn loss<T: Float>(&self, theta: &[T]) -> T {
        let d = theta.len() - 1;
        let total = self
            .x
            .iter()
            .zip(&self.y)
            .fold(T::zero(), |acc, (row, &y)| {
                let z = row
                    .iter()
                    .zip(&theta[..d])
                    .fold(theta[d], |z, (&xj, &wj)| z + wj * T::from(xj).unwrap());
                acc + bce(z, T::from(y).unwrap())
            });
        total / T::from(self.x.len()).unwrap()
    }
}

/// `x` through the sigmoid `n` times, written as `1/(1 + e^(−x))`; `dy/dx`.
pub struct Chain {
    pub n: usize,
    pub x: f64,
}

impl Chain {
    pub fn new(n: usize) -> Self {
        Chain { n, x: 0.3 }
    }

    pub fn value<T: Float>(&self, x: T) -> T {
        (0..self.n).fold(x, |y, _| T::one() / (T::one() + (-y).exp()))
    }
}

/// Rosenbrock's function of `n` variables.
pub struct Rosenbrock {
    pub x: Vec<f64>,
}

impl Rosenbrock {
    pub fn new(n: usize) -> Self {
        let mut rng = Rng::new(2);
        Rosenbrock {
            x: (0..n).map(|_| 1.2 * rng.uniform()).collect(),
        }
    }

    pub fn value<T: Float>(x: &[T]) -> T {
        let hundred = T::from(100.0).unwrap();
        x.windows(2).fold(T::zero(), |acc, w| {
            let (a, b) = (w[1] - w[0] * w[0], T::one() - w[0]);
            acc + hundred * a * a + b * b
        })
    }
}

/// A 2-16-16-1 tanh network on 100 points, mean squared error; θ holds each
/// layer's weights row by row, each row followed by its bias.
pub struct Mlp {
    pub points: Vec<[f64; 2]>,
    pub targets: Vec<f64>,
    pub theta: Vec<f64>,
}

pub const SIZES: [usize; 4] = [2, 16, 16, 1];

impl Default for Mlp {
    /// 100 points.
    fn default() -> Self {
        Self::sized(100)
    }
}

impl Mlp {
    pub fn sized(n: usize) -> Self {
        let mut rng = Rng::new(3);
        let points: Vec<[f64; 2]> = (0..n)
            .map(|_| [2.0 * rng.uniform(), 2.0 * rng.uniform()])
            .collect();
        let targets = points.iter().map(|p| (p[0] * p[1]).sin()).collect();
        let count: usize = SIZES.windows(2).map(|l| (l[0] + 1) * l[1]).sum();
        let theta = (0..count).map(|_| 0.5 * rng.uniform()).collect();
        Mlp {
            points,
            targets,
            theta,
        }
    }

    /// The network's output for one point.
    pub fn forward<T: Float>(theta: &[T], point: &[f64; 2]) -> T {
        let mut a: Vec<T> = point.iter().map(|&p| T::from(p).unwrap()).collect();
        let mut rest = theta;
        for (k, layer) in SIZES.windows(2).enumerate() {
            let (params, tail) = rest.split_at((layer[0] + 1) * layer[1]);
            rest = tail;
            a = params
                .chunks(layer[0] + 1)
                .map(|row| {
                    let z = row[..layer[0]]
                        .iter()
                        .zip(&a)
                        .fold(row[layer[0]], |z, (&w, &x)| z + w * x);
                    if k + 2 < SIZES.len() { z.tanh() } else { z }
                })
                .collect();
        }
        a[0]
    }

    pub fn loss<T: Float>(&self, theta: &[T]) -> T {
        let total = self
            .points
            .iter()
            .zip(&self.targets)
            .fold(T::zero(), |acc, (p, &t)| {
                let e = Self::forward(theta, p) - T::from(t).unwrap();
                acc + e * e
            });
        total / T::from(self.points.len()).unwrap()
    }
}

/// `bce` for a peer without `Float`: the same two branches, the same graph.
fn peer_bce<T: Arith>(z: T, y: f64) -> T {
    let softplus = if z.value() > 0.0 {
        z + ((-z).exp() + 1.0).ln()
    } else {
        (z.exp() + 1.0).ln()
    };
    softplus - z * y
}

/// The terms' sum, for peers that have no zero to start a fold from.
fn total<T: Arith>(terms: impl Iterator<Item = T>) -> T {
    terms.reduce(|a, b| a + b).expect("at least one term")
}

impl Workload for Logreg {
    const NAME: &'static str = "logreg";
    fn small(&self) -> Self {
        Logreg::sized(50, 5, 9)
    }
    fn point(&self) -> &[f64] {
        &self.theta
    }
    fn value<T: Float>(&self, theta: &[T]) -> T {
        self.loss(theta)
    }
    fn peer_value<T: Arith>(&self, t: &[T]) -> T {
        let d = t.len() - 1;
        let terms = self.x.iter().zip(&self.y).map(|(row, &y)| {
            let z = row
                .iter()
                .zip(&t[..d])
                .fold(t[d], |z, (&xj, &wj)| z + wj * xj);
            peer_bce(z, y)
        });
        total(terms) / self.x.len() as f64
    }
    fn hand(&self) -> Vec<f64> {
        crate::hand::logreg(self)
    }
    fn idiomatic(&self) -> Vec<f64> {
        crate::tapegrad_impl::logreg_idiomatic(self)
    }
}

impl Workload for Chain {
    const NAME: &'static str = "chain";
    fn small(&self) -> Self {
        Chain::new(40)
    }
    fn point(&self) -> &[f64] {
        std::slice::from_ref(&self.x)
    }
    fn value<T: Float>(&self, x: &[T]) -> T {
        Chain::value(self, x[0])
    }
    fn peer_value<T: Arith>(&self, x: &[T]) -> T {
        (0..self.n).fold(x[0], |y, _| ((-y).exp() + 1.0).recip())
    }
    fn hand(&self) -> Vec<f64> {
        crate::hand::chain(self)
    }
    fn idiomatic(&self) -> Vec<f64> {
        crate::tapegrad_impl::chain_idiomatic(self)
    }
}

impl Workload for Rosenbrock {
    const NAME: &'static str = "rosenbrock";
    fn small(&self) -> Self {
        Rosenbrock::new(20)
    }
    fn point(&self) -> &[f64] {
        &self.x
    }
    fn value<T: Float>(&self, x: &[T]) -> T {
        Rosenbrock::value(x)
    }
    fn peer_value<T: Arith>(&self, x: &[T]) -> T {
        total(x.windows(2).map(|w| {
            let (a, b) = (w[1] - w[0] * w[0], -w[0] + 1.0);
            a * a * 100.0 + b * b
        }))
    }
    fn hand(&self) -> Vec<f64> {
        crate::hand::rosenbrock(self)
    }
    fn idiomatic(&self) -> Vec<f64> {
        crate::tapegrad_impl::rosenbrock_idiomatic(self)
    }
    fn extra_rows(&self) -> Vec<Row<'_>> {
        let terms = crate::tapegrad_impl::rosenbrock_replay_terms(self);
        let compiled = crate::tapegrad_impl::rosenbrock_compiled_terms(self);
        vec![
            Row::new("tapegrad replay, Σ terms", terms),
            Row::new("tapegrad compiled, Σ terms", compiled),
        ]
    }
}

impl Mlp {
    /// The network's output for one point, for a peer's variable: the
    /// first layer takes the point as floats.
    fn peer_forward<T: Arith>(theta: &[T], p: &[f64; 2]) -> T {
        let (first, mut rest) = theta.split_at(3 * SIZES[1]);
        let mut a: Vec<T> = first
            .chunks(3)
            .map(|r| (r[0] * p[0] + r[1] * p[1] + r[2]).tanh())
            .collect();
        for (k, l) in SIZES.windows(2).enumerate().skip(1) {
            let (params, tail) = rest.split_at((l[0] + 1) * l[1]);
            rest = tail;
            a = params
                .chunks(l[0] + 1)
                .map(|row| {
                    let z = row[..l[0]]
                        .iter()
                        .zip(&a)
                        .fold(row[l[0]], |z, (&w, &x)| z + w * x);
                    if k + 2 < SIZES.len() { z.tanh() } else { z }
                })
                .collect();
        }
        a[0]
    }
}

impl Workload for Mlp {
    const NAME: &'static str = "mlp";
    fn small(&self) -> Self {
        Mlp::sized(5)
    }
    fn point(&self) -> &[f64] {
        &self.theta
    }
    fn value<T: Float>(&self, theta: &[T]) -> T {
        self.loss(theta)
    }
    fn peer_value<T: Arith>(&self, theta: &[T]) -> T {
        let terms = self.points.iter().zip(&self.targets).map(|(p, &t)| {
            let e = Self::peer_forward(theta, p) - t;
            e * e
        });
        total(terms) / self.points.len() as f64
    }
    fn hand(&self) -> Vec<f64> {
        crate::hand::mlp(self)
    }
    fn idiomatic(&self) -> Vec<f64> {
        crate::tapegrad_impl::mlp_idiomatic(self)
    }
    /// The network sample by sample (`dense`), and in the tensor crates.
    fn extra_rows(&self) -> Vec<Row<'_>> {
        let mut rows = vec![Row::new("tapegrad dense", || {
            crate::tapegrad_impl::mlp_dense(self)
        })];
        rows.extend(crate::tensor::rows(self));
        rows
    }
}
