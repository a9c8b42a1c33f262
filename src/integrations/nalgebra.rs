//! [`Active`] as nalgebra's scalar, for nalgebra 0.35 (simba 0.10, Rust
//! 1.89; the feature `nalgebra`, or `nalgebra_v0_35`): `RealField` and `ComplexField` (with
//! what they require: simba's `SimdValue` of one lane, `SubsetOf`, approx's
//! comparisons, `Signed`, `FromPrimitive`), so that nalgebra's generic code
//! (`dot`, `norm`, `cross`, `try_inverse`, `determinant`, rotations)
//! records on the tape.
//!
//! Every method is `Active`'s own, with its derivative; what nalgebra
//! computes from them (a determinant, an inverse) is differentiated as the
//! ops it performs. Comparisons and conversions to `f64` read values.
//!
//! ```
//! use nalgebra::Vector3;
//! use tapegrad::{Active, Tape};
//!
//! let mut tape = Tape::new();
//! let (v, distance) = tape.record(|| {
//!     let v = Vector3::from_iterator(Active::vars(&[4.0, 5.0, 13.0]));
//!     let target = Vector3::new(1.0, 1.0, 1.0).map(Active::constant);
//!     (v, (v - target).norm())
//! });
//! assert_eq!(distance.value(), 13.0);
//! let grads = tape.backward(&distance)?; // (v − t)/|v − t|
//! let expected = [3.0 / 13.0, 4.0 / 13.0, 12.0 / 13.0];
//! for (g, e) in grads.wrt_all(v.as_slice()).into_iter().zip(expected) {
//!     approx::assert_relative_eq!(g, e, max_relative = 1e-15);
//! }
//! # Ok::<(), tapegrad::Error>(())
//! ```
//!
//! The norm of a zero vector is `0`, and its gradient is NaN: `√x` has the
//! derivative `+∞` at `0`, and the sweep multiplies it by the zero partials of
//! the squares (`0 · ∞`). Use `norm_squared`, or keep the vector away from
//! zero, where the gradient is wanted there.

use ::nalgebra as na;
use ::simba as sb;

include!("real_field.rs");
