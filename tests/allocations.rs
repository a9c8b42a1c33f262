//! A training step makes no heap allocation once warm: the tape, the
//! gradient buffer and the vectors of variables are reused.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tapegrad::optim::{Optimizer, Sgd};
use tapegrad::{Gradients, Tape, Var, custom::sum_windows, dot, loss, nn::dense};

/// The system allocator, counting allocations per thread (the tests of
/// this file run in parallel).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: a thread being torn down may still free memory.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// An empty vector of variables, its allocation kept for the next step's
/// variables (which borrow the tape anew). The closure never runs: the
/// vector is empty, and collecting it in place reuses its buffer.
fn recycle<'a, 'b>(mut vars: Vec<Var<'a>>) -> Vec<Var<'b>> {
    vars.clear();
    vars.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

/// Runs a training `step` (which returns its loss) once, five times to
/// warm up, then 100 times: they allocate nothing, and the loss goes down.
fn warm_steps_allocate_nothing(mut step: impl FnMut() -> f64) {
    let first = step();
    for _ in 0..5 {
        step();
    }
    let before = allocations();
    let mut last = first;
    for _ in 0..100 {
        last = step();
    }
    let made = allocations() - before;
    assert_eq!(made, 0, "{made} allocations in 100 warm steps");
    assert!(last < first, "the loss went down: {first} -> {last}");
}

#[test]
fn a_warm_logistic_regression_step_allocates_nothing() {
    // 569 samples × 30 features, from a fixed rule.
    let x: Vec<Vec<f64>> = (0..569)
        .map(|i| {
            (0..30)
                .map(|j| (f64::from(i * 31 + j) * 0.37).sin())
                .collect()
        })
        .collect();
    let y: Vec<f64> = x.iter().map(|r| f64::from(r[0] + r[1] > 0.0)).collect();
    let mut theta = vec![0.0; 31];
    let mut gradient = vec![0.0; 31];
    let mut sgd = Sgd::new(0.5).with_group(30..31, 0.5);
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    let (mut params_buf, mut logits_buf): (Vec<Var<'static>>, Vec<Var<'static>>) =
        (Vec::new(), Vec::new());

    let mut step = |tape: &mut Tape,
                    params_buf: &mut Vec<Var<'static>>,
                    logits_buf: &mut Vec<Var<'static>>| {
        tape.clear();
        let mut params = recycle(std::mem::take(params_buf));
        let mut logits = recycle(std::mem::take(logits_buf));
        params.extend(theta.iter().map(|&v| tape.var(v)));
        let (w, b) = params.split_at(30);
        logits.extend(x.iter().map(|row| dot(w, row) + b[0]));
        let j = loss::mean_bce_with_logits(&logits, &y);
        j.backward_into(&mut grads);
        for (g, p) in gradient.iter_mut().zip(&params) {
            *g = grads.wrt(p);
        }
        sgd.step(&mut theta, &gradient);
        *params_buf = recycle(params);
        *logits_buf = recycle(logits);
        j.value()
    };

    warm_steps_allocate_nothing(|| step(&mut tape, &mut params_buf, &mut logits_buf));
}

#[test]
fn a_warm_sum_windows_step_allocates_nothing() {
    // Gradient descent on Rosenbrock's function of 1000 variables, the sum
    // recorded as one fused node.
    let mut x: Vec<f64> = (0..1000).map(|i| f64::from(i % 7) * 0.1).collect();
    let mut gradient = vec![0.0; x.len()];
    let mut sgd = Sgd::new(1e-4);
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    let mut vars_buf: Vec<Var<'static>> = Vec::new();
    let mut step = |tape: &mut Tape, vars_buf: &mut Vec<Var<'static>>| {
        tape.clear();
        let mut vars = recycle(std::mem::take(vars_buf));
        vars.extend(x.iter().map(|&v| tape.var(v)));
        let f = sum_windows(&vars, |[a, b]| {
            100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2)
        });
        f.backward_into(&mut grads);
        for (g, v) in gradient.iter_mut().zip(&vars) {
            *g = grads.wrt(v);
        }
        sgd.step(&mut x, &gradient);
        *vars_buf = recycle(vars);
        f.value()
    };

    warm_steps_allocate_nothing(|| step(&mut tape, &mut vars_buf));
}

#[test]
fn a_warm_dense_network_step_allocates_nothing() {
    // A 2-8-1 `tanh` network fitting `sin(x₀)·x₁` on 50 points; each layer
    // one `dense`, its units collected into vectors kept from step to step.
    let points: Vec<[f64; 2]> = (0..50)
        .map(|i| {
            let t = f64::from(i) * 0.13;
            [t.sin() * 2.0, (t * 1.7).cos()]
        })
        .collect();
    let targets: Vec<f64> = points.iter().map(|p| p[0].sin() * p[1]).collect();
    let mut theta: Vec<f64> = (0..33).map(|i| (f64::from(i) * 0.71).sin() * 0.5).collect();
    let mut gradient = vec![0.0; theta.len()];
    let mut sgd = Sgd::new(0.1);
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    let mut bufs: [Vec<Var<'static>>; 3] = Default::default();

    let mut step = |tape: &mut Tape, bufs: &mut [Vec<Var<'static>>; 3]| {
        tape.clear();
        let [mut params, mut hidden, mut outputs] =
            bufs.each_mut().map(|b| recycle(std::mem::take(b)));
        params.extend(theta.iter().map(|&v| tape.var(v)));
        let (first, second) = params.split_at(3 * 8);
        for p in &points {
            hidden.clear();
            hidden.extend(dense(first, p).map(Var::tanh));
            outputs.extend(dense(second, &hidden));
        }
        let j = loss::mean_squared_error(&outputs, &targets);
        j.backward_into(&mut grads);
        for (g, p) in gradient.iter_mut().zip(&params) {
            *g = grads.wrt(p);
        }
        sgd.step(&mut theta, &gradient);
        *bufs = [recycle(params), recycle(hidden), recycle(outputs)];
        j.value()
    };

    warm_steps_allocate_nothing(|| step(&mut tape, &mut bufs));
}
