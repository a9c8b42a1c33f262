//! The workloads' fixed inputs, from a seeded generator, and the functions
//! themselves, written once for any `num_traits::Float`.

use num_traits::Float;

#[allow(dead_code)] // the examples use all of it, the benches part
#[path = "../../examples/common/rng.rs"]
mod rng;

/// The examples' seeded generator, drawing from `[-1, 1)`.
pub struct Rng(rng::Rng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(rng::Rng::new(seed))
    }

    pub fn next(&mut self) -> f64 {
        self.0.range(-1.0, 1.0)
    }
}

/// A workload: its inputs, and every implementation of its gradient.
pub trait Workload: Sized {
    const NAME: &'static str;
    /// A smaller instance whose gradient does not underflow, checked too.
    fn verification(&self) -> Self;
    fn plain(&self) -> f64;
    fn hand(&self) -> Vec<f64>;
    fn tapegrad_scalar(&self) -> Vec<f64>;
    fn tapegrad_idiomatic(&self) -> Vec<f64>;
    fn reverse(&self) -> Vec<f64>;
    fn easy_ml(&self) -> Vec<f64>;
    fn echidna(&self) -> Vec<f64>;
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

impl Logreg {
    pub fn new() -> Self {
        Self::sized(569, 30, 1)
    }

    pub fn sized(n: usize, d: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let x: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..d).map(|_| rng.next()).collect())
            .collect();
        let y = x
            .iter()
            .map(|r| f64::from(r[0] + 0.5 * r[1] - r[2] + 0.3 * rng.next() > 0.0))
            .collect();
        let theta = (0..=d).map(|_| 0.5 * rng.next()).collect();
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
            x: (0..n).map(|_| 1.2 * rng.next()).collect(),
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

impl Mlp {
    pub fn new() -> Self {
        Self::sized(100)
    }

    pub fn sized(n: usize) -> Self {
        let mut rng = Rng::new(3);
        let points: Vec<[f64; 2]> = (0..n)
            .map(|_| [2.0 * rng.next(), 2.0 * rng.next()])
            .collect();
        let targets = points.iter().map(|p| (p[0] * p[1]).sin()).collect();
        let count: usize = SIZES.windows(2).map(|l| (l[0] + 1) * l[1]).sum();
        let theta = (0..count).map(|_| 0.5 * rng.next()).collect();
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

/// Each workload's implementations, from the modules that hold them.
macro_rules! workload {
    ($ty:ident, $name:literal, $small:expr, $plain:expr, $hand:ident, $scalar:ident, $idiomatic:ident,
     $reverse:ident, $easy:ident, $echidna:ident) => {
        impl Workload for $ty {
            const NAME: &'static str = $name;
            fn verification(&self) -> Self {
                $small
            }
            fn plain(&self) -> f64 {
                ($plain)(self)
            }
            fn hand(&self) -> Vec<f64> {
                crate::hand::$hand(self)
            }
            fn tapegrad_scalar(&self) -> Vec<f64> {
                crate::tapegrad_impl::$scalar(self)
            }
            fn tapegrad_idiomatic(&self) -> Vec<f64> {
                crate::tapegrad_impl::$idiomatic(self)
            }
            fn reverse(&self) -> Vec<f64> {
                crate::peers::$reverse(self)
            }
            fn easy_ml(&self) -> Vec<f64> {
                crate::peers::$easy(self)
            }
            fn echidna(&self) -> Vec<f64> {
                crate::peers::$echidna(self)
            }
        }
    };
}

workload!(
    Logreg,
    "logreg",
    Logreg::sized(50, 5, 9),
    |w: &Logreg| w.loss(&w.theta),
    logreg,
    logreg_scalar,
    logreg_idiomatic,
    reverse_logreg,
    easy_ml_logreg,
    echidna_logreg
);
workload!(
    Chain,
    "chain",
    Chain::new(40),
    |c: &Chain| c.value(c.x),
    chain,
    chain_scalar,
    chain_idiomatic,
    reverse_chain,
    easy_ml_chain,
    echidna_chain
);
workload!(
    Rosenbrock,
    "rosenbrock",
    Rosenbrock::new(20),
    |r: &Rosenbrock| Rosenbrock::value(&r.x),
    rosenbrock,
    rosenbrock_scalar,
    rosenbrock_idiomatic,
    reverse_rosenbrock,
    easy_ml_rosenbrock,
    echidna_rosenbrock
);
workload!(
    Mlp,
    "mlp",
    Mlp::sized(5),
    |m: &Mlp| m.loss(&m.theta),
    mlp,
    mlp_scalar,
    mlp_idiomatic,
    reverse_mlp,
    easy_ml_mlp,
    echidna_mlp
);
