//! How compile time grows with a recording's length, and how fast the
//! compiled gradient is against the interpreter's, with its repeated
//! stretches rolled into loops (as `compile` does) and straight (in
//! pieces of 256 ops, no loops): Rosenbrock's function of `n` variables,
//! recorded once and optimized. Timed one after the other, a few million
//! ops each: a rough reading (the harness's rows interleave). The
//! break-even is the number of gradients after which compiling paid for
//! itself against the interpreter.
//!
//! ```text
//! cargo run --release -p tapegrad-jit --example compile_time [-- N...]
//! ```

use std::time::Instant;

use tapegrad::Active;
use tapegrad::replay::Function;

fn rosenbrock(x: &[Active]) -> Active {
    let term = |w: &[Active]| {
        let (a, c) = (w[1] - w[0] * w[0], 1.0 - w[0]);
        a * a * 100.0 + c * c
    };
    x.windows(2).map(term).sum()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![10, 100, 300, 1000]
    } else {
        sizes
    };
    println!(
        "{:>7} {:>7} {:>12} {:>12} {:>14} {:>14} {:>14} {:>10}",
        "n", "ops", "compile", "straight", "interpreted", "compiled", "straight", "break-even"
    );
    for n in sizes {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * i as f64).collect();
        let mut f = Function::record(&x, rosenbrock)?;
        f.optimize();
        let clock = Instant::now();
        let code = tapegrad_jit::compile(&f)?;
        let compile = clock.elapsed().as_secs_f64();
        let mut ws = f.workspace();
        assert_eq!(code.gradient(&mut ws, &x)?, f.gradient(&mut ws, &x)?);
        let calls = (2_000_000 / n).max(10);
        let time = |g: &mut dyn FnMut() -> Vec<f64>| {
            let clock = Instant::now();
            for _ in 0..calls {
                std::hint::black_box(g());
            }
            clock.elapsed().as_secs_f64() / calls as f64
        };
        let interpreted = time(&mut || f.gradient(&mut ws, &x).expect("evaluates"));
        let mut ws2 = f.workspace();
        let compiled = time(&mut || code.gradient(&mut ws2, &x).expect("evaluates"));
        let even = compile / (interpreted - compiled).max(1e-12);
        let clock = Instant::now();
        let code = tapegrad_jit::compile_in_pieces(&f, 256, false)?;
        let compile_straight = clock.elapsed().as_secs_f64();
        let mut ws3 = f.workspace();
        let straight = time(&mut || code.gradient(&mut ws3, &x).expect("evaluates"));
        println!(
            "{n:>7} {:>7} {:>10.1}ms {:>10.1}ms {:>12.2}µs {:>12.2}µs {:>12.2}µs {:>10.0}",
            f.len(),
            compile * 1e3,
            compile_straight * 1e3,
            interpreted * 1e6,
            compiled * 1e6,
            straight * 1e6,
            even
        );
    }
    Ok(())
}
