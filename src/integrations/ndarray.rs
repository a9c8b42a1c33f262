//! Arrays of [`Active`]: ndarray's element-wise arithmetic, `mapv`, `sum`
//! and `.dot()` record on the tape as they compute, since `Active` is a
//! `'static` scalar and an array's `ScalarOperand`. [`dot`] records a dot
//! product as one node (ndarray's `.dot` records two per multiply-add), and
//! [`Gradients::wrt_array`] returns gradients in the arrays' shape.
//!
//! ```
//! use ndarray::{Array1, array};
//! use tapegrad::{Active, Tape};
//! use tapegrad::integrations::ndarray::dot;
//!
//! let mut tape = Tape::new();
//! let (w, loss) = tape.record(|| {
//!     let w = Array1::from(Active::vars(&[0.5, -1.0, 2.0]));
//!     let x = array![1.0, 2.0, 3.0].mapv(Active::constant);
//!     let loss = (dot(&w, &x) - 4.0).powi(2) + w.mapv(|v| v * v).sum() * 0.1;
//!     (w, loss)
//! });
//! let grads = tape.backward(&loss)?;
//! // ∂/∂w = 2(w·x − 4)·x + 0.2·w, with w·x = 4.5.
//! assert_eq!(grads.wrt_array(&w), array![1.1, 1.8, 3.4]);
//! # Ok::<(), tapegrad::Error>(())
//! ```

use ndarray::{Array, ArrayBase, Data, Dimension, Ix1, ScalarOperand};

use crate::{Active, Gradients, Scalar};

impl<F: Scalar> ScalarOperand for Active<F> {}

/// `a · b = Σ aᵢ·bᵢ` as one node: `∂/∂aᵢ = bᵢ`, `∂/∂bᵢ = aᵢ`. A
/// [`Function`](crate::replay::Function) records it as products and sums,
/// the same arithmetic, which it evaluates again.
///
/// # Panics
///
/// If the arrays' lengths differ, or two of their variables are of
/// different recordings (or of none on this thread).
#[track_caller]
pub fn dot<F, A, B>(a: &ArrayBase<A, Ix1>, b: &ArrayBase<B, Ix1>) -> Active<F>
where
    F: Scalar,
    A: Data<Elem = Active<F>>,
    B: Data<Elem = Active<F>>,
{
    assert_eq!(
        a.len(),
        b.len(),
        "tapegrad: dot of arrays of lengths {} and {}",
        a.len(),
        b.len()
    );
    crate::recording::dot(a.iter().copied().zip(b.iter().copied()))
}

impl<F: Scalar> Gradients<F> {
    /// The partial derivatives with respect to each variable of `xs`, an
    /// array of the same shape.
    ///
    /// # Panics
    ///
    /// Where [`wrt`](Gradients::wrt) panics.
    #[cfg_attr(docsrs, doc(cfg(feature = "ndarray")))]
    pub fn wrt_array<S, D>(&self, xs: &ArrayBase<S, D>) -> Array<F, D>
    where
        S: Data<Elem = Active<F>>,
        D: Dimension,
    {
        xs.map(|x| self.wrt(x))
    }
}
