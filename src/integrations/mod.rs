//! Integrations with the ecosystem's crates, each behind its feature.

#[cfg(feature = "argmin")]
#[cfg_attr(docsrs, doc(cfg(feature = "argmin")))]
pub mod argmin;
#[cfg(feature = "faer")]
#[cfg_attr(docsrs, doc(cfg(feature = "faer")))]
pub mod faer;
#[cfg(feature = "mpi")]
#[cfg_attr(docsrs, doc(cfg(feature = "mpi")))]
pub mod mpi;
#[cfg(feature = "nalgebra")]
#[cfg_attr(docsrs, doc(cfg(feature = "nalgebra")))]
pub mod nalgebra;
#[cfg(feature = "nalgebra_v0_34")]
#[cfg_attr(docsrs, doc(cfg(feature = "nalgebra_v0_34")))]
pub mod nalgebra_v0_34;
#[cfg(feature = "ndarray")]
#[cfg_attr(docsrs, doc(cfg(feature = "ndarray")))]
pub mod ndarray;
#[cfg(any(feature = "nalgebra", feature = "nalgebra_v0_34"))]
mod numbers;

/// A vector or matrix of [`Active`](crate::Active) variables, of either
/// supported nalgebra, whose gradients [`Gradients::wrt_matrix`](crate::Gradients::wrt_matrix) gives in
/// its shape.
#[cfg(any(feature = "nalgebra", feature = "nalgebra_v0_34"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "nalgebra", feature = "nalgebra_v0_34")))
)]
pub trait MatrixOfActive<F: crate::Scalar> {
    /// The matrix of the gradients, of the same shape.
    type Gradient;

    /// `wrt` of each variable, in the same shape.
    fn gradient(&self, wrt: impl Fn(&crate::Active<F>) -> F) -> Self::Gradient;
}

#[cfg(any(feature = "nalgebra", feature = "nalgebra_v0_34"))]
impl<F: crate::Scalar> crate::Gradients<F> {
    /// The partial derivatives with respect to each variable of `xs`, a
    /// nalgebra vector or matrix, in the same shape.
    ///
    /// # Panics
    ///
    /// Where [`wrt`](crate::Gradients::wrt) panics.
    #[cfg_attr(
        docsrs,
        doc(cfg(any(feature = "nalgebra", feature = "nalgebra_v0_34")))
    )]
    pub fn wrt_matrix<M: MatrixOfActive<F>>(&self, xs: &M) -> M::Gradient {
        xs.gradient(|x| self.wrt(x))
    }
}
