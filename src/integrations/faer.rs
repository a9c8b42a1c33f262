//! A [`Sparse`] Jacobian or Hessian as faer's sparse matrix, ready for its
//! sparse Cholesky, LU or QR (faer 0.24, pinned: its sparse API changes
//! between releases).
//!
//! ```
//! use faer::Side;
//! use faer::linalg::solvers::Solve;
//! use tapegrad::{Active, replay::Function};
//!
//! // A convex sum of squares: its Hessian is tridiagonal and positive definite.
//! let f = Function::record(&[0.0; 50], |x: &[Active]| {
//!     let pairs = x.windows(2).map(|w| (w[1] - w[0]).powi(2) + w[0] * w[0]);
//!     pairs.sum::<Active>() + x[49] * x[49]
//! })?;
//! let h = f.sparse_hessian()?;
//! let mut ws = f.workspace();
//! let x = [0.3; 50];
//! let matrix = h.to_faer(&h.values(&mut ws, &x)?)?;
//! assert_eq!(matrix.compute_nnz(), 50 + 2 * 49);
//!
//! // One Newton step solves H p = −∇f; a quadratic's lands on its minimum.
//! let g = f.gradient(&mut ws, &x)?;
//! let llt = matrix.sp_cholesky(Side::Lower).expect("positive definite");
//! let p = llt.solve(faer::Col::from_fn(50, |i| -g[i]));
//! let next: Vec<f64> = (0..50).map(|i| x[i] + p[i]).collect();
//! let g = f.gradient(&mut ws, &next)?;
//! assert!(g.iter().all(|gi| gi.abs() < 1e-12));
//! # Ok::<(), tapegrad::Error>(())
//! ```

use faer::sparse::{SparseRowMat, SymbolicSparseRowMat};
use faer::traits::ComplexField;

use crate::{Error, Result, Scalar, replay::Sparse};

impl<F: Scalar + ComplexField> Sparse<F> {
    /// The matrix with `values` (from [`values`](Sparse::values), in the
    /// pattern's order) at the pattern's entries, as faer's compressed
    /// sparse rows. A Hessian's pattern is symmetric and holds both
    /// triangles, so `.as_ref().transpose()` is the same matrix in
    /// compressed columns, without a copy.
    ///
    /// # Errors
    ///
    /// [`Error::Length`] if `values` is not as long as the pattern.
    pub fn to_faer(&self, values: &[F]) -> Result<SparseRowMat<usize, F>> {
        let pattern = self.pattern();
        Error::check_length(
            "values, one an entry of the pattern",
            pattern.len(),
            values.len(),
        )?;
        let (rows, columns) = self.shape();
        let mut row_ends = vec![0; rows + 1];
        pattern.iter().for_each(|&(i, _)| row_ends[i + 1] += 1);
        (0..rows).for_each(|i| row_ends[i + 1] += row_ends[i]);
        let column_indices = pattern.iter().map(|&(_, j)| j).collect();
        // The pattern is in row order with columns sorted in each row, as
        // compressed sparse rows are.
        let symbolic =
            SymbolicSparseRowMat::new_checked(rows, columns, row_ends, None, column_indices);
        Ok(SparseRowMat::new(symbolic, values.to_vec()))
    }
}
