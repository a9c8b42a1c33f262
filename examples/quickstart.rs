//! The first example of the crate docs: one neuron, `ŷ = σ(w·x + b)`, and
//! its gradient with respect to every input from one backward sweep; and
//! its graph as a picture, each node with its value and gradient.
//!
//! Run it with `cargo run --example quickstart`.

mod common;

use std::error::Error;

use tapegrad::Tape;

fn main() -> Result<(), Box<dyn Error>> {
    // A traced tape also remembers each node's op, for the picture.
    let tape = Tape::traced();
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

    // The graph: inputs on the left, each arrow labelled ∂child/∂parent.
    let path = common::output_path("quickstart_neuron.svg");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, tape.to_svg(&y_hat, Some(&grads))?)?;
    println!("the neuron's graph written to {}", path.display());
    Ok(())
}
