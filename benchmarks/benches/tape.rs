//! Record + backward against the plain `f64` function, on two small
//! workloads. Run with `cargo bench -p tapegrad-benchmarks --bench tape`.
//!
//! `checked_mode` shows what `Tape::checked` costs when it is on; `scaling`
//! the time per node from 10³ to 10⁷ nodes.
//!
//! The full comparison (hand-written gradients, peer crates, all four
//! workloads) is the ratio harness, `cargo run --release -p tapegrad-benchmarks`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tapegrad::{Gradients, Tape};
use tapegrad_benchmarks::data::Rng;

/// x passed through `sigmoid` `n` times.
fn chain_plain(x: f64, n: usize) -> f64 {
    (0..n).fold(x, |y, _| 1.0 / (1.0 + (-y).exp()))
}

fn chain(c: &mut Criterion) {
    const N: usize = 10_000;
    let mut group = c.benchmark_group("chain");
    group.bench_function("plain", |b| b.iter(|| chain_plain(black_box(0.3), N)));
    let mut tape = Tape::with_capacity(N + 1);
    let mut grads = Gradients::new();
    group.bench_function("tapegrad", |b| {
        b.iter(|| {
            tape.clear();
            let x = tape.var(black_box(0.3));
            let y = (0..N).fold(x, |y, _| y.sigmoid());
            y.backward_into(&mut grads);
            grads.wrt(&x)
        })
    });
    group.finish();
}

/// A deterministic data set of the breast-cancer shape: 569 × 30.
fn data() -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = Rng::new(5);
    let mut next = move || rng.uniform();
    let x: Vec<Vec<f64>> = (0..569)
        .map(|_| (0..30).map(|_| next()).collect())
        .collect();
    let y = x
        .iter()
        .map(|row| f64::from(row[0] + row[1] > 0.0))
        .collect();
    (x, y)
}

fn logreg(c: &mut Criterion) {
    let (x, y) = data();
    let w0: Vec<f64> = (0..30).map(|j| f64::from(j) * 0.01 - 0.15).collect();
    let mut group = c.benchmark_group("logreg");
    group.bench_function("plain", |b| {
        b.iter(|| {
            let w = black_box(&w0);
            let total: f64 = x
                .iter()
                .zip(&y)
                .map(|(row, &label)| {
                    let z: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + 0.1;
                    z.max(0.0) - label * z + (-z.abs()).exp().ln_1p()
                })
                .sum();
            total / x.len() as f64
        })
    });
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    group.bench_function("tapegrad", |b| {
        b.iter(|| {
            tape.clear();
            let w = tape.vars(black_box(&w0));
            let bias = tape.var(0.1);
            let logits: Vec<_> = x.iter().map(|row| tapegrad::dot(&w, row) + bias).collect();
            let loss = tapegrad::loss::mean_bce_with_logits(&logits, &y);
            loss.backward_into(&mut grads);
            grads.wrt(&w[0])
        })
    });
    group.finish();
}

/// The chain on a plain tape and on a checked one: what checked mode costs
/// when it is on (off, it is the plain tape).
fn checked_mode(c: &mut Criterion) {
    const N: usize = 10_000;
    let mut group = c.benchmark_group("checked_mode");
    for (name, mut tape) in [
        ("plain", Tape::with_capacity(N + 1)),
        ("checked", Tape::checked()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                tape.clear();
                let x = tape.var(black_box(0.3));
                let y = (0..N).fold(x, |y, _| y.sigmoid());
                let grads = if tape.is_checked() {
                    y.backward_checked().expect("the chain is finite")
                } else {
                    y.backward()
                };
                grads.wrt(&x)
            })
        });
    }
    group.finish();
}

/// Record + backward time per node, from 10³ to 10⁷ nodes: a tape that
/// scales linearly shows a flat time per element.
fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    group.sample_size(10);
    for exponent in 3..=7 {
        let n = 10usize.pow(exponent);
        let mut tape = Tape::with_capacity(n + 1);
        let mut grads = Gradients::new();
        group.throughput(criterion::Throughput::Elements(n as u64));
        group.bench_function(criterion::BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                tape.clear();
                let x = tape.var(black_box(0.5));
                // Alternate a binary and a unary op, as real graphs do.
                let y = (0..n / 2).fold(x, |y, _| (y * x).sin());
                y.backward_into(&mut grads);
                grads.wrt(&x)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, chain, logreg, checked_mode, scaling);
criterion_main!(benches);
