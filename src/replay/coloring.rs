//! [`Sparse`]: a sparse Jacobian or Hessian of a recorded function, its
//! columns colored once, its values in one product per color.

use super::graph::{Lists, distance_two_coloring, star_coloring};
use super::{Function, Workspace};
use crate::Result;
use crate::active::Scalar;

/// A sparse Jacobian or Hessian of a recorded function: the pattern, a
/// coloring of its columns, and the values at any point in one forward
/// pass (Jacobian) or Hessian–vector product (Hessian) per color.
///
/// A Jacobian's columns share a color when no row has an entry in two of
/// them (a distance-2 coloring): one product with the sum of a color's unit
/// vectors gives each of its columns' entries directly. A Hessian's are
/// star-colored, using its symmetry: each entry is read from its column's
/// product or from its row's. Both greedy: the Jacobian's in column order,
/// the Hessian's in smallest-last order, so that its count does not depend
/// on how the variables are numbered. A greedy coloring is not always the
/// fewest colors; on the shapes of the tests, numbered in order, reversed
/// or shuffled, it is: a tridiagonal Hessian takes 3 colors however large,
/// a band of half-width `b` takes `2b + 1`, an arrow (every variable
/// coupled to one shared variable, wherever it is) 2, and a bordered block
/// diagonal a block's size plus the border's.
#[derive(Clone, Debug)]
pub struct Sparse<F: Scalar = f64> {
    function: Function<F>,
    pattern: Vec<(usize, usize)>,
    /// Each input's color.
    color: Vec<usize>,
    /// Where each entry of the pattern is read: a color's product, and the
    /// index in it.
    read: Vec<(usize, usize)>,
    colors: usize,
    hessian: bool,
}

impl<F: Scalar> Function<F> {
    /// The Jacobian as a [`Sparse`]: its pattern and coloring, computed once.
    pub fn sparse_jacobian(&self) -> Sparse<F> {
        Sparse::new(self.clone(), self.jacobian_pattern(), false)
    }

    /// The Hessian of the one output as a [`Sparse`].
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// let f = Function::record(&[0.5; 100], |x: &[Active]| {
    ///     x.windows(2).map(|w| (w[1] - w[0] * w[0]).powi(2)).sum::<Active>()
    /// })?;
    /// let h = f.sparse_hessian()?;
    /// assert_eq!(h.colors(), 3); // three Hessian–vector products, not 100
    /// let values = h.values(&mut f.workspace(), &[0.7; 100])?;
    /// let dense = f.hessian(&mut f.workspace(), &[0.7; 100])?;
    /// for (&(i, j), v) in h.pattern().iter().zip(values) {
    ///     assert!((v - dense[i][j]).abs() <= 1e-12 * v.abs().max(1.0));
    /// }
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Length`](crate::Error::Length) if the function has more than one output.
    pub fn sparse_hessian(&self) -> Result<Sparse<F>> {
        Ok(Sparse::new(self.clone(), self.hessian_pattern()?, true))
    }
}

impl<F: Scalar> Sparse<F> {
    fn new(function: Function<F>, pattern: Vec<(usize, usize)>, hessian: bool) -> Self {
        let (rows, columns) = shape(&function, hessian);
        let by_row = Lists::group(rows, pattern.iter().copied());
        let color = match hessian {
            // A Hessian's pattern is symmetric: its rows are its columns.
            true => star_coloring(&by_row),
            false => {
                let by_column = Lists::group(columns, pattern.iter().map(|&(i, j)| (j, i)));
                distance_two_coloring(&by_row, &by_column)
            }
        };
        let colors = color.iter().map(|&c| c + 1).max().unwrap_or(0);
        // Where each entry is read: its column's product at its row; for a
        // Hessian, where another column of that color meets the row, the
        // row's product at its column instead (the star coloring promises
        // that one of the two is alone). Each row's colors counted once.
        let mut count = vec![0u32; colors];
        let mut row = None;
        let mut read = Vec::with_capacity(pattern.len());
        for &(i, j) in &pattern {
            if hessian && row != Some(i) {
                row.inspect(|&r| by_row.of(r).iter().for_each(|&k| count[color[k]] = 0));
                by_row.of(i).iter().for_each(|&k| count[color[k]] += 1);
                row = Some(i);
            }
            read.push(match !hessian || i == j || count[color[j]] == 1 {
                true => (color[j], i),
                false => (color[i], j),
            });
        }
        Sparse {
            function,
            pattern,
            color,
            read,
            colors,
            hessian,
        }
    }

    /// The entries that can be nonzero, `(row, column)` in row order, each
    /// row's columns sorted.
    pub fn pattern(&self) -> &[(usize, usize)] {
        &self.pattern
    }

    /// Where the entry `(i, j)` is in the pattern, and so among the values,
    /// if the pattern has it: a binary search.
    pub fn position(&self, i: usize, j: usize) -> Option<usize> {
        self.pattern.binary_search(&(i, j)).ok()
    }

    /// The entry `(i, j)` of the matrix whose pattern's values are `values`
    /// (from [`values`](Sparse::values)): `0` where the pattern has none,
    /// since the derivative there is zero at every point.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// // x₀·x₁ + x₂²: ∂²/∂x₀∂x₁ = 1, ∂²/∂x₂² = 2, the rest zero.
    /// let f = Function::record(&[1.0; 3], |x: &[Active]| x[0] * x[1] + x[2] * x[2])?;
    /// let h = f.sparse_hessian()?;
    /// let values = h.values(&mut f.workspace(), &[0.5, -1.0, 3.0])?;
    /// assert_eq!(h.entry(&values, 0, 1), 1.0);
    /// assert_eq!(h.entry(&values, 2, 2), 2.0);
    /// assert_eq!(h.entry(&values, 0, 2), 0.0); // outside the pattern
    /// assert_eq!(h.position(0, 2), None);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If `values` is not as long as the pattern, or `(i, j)` is outside
    /// the matrix's [`shape`](Sparse::shape), as indexing a slice out of
    /// bounds does.
    #[track_caller]
    pub fn entry(&self, values: &[F], i: usize, j: usize) -> F {
        let (rows, columns) = self.shape();
        assert!(
            values.len() == self.pattern.len(),
            "tapegrad: {} values for a pattern of {} entries; pass what Sparse::values gave",
            values.len(),
            self.pattern.len()
        );
        assert!(
            i < rows && j < columns,
            "tapegrad: the entry ({i}, {j}) is outside a {rows} × {columns} matrix"
        );
        self.position(i, j).map_or(F::zero(), |k| values[k])
    }

    /// The matrix's `(rows, columns)`: a Jacobian's are the function's
    /// outputs and inputs, a Hessian's its inputs twice.
    pub fn shape(&self) -> (usize, usize) {
        shape(&self.function, self.hessian)
    }

    /// The entries as `(row, column, value)` triplets, given their values
    /// from [`values`](Sparse::values); with the `faer` feature,
    /// `Sparse::to_faer` makes faer's sparse matrix of them.
    pub fn triplets<'a>(&'a self, values: &'a [F]) -> impl Iterator<Item = (usize, usize, F)> + 'a {
        self.pattern
            .iter()
            .zip(values)
            .map(|(&(i, j), &v)| (i, j, v))
    }

    /// The number of colors: the products each evaluation takes.
    pub fn colors(&self) -> usize {
        self.colors
    }

    /// The values of the pattern's entries at `x`, in its order.
    ///
    /// # Errors
    ///
    /// As [`Function::jvp`] (a Jacobian) or [`Function::hvp`] (a Hessian);
    /// `ws` must be a workspace of the function this was made from.
    pub fn values(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        self.values_with(|seed| match self.hessian {
            true => self.function.hvp(ws, x, seed),
            false => self.function.jvp(ws, x, seed),
        })
    }

    /// The values of the pattern's entries from the products `product`
    /// computes, one call a color: the Hessian (or Jacobian) times the
    /// seed it is given, at the point the caller chose. [`values`](Sparse::values)
    /// is this with the function's own products; compiled code's, or
    /// products computed elsewhere, fit as well.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// let f = Function::record(&[0.5; 10], |x: &[Active]| {
    ///     x.windows(2).map(|w| (w[1] - w[0] * w[0]).powi(2)).sum::<Active>()
    /// })?;
    /// let h = f.sparse_hessian()?;
    /// let (mut ws, x) = (f.workspace(), [0.7; 10]);
    /// let mut calls = 0;
    /// let values = h.values_with(|seed| {
    ///     calls += 1;
    ///     f.hvp(&mut ws, &x, seed)
    /// })?;
    /// assert_eq!(calls, h.colors());
    /// assert_eq!(values, h.values(&mut f.workspace(), &x)?);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The first error of `product`.
    ///
    /// # Panics
    ///
    /// If a product is shorter than the function's inputs (a Hessian) or
    /// outputs (a Jacobian).
    pub fn values_with(&self, mut product: impl FnMut(&[F]) -> Result<Vec<F>>) -> Result<Vec<F>> {
        let mut products = Vec::with_capacity(self.colors);
        for c in 0..self.colors {
            let seed: Vec<F> = self
                .color
                .iter()
                .map(|&k| if k == c { F::one() } else { F::zero() })
                .collect();
            products.push(product(&seed)?);
        }
        Ok(self.read.iter().map(|&(c, i)| products[c][i]).collect())
    }
}

/// The shape of `function`'s Hessian or Jacobian.
fn shape<F: Scalar>(function: &Function<F>, hessian: bool) -> (usize, usize) {
    let columns = function.inputs();
    match hessian {
        true => (columns, columns),
        false => (function.outputs(), columns),
    }
}
