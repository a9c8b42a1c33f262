//! tapegrad's benchmarks: four workloads, each differentiated by every
//! implementation we compare, and a harness that times each one against the
//! plain function in interleaved slices, so that both see the same phase of
//! a noisy machine.
//!
//! - `cargo run --release -p tapegrad-benchmarks` prints the table of ratios
//!   and checks them against `benchmarks/targets.toml`;
//!   `-- --help` lists its flags.
//! - `cargo bench -p tapegrad-benchmarks` runs the criterion benches of the
//!   tape itself (time per node, checked mode, threads).

pub mod data;
pub mod hand;
pub mod harness;
pub mod loops;
pub mod no_inline;
pub mod peers;
pub mod sparse;
pub mod tapegrad_impl;
pub mod targets;
pub mod tensor;

use num_traits::Float;

use peers::Arith;

/// One implementation of a workload's gradient, ready to call again and
/// again (a peer's replay records once, when the row is made).
pub struct Row<'w> {
    pub name: &'static str,
    pub gradient: Box<dyn FnMut() -> Vec<f64> + 'w>,
}

impl<'w> Row<'w> {
    pub fn new(name: &'static str, gradient: impl FnMut() -> Vec<f64> + 'w) -> Self {
        Row {
            name,
            gradient: Box::new(gradient),
        }
    }
}

/// A workload: a function of a point, written once over `Float` (what
/// tapegrad and echidna differentiate) and once over [`Arith`] (the same
/// graph for the peers without `Float`), with its hand-written gradient.
pub trait Workload: Sized {
    const NAME: &'static str;
    /// A smaller instance whose gradient does not underflow, checked too.
    fn small(&self) -> Self;
    /// The point the gradient is taken at.
    fn point(&self) -> &[f64];
    fn value<T: Float>(&self, x: &[T]) -> T;
    fn peer_value<T: Arith>(&self, x: &[T]) -> T;
    fn hand(&self) -> Vec<f64>;
    /// tapegrad as its docs teach: `affine`, `dense`, fused ops.
    fn idiomatic(&self) -> Vec<f64>;
    /// Rows only this workload has (the tensor crates on the MLP).
    fn extra_rows(&self) -> Vec<Row<'_>> {
        Vec::new()
    }

    /// The function itself, in `f64`: the baseline of every ratio.
    fn plain(&self) -> f64 {
        self.value(self.point())
    }
}

/// Every differentiated implementation of `w`, the hand-written gradient
/// first.
pub fn rows<W: Workload>(w: &W) -> Vec<Row<'_>> {
    let mut rows = vec![
        Row::new("hand", || w.hand()),
        Row::new("tapegrad scalar", || tapegrad_impl::scalar(w)),
        Row::new("tapegrad out of line", || tapegrad_impl::out_of_line(w)),
        Row::new("tapegrad idiomatic", || w.idiomatic()),
        Row::new("tapegrad static", || tapegrad_impl::static_scalar(w)),
        Row::new("tapegrad static out of line", || {
            tapegrad_impl::static_out_of_line(w)
        }),
        Row::new("tapegrad replay", tapegrad_impl::replay(w)),
        Row::new("tapegrad compiled", tapegrad_impl::compiled(w)),
        Row::new("reverse", || peers::reverse(w)),
        Row::new("reverse out of line", || peers::reverse_out_of_line(w)),
        Row::new("easy-ml", || peers::easy_ml(w)),
        Row::new("easy-ml out of line", || peers::easy_ml_out_of_line(w)),
        Row::new("echidna", || peers::echidna(w)),
        Row::new("echidna out of line", || peers::echidna_out_of_line(w)),
        Row::new("echidna replay", peers::echidna_replay(w)),
    ];
    rows.extend(w.extra_rows());
    rows
}

/// Checks every row's gradient against the hand-written one, on `w` and on
/// its small instance (the chain's full gradient underflows to 0).
///
/// # Panics
///
/// If a gradient differs by more than 1e-9, relative.
pub fn verify<W: Workload>(w: &W) {
    for instance in [&w.small(), w] {
        let expected = instance.hand();
        for mut row in rows(instance) {
            let got = (row.gradient)();
            assert_eq!(
                got.len(),
                expected.len(),
                "{}/{}: length",
                W::NAME,
                row.name
            );
            for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                let scale = g.abs().max(e.abs()).max(1e-12);
                assert!(
                    (g - e).abs() <= 1e-9 * scale,
                    "{}/{}: ∂/∂x[{i}] = {g}, by hand {e}",
                    W::NAME,
                    row.name
                );
            }
        }
    }
}
