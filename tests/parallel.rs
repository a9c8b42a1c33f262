//! `parallel::sum_over_samples` and `parallel::Workers`: the same bits on one
//! thread and on two, from call to call, and the gradient of the whole sum.
#![cfg(feature = "parallel")]

use tapegrad::parallel::{self, Workers};
use tapegrad::{Tape, Var};

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

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

fn bits(result: &(f64, Vec<f64>)) -> (u64, Vec<u64>) {
    (
        result.0.to_bits(),
        result.1.iter().map(|g| g.to_bits()).collect(),
    )
}

#[test]
fn kept_workers_give_the_same_bits_from_call_to_call_and_pool_to_pool() {
    let (theta, samples) = ([0.7, -0.3], samples());
    let expected = bits(&on_threads(1, &theta, &samples));
    let mut workers = Workers::new();
    for threads in [2, 1, 2, 2] {
        let result =
            pool(threads).install(|| workers.sum_over_samples(&theta, &samples, 1000, chunk_loss));
        assert_eq!(bits(&result), expected, "on {threads} threads");
    }
    assert!(format!("{workers:?}").contains("tapes: 2"), "{workers:?}");
}

#[test]
fn a_panicking_chunk_leaves_the_workers_usable() {
    let (theta, samples) = ([0.7, -0.3], samples());
    let mut workers = Workers::new();
    let pool = pool(2);
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| {
            workers.sum_over_samples(&theta, &samples, 1000, |t, chunk| {
                assert!(chunk[0].0 < 25.0, "a chunk this test refuses");
                chunk_loss(t, chunk)
            })
        })
    }));
    assert!(failed.is_err());
    let result = pool.install(|| workers.sum_over_samples(&theta, &samples, 1000, chunk_loss));
    assert_eq!(bits(&result), bits(&on_threads(1, &theta, &samples)));
}

/// A recorded residual evaluated for every sample on one thread and on
/// four: the same bits, and the same as a loop over the samples.
#[test]
fn sum_over_params_is_the_same_on_any_number_of_threads() -> tapegrad::Result<()> {
    use tapegrad::{Active, replay::Function};
    let residual =
        Function::record_with_params(&[0.0, 0.0], &[0.0, 0.0], |t: &[Active], p: &[Active]| {
            (t[0] * p[0] - p[1]).powi(2) + t[1] * p[0].sin()
        })?;
    let params: Vec<f64> = samples().iter().flat_map(|&(x, y)| [x, y]).collect();
    let theta = [0.7, -0.2];
    let on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool");
        pool.install(|| parallel::sum_over_params(&residual, &theta, &params))
    };
    let (one, four) = (on(1)?, on(4)?);
    assert_eq!(one.0.to_bits(), four.0.to_bits());
    assert!(
        one.1
            .iter()
            .zip(&four.1)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    let mut ws = residual.workspace();
    let (mut value, mut gradient) = (0.0, [0.0; 2]);
    for sample in params.chunks(2) {
        ws.set_params(sample)?;
        let (v, g) = residual.value_and_gradient(&mut ws, &theta)?;
        value += v;
        gradient[0] += g[0];
        gradient[1] += g[1];
    }
    assert_eq!((value, gradient.to_vec()), one);
    assert!(matches!(
        parallel::sum_over_params(&residual, &theta, &params[1..]),
        Err(tapegrad::Error::Length { .. })
    ));
    Ok(())
}
