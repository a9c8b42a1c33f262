//! Each optimizer converges on a quadratic with a known minimum, and one step
//! follows its update rule exactly.

use approx::assert_relative_eq;
use tapegrad::Tape;
use tapegrad::optim::{Adam, LearningRates, Momentum, Optimizer, Sgd};

/// f(θ) = Σ cᵢ·(θᵢ − mᵢ)², an ill-conditioned bowl with its minimum at m.
const CURVATURE: [f64; 3] = [1.0, 10.0, 0.1];
const MINIMUM: [f64; 3] = [3.0, -1.0, 0.5];

/// Runs `steps` steps of `optimizer` on the bowl from θ = 0, through the tape.
fn descend(optimizer: &mut impl Optimizer<f64>, steps: usize) -> [f64; 3] {
    let mut theta = [0.0; 3];
    let mut tape = Tape::new();
    for _ in 0..steps {
        let p = tape.vars(&theta);
        let loss: tapegrad::Var = p
            .iter()
            .zip(CURVATURE.iter().zip(MINIMUM))
            .map(|(&x, (&c, m))| c * (x - m).powi(2))
            .sum();
        let grads = loss.backward().wrt_all(&p);
        tape.clear();
        optimizer.step(&mut theta, &grads);
    }
    theta
}

fn assert_at_minimum(theta: [f64; 3], tolerance: f64) {
    for (t, m) in theta.iter().zip(MINIMUM) {
        assert!(
            (t - m).abs() < tolerance,
            "θ = {theta:?}, minimum {MINIMUM:?}"
        );
    }
}

#[test]
fn sgd_converges_to_the_minimum_of_a_quadratic() {
    // Per-group rates: a step suited to each curvature.
    let mut sgd = Sgd::new(0.2).with_group(1..2, 0.04).with_group(2..3, 2.0);
    assert_at_minimum(descend(&mut sgd, 300), 1e-9);
}

#[test]
fn momentum_converges_to_the_minimum_of_a_quadratic() {
    let mut momentum = Momentum::new(0.02, 0.9);
    assert_at_minimum(descend(&mut momentum, 2000), 1e-6);
}

#[test]
fn adam_converges_to_the_minimum_of_a_quadratic() {
    let mut adam = Adam::new(0.05);
    assert_at_minimum(descend(&mut adam, 3000), 1e-4);
}

#[test]
fn one_sgd_step_follows_the_rule() {
    let (alpha, beta) = (0.1, 0.5);
    let mut sgd = Sgd::new(alpha).with_group(2..3, beta);
    let mut theta = [1.0, 2.0, 3.0];
    let g = [0.5, -1.0, 4.0];
    sgd.step(&mut theta, &g);
    assert_eq!(theta, [1.0 - alpha * 0.5, 2.0 + alpha, 3.0 - beta * 4.0]);
}

#[test]
fn two_momentum_steps_follow_the_rule() {
    let (eta, mu) = (0.1, 0.9);
    let mut opt = Momentum::new(eta, mu);
    let mut theta = [1.0, -1.0];
    let (g1, g2) = ([0.5, 2.0], [-1.0, 1.0]);
    opt.step(&mut theta, &g1);
    opt.step(&mut theta, &g2);
    for i in 0..2 {
        let v1 = g1[i];
        let v2 = mu * v1 + g2[i];
        let start = [1.0, -1.0][i];
        assert_relative_eq!(theta[i], start - eta * v1 - eta * v2, max_relative = 1e-15);
    }
}

#[test]
fn two_adam_steps_follow_the_rule() {
    let (eta, b1, b2, eps): (f64, f64, f64, f64) = (0.01, 0.8, 0.9, 1e-6);
    let mut adam = Adam::new(eta).with_betas(b1, b2).with_epsilon(eps);
    let mut theta = [0.3];
    let (g1, g2) = (2.0, -0.5);
    adam.step(&mut theta, &[g1]);
    adam.step(&mut theta, &[g2]);

    let (m1, v1) = ((1.0 - b1) * g1, (1.0 - b2) * g1 * g1);
    let step1 = eta * (m1 / (1.0 - b1)) / ((v1 / (1.0 - b2)).sqrt() + eps);
    let (m2, v2) = (b1 * m1 + (1.0 - b1) * g2, b2 * v1 + (1.0 - b2) * g2 * g2);
    let step2 = eta * (m2 / (1.0 - b1 * b1)) / ((v2 / (1.0 - b2 * b2)).sqrt() + eps);
    assert_relative_eq!(theta[0], 0.3 - step1 - step2, max_relative = 1e-14);
}

#[test]
fn learning_rate_groups_take_the_last_match() {
    let rates = LearningRates::new(1.0)
        .with_group(0..10, 2.0)
        .with_group(5..6, 3.0);
    assert_eq!(
        [rates.rate(0), rates.rate(5), rates.rate(10)],
        [2.0, 3.0, 1.0]
    );
}

#[test]
#[should_panic(expected = "3 parameters but 2 gradients")]
fn mismatched_lengths_panic() {
    Sgd::new(0.1).step(&mut [0.0; 3], &[0.0; 2]);
}

#[test]
#[should_panic(expected = "stepped with 2 parameters before, 3 now")]
fn stateful_optimizers_refuse_a_change_of_shape() {
    let mut adam = Adam::new(0.1);
    adam.step(&mut [0.0; 2], &[1.0; 2]);
    adam.step(&mut [0.0; 3], &[1.0; 3]);
}

#[test]
fn optimizers_work_in_f32() {
    let mut theta = [1.0_f32];
    Adam::new(0.1_f32).step(&mut theta, &[3.0]);
    assert!((theta[0] - 0.9).abs() < 1e-6);
}
