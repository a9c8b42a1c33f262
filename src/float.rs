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

use num_traits::Float;

use crate::Var;
use crate::ops::surface::Handle;

/// `num_traits`' number traits for a handle, by its value and its constants:
/// `PartialEq` and `PartialOrd` compare values, as `f64`'s do (NaN is not
/// equal to itself); `zero`, `one`, parsing and `NumCast` give constants.
macro_rules! number_traits {
    ([$($g:tt)*] $T:ty, $F:ty) => {
        impl<$($g)*> PartialEq for $T {
            fn eq(&self, other: &Self) -> bool {
                Handle::value_of(self) == Handle::value_of(other)
            }
        }

        impl<$($g)*> PartialOrd for $T {
            fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
                Handle::value_of(self).partial_cmp(&Handle::value_of(other))
            }
        }

        impl<$($g)*> num_traits::Zero for $T {
            fn zero() -> Self {
                <$T as From<$F>>::from(num_traits::Zero::zero())
            }

            fn is_zero(&self) -> bool {
                Handle::value_of(self).is_zero()
            }
        }

        impl<$($g)*> num_traits::One for $T {
            fn one() -> Self {
                <$T as From<$F>>::from(num_traits::One::one())
            }
        }

        impl<$($g)*> num_traits::Num for $T {
            type FromStrRadixErr = <$F as num_traits::Num>::FromStrRadixErr;

            fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
                num_traits::Num::from_str_radix(s, radix).map(<$T as From<$F>>::from)
            }
        }

        impl<$($g)*> num_traits::ToPrimitive for $T {
            fn to_i64(&self) -> Option<i64> {
                Handle::value_of(self).to_i64()
            }

            fn to_u64(&self) -> Option<u64> {
                Handle::value_of(self).to_u64()
            }

            fn to_f64(&self) -> Option<f64> {
                Handle::value_of(self).to_f64()
            }

            fn to_f32(&self) -> Option<f32> {
                Handle::value_of(self).to_f32()
            }
        }

        /// A constant, converted as the float type converts.
        impl<$($g)*> num_traits::NumCast for $T {
            fn from<P: num_traits::ToPrimitive>(n: P) -> Option<Self> {
                <$F as num_traits::NumCast>::from(n).map(<$T as From<$F>>::from)
            }
        }
    };
}

pub(crate) use number_traits;

number_traits!(['t, F: Float] Var<'t, F>, F);

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
