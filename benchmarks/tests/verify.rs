//! What `--verify` checks, as tests, so that CI's `cargo test` of this
//! package and `tapegrad-jit` runs them in the build it already made (a
//! `cargo run` of this package alone builds some dependencies again, with
//! other features): every workload's gradients against the hand-written
//! ones, the sparse Hessians at 1,000 variables against echidna's, the
//! checkpointed loop at 1,000 steps against the whole tape, the baseline
//! file read.

use std::path::Path;

use tapegrad_benchmarks::data::{Chain, Logreg, Mlp, Rosenbrock};
use tapegrad_benchmarks::harness::Baseline;
use tapegrad_benchmarks::loops::Looped;
use tapegrad_benchmarks::sparse::SparseRosenbrock;
use tapegrad_benchmarks::verify;

#[test]
fn every_gradient_agrees_with_the_hand_written_one() {
    verify(&Logreg::default());
    verify(&Chain::new(10_000));
    verify(&Rosenbrock::new(10_000));
    verify(&Mlp::default());
}

#[test]
fn sparse_hessians_agree_with_echidnas() {
    SparseRosenbrock::new(1000).verify();
}

#[test]
fn the_checkpointed_loop_agrees_with_the_whole_tape() {
    Looped::new(1000).verify();
}

#[test]
fn the_baseline_reads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.csv");
    let baseline = Baseline::load(&path).expect("the committed baseline");
    assert!(baseline.ratio("logreg", "hand").is_some());
}
