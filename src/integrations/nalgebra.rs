//! [`Active`] as nalgebra's scalar: `RealField` and `ComplexField` (with
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

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use nalgebra::allocator::Allocator;
use nalgebra::{
    ComplexField, DefaultAllocator, Dim, Matrix, OMatrix, RawStorage, RealField, SimdValue,
};
use num_traits::{FromPrimitive, Signed};
use simba::scalar::{SubsetOf, SupersetOf};

use crate::{Active, Gradients, Scalar};

/// A float type that `Active` of it can stand in for in nalgebra: `f32`,
/// `f64`, and `Active` of them (for second derivatives through nalgebra).
pub trait NalgebraScalar: Scalar + RealField {}

impl<F: Scalar + RealField> NalgebraScalar for F {}

impl<F: NalgebraScalar> SimdValue for Active<F> {
    const LANES: usize = 1;
    type Element = Self;
    type SimdBool = bool;

    fn splat(val: Self) -> Self {
        val
    }

    fn extract(&self, _: usize) -> Self {
        *self
    }

    // The trait's signature; nothing unsafe is done.
    #[allow(unsafe_code)]
    unsafe fn extract_unchecked(&self, _: usize) -> Self {
        *self
    }

    fn replace(&mut self, _: usize, val: Self) {
        *self = val;
    }

    // The trait's signature; nothing unsafe is done.
    #[allow(unsafe_code)]
    unsafe fn replace_unchecked(&mut self, _: usize, val: Self) {
        *self = val;
    }

    fn select(self, cond: bool, other: Self) -> Self {
        if cond { self } else { other }
    }
}

impl<F: NalgebraScalar> simba::scalar::Field for Active<F> {}

impl<F: NalgebraScalar> SubsetOf<Active<F>> for Active<F> {
    fn to_superset(&self) -> Self {
        *self
    }

    fn from_superset_unchecked(element: &Self) -> Self {
        *element
    }

    fn is_in_subset(_: &Self) -> bool {
        true
    }
}

/// A float is a constant `Active`; an `Active` is a float by its value.
macro_rules! floats_are_subsets {
    ($($f:ty),*) => {$(
        impl<F: NalgebraScalar> SubsetOf<Active<F>> for $f {
            fn to_superset(&self) -> Active<F> {
                Active::constant(<F as SupersetOf<$f>>::from_subset(self))
            }

            #[track_caller]
            fn from_superset_unchecked(element: &Active<F>) -> $f {
                <F as SupersetOf<$f>>::to_subset_unchecked(&element.value())
            }

            #[track_caller]
            fn is_in_subset(element: &Active<F>) -> bool {
                <F as SupersetOf<$f>>::is_in_subset(&element.value())
            }
        }
    )*};
}

floats_are_subsets!(f32, f64);

impl<F: NalgebraScalar> FromPrimitive for Active<F> {
    fn from_i64(n: i64) -> Option<Self> {
        F::from_i64(n).map(Active::constant)
    }

    fn from_u64(n: u64) -> Option<Self> {
        F::from_u64(n).map(Active::constant)
    }

    fn from_f64(n: f64) -> Option<Self> {
        F::from_f64(n).map(Active::constant)
    }
}

impl<F: NalgebraScalar> Signed for Active<F> {
    fn abs(&self) -> Self {
        Active::abs(*self)
    }

    fn abs_sub(&self, other: &Self) -> Self {
        Active::max(*self - *other, F::zero())
    }

    fn signum(&self) -> Self {
        Active::signum(*self)
    }

    /// `self > 0`, a comparison that a recorded `Function` guards.
    #[track_caller]
    fn is_positive(&self) -> bool {
        *self > Self::from(F::zero())
    }

    /// `self < 0`, a comparison that a recorded `Function` guards.
    #[track_caller]
    fn is_negative(&self) -> bool {
        *self < Self::from(F::zero())
    }
}

/// Compares values, as `F` does: each reads the values out, so a recorded
/// `Function` that calls them refuses to evaluate ([`Error::ValueRead`](crate::Error::ValueRead)).
impl<F: NalgebraScalar> AbsDiffEq for Active<F> {
    type Epsilon = Self;

    fn default_epsilon() -> Self {
        Active::constant(F::default_epsilon())
    }

    #[track_caller]
    fn abs_diff_eq(&self, other: &Self, epsilon: Self) -> bool {
        self.value().abs_diff_eq(&other.value(), epsilon.value())
    }
}

/// Compares values, as `F` does.
impl<F: NalgebraScalar> RelativeEq for Active<F> {
    fn default_max_relative() -> Self {
        Active::constant(F::default_max_relative())
    }

    #[track_caller]
    fn relative_eq(&self, other: &Self, epsilon: Self, max_relative: Self) -> bool {
        let (epsilon, max_relative) = (epsilon.value(), max_relative.value());
        self.value()
            .relative_eq(&other.value(), epsilon, max_relative)
    }
}

/// Compares values, as `F` does.
impl<F: NalgebraScalar> UlpsEq for Active<F> {
    fn default_max_ulps() -> u32 {
        F::default_max_ulps()
    }

    #[track_caller]
    fn ulps_eq(&self, other: &Self, epsilon: Self, max_ulps: u32) -> bool {
        self.value()
            .ulps_eq(&other.value(), epsilon.value(), max_ulps)
    }
}

/// `ComplexField` methods that are `Active`'s own of the same name.
macro_rules! own {
    ($($name:ident($($arg:ident),*)),*) => {$(
        #[track_caller]
        fn $name(self $(, $arg: Self)*) -> Self {
            Active::$name(self $(, $arg)*)
        }
    )*};
}

/// The real field: `Self` is its own `RealField`, with no imaginary part.
impl<F: NalgebraScalar> ComplexField for Active<F> {
    type RealField = Self;

    own!(
        floor(),
        ceil(),
        round(),
        trunc(),
        fract(),
        abs(),
        recip(),
        sin(),
        cos(),
        tan(),
        asin(),
        acos(),
        atan(),
        sinh(),
        cosh(),
        tanh(),
        asinh(),
        acosh(),
        atanh(),
        log2(),
        log10(),
        ln(),
        ln_1p(),
        sqrt(),
        exp(),
        exp2(),
        exp_m1(),
        cbrt(),
        mul_add(a, b),
        hypot(other),
        log(base),
        powf(n),
        signum()
    );

    fn from_real(re: Self) -> Self {
        re
    }

    fn real(self) -> Self {
        self
    }

    fn imaginary(self) -> Self {
        Active::constant(F::zero())
    }

    #[track_caller]
    fn modulus(self) -> Self {
        Active::abs(self)
    }

    #[track_caller]
    fn modulus_squared(self) -> Self {
        self * self
    }

    /// `0` for a positive value, `π` for a negative one: a constant, on a
    /// comparison that a recorded `Function` guards.
    #[track_caller]
    fn argument(self) -> Self {
        match self >= Self::from(F::zero()) {
            true => Active::constant(F::zero()),
            false => Active::constant(F::pi()),
        }
    }

    #[track_caller]
    fn norm1(self) -> Self {
        Active::abs(self)
    }

    #[track_caller]
    fn scale(self, factor: Self) -> Self {
        self * factor
    }

    #[track_caller]
    fn unscale(self, factor: Self) -> Self {
        self / factor
    }

    fn conjugate(self) -> Self {
        self
    }

    #[track_caller]
    fn sin_cos(self) -> (Self, Self) {
        Active::sin_cos(self)
    }

    #[track_caller]
    fn powi(self, n: i32) -> Self {
        Active::powi(self, n)
    }

    #[track_caller]
    fn powc(self, n: Self) -> Self {
        Active::powf(self, n)
    }

    /// `Float::is_finite`, which a recorded `Function` guards.
    #[track_caller]
    fn is_finite(&self) -> bool {
        num_traits::Float::is_finite(*self)
    }

    /// `√self` where `self >= 0` (a comparison a recorded `Function`
    /// guards, as Cholesky's test of each pivot is), `None` elsewhere.
    #[track_caller]
    fn try_sqrt(self) -> Option<Self> {
        (self >= Self::from(F::zero())).then(|| Active::sqrt(self))
    }
}

/// A constant of `F`'s.
macro_rules! constants {
    ($($name:ident),*) => {$(
        fn $name() -> Self {
            Active::constant(F::$name())
        }
    )*};
}

impl<F: NalgebraScalar> RealField for Active<F> {
    own!(
        copysign(sign),
        max(other),
        min(other),
        clamp(min, max),
        atan2(other)
    );

    constants!(
        pi,
        two_pi,
        frac_pi_2,
        frac_pi_3,
        frac_pi_4,
        frac_pi_6,
        frac_pi_8,
        frac_1_pi,
        frac_2_pi,
        frac_2_sqrt_pi,
        e,
        log2_e,
        log10_e,
        ln_2,
        ln_10
    );

    /// `Float::is_sign_positive`, which a recorded `Function` guards.
    #[track_caller]
    fn is_sign_positive(&self) -> bool {
        num_traits::Float::is_sign_positive(*self)
    }

    /// `Float::is_sign_negative`, which a recorded `Function` guards.
    #[track_caller]
    fn is_sign_negative(&self) -> bool {
        num_traits::Float::is_sign_negative(*self)
    }

    fn min_value() -> Option<Self> {
        <F as RealField>::min_value().map(Active::constant)
    }

    fn max_value() -> Option<Self> {
        <F as RealField>::max_value().map(Active::constant)
    }
}

impl<F: NalgebraScalar> Gradients<F> {
    /// The partial derivatives with respect to each variable of `xs`, a
    /// vector or matrix of the same shape.
    ///
    /// # Panics
    ///
    /// Where [`wrt`](Gradients::wrt) panics.
    #[cfg_attr(docsrs, doc(cfg(feature = "nalgebra")))]
    pub fn wrt_matrix<R, C, S>(&self, xs: &Matrix<Active<F>, R, C, S>) -> OMatrix<F, R, C>
    where
        R: Dim,
        C: Dim,
        S: RawStorage<Active<F>, R, C>,
        DefaultAllocator: Allocator<R, C>,
    {
        xs.map(|x| self.wrt(&x))
    }
}
