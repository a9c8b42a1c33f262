//! Logistic regression over 100,000 samples on one thread and on two:
//! `parallel::Workers` kept from call to call as a training loop keeps them
//! (`N_threads`), and `parallel::sum_over_samples` with new tapes every call
//! (`N_threads_new_tapes`). Run with
//! `cargo bench -p tapegrad-benchmarks --bench parallel`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tapegrad::{Var, loss, nn::affine, parallel};
use tapegrad_benchmarks::data::Rng;

/// A sample: 30 features, then the label.
type Sample = [f64; 31];

/// 100,000 samples, from a fixed generator, stored contiguously.
fn data() -> (Vec<Sample>, Vec<f64>) {
    let mut rng = Rng::new(7);
    let mut next = move || rng.uniform();
    let samples = (0..100_000)
        .map(|_| {
            let mut sample = [0.0; 31];
            sample[..30].iter_mut().for_each(|x| *x = next());
            sample[30] = f64::from(sample[0] - sample[1] + 0.2 * next() > 0.0);
            sample
        })
        .collect();
    let theta = (0..31).map(|j| f64::from(j) * 0.01 - 0.1).collect();
    (samples, theta)
}

/// The chunk's share of the mean cross-entropy over all `n` samples.
fn chunk_loss<'t>(theta: &[Var<'t>], chunk: &[Sample], n: f64) -> Var<'t> {
    let (w, b) = theta.split_at(theta.len() - 1);
    let logits: Vec<Var<'t>> = chunk.iter().map(|s| affine(w, &s[..30], b[0])).collect();
    let labels: Vec<f64> = chunk.iter().map(|s| s[30]).collect();
    loss::mean_bce_with_logits(&logits, &labels) * (chunk.len() as f64 / n)
}

fn threads(c: &mut Criterion) {
    let (samples, theta) = data();
    let n = samples.len() as f64;
    let mut group = c.benchmark_group("parallel_logreg_100k");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        let mut workers = parallel::Workers::new();
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| {
                pool.install(|| {
                    workers.sum_over_samples(black_box(&theta), &samples, 1024, |t, chunk| {
                        chunk_loss(t, chunk, n)
                    })
                })
            })
        });
        group.bench_function(format!("{threads}_threads_new_tapes"), |b| {
            b.iter(|| {
                pool.install(|| {
                    parallel::sum_over_samples(black_box(&theta), &samples, 1024, |t, chunk| {
                        chunk_loss(t, chunk, n)
                    })
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, threads);
criterion_main!(benches);
