//! The peer crates, each used as its documentation shows: `reverse` and
//! `easy-ml` on a tape (Wengert list) reused between calls, `echidna` through
//! its `grad` on the same generic functions tapegrad-scalar runs.

use std::ops::{Add, Mul};

use easy_ml::differentiation::{Record, WengertList};
use easy_ml::numeric::extra::{Exp, Ln, Pow};
use reverse::Gradient;

use crate::data::{Chain, Logreg, Mlp, Rosenbrock, SIZES};

thread_local! {
    static REVERSE: reverse::Tape = reverse::Tape::new();
    static EASY_ML: WengertList<f64> = WengertList::new();
}

// ---- reverse -------------------------------------------------------------

type RVar<'a> = reverse::Var<'a>;

fn reverse_gradient(x: &[f64], f: impl for<'t> FnOnce(&[RVar<'t>]) -> RVar<'t>) -> Vec<f64> {
    REVERSE.with(|tape| {
        tape.clear();
        let vars = tape.add_vars(x);
        let y = f(&vars);
        y.grad().wrt(&vars)
    })
}

fn reverse_bce<'t>(z: RVar<'t>, y: f64) -> RVar<'t> {
    let softplus = if z.val() > 0.0 {
        z + ((-z).exp() + 1.0).ln()
    } else {
        (z.exp() + 1.0).ln()
    };
    softplus - z * y
}

pub fn reverse_logreg(w: &Logreg) -> Vec<f64> {
    reverse_gradient(&w.theta, |t| {
        let d = t.len() - 1;
        let mut total: Option<RVar> = None;
        for (row, &y) in w.x.iter().zip(&w.y) {
            let z = row
                .iter()
                .zip(&t[..d])
                .fold(t[d], |z, (&xj, &wj)| z + wj * xj);
            let term = reverse_bce(z, y);
            total = Some(total.map_or(term, |acc| acc + term));
        }
        total.expect("samples") / w.x.len() as f64
    })
}

pub fn reverse_chain(c: &Chain) -> Vec<f64> {
    reverse_gradient(&[c.x], |x| {
        (0..c.n).fold(x[0], |y, _| ((-y).exp() + 1.0).recip())
    })
}

pub fn reverse_rosenbrock(r: &Rosenbrock) -> Vec<f64> {
    reverse_gradient(&r.x, |x| {
        let mut total: Option<RVar> = None;
        for w in x.windows(2) {
            let (a, b) = (w[1] - w[0] * w[0], -w[0] + 1.0);
            let term = a * a * 100.0 + b * b;
            total = Some(total.map_or(term, |acc| acc + term));
        }
        total.expect("n > 1")
    })
}

pub fn reverse_mlp(m: &Mlp) -> Vec<f64> {
    reverse_gradient(&m.theta, |theta| {
        let mut total: Option<RVar> = None;
        for (p, &t) in m.points.iter().zip(&m.targets) {
            let e = mlp_forward(theta, p, |z| z.tanh()) - t;
            total = Some(total.map_or(e * e, |acc| acc + e * e));
        }
        total.expect("points") / m.points.len() as f64
    })
}

/// The network's output for one point, for a peer's variable type and its
/// `tanh`: the first layer takes the point as floats.
fn mlp_forward<T>(theta: &[T], p: &[f64; 2], tanh: impl Fn(T) -> T) -> T
where
    T: Copy + Add<Output = T> + Mul<Output = T> + Mul<f64, Output = T>,
{
    let (first, mut rest) = theta.split_at(3 * SIZES[1]);
    let mut a: Vec<T> = first
        .chunks(3)
        .map(|r| tanh(r[0] * p[0] + r[1] * p[1] + r[2]))
        .collect();
    for (k, l) in SIZES.windows(2).enumerate().skip(1) {
        let (params, tail) = rest.split_at((l[0] + 1) * l[1]);
        rest = tail;
        a = params
            .chunks(l[0] + 1)
            .map(|row| {
                let z = row[..l[0]]
                    .iter()
                    .zip(&a)
                    .fold(row[l[0]], |z, (&w, &x)| z + w * x);
                if k + 2 < SIZES.len() { tanh(z) } else { z }
            })
            .collect();
    }
    a[0]
}

// ---- easy-ml -------------------------------------------------------------

type ERec<'a> = Record<'a, f64>;

fn easy_ml_gradient(x: &[f64], f: impl for<'t> FnOnce(&[ERec<'t>]) -> ERec<'t>) -> Vec<f64> {
    EASY_ML.with(|list| {
        list.clear();
        let vars: Vec<ERec> = x.iter().map(|&v| list.variable(v)).collect();
        let derivatives = f(&vars).derivatives();
        vars.iter().map(|v| derivatives[v]).collect()
    })
}

fn easy_ml_bce<'t>(z: ERec<'t>, y: f64) -> ERec<'t> {
    let softplus = if z.number > 0.0 {
        z + ((-z).exp() + 1.0).ln()
    } else {
        (z.exp() + 1.0).ln()
    };
    softplus - z * y
}

/// `tanh z = 1 − 2/(e^(2z) + 1)`: easy-ml has no `tanh`.
fn easy_ml_tanh(z: ERec<'_>) -> ERec<'_> {
    -(((z * 2.0).exp() + 1.0).pow(-1.0) * 2.0) + 1.0
}

pub fn easy_ml_logreg(w: &Logreg) -> Vec<f64> {
    easy_ml_gradient(&w.theta, |t| {
        let d = t.len() - 1;
        let total =
            w.x.iter()
                .zip(&w.y)
                .fold(Record::constant(0.0), |acc, (row, &y)| {
                    let z = row
                        .iter()
                        .zip(&t[..d])
                        .fold(t[d], |z, (&xj, &wj)| z + wj * xj);
                    acc + easy_ml_bce(z, y)
                });
        total / w.x.len() as f64
    })
}

pub fn easy_ml_chain(c: &Chain) -> Vec<f64> {
    easy_ml_gradient(&[c.x], |x| {
        (0..c.n).fold(x[0], |y, _| ((-y).exp() + 1.0).pow(-1.0))
    })
}

pub fn easy_ml_rosenbrock(r: &Rosenbrock) -> Vec<f64> {
    easy_ml_gradient(&r.x, |x| {
        x.windows(2).fold(Record::constant(0.0), |acc, w| {
            let (a, b) = (w[1] - w[0] * w[0], -w[0] + 1.0);
            acc + a * a * 100.0 + b * b
        })
    })
}

pub fn easy_ml_mlp(m: &Mlp) -> Vec<f64> {
    easy_ml_gradient(&m.theta, |theta| {
        let total = m
            .points
            .iter()
            .zip(&m.targets)
            .fold(Record::constant(0.0), |acc, (p, &t)| {
                let e = mlp_forward(theta, p, easy_ml_tanh) - t;
                acc + e * e
            });
        total / m.points.len() as f64
    })
}

// ---- echidna: the same generic functions as tapegrad-scalar ---------------

pub fn echidna_logreg(w: &Logreg) -> Vec<f64> {
    echidna::grad(|t| w.loss(t), &w.theta)
}

pub fn echidna_chain(c: &Chain) -> Vec<f64> {
    echidna::grad(|x| c.value(x[0]), &[c.x])
}

pub fn echidna_rosenbrock(r: &Rosenbrock) -> Vec<f64> {
    echidna::grad(Rosenbrock::value, &r.x)
}

pub fn echidna_mlp(m: &Mlp) -> Vec<f64> {
    echidna::grad(|t| m.loss(t), &m.theta)
}
