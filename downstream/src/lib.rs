//! A crate as a user writes one, checked by CI: a model written once for
//! nalgebra's `RealField` (nalgebra 0.35, what `cargo add nalgebra` gives),
//! minimized by argmin's Newton with tapegrad's gradient and Hessian.
//!
//! argmin-math 0.5 has no nalgebra 0.35: the problem's parameters are its
//! nalgebra 0.34 `DVector`, which tapegrad re-exports
//! (`tapegrad::integrations::argmin::DVector`), so this crate needs no
//! second nalgebra. The model itself sees only nalgebra 0.35's types.

use nalgebra::{Matrix2, RealField, Vector2};
use tapegrad::integrations::argmin::Cost;

/// The negative log-likelihood of 2-D observations under a Gaussian of
/// mean `(x[0], x[1])` and a fixed covariance: minimal at the observations'
/// mean.
pub struct GaussianMean {
    pub observations: Vec<[f64; 2]>,
    pub covariance: [[f64; 2]; 2],
}

impl<T: RealField + Copy> Cost<T> for GaussianMean {
    fn cost(&self, x: &[T]) -> T {
        let lit = |v: f64| T::from_f64(v).expect("a float");
        let [[a, b], [c, d]] = self.covariance;
        let precision = Matrix2::new(lit(a), lit(b), lit(c), lit(d))
            .try_inverse()
            .expect("an invertible covariance");
        let mean = Vector2::new(x[0], x[1]);
        let half = lit(0.5);
        self.observations.iter().fold(T::zero(), |total, o| {
            let r = Vector2::new(lit(o[0]), lit(o[1])) - mean;
            total + (r.transpose() * precision * r)[(0, 0)] * half
        })
    }
}
