//! The four workloads of the performance issue, each timed for every
//! implementation in one run: the plain `f64` function, a hand-written
//! analytic gradient, tapegrad written once generically ("scalar", one node
//! per elementary op, the graph every scalar peer records) and as the docs
//! teach it ("idiomatic": `dot`, `sum`, fused stable ops), and the peer
//! crates `reverse`, `easy-ml` and `echidna`.
//!
//! Every gradient is checked against the hand-written one before anything
//! is timed. Run with `cargo bench --bench workloads`; BENCHMARKS.md has
//! the results and how to read them.

mod data;
mod hand;
mod peers;
mod tapegrad_impl;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use data::{Chain, Logreg, Mlp, Rosenbrock, Workload};

/// Checks an implementation's gradient against the hand-written one.
#[track_caller]
fn verify(workload: &str, implementation: &str, got: &[f64], expected: &[f64]) {
    assert_eq!(
        got.len(),
        expected.len(),
        "{workload}/{implementation}: gradient length"
    );
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        let scale = g.abs().max(e.abs()).max(1e-300);
        assert!(
            (g - e).abs() <= 1e-9 * scale.max(1e-12),
            "{workload}/{implementation}: ∂/∂θ[{i}] = {g}, by hand {e}"
        );
    }
}

/// One implementation of a workload's gradient.
type Gradient<W> = fn(&W) -> Vec<f64>;

/// Times every implementation of `workload`, after checking each gradient.
fn run<W: Workload>(c: &mut Criterion, w: &W) {
    let expected = w.hand();
    let check = w.verification();
    let check_expected = check.hand();
    let implementations: [(&str, Gradient<W>); 5] = [
        ("tapegrad-scalar", W::tapegrad_scalar),
        ("tapegrad-idiomatic", W::tapegrad_idiomatic),
        ("reverse", W::reverse),
        ("easy-ml", W::easy_ml),
        ("echidna", W::echidna),
    ];
    for (name, f) in &implementations {
        verify(W::NAME, name, &f(&check), &check_expected);
        verify(W::NAME, name, &f(w), &expected);
    }

    let mut group = c.benchmark_group(W::NAME);
    group.bench_function("plain", |b| b.iter(|| black_box(w).plain()));
    group.bench_function("hand", |b| b.iter(|| black_box(w).hand()));
    for (name, f) in &implementations {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| f(black_box(w)))
        });
    }
    group.finish();
}

fn workloads(c: &mut Criterion) {
    run(c, &Logreg::new());
    run(c, &Chain::new(10_000));
    run(c, &Rosenbrock::new(10_000));
    run(c, &Mlp::new());
}

criterion_group!(benches, workloads);
criterion_main!(benches);
