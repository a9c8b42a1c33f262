//! The peer crates, each used as its documentation shows: `reverse` and
//! `easy-ml` on a tape (Wengert list) reused between calls, `echidna`
//! through its `grad` on the same `Float`-generic functions tapegrad's
//! scalar row runs, and through its bytecode tape recorded once and
//! evaluated again ("replay").

use std::ops::{Add, Div, Mul, Neg, Sub};

use easy_ml::differentiation::{Record, WengertList};
use easy_ml::numeric::extra::{Exp, Ln, Pow};
use reverse::Gradient;

use crate::Workload;
use crate::no_inline::{NoInline, wrap};

/// What the workloads need of a scalar that does not implement
/// `num_traits::Float`: the peers `reverse` and `easy-ml`, written once
/// over this trait, record the same graph as the `Float` code.
pub trait Arith:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
{
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    fn recip(self) -> Self;
    fn value(self) -> f64;
}

type RVar<'a> = reverse::Var<'a>;

impl Arith for RVar<'_> {
    fn exp(self) -> Self {
        RVar::exp(&self)
    }
    fn ln(self) -> Self {
        RVar::ln(&self)
    }
    fn tanh(self) -> Self {
        RVar::tanh(&self)
    }
    fn recip(self) -> Self {
        RVar::recip(&self)
    }
    fn value(self) -> f64 {
        self.val()
    }
}

type ERec<'a> = Record<'a, f64>;

impl Arith for ERec<'_> {
    fn exp(self) -> Self {
        Exp::exp(self)
    }
    fn ln(self) -> Self {
        Ln::ln(self)
    }
    /// `tanh z = 1 − 2/(e^(2z) + 1)`: easy-ml has no `tanh`.
    fn tanh(self) -> Self {
        -((Exp::exp(self * 2.0) + 1.0).pow(-1.0) * 2.0) + 1.0
    }
    fn recip(self) -> Self {
        self.pow(-1.0)
    }
    fn value(self) -> f64 {
        self.number
    }
}

impl<T: Arith> Arith for NoInline<T> {
    #[inline(never)]
    fn exp(self) -> Self {
        NoInline(self.0.exp())
    }
    #[inline(never)]
    fn ln(self) -> Self {
        NoInline(self.0.ln())
    }
    #[inline(never)]
    fn tanh(self) -> Self {
        NoInline(self.0.tanh())
    }
    #[inline(never)]
    fn recip(self) -> Self {
        NoInline(self.0.recip())
    }
    fn value(self) -> f64 {
        self.0.value()
    }
}

thread_local! {
    static REVERSE: reverse::Tape = reverse::Tape::new();
    static EASY_ML: WengertList<f64> = WengertList::new();
}

fn reverse_gradient(x: &[f64], f: impl for<'t> FnOnce(&[RVar<'t>]) -> RVar<'t>) -> Vec<f64> {
    REVERSE.with(|tape| {
        tape.clear();
        let vars = tape.add_vars(x);
        f(&vars).grad().wrt(&vars)
    })
}

fn easy_ml_gradient(x: &[f64], f: impl for<'t> FnOnce(&[ERec<'t>]) -> ERec<'t>) -> Vec<f64> {
    EASY_ML.with(|list| {
        list.clear();
        let vars: Vec<ERec> = x.iter().map(|&v| list.variable(v)).collect();
        let derivatives = f(&vars).derivatives();
        vars.iter().map(|v| derivatives[v]).collect()
    })
}

pub fn reverse<W: Workload>(w: &W) -> Vec<f64> {
    reverse_gradient(w.point(), |x| w.peer_value(x))
}

pub fn reverse_out_of_line<W: Workload>(w: &W) -> Vec<f64> {
    reverse_gradient(w.point(), |x| w.peer_value(&wrap(x)).0)
}

pub fn easy_ml<W: Workload>(w: &W) -> Vec<f64> {
    easy_ml_gradient(w.point(), |x| w.peer_value(x))
}

pub fn easy_ml_out_of_line<W: Workload>(w: &W) -> Vec<f64> {
    easy_ml_gradient(w.point(), |x| w.peer_value(&wrap(x)).0)
}

pub fn echidna<W: Workload>(w: &W) -> Vec<f64> {
    echidna::grad(|x| w.value(x), w.point())
}

pub fn echidna_out_of_line<W: Workload>(w: &W) -> Vec<f64> {
    echidna::grad(|x| w.value(&wrap(x)).0, w.point())
}

/// echidna's bytecode tape, recorded once at the workload's point; each call
/// of the returned closure evaluates it again there (forward and reverse).
pub fn echidna_replay<W: Workload>(w: &W) -> impl FnMut() -> Vec<f64> + '_ {
    let (mut tape, _) = echidna::record(|x| w.value(x), w.point());
    move || tape.gradient(w.point())
}
