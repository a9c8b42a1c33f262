//! A random program over three inputs, for the property tests of recorded
//! functions, interpreted and compiled (`tests/`, `jit/tests/`), and of
//! the loops and sparse Hessians made of them: the op table's ops, kinks, guarded branches,
//! selects, `clamp`, the stable losses, sums of products, and constants
//! that `optimize` folds; the points to evaluate them at; the branches a
//! program takes at a point ([`path`]); and a loop's step of one
//! ([`looped`]).
#![allow(dead_code)]

use proptest::prelude::*;
use tapegrad::replay::Comparison;
use tapegrad::{Active, Scalar, Tape};

/// A random program over three inputs.
#[derive(Clone, Debug)]
pub enum Program {
    Input(usize),
    Const(f64),
    Unary(u8, Box<Program>),
    Binary(u8, Box<Program>, Box<Program>),
    /// `if a > b { c } else { d }`: a guarded branch.
    Branch(Box<[Program; 4]>),
    /// `a.select(<, b, c, d)`: a branch that replays.
    Select(Box<[Program; 4]>),
    /// `a.clamp(b.min(c), b.max(c))`: variable bounds.
    Clamp(Box<[Program; 3]>),
    /// `a·b − c·d + e`, written term by term: a sum `optimize` fuses.
    Dot(Box<[Program; 5]>),
    /// More ops of the table: `atan2`, a quotient by a constant, `powi`.
    Extra(u8, Box<Program>, Box<Program>),
}

pub fn run<F: Scalar>(p: &Program, x: &[Active<F>]) -> Active<F> {
    traced(p, x, &mut None)
}

/// The branches `p` takes at `x`: each guarded `if`'s outcome, in the
/// order the program meets them; `None` where recording it panics (a
/// clamp's variable bounds out of order, or NaN). A recording made at one point
/// refuses another exactly where the two differ.
pub fn path<F: Scalar>(p: &Program, x: &[F]) -> Option<Vec<bool>> {
    let mut path = Vec::new();
    Tape::<F>::default().record(|| {
        let _ = traced(p, &Active::vars(x), &mut Some(&mut path));
    });
    path.into_iter().collect()
}

/// A step of a loop of `p`: of the state `x` (three numbers) with `θ`
/// (one) added to its second number, through `tanh`, shifted into the
/// state; the loss's term its square.
pub fn looped<F: Scalar>(p: &Program, x: &[Active<F>], theta: &[Active<F>]) -> [Active<F>; 4] {
    let y = run(p, &[x[0], x[1] + theta[0], x[2]]).tanh();
    [y, x[0], x[1], y * y]
}

/// The branches [`looped`] takes at the state `x` with `θ`.
pub fn looped_path<F: Scalar>(p: &Program, x: &[F], theta: F) -> Option<Vec<bool>> {
    path(p, &[x[0], x[1] + theta, x[2]])
}

/// The branches each of `steps` [`looped`] steps takes from the state
/// `x0` with `θ`, each step run on a plain tape; `None` where recording
/// one panics.
pub fn looped_paths<F: Scalar>(
    p: &Program,
    x0: &[F],
    theta: F,
    steps: usize,
) -> Option<Vec<Vec<bool>>> {
    let (mut x, mut paths) = (x0.to_vec(), Vec::new());
    for _ in 0..steps {
        paths.push(looped_path(p, &x, theta)?);
        x = Tape::<F>::default().record(|| {
            let next = looped(p, &Active::vars(&x), &[Active::constant(theta)]);
            next[..3].iter().map(Active::value).collect()
        });
    }
    Some(paths)
}

/// How many different sets of branches `paths` holds: the recordings a
/// retaping or a loop that records again makes of them.
pub fn met<T: Ord + Clone>(paths: &[T]) -> usize {
    let mut met = paths.to_vec();
    met.sort();
    met.dedup();
    met.len()
}

/// A loop of [`looped`] steps: its program, initial state and `θ`, 0 to
/// 39 steps and 1 to 5 snapshots.
pub fn loops() -> impl Strategy<Value = (Program, [f64; 3], f64, usize, usize)> {
    let x0 = prop::array::uniform3(coordinate());
    (program(), x0, coordinate(), 0..40usize, 1..6usize)
}

/// The paths of `p` at each of `xs`, `None` if recording panics at one.
pub fn paths<F: Scalar>(p: &Program, xs: &[[F; 3]]) -> Option<Vec<Vec<bool>>> {
    xs.iter().map(|x| path(p, x)).collect()
}

/// Six points, each coordinate a [`coordinate`]: where a retaping goes.
pub fn points() -> impl Strategy<Value = Vec<[f64; 3]>> {
    prop::collection::vec(prop::array::uniform3(coordinate()), 6)
}

/// A value's and a gradient's bits, every NaN as one (`None`).
pub fn bits<F: Scalar>(value: F, gradient: &[F]) -> Vec<Option<u64>> {
    let bits = |v: &F| v.to_f64().filter(|v| !v.is_nan()).map(f64::to_bits);
    std::iter::once(&value).chain(gradient).map(bits).collect()
}

/// `run`, writing to `path`, if given, each `if`'s outcome and a `None`
/// for each clamp whose bounds are out of order or NaN (on a plain tape:
/// it reads values).
fn traced<F: Scalar>(
    p: &Program,
    x: &[Active<F>],
    path: &mut Option<&mut Vec<Option<bool>>>,
) -> Active<F> {
    let c = |v: f64| Active::constant(F::from(v).expect("a literal"));
    let mut run = |p: &Program, x: &[Active<F>]| traced(p, x, path);
    match p {
        Program::Input(i) => x[*i],
        Program::Const(v) => c(*v),
        Program::Unary(op, a) => {
            let a = run(a, x);
            match op % 16 {
                0 => -a,
                1 => a.abs(),
                2 => a.relu(),
                3 => a.signum() * a,
                4 => a.floor(),
                5 => a.sigmoid().ln(),
                6 => (c(1.0) - a.sigmoid()).ln(),
                // The textbook cross-entropy of the label 0.3 against σ(a).
                7 => {
                    let s = a.sigmoid();
                    -(s.ln() * c(0.3) + (c(1.0) - s).ln() * c(0.7))
                }
                8 => a.clamp(c(-1.0), c(1.0)),
                // A fold that can overflow: (a·10¹⁰)⁻¹·10⁻¹⁰.
                9 => (a * c(1e10)).recip() * c(1e-10),
                10 => a.tanh().exp(),
                11 => a.sin(),
                12 => (a * a + c(0.5)).ln(),
                13 => a * (c(2.0) * c(3.0) - c(6.0)) + a * c(0.5) * c(4.0),
                14 => a.max(c(0.25)),
                _ => (a * a + c(1.0)).sqrt(),
            }
        }
        Program::Binary(op, a, b) => {
            let (a, b) = (run(a, x), run(b, x));
            match op % 6 {
                0 => a + b,
                1 => a - b,
                2 => a * b,
                3 => a / (b * b + c(0.5)),
                4 => a.min(b),
                _ => a.hypot(b),
            }
        }
        Program::Branch(p) => {
            let [a, b, t, e] = &**p;
            let taken = run(a, x) > run(b, x);
            if let Some(path) = path {
                path.push(Some(taken));
            }
            match taken {
                true => traced(t, x, path),
                false => traced(e, x, path),
            }
        }
        Program::Select(p) => {
            let [a, b, t, e] = &**p;
            let (a, b) = (run(a, x), run(b, x));
            a.select(Comparison::Lt, b, run(t, x), run(e, x))
        }
        Program::Clamp(p) => {
            let [a, b, bound] = &**p;
            let (b, bound) = (run(b, x), run(bound, x));
            let (a, min, max) = (run(a, x), b.min(bound), b.max(bound));
            if let Some(path) = path {
                let ordered = min.value() <= max.value();
                if !ordered {
                    path.push(None);
                    return a; // where a recording panics
                }
            }
            a.clamp(min, max)
        }
        Program::Dot(p) => {
            let [a, b, c_, d, e] = &**p;
            run(a, x) * run(b, x) - run(c_, x) * run(d, x) + run(e, x)
        }
        Program::Extra(op, a, b) => {
            let (a, b) = (run(a, x), run(b, x));
            match op % 3 {
                0 => a.atan2(b),
                1 => (c(3.0) / (a * a + c(1.0)) - c(2.0)) * b,
                _ => a.powi(3) - b,
            }
        }
    }
}

pub fn program() -> impl Strategy<Value = Program> {
    leaf().prop_recursive(8, 160, 3, |inner| {
        let four = || [inner.clone(), inner.clone(), inner.clone(), inner.clone()];
        prop_oneof![
            4 => (any::<u8>(), inner.clone()).prop_map(|(op, a)| Program::Unary(op, a.into())),
            3 => (any::<u8>(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| Program::Binary(op, a.into(), b.into())),
            1 => four().prop_map(|p| Program::Branch(Box::new(p))),
            1 => four().prop_map(|p| Program::Select(Box::new(p))),
            1 => [inner.clone(), inner.clone(), inner]
                .prop_map(|p| Program::Clamp(Box::new(p))),
        ]
    })
}

/// As [`program`], with sums of products and the ops of
/// [`Program::Extra`] besides: `atan2`'s two partials at tiny equal
/// arguments (±5·10¹⁵⁹ at 10⁻¹⁶⁰) cancel exactly, so a sum of them and a
/// small term is the small term or 0 by the order of the additions, which
/// `optimize` changes: for a test against the same order, not a fresh tape.
pub fn program_with_sums() -> impl Strategy<Value = Program> {
    leaf().prop_recursive(8, 120, 5, |inner| {
        let four = || [inner.clone(), inner.clone(), inner.clone(), inner.clone()];
        prop_oneof![
            4 => (any::<u8>(), inner.clone()).prop_map(|(op, a)| Program::Unary(op, a.into())),
            3 => (any::<u8>(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| Program::Binary(op, a.into(), b.into())),
            1 => (any::<u8>(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| Program::Extra(op, a.into(), b.into())),
            1 => four().prop_map(|p| Program::Branch(Box::new(p))),
            1 => four().prop_map(|p| Program::Select(Box::new(p))),
            1 => [inner.clone(), inner.clone(), inner.clone()]
                .prop_map(|p| Program::Clamp(Box::new(p))),
            1 => [inner.clone(), inner.clone(), inner.clone(), inner.clone(), inner]
                .prop_map(|p| Program::Dot(Box::new(p))),
        ]
    })
}

fn leaf() -> impl Strategy<Value = Program> {
    prop_oneof![
        4 => (0..3usize).prop_map(Program::Input),
        1 => (-2.0..2.0).prop_map(Program::Const),
    ]
}

/// A coordinate: mostly ordinary, sometimes exactly 0 (where a logistic
/// model starts), large (where the naive losses overflow) or tiny (where a
/// folded constant overflows).
pub fn coordinate() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -3.0..3.0,
        2 => Just(0.0),
        1 => prop::sample::select(vec![-800.0, -40.0, 40.0, 800.0]),
        1 => prop::sample::select(vec![1e-160, -1e-160, 1e-30]),
    ]
}
