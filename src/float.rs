//! `Var` as a `num_traits::Float`, so that generic code runs on the tape.
//!
//! A function written once, `fn f<T: Float>(x: &[T]) -> T`, runs on `f64`
//! and on `Var` alike, and gives the same value bit for bit: every method
//! computes its value with `F`'s own method of the same name. Constants made
//! from nothing (`T::zero()`, `T::from(2.0)`, `T::nan()`) are constants on no
//! tape and record nothing.
//!
//! `Float` requires `PartialEq` and `PartialOrd`: both compare values, as
//! the same code on floats would, with a variable or a float on either side
//! (`x < 0.5`). Whether two variables are the same node is not what `==`
//! asks.

use num_traits::Float;

use crate::Var;
use crate::ops::surface::Handle;

/// `num_traits`' number traits for a handle, by its value and its constants:
/// `PartialEq` and `PartialOrd` compare values, as `f64`'s do (NaN is not
/// equal to itself); `zero`, `one`, parsing and `NumCast` give constants.
macro_rules! number_traits {
    ([$($g:tt)*] $T:ty, $F:ty; [$($h:tt)*] $T64:ty, $T32:ty) => {
        $crate::float::number_traits!([$($g)*] $T, $F);

        // A float on either side, `x < 0.5` or `1.0 == x`: compared as a
        // constant, so guarded in a recording like any comparison.
        #[allow(clippy::partialeq_ne_impl)]
        impl<$($g)*> PartialEq<$F> for $T {
            $crate::float::number_traits!(@float $T, $F; PartialEq eq, ne);
        }

        impl<$($g)*> PartialOrd<$F> for $T {
            $crate::float::number_traits!(@float $T, $F; PartialOrd lt, le, gt, ge);

            #[track_caller]
            fn partial_cmp(&self, other: &$F) -> Option<core::cmp::Ordering> {
                let other = <$T as From<$F>>::from(*other);
                <$T as PartialOrd>::partial_cmp(self, &other)
            }
        }
        $crate::float::number_traits!(@left [$($h)*] $T64, f64);
        $crate::float::number_traits!(@left [$($h)*] $T32, f32);
    };
    (@float $T:ty, $F:ty; $Trait:ident $($name:ident),*) => {$(
        #[track_caller]
        fn $name(&self, other: &$F) -> bool {
            let other = <$T as From<$F>>::from(*other);
            <$T as $Trait>::$name(self, &other)
        }
    )*};
    (@left [$($h:tt)*] $T:ty, $f:ty) => {
        #[allow(clippy::partialeq_ne_impl)]
        impl<$($h)*> PartialEq<$T> for $f {
            $crate::float::number_traits!(@flipped $T, $f; PartialEq eq, ne);
        }

        impl<$($h)*> PartialOrd<$T> for $f {
            $crate::float::number_traits!(@flipped $T, $f; PartialOrd lt, le, gt, ge);

            #[track_caller]
            fn partial_cmp(&self, other: &$T) -> Option<core::cmp::Ordering> {
                <$T as PartialOrd>::partial_cmp(&<$T as From<$f>>::from(*self), other)
            }
        }
    };
    (@flipped $T:ty, $f:ty; $Trait:ident $($name:ident),*) => {$(
        #[track_caller]
        fn $name(&self, other: &$T) -> bool {
            <$T as $Trait>::$name(&<$T as From<$f>>::from(*self), other)
        }
    )*};
    ([$($g:tt)*] $T:ty, $F:ty) => {
        // `!=` names its own line and test in a guard, not `eq`'s.
        #[allow(clippy::partialeq_ne_impl)]
        impl<$($g)*> PartialEq for $T {
            $crate::float::number_traits!(@compare eq Eq ==, ne Ne !=);
        }

        impl<$($g)*> PartialOrd for $T {
            #[track_caller]
            fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
                Handle::observe(self, $crate::table::Test::PartialCmp, Some(other));
                Handle::value_of(self).partial_cmp(&Handle::value_of(other))
            }

            $crate::float::number_traits!(@compare lt Lt <, le Le <=, gt Gt >, ge Ge >=);
        }

        impl<$($g)*> num_traits::Zero for $T {
            fn zero() -> Self {
                <$T as From<$F>>::from(num_traits::Zero::zero())
            }

            #[track_caller]
            fn is_zero(&self) -> bool {
                Handle::observe(self, $crate::table::Test::IsZero, None);
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

        /// Each reads the value out: inside the recording of a
        /// [`Function`](crate::replay::Function), that makes it unfit to evaluate
        /// elsewhere ([`Error::ValueRead`](crate::Error::ValueRead)).
        impl<$($g)*> num_traits::ToPrimitive for $T {
            $crate::float::number_traits!(@read to_i64 i64, to_u64 u64, to_f64 f64, to_f32 f32);
        }

        /// A constant, converted as the float type converts.
        impl<$($g)*> num_traits::NumCast for $T {
            fn from<P: num_traits::ToPrimitive>(n: P) -> Option<Self> {
                <$F as num_traits::NumCast>::from(n).map(<$T as From<$F>>::from)
            }
        }
    };
    (@compare $($name:ident $Test:ident $op:tt),*) => {$(
        #[track_caller]
        fn $name(&self, other: &Self) -> bool {
            Handle::observe(self, $crate::table::Test::Compare($crate::table::Comparison::$Test), Some(other));
            Handle::value_of(self) $op Handle::value_of(other)
        }
    )*};
    (@read $($name:ident $out:ty),*) => {$(
        #[track_caller]
        fn $name(&self) -> Option<$out> {
            Handle::read(self);
            Handle::value_of(self).$name()
        }
    )*};
}

pub(crate) use number_traits;

number_traits!(['t, F: Float] Var<'t, F>, F; ['t] Var<'t, f64>, Var<'t, f32>);

/// The body of `impl Float` for a number type built on `F` (`Var`, `Dual`)
/// that has an inherent method of each `Float` name, `constant` and
/// `value`: every method forwards to the inherent one (inherent methods take
/// precedence in `Self::name`), constants record nothing, and the
/// predicates look at the value.
macro_rules! float_methods {
    () => {
        float_methods!(@constants nan, infinity, neg_infinity, neg_zero, min_value,
            min_positive_value, max_value, epsilon);
        float_methods!(@inspected is_nan IsNan -> bool, is_infinite IsInfinite -> bool,
            is_finite IsFinite -> bool, is_normal IsNormal -> bool,
            is_subnormal IsSubnormal -> bool, classify Classify -> core::num::FpCategory,
            is_sign_positive IsSignPositive -> bool, is_sign_negative IsSignNegative -> bool);

        /// Reads the value out (see `Handle::read`).
        #[track_caller]
        fn integer_decode(self) -> (u64, i16, i8) {
            Handle::read(&self);
            Handle::value_of(&self).integer_decode()
        }
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
    (@inspected $($name:ident $Test:ident -> $out:ty),*) => {$(
        #[track_caller]
        fn $name(self) -> $out {
            Handle::observe(&self, $crate::table::Test::$Test, None);
            Handle::value_of(&self).$name()
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
