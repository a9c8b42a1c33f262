//! What nalgebra asks of a scalar beyond its own traits, the same for every
//! version: num-traits' `FromPrimitive` and `Signed`, approx's comparisons.

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use num_traits::{FromPrimitive, Signed};

use crate::{Active, Scalar};

impl<F: Scalar + FromPrimitive> FromPrimitive for Active<F> {
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

impl<F: Scalar + Signed> Signed for Active<F> {
    fn abs(&self) -> Self {
        Active::abs(*self)
    }

    fn abs_sub(&self, other: &Self) -> Self {
        num_traits::Float::abs_sub(*self, *other)
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
impl<F: Scalar + AbsDiffEq<Epsilon = F>> AbsDiffEq for Active<F> {
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
impl<F: Scalar + RelativeEq<Epsilon = F>> RelativeEq for Active<F> {
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
impl<F: Scalar + UlpsEq<Epsilon = F>> UlpsEq for Active<F> {
    fn default_max_ulps() -> u32 {
        F::default_max_ulps()
    }

    #[track_caller]
    fn ulps_eq(&self, other: &Self, epsilon: Self, max_ulps: u32) -> bool {
        self.value()
            .ulps_eq(&other.value(), epsilon.value(), max_ulps)
    }
}
