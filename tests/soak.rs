//! A long training run on one tape, cleared every step: the memory in use
//! must stay flat. A counting allocator measures it.
//!
//! `cargo test --test soak` runs 10,000 steps; the million-step run is
//! ignored by default: `cargo test --release --test soak -- --ignored`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use tapegrad::optim::{Optimizer, Sgd};
use tapegrad::{Gradients, Tape, Var, dot, loss};

/// The system allocator, counting the bytes in use.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        IN_USE.fetch_add(new_size, Ordering::Relaxed);
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A classifier's data: 569 samples of 30 standard-normal features, the
/// label 1 where the first two add up to more than zero (the size of the
/// breast-cancer set; memory does not care where the numbers come from).
fn data(rng: &mut StdRng) -> (Vec<Vec<f64>>, Vec<f64>) {
    let x: Vec<Vec<f64>> = (0..569)
        .map(|_| (0..30).map(|_| StandardNormal.sample(&mut *rng)).collect())
        .collect();
    let y = x
        .iter()
        .map(|r| f64::from(u8::from(r[0] + r[1] > 0.0)))
        .collect();
    (x, y)
}

/// Mini-batch SGD on the classifier for `steps` steps; checks every
/// `every` steps that the bytes in use and the tape have not grown since
/// the first check.
fn soak(steps: usize, every: usize) {
    let mut rng = StdRng::seed_from_u64(3);
    let (x, y) = data(&mut rng);
    let d = x[0].len();
    let mut theta = vec![0.0; d + 1];
    let mut sgd = Sgd::new(0.1).with_group(d..d + 1, 0.5);
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    let mut gradient = vec![0.0; d + 1];
    let (mut batch, mut labels) = (vec![0; 32], vec![0.0; 32]);
    let mut first = None;
    for step in 1..=steps {
        for (row, label) in batch.iter_mut().zip(&mut labels) {
            *row = rng.random_range(0..x.len());
            *label = y[*row];
        }
        tape.clear();
        {
            let params = tape.vars(&theta);
            let (w, b) = params.split_at(d);
            let logits: Vec<Var> = batch.iter().map(|&i| dot(w, &x[i]) + b[0]).collect();
            let j = loss::mean_bce_with_logits(&logits, &labels);
            j.backward_into(&mut grads);
            for (g, p) in gradient.iter_mut().zip(&params) {
                *g = grads.wrt(p);
            }
        }
        sgd.step(&mut theta, &gradient);
        if step % every == 0 {
            let now = (IN_USE.load(Ordering::Relaxed), tape.len(), tape.capacity());
            match first {
                None => first = Some(now),
                Some(then) => assert_eq!(
                    now, then,
                    "(bytes in use, tape length, capacity) changed by step {step}"
                ),
            }
        }
    }
    assert!(theta.iter().all(|t| t.is_finite()));
}

#[test]
fn ten_thousand_training_steps_keep_memory_flat() {
    soak(10_000, 1_000);
}

#[test]
#[ignore = "a million steps, minutes unoptimized: CI runs it in release, `cargo test --release --test soak -- --ignored`"]
fn a_million_training_steps_keep_memory_flat() {
    soak(1_000_000, 10_000);
}
