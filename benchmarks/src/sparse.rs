//! The sparse Hessian of the chained Rosenbrock function at 100,000
//! variables (tridiagonal), tapegrad's against echidna's, each as ratios to
//! the plain function and to its own replayed gradient; and tapegrad's
//! analysis of an arrow at as many variables, its shared variable last.

use tapegrad::{
    Active,
    replay::{Function, Sparse},
};

use crate::Row;
use crate::data::Rosenbrock;
use crate::hand;

/// The workload's name in tables and targets.
pub const NAME: &str = "sparse";

/// The function recorded once by each crate, at the point.
pub struct SparseRosenbrock {
    pub data: Rosenbrock,
    function: Function,
    hessian: Sparse,
    /// The function compiled, its forward-mode code too (the first `hvp`
    /// compiles it: made here, before any call is timed).
    compiled: tapegrad_jit::Compiled<f64>,
    arrow: Function,
}

/// `Σ xᵢ² + Σ xᵢ·x_last`: every variable coupled to the last one, as the
/// global parameters of a hierarchical model are to the local ones.
fn arrow(x: &[Active]) -> Active {
    let (last, rest) = x.split_last().expect("variables");
    let squares = x.iter().map(|&v| v * v).sum::<Active>();
    rest.iter().fold(squares, |acc, &v| acc + v * *last)
}

impl SparseRosenbrock {
    pub fn new(n: usize) -> Self {
        let data = Rosenbrock::new(n);
        let mut function =
            Function::record(&data.x, |x: &[Active]| Rosenbrock::value(x)).expect("table ops");
        function.optimize();
        let hessian = function.sparse_hessian().expect("one output");
        let compiled = tapegrad_jit::compile(&function).expect("compiles");
        let seed = vec![0.0; n];
        (compiled.hvp(&mut function.workspace(), &data.x, &seed)).expect("recorded here");
        let mut arrow = Function::record(&data.x, arrow).expect("table ops");
        arrow.optimize();
        SparseRosenbrock {
            data,
            function,
            hessian,
            compiled,
            arrow,
        }
    }

    /// The function itself, in `f64`: the baseline of every ratio.
    pub fn plain(&self) -> f64 {
        Rosenbrock::value(&self.data.x)
    }

    /// Each row: the replayed gradient, the Hessian's analysis (pattern and
    /// coloring), its values given the analysis, and both together (what
    /// echidna's `sparse_hessian` does in one call).
    pub fn rows(&self) -> Vec<Row<'_>> {
        let x = &self.data.x[..];
        let f = &self.function;
        let (mut ws, mut ws2, mut ws3) = (f.workspace(), f.workspace(), f.workspace());
        let mut ws4 = f.workspace();
        let (arrow, mut arrow_ws) = (&self.arrow, self.arrow.workspace());
        let record = || echidna::record(Rosenbrock::value, x).0;
        let (mut tape, echidna_tape, echidna_values) = (record(), record(), record());
        let pattern = tape.detect_sparsity();
        let (colors, count) = echidna::sparse::greedy_coloring(&pattern);
        vec![
            Row::new("tapegrad replay gradient", move || {
                f.gradient(&mut ws, x).expect("recorded here")
            }),
            Row::new("tapegrad sparse analysis", || {
                let h = f.sparse_hessian().expect("one output");
                vec![h.colors() as f64]
            }),
            Row::new("tapegrad sparse values", move || {
                self.hessian.values(&mut ws2, x).expect("recorded here")
            }),
            Row::new("tapegrad compiled values", move || {
                let hvp = |seed: &[f64]| self.compiled.hvp(&mut ws4, x, seed);
                self.hessian.values_with(hvp).expect("recorded here")
            }),
            Row::new("tapegrad sparse hessian", move || {
                let h = f.sparse_hessian().expect("one output");
                h.values(&mut ws3, x).expect("recorded here")
            }),
            Row::new("tapegrad arrow replay", move || {
                arrow.gradient(&mut arrow_ws, x).expect("recorded here")
            }),
            Row::new("tapegrad arrow analysis", || {
                let h = arrow.sparse_hessian().expect("one output");
                vec![h.colors() as f64]
            }),
            Row::new("echidna replay gradient", move || tape.gradient(x)),
            Row::new("echidna sparse_hessian", move || {
                echidna_tape.sparse_hessian(x).3
            }),
            Row::new("echidna sparse values", move || {
                echidna_values
                    .sparse_hessian_with_pattern(x, &pattern, &colors, count)
                    .2
            }),
        ]
    }

    /// Checks the gradients against the hand-written one, both crates'
    /// Hessian values against each other, entry by entry, and the arrow's
    /// colors.
    ///
    /// # Panics
    ///
    /// If any differs by more than 1e-9, relative (the compiled values
    /// from the interpreter's at all), or the arrow takes more than 2
    /// colors.
    pub fn verify(&self) {
        let arrow = self.arrow.sparse_hessian().expect("one output");
        assert_eq!(arrow.colors(), 2, "the arrow's colors");
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        let expected = hand::rosenbrock(&self.data);
        for mut row in self.rows() {
            if row.name.ends_with("gradient") {
                let got = (row.gradient)();
                assert!(
                    got.iter().zip(&expected).all(|(&g, &e)| close(g, e)),
                    "{}",
                    row.name
                );
            }
        }
        let values = (self
            .hessian
            .values(&mut self.function.workspace(), &self.data.x))
        .expect("recorded here");
        let mut ws = self.function.workspace();
        let hvp = |seed: &[f64]| self.compiled.hvp(&mut ws, &self.data.x, seed);
        let compiled = self.hessian.values_with(hvp).expect("recorded here");
        assert!(
            (compiled.iter().zip(&values)).all(|(a, b)| a.to_bits() == b.to_bits()),
            "compiled sparse values"
        );
        let ours: std::collections::HashMap<(usize, usize), f64> =
            self.hessian.pattern().iter().copied().zip(values).collect();
        let (tape, _) = echidna::record(Rosenbrock::value, &self.data.x);
        let (_, _, pattern, values) = tape.sparse_hessian(&self.data.x);
        assert_eq!(
            2 * pattern.nnz() - self.data.x.len(),
            ours.len(),
            "the patterns' sizes"
        );
        for (k, v) in values.into_iter().enumerate() {
            let at = (pattern.rows[k] as usize, pattern.cols[k] as usize);
            assert!(
                close(ours[&at], v),
                "H{at:?}: {} against echidna's {v}",
                ours[&at]
            );
        }
    }
}
