//! Small optimizers over plain parameter slices and their gradients.
//!
//! A model keeps its parameters as floats; each step records them on a
//! tape, sweeps, reads the gradient and hands both to an [`Optimizer`]:
//!
//! ```
//! use tapegrad::optim::{Optimizer, Sgd};
//! use tapegrad::Tape;
//!
//! // Minimize (θ₀ − 3)² + (θ₁ + 1)².
//! let mut theta = [0.0_f64, 0.0];
//! let mut sgd = Sgd::new(0.1);
//! let mut tape = Tape::new();
//! for _ in 0..200 {
//!     let p = tape.vars(&theta);
//!     let loss = (p[0] - 3.0).powi(2) + (p[1] + 1.0).powi(2);
//!     let grads = loss.backward().wrt_all(&p);
//!     tape.clear();
//!     sgd.step(&mut theta, &grads);
//! }
//! assert!((theta[0] - 3.0).abs() < 1e-9 && (theta[1] + 1.0).abs() < 1e-9);
//! ```
//!
//! Every optimizer takes a learning rate for all parameters and, with
//! `with_group`, other rates for ranges of them: the weights and the bias of
//! a classifier can have their own `α` and `β`.

use core::ops::Range;

use num_traits::Float;

/// Updates parameters from the gradient of a loss, one step at a time.
pub trait Optimizer<F: Float> {
    /// Updates `params` in place from `grads`, the gradient of the loss with
    /// respect to each.
    ///
    /// # Panics
    ///
    /// If the slices differ in length, or differ from the length of earlier
    /// steps for an optimizer that keeps state per parameter.
    fn step(&mut self, params: &mut [F], grads: &[F]);
}

/// A learning rate for every parameter, and other rates for ranges of them.
#[derive(Clone, Debug, PartialEq)]
pub struct LearningRates<F> {
    default: F,
    groups: Vec<(Range<usize>, F)>,
}

impl<F: Float> LearningRates<F> {
    /// `rate` for every parameter.
    pub fn new(rate: F) -> Self {
        LearningRates {
            default: rate,
            groups: Vec::new(),
        }
    }

    /// `rate` for the parameters in `range`; a later group takes precedence
    /// where groups overlap.
    pub fn with_group(mut self, range: Range<usize>, rate: F) -> Self {
        self.groups.push((range, rate));
        self
    }

    /// The learning rate of parameter `i`.
    ///
    /// ```
    /// use tapegrad::optim::LearningRates;
    ///
    /// let rates = LearningRates::new(0.1).with_group(30..31, 0.5);
    /// assert_eq!((rates.rate(0), rates.rate(30)), (0.1, 0.5));
    /// ```
    pub fn rate(&self, i: usize) -> F {
        self.groups
            .iter()
            .rev()
            .find(|(range, _)| range.contains(&i))
            .map_or(self.default, |&(_, rate)| rate)
    }
}

#[track_caller]
fn same_length(params: usize, grads: usize) {
    assert_eq!(
        params, grads,
        "tapegrad::optim: {params} parameters but {grads} gradients"
    );
}

/// Resizes per-parameter state on the first step, and refuses a change after.
#[track_caller]
fn state_for<F: Float>(state: &mut Vec<F>, params: usize) {
    if state.is_empty() {
        state.resize(params, F::zero());
    }
    assert_eq!(
        state.len(),
        params,
        "tapegrad::optim: the optimizer was stepped with {} parameters before, {params} now",
        state.len()
    );
}

/// The builder method every optimizer shares.
macro_rules! with_group {
    ($($optimizer:ident),*) => {$(
        impl<F: Float> $optimizer<F> {
            /// `learning_rate` for the parameters in `range` instead; a
            /// later group takes precedence where groups overlap.
            pub fn with_group(mut self, range: Range<usize>, learning_rate: F) -> Self {
                self.rates = self.rates.with_group(range, learning_rate);
                self
            }
        }
    )*};
}

with_group!(Sgd, Momentum, Adam);

/// Gradient descent: `θᵢ ← θᵢ − ηᵢ·gᵢ`.
///
/// With a group for the bias, this is the classifier's update written out:
/// `w := w − α·∂J/∂w`, `b := b − β·∂J/∂b`.
///
/// ```
/// use tapegrad::optim::{Optimizer, Sgd};
///
/// let (alpha, beta) = (0.1, 0.5);
/// let mut sgd = Sgd::new(alpha).with_group(2..3, beta); // θ = [w₀, w₁, b]
/// let mut theta = [1.0, 1.0, 1.0];
/// sgd.step(&mut theta, &[1.0, -2.0, 1.0]);
/// assert_eq!(theta, [0.9, 1.2, 0.5]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd<F> {
    rates: LearningRates<F>,
}

impl<F: Float> Sgd<F> {
    /// Gradient descent with `learning_rate` for every parameter.
    pub fn new(learning_rate: F) -> Self {
        Sgd {
            rates: LearningRates::new(learning_rate),
        }
    }
}

impl<F: Float> Optimizer<F> for Sgd<F> {
    #[track_caller]
    fn step(&mut self, params: &mut [F], grads: &[F]) {
        same_length(params.len(), grads.len());
        for (i, (theta, &g)) in params.iter_mut().zip(grads).enumerate() {
            *theta = *theta - self.rates.rate(i) * g;
        }
    }
}

/// Gradient descent with momentum (the heavy ball, as PyTorch writes it):
/// `vᵢ ← μ·vᵢ + gᵢ`, `θᵢ ← θᵢ − ηᵢ·vᵢ`, with `v = 0` at the start.
///
/// ```
/// use tapegrad::optim::{Momentum, Optimizer};
///
/// let mut momentum = Momentum::new(0.1, 0.9);
/// let mut theta = [1.0_f64];
/// momentum.step(&mut theta, &[1.0]); // v = 1
/// momentum.step(&mut theta, &[1.0]); // v = 0.9 + 1
/// assert!((theta[0] - (1.0 - 0.1 - 0.19)).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum<F> {
    rates: LearningRates<F>,
    momentum: F,
    velocity: Vec<F>,
}

impl<F: Float> Momentum<F> {
    /// Momentum `μ = momentum` with `learning_rate` for every parameter.
    pub fn new(learning_rate: F, momentum: F) -> Self {
        Momentum {
            rates: LearningRates::new(learning_rate),
            momentum,
            velocity: Vec::new(),
        }
    }
}

impl<F: Float> Optimizer<F> for Momentum<F> {
    #[track_caller]
    fn step(&mut self, params: &mut [F], grads: &[F]) {
        same_length(params.len(), grads.len());
        state_for(&mut self.velocity, params.len());
        let state = params.iter_mut().zip(grads).zip(&mut self.velocity);
        for (i, ((theta, &g), v)) in state.enumerate() {
            *v = self.momentum * *v + g;
            *theta = *theta - self.rates.rate(i) * *v;
        }
    }
}

/// Adam (Kingma and Ba, 2015): running averages of the gradient and of its
/// square, corrected for their start at zero.
///
/// At step `t`: `mᵢ ← β₁·mᵢ + (1 − β₁)·gᵢ`, `vᵢ ← β₂·vᵢ + (1 − β₂)·gᵢ²`,
/// `m̂ᵢ = mᵢ/(1 − β₁ᵗ)`, `v̂ᵢ = vᵢ/(1 − β₂ᵗ)`, `θᵢ ← θᵢ − ηᵢ·m̂ᵢ/(√v̂ᵢ + ε)`;
/// by default `β₁ = 0.9`, `β₂ = 0.999`, `ε = 10⁻⁸`.
///
/// ```
/// use tapegrad::optim::{Adam, Optimizer};
///
/// // The first step moves every parameter by about η, whatever the gradient's scale.
/// let mut adam = Adam::new(0.01);
/// let mut theta = [0.0_f64, 0.0];
/// adam.step(&mut theta, &[1e-3, -50.0]);
/// assert!((theta[0] + 0.01).abs() < 1e-6 && (theta[1] - 0.01).abs() < 1e-6);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<F> {
    rates: LearningRates<F>,
    beta1: F,
    beta2: F,
    epsilon: F,
    steps: i32,
    mean: Vec<F>,
    square: Vec<F>,
}

impl<F: Float> Adam<F> {
    /// Adam with `learning_rate` for every parameter and the usual
    /// `β₁ = 0.9`, `β₂ = 0.999`, `ε = 10⁻⁸`.
    pub fn new(learning_rate: F) -> Self {
        let constant = |x: f64| F::from(x).expect("a small constant fits every float type");
        Adam {
            rates: LearningRates::new(learning_rate),
            beta1: constant(0.9),
            beta2: constant(0.999),
            epsilon: constant(1e-8),
            steps: 0,
            mean: Vec::new(),
            square: Vec::new(),
        }
    }

    /// The decay rates `β₁` of the mean and `β₂` of the square.
    pub fn with_betas(mut self, beta1: F, beta2: F) -> Self {
        (self.beta1, self.beta2) = (beta1, beta2);
        self
    }

    /// The `ε` added to `√v̂` to keep the step finite.
    pub fn with_epsilon(mut self, epsilon: F) -> Self {
        self.epsilon = epsilon;
        self
    }
}

impl<F: Float> Optimizer<F> for Adam<F> {
    #[track_caller]
    fn step(&mut self, params: &mut [F], grads: &[F]) {
        same_length(params.len(), grads.len());
        state_for(&mut self.mean, params.len());
        state_for(&mut self.square, params.len());
        self.steps = self.steps.saturating_add(1);
        let one = F::one();
        let correct_mean = one - self.beta1.powi(self.steps);
        let correct_square = one - self.beta2.powi(self.steps);
        let state = params
            .iter_mut()
            .zip(grads)
            .zip(self.mean.iter_mut().zip(&mut self.square));
        for (i, ((theta, &g), (m, v))) in state.enumerate() {
            *m = self.beta1 * *m + (one - self.beta1) * g;
            *v = self.beta2 * *v + (one - self.beta2) * g * g;
            let (m_hat, v_hat) = (*m / correct_mean, *v / correct_square);
            *theta = *theta - self.rates.rate(i) * m_hat / (v_hat.sqrt() + self.epsilon);
        }
    }
}
