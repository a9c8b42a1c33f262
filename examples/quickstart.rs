//! The first example of the crate docs: one neuron, `ŷ = σ(w·x + b)`, and
//! its gradient with respect to every input from one backward sweep.
//!
//! Run it with `cargo run --example quickstart`.

use tapegrad::Tape;

fn main() {
    let tape = Tape::new();
    let w = tape.var(0.5);
    let x = tape.var(2.0);
    let b = tape.var(-1.0);

    // Forward: every operation records a node with its local derivatives.
    let z = w * x + b;
    let y_hat = z.sigmoid();
    println!("z = w·x + b = {z}");
    println!("ŷ = σ(z)    = {y_hat}");

    // Backward: one reverse sweep gives ∂ŷ/∂(every input).
    let grads = y_hat.backward();
    let slope = y_hat.value() * (1.0 - y_hat.value()); // σ′(z) = σ(z)·(1 − σ(z))
    println!(
        "∂ŷ/∂w = {}  (σ′(z)·x = {})",
        grads.wrt(&w),
        slope * x.value()
    );
    println!(
        "∂ŷ/∂x = {}  (σ′(z)·w = {})",
        grads.wrt(&x),
        slope * w.value()
    );
    println!("∂ŷ/∂b = {}  (σ′(z)   = {})", grads.wrt(&b), slope);
    println!("{} nodes on the tape", tape.len());

    assert_eq!(grads.wrt(&w), 0.5);
    assert_eq!(grads.wrt(&x), 0.125);
    assert_eq!(grads.wrt(&b), 0.25);
}
