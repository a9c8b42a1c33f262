//! # Vanishing gradients through a chain of sigmoids
//!
//! Stack `k` activations, `y = f(f(…f(x)…))`, and ask the tape for `dy/dx`.
//! By the chain rule it is the product of the `k` local derivatives along the
//! chain: `dy/dx = f′(a₁)·f′(a₂)·…·f′(aₖ)`, where `aᵢ` is what the i-th
//! activation receives.
//!
//! For the sigmoid, `σ′(a) = σ(a)·(1 − σ(a))`, and a product `s·(1 − s)` of
//! two numbers that add up to 1 is at most `¼` (at `s = ½`). So whatever the
//! input, `|dy/dx| ≤ ¼ᵏ`: ten sigmoids deep the gradient has shrunk a
//! million-fold, fifty deep by thirty orders of magnitude. That is why deep
//! networks of sigmoids learn slowly in their first layers.
//!
//! `tanh′(a) = 1 − tanh²(a)` reaches 1 at `a = 0`, so a chain of `tanh`
//! around zero loses far less; `relu′` is exactly 1 for a positive input and
//! 0 for a negative one: nothing vanishes, but a unit that goes negative
//! stops learning altogether.
//!
//! Run it with `cargo run --release --example vanishing_gradient`; it prints a
//! table and writes an SVG plot.

mod common;

use std::error::Error;

use common::plot::{self, Series};
use tapegrad::{Tape, Var};

/// `dy/dx` for `y = f(f(…f(x)…))`, `k` deep, from one backward sweep.
fn gradient_through_chain(x0: f64, k: usize, f: impl Fn(Var<'_>) -> Var<'_>) -> f64 {
    let tape = Tape::new();
    let x = tape.var(x0);
    let y = (0..k).fold(x, |a, _| f(a));
    y.backward().wrt(&x)
}

fn main() -> Result<(), Box<dyn Error>> {
    let x0 = 0.5;
    let depths: Vec<usize> = (1..=50).collect();
    let sigmoid: Vec<f64> = depths
        .iter()
        .map(|&k| gradient_through_chain(x0, k, |a| a.sigmoid()))
        .collect();
    let tanh: Vec<f64> = depths
        .iter()
        .map(|&k| gradient_through_chain(x0, k, |a| a.tanh()))
        .collect();
    let relu: Vec<f64> = depths
        .iter()
        .map(|&k| gradient_through_chain(x0, k, |a| a.relu()))
        .collect();
    let relu_negative: Vec<f64> = depths
        .iter()
        .map(|&k| gradient_through_chain(-x0, k, |a| a.relu()))
        .collect();

    println!("dy/dx through a chain of k activations, starting at x = {x0}\n");
    println!(
        "{:>4}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}",
        "k", "sigmoid", "bound ¼ᵏ", "tanh", "relu (x>0)", "relu (x<0)"
    );
    for &k in &[1, 2, 3, 5, 10, 20, 30, 40, 50] {
        let i = k - 1;
        let bound = 0.25_f64.powi(k as i32);
        println!(
            "{k:>4}  {:>12.3e}  {bound:>12.3e}  {:>12.3e}  {:>12.3e}  {:>12.3e}",
            sigmoid[i], tanh[i], relu[i], relu_negative[i]
        );
        assert!(sigmoid[i] <= bound, "σ′ ≤ ¼ bounds the chain");
    }
    // Deep in the chain every sigmoid receives its own fixed point s = σ(s).
    let s = (0..200).fold(x0, |a, _| 1.0 / (1.0 + (-a).exp()));
    let per_layer = (sigmoid[49] / sigmoid[0]).powf(1.0 / 49.0);
    println!(
        "\nEach sigmoid multiplies the gradient by about {per_layer:.4} here: the chain settles at the\n\
         fixed point s = σ(s) = {s:.4}, where σ′ = s·(1 − s) = {:.4}, a little under the bound ¼.",
        s * (1.0 - s)
    );
    println!(
        "tanh keeps more, but its fixed point is 0 and the chain drifts there slowly, with\n\
         tanh′ close to 1: the decay is polynomial, not geometric."
    );

    // log₁₀ of the gradient, so that thirty orders of magnitude fit one axis.
    let points = |values: &[f64]| {
        depths
            .iter()
            .zip(values)
            .map(|(&k, &g)| (k as f64, g.log10()))
            .collect()
    };
    let path = common::output_path("vanishing_gradient.svg");
    plot::lines(
        &path,
        "Gradient reaching the input of a chain of k activations",
        "depth k",
        "log10(dy/dx)",
        &[
            Series {
                name: "sigmoid".into(),
                points: points(&sigmoid),
            },
            Series {
                name: "bound 0.25^k".into(),
                points: depths
                    .iter()
                    .map(|&k| (k as f64, k as f64 * 0.25_f64.log10()))
                    .collect(),
            },
            Series {
                name: "tanh".into(),
                points: points(&tanh),
            },
            Series {
                name: "relu, x > 0".into(),
                points: points(&relu),
            },
        ],
        false,
    )?;
    println!("\nplot written to {}", path.display());
    Ok(())
}
