//! tapegrad: scalar (the `Float`-generic functions of `data.rs`, one node
//! per elementary op), the same out of line, and idiomatic (`affine`,
//! `dense`, fused ops, as the docs teach), each on a tape reused from call to
//! call as a training loop would.

use std::cell::RefCell;

use tapegrad::{
    Active, Gradients, Tape, Var,
    custom::sum_windows,
    loss,
    nn::{Activation, affine, dense, layer},
    replay::Function,
};

use crate::Workload;
use crate::data::{Chain, Logreg, Mlp, Rosenbrock, SIZES};
use crate::no_inline::wrap;

thread_local! {
    static TAPE: RefCell<(Tape, Gradients)> = RefCell::new((Tape::new(), Gradients::new()));
}

/// Records `f` of the inputs `x` on the reused tape; the gradient.
fn gradient(x: &[f64], f: impl for<'t> FnOnce(&[Var<'t>]) -> Var<'t>) -> Vec<f64> {
    TAPE.with(|cell| {
        let (tape, grads) = &mut *cell.borrow_mut();
        tape.clear();
        let vars = tape.vars(x);
        f(&vars).backward_into(grads);
        grads.wrt_all(&vars)
    })
}

pub fn scalar<W: Workload>(w: &W) -> Vec<f64> {
    gradient(w.point(), |x| w.value(x))
}

pub fn out_of_line<W: Workload>(w: &W) -> Vec<f64> {
    gradient(w.point(), |x| w.value(&wrap(x)).0)
}

/// Records `f` of the inputs `x` as `Active` variables on the reused tape,
/// inside its scope; the gradient.
fn gradient_active(x: &[f64], f: impl FnOnce(&[Active]) -> Active) -> Vec<f64> {
    ACTIVE_TAPE.with(|cell| {
        let (tape, grads) = &mut *cell.borrow_mut();
        tape.clear();
        tape.record(|| {
            let vars = Active::vars(x);
            f(&vars).backward_into(grads);
            grads.wrt_all(&vars)
        })
    })
}

thread_local! {
    static ACTIVE_TAPE: RefCell<(Tape, Gradients)> = RefCell::new((Tape::new(), Gradients::new()));
}

/// The scalar workload on `Active`, the variable that does not borrow its
/// tape.
pub fn static_scalar<W: Workload>(w: &W) -> Vec<f64> {
    gradient_active(w.point(), |x| w.value(x))
}

/// The same, every op out of line.
pub fn static_out_of_line<W: Workload>(w: &W) -> Vec<f64> {
    gradient_active(w.point(), |x| w.value(&wrap(x)).0)
}

/// The scalar workload recorded once at its point as a
/// `tapegrad::replay::Function`, and optimized.
fn recorded<W: Workload>(w: &W) -> Function {
    let mut f = Function::record(w.point(), |x: &[Active]| w.value(x)).expect("table ops replay");
    f.optimize();
    f
}

/// [`recorded`]; each call of the returned closure evaluates it again at
/// the point (every node from its op code, then the reverse sweep).
pub fn replay<W: Workload>(w: &W) -> impl FnMut() -> Vec<f64> + '_ {
    let f = recorded(w);
    let mut ws = f.workspace();
    move || f.gradient(&mut ws, w.point()).expect("recorded here")
}

/// [`recorded`] compiled to machine code ([`tapegrad_jit`]), here, before
/// any call.
pub fn compiled<W: Workload>(w: &W) -> impl FnMut() -> Vec<f64> + '_ {
    let f = recorded(w);
    let code = tapegrad_jit::compile(&f).expect("compiles");
    let mut ws = f.workspace();
    move || code.gradient(&mut ws, w.point()).expect("recorded here")
}

/// Rosenbrock's function as a new user writes it, a sum of terms
/// `Σ (a·a·100 + c·c)` (`Iterator::sum`, where the workload folds
/// `acc + 100·a·a + c·c`), recorded once and optimized as [`replay`]: a
/// replayed gradient should not depend on how the sum is parenthesized.
fn rosenbrock_terms(w: &Rosenbrock) -> Function {
    let terms = |x: &[Active]| -> Active {
        let term = |w: &[Active]| {
            let (a, c) = (w[1] - w[0] * w[0], 1.0 - w[0]);
            a * a * 100.0 + c * c
        };
        x.windows(2).map(term).sum()
    };
    let mut f = Function::record(&w.x, terms).expect("table ops replay");
    f.optimize();
    f
}

/// [`rosenbrock_terms`] evaluated again at each call.
pub fn rosenbrock_replay_terms(w: &Rosenbrock) -> impl FnMut() -> Vec<f64> + '_ {
    let f = rosenbrock_terms(w);
    let mut ws = f.workspace();
    move || f.gradient(&mut ws, &w.x).expect("recorded here")
}

/// [`rosenbrock_terms`] compiled.
pub fn rosenbrock_compiled_terms(w: &Rosenbrock) -> impl FnMut() -> Vec<f64> + '_ {
    let f = rosenbrock_terms(w);
    let code = tapegrad_jit::compile(&f).expect("compiles");
    let mut ws = f.workspace();
    move || code.gradient(&mut ws, &w.x).expect("recorded here")
}

pub fn logreg_idiomatic(w: &Logreg) -> Vec<f64> {
    gradient(&w.theta, |t| {
        let (weights, b) = t.split_at(t.len() - 1);
        let logits: Vec<Var> = w.x.iter().map(|row| affine(weights, row, b[0])).collect();
        loss::mean_bce_with_logits(&logits, &w.y)
    })
}

pub fn chain_idiomatic(c: &Chain) -> Vec<f64> {
    gradient(&[c.x], |x| (0..c.n).fold(x[0], |y, _| y.sigmoid()))
}

pub fn rosenbrock_idiomatic(r: &Rosenbrock) -> Vec<f64> {
    gradient(&r.x, |x| {
        sum_windows(x, |[a, b]| 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2))
    })
}

/// The MLP sample by sample, each layer one `dense`: a node per unit.
pub fn mlp_dense(m: &Mlp) -> Vec<f64> {
    gradient(&m.theta, |theta| {
        let (first, rest) = theta.split_at((SIZES[0] + 1) * SIZES[1]);
        let outputs: Vec<Var> = m
            .points
            .iter()
            .map(|p| {
                // The first layer's inputs are data, the others' activations.
                let mut a: Vec<Var> = dense(first, p).map(Var::tanh).collect();
                let mut rest = rest;
                for (k, l) in SIZES.windows(2).enumerate().skip(1) {
                    let (params, tail) = rest.split_at((l[0] + 1) * l[1]);
                    rest = tail;
                    let hidden = k + 2 < SIZES.len();
                    a = dense(params, &a)
                        .map(|z| if hidden { z.tanh() } else { z })
                        .collect();
                }
                a[0]
            })
            .collect();
        loss::mean_squared_error(&outputs, &m.targets)
    })
}

/// The MLP with each layer one block node over the whole batch
/// (`tapegrad::nn::layer`), as the docs teach a network over a batch: the
/// backward pass is two matrix products a layer.
pub fn mlp_idiomatic(m: &Mlp) -> Vec<f64> {
    let batch: Vec<f64> = m.points.iter().flatten().copied().collect();
    gradient(&m.theta, |theta| {
        let (first, mut rest) = theta.split_at((SIZES[0] + 1) * SIZES[1]);
        let mut a = layer(first, &batch, SIZES[0], Activation::Tanh);
        for (k, l) in SIZES.windows(2).enumerate().skip(1) {
            let (params, tail) = rest.split_at((l[0] + 1) * l[1]);
            rest = tail;
            let activation = if k + 2 < SIZES.len() {
                Activation::Tanh
            } else {
                Activation::Identity
            };
            a = layer(params, &a, l[0], activation);
        }
        loss::mean_squared_error(&a, &m.targets)
    })
}
