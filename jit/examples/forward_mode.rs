//! The forward-mode products compiled against the interpreter's:
//! `jvp` and `hvp` of Rosenbrock's function of `n` variables (a sum of
//! terms) and of a small tanh network on 100 points, recorded once and
//! optimized. Each is timed in slices interleaved with the interpreter's
//! (median of 5 rounds); the first call's compile time is printed apart.
//!
//! ```text
//! cargo run --release -p tapegrad-jit --example forward_mode [-- N]
//! ```

use std::time::Instant;

use tapegrad::Active;
use tapegrad::replay::{Function, Workspace};
use tapegrad_jit::Compiled;

fn rosenbrock(x: &[Active]) -> Active {
    let term = |w: &[Active]| {
        let (a, c) = (w[1] - w[0] * w[0], 1.0 - w[0]);
        a * a * 100.0 + c * c
    };
    x.windows(2).map(term).sum()
}

/// A 2-8-1 tanh network's squared error on 100 points; 33 parameters.
fn network(t: &[Active]) -> Active {
    (0..100).fold(Active::constant(0.0), |loss, k| {
        let p = [(k as f64 * 0.37).sin(), (k as f64 * 0.11).cos()];
        let hidden: Vec<Active> = (0..8)
            .map(|j| (t[3 * j] * p[0] + t[3 * j + 1] * p[1] + t[3 * j + 2]).tanh())
            .collect();
        let y = (0..8).fold(t[32], |y, j| y + t[24 + j] * hidden[j]);
        let e = y - p[0] * p[1];
        loss + e * e
    })
}

type Recorded = fn(&[Active]) -> Active;
type Product = fn(&Function, &mut Workspace, &[f64], &[f64]) -> tapegrad::Result<Vec<f64>>;
type CompiledProduct =
    fn(&Compiled<f64>, &mut Workspace, &[f64], &[f64]) -> tapegrad::Result<Vec<f64>>;

/// Seconds a call of `a` and of `b`, slices of `calls` alternating, the
/// median of 5 rounds.
fn interleaved(calls: usize, a: &mut dyn FnMut(), b: &mut dyn FnMut()) -> (f64, f64) {
    let slice = |f: &mut dyn FnMut()| {
        let clock = Instant::now();
        for _ in 0..calls {
            f();
        }
        clock.elapsed().as_secs_f64() / calls as f64
    };
    let mut rounds: Vec<(f64, f64)> = (0..5).map(|_| (slice(a), slice(b))).collect();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut first: Vec<f64> = rounds.iter().map(|r| r.0).collect();
    let mut second: Vec<f64> = rounds.iter_mut().map(|r| r.1).collect();
    (median(&mut first), median(&mut second))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1000,
    };
    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * i as f64).collect();
    let theta: Vec<f64> = (0..33).map(|i| 0.3 * (i as f64).sin()).collect();
    println!(
        "{:<12} {:>6} {:>7} {:>10} {:>13} {:>13} {:>8}",
        "function", "", "ops", "compile", "interpreter", "compiled", "ratio"
    );
    let cases: [(&str, &[f64], Recorded); 2] =
        [("rosenbrock", &x, rosenbrock), ("network", &theta, network)];
    for (name, point, f) in cases {
        let mut function = Function::record(point, f)?;
        function.optimize();
        let code = tapegrad_jit::compile(&function)?;
        let v: Vec<f64> = (0..point.len()).map(|i| (i as f64 * 0.7).cos()).collect();
        let products: [(&str, Product, CompiledProduct); 2] = [
            ("jvp", Function::jvp, Compiled::jvp),
            ("hvp", Function::hvp, Compiled::hvp),
        ];
        for (product, interpreted, compiled) in products {
            let (mut ws, mut ws2) = (function.workspace(), function.workspace());
            let clock = Instant::now();
            let ours = compiled(&code, &mut ws2, point, &v)?;
            let first = clock.elapsed().as_secs_f64();
            assert_eq!(ours, interpreted(&function, &mut ws, point, &v)?);
            let calls = (200_000 / function.len()).max(10);
            let (a, b) = interleaved(
                calls,
                &mut || {
                    drop(std::hint::black_box(interpreted(
                        &function, &mut ws, point, &v,
                    )))
                },
                &mut || drop(std::hint::black_box(compiled(&code, &mut ws2, point, &v))),
            );
            println!(
                "{name:<12} {product:>6} {:>7} {:>8.1}ms {:>11.2}µs {:>11.2}µs {:>8.2}",
                function.len(),
                first * 1e3,
                a * 1e6,
                b * 1e6,
                b / a
            );
        }
    }
    Ok(())
}
