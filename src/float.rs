//! `Var` as a `num_traits::Float`, so that generic code runs on the tape.
//!
//! A function written once, `fn f<T: Float>(x: &[T]) -> T`, runs on `f64`
//! and on `Var` alike, and gives the same value bit for bit: every method
//! computes its value with `F`'s own method of the same name. Constants made
//! from nothing (`T::zero()`, `T::from(2.0)`, `T::nan()`) are constants on no
//! tape and record nothing.
//!
//! `Float` requires `PartialEq` and `PartialOrd`: both compare values, as
//! the same code on floats would. Whether two variables are the same node
//! is not what `==` asks.

use core::cmp::Ordering;

use num_traits::{Float, Num, NumCast, One, ToPrimitive, Zero};

use crate::Var;

/// Compares values, as `f64`'s `==` does (NaN is not equal to itself).
impl<F: Float> PartialEq for Var<'_, F> {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

/// Compares values, as `f64`'s `<` does.
impl<F: Float> PartialOrd for Var<'_, F> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value().partial_cmp(&other.value())
    }
}

impl<F: Float> Zero for Var<'_, F> {
    /// The constant `0`.
    fn zero() -> Self {
        Var::constant(F::zero())
    }

    fn is_zero(&self) -> bool {
        self.value().is_zero()
    }
}

impl<F: Float> One for Var<'_, F> {
    /// The constant `1`.
    fn one() -> Self {
        Var::constant(F::one())
    }
}

impl<F: Float> Num for Var<'_, F> {
    type FromStrRadixErr = F::FromStrRadixErr;

    /// A constant parsed as `F` parses it.
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        F::from_str_radix(s, radix).map(Var::constant)
    }
}

impl<F: Float> ToPrimitive for Var<'_, F> {
    fn to_i64(&self) -> Option<i64> {
        self.value().to_i64()
    }

    fn to_u64(&self) -> Option<u64> {
        self.value().to_u64()
    }

    fn to_f64(&self) -> Option<f64> {
        self.value().to_f64()
    }

    fn to_f32(&self) -> Option<f32> {
        self.value().to_f32()
    }
}

impl<F: Float> NumCast for Var<'_, F> {
    /// A constant, converted as `F::from` converts.
    fn from<T: ToPrimitive>(n: T) -> Option<Self> {
        <F as NumCast>::from(n).map(Var::constant)
    }
}

/// The body of `impl Float` for a number type built on `F` (`Var`, `Dual`)
/// that has an inherent method of each `Float` name, `constant` and
/// `value`: every method forwards to the inherent one (inherent methods take
/// precedence in `Self::name`), constants record nothing, and the
/// predicates look at the value.
macro_rules! float_methods {
    () => {
        float_methods!(@constants nan, infinity, neg_infinity, neg_zero, min_value,
            min_positive_value, max_value, epsilon);
        float_methods!(@inspected is_nan -> bool, is_infinite -> bool, is_finite -> bool,
            is_normal -> bool, is_subnormal -> bool, classify -> core::num::FpCategory,
            is_sign_positive -> bool, is_sign_negative -> bool,
            integer_decode -> (u64, i16, i8));
        float_methods!(@forwarded floor(), ceil(), round(), trunc(), fract(), abs(), signum(),
            recip(), sqrt(), cbrt(), exp(), exp2(), exp_m1(), ln(), ln_1p(), log2(), log10(),
            sin(), cos(), tan(), asin(), acos(), atan(), sinh(), cosh(), tanh(), asinh(),
            acosh(), atanh(), to_degrees(), to_radians(), mul_add(a, b), powf(n), log(base),
            max(other), min(other), hypot(other), atan2(other), copysign(sign),
            clamp(min, max));

        #[inline(always)]
        #[track_caller]
        fn powi(self, n: i32) -> Self {
            Self::powi(self, n)
        }

        #[track_caller]
        fn sin_cos(self) -> (Self, Self) {
            Self::sin_cos(self)
        }

        /// `max(x − y, 0)`.
        #[track_caller]
        fn abs_sub(self, other: Self) -> Self {
            Self::max(self - other, F::zero())
        }
    };
    (@constants $($name:ident),*) => {$(
        fn $name() -> Self {
            Self::constant(F::$name())
        }
    )*};
    (@inspected $($name:ident -> $out:ty),*) => {$(
        fn $name(self) -> $out {
            self.value().$name()
        }
    )*};
    (@forwarded $($name:ident($($arg:ident),*)),*) => {$(
        #[inline(always)]
        #[track_caller]
        fn $name(self $(, $arg: Self)*) -> Self {
            Self::$name(self $(, $arg)*)
        }
    )*};
}

pub(crate) use float_methods;

/// Every method records what the `Var` method of the same name records (see
/// each for its derivative); the rounding functions and `signum` record a
/// zero derivative, true everywhere but at their jumps; the predicates and
/// `integer_decode` look at the value.
impl<F: Float> Float for Var<'_, F> {
    float_methods!();
}
