//! `parallel::sum_over_samples`: the same bits on one thread and on two, and
//! the gradient of the whole sum.
#![cfg(feature = "parallel")]

use tapegrad::{Tape, Var, parallel};

/// Σ over the chunk of (θ₀·x − y)² + θ₁·sin x.
fn chunk_loss<'t>(theta: &[Var<'t>], chunk: &[(f64, f64)]) -> Var<'t> {
    let terms: Vec<Var<'t>> = chunk
        .iter()
        .map(|&(x, y)| (theta[0] * x - y).powi(2) + theta[1] * x.sin())
        .collect();
    tapegrad::sum(&terms)
}

fn samples() -> Vec<(f64, f64)> {
    (0..50_000)
        .map(|i| {
            let x = f64::from(i) * 1e-3;
            (x, 0.5 * x + (x * 7.0).cos())
        })
        .collect()
}

fn on_threads(threads: usize, theta: &[f64], samples: &[(f64, f64)]) -> (f64, Vec<f64>) {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(|| parallel::sum_over_samples(theta, samples, 1000, chunk_loss))
}

#[test]
fn one_and_two_threads_give_the_same_bits() {
    let (theta, samples) = ([0.7, -0.3], samples());
    let (v1, g1) = on_threads(1, &theta, &samples);
    let (v2, g2) = on_threads(2, &theta, &samples);
    assert_eq!(v1.to_bits(), v2.to_bits());
    assert_eq!(
        g1.iter().map(|g| g.to_bits()).collect::<Vec<_>>(),
        g2.iter().map(|g| g.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn the_gradient_is_that_of_the_whole_sum() {
    let (theta, samples) = ([0.7, -0.3], samples());
    let (value, gradient) = on_threads(2, &theta, &samples);
    let tape = Tape::new();
    let vars = tape.vars(&theta);
    let whole = chunk_loss(&vars, &samples);
    let expected = whole.backward().wrt_all(&vars);
    assert!((value - whole.value()).abs() <= 1e-12 * whole.value().abs());
    for (g, e) in gradient.iter().zip(&expected) {
        assert!((g - e).abs() <= 1e-12 * e.abs().max(1.0), "{g} vs {e}");
    }
}
