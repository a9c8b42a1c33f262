//! `NoInline<T>`: the same scalar with every operation behind a call that is
//! never inlined, as generic code calls a library's ops in a larger program
//! where the optimizer does not inline them all. Each implementation's "out
//! of line" row runs its own generic code on this wrapper.

use std::cmp::Ordering;
use std::num::FpCategory;
use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

use num_traits::{Float, Num, NumCast, One, ToPrimitive, Zero};

/// A scalar whose every operation is an out-of-line call.
#[derive(Clone, Copy, Debug)]
pub struct NoInline<T>(pub T);

/// Wraps each variable of a slice.
pub fn wrap<T: Copy>(x: &[T]) -> Vec<NoInline<T>> {
    x.iter().map(|&v| NoInline(v)).collect()
}

/// `impl Op<Rhs> for NoInline<T>` delegating to `T`'s op in a call never inlined.
macro_rules! binary {
    ($($op:ident $method:ident),*) => {$(
        impl<T: $op<Output = T>> $op for NoInline<T> {
            type Output = Self;
            #[inline(never)]
            fn $method(self, rhs: Self) -> Self {
                NoInline(self.0.$method(rhs.0))
            }
        }
        impl<T: $op<f64, Output = T>> $op<f64> for NoInline<T> {
            type Output = Self;
            #[inline(never)]
            fn $method(self, rhs: f64) -> Self {
                NoInline(self.0.$method(rhs))
            }
        }
    )*};
}
binary!(Add add, Sub sub, Mul mul, Div div);

impl<T: Neg<Output = T>> Neg for NoInline<T> {
    type Output = Self;
    #[inline(never)]
    fn neg(self) -> Self {
        NoInline(-self.0)
    }
}

impl<T: Rem<Output = T>> Rem for NoInline<T> {
    type Output = Self;
    #[inline(never)]
    fn rem(self, rhs: Self) -> Self {
        NoInline(self.0 % rhs.0)
    }
}

impl<T: PartialEq> PartialEq for NoInline<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<T: PartialOrd> PartialOrd for NoInline<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.0.partial_cmp(&other.0)
    }
}

impl<T: Zero> Zero for NoInline<T> {
    fn zero() -> Self {
        NoInline(T::zero())
    }
    fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl<T: One> One for NoInline<T> {
    fn one() -> Self {
        NoInline(T::one())
    }
}

impl<T: Num> Num for NoInline<T> {
    type FromStrRadixErr = T::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        T::from_str_radix(s, radix).map(NoInline)
    }
}

impl<T: ToPrimitive> ToPrimitive for NoInline<T> {
    fn to_i64(&self) -> Option<i64> {
        self.0.to_i64()
    }
    fn to_u64(&self) -> Option<u64> {
        self.0.to_u64()
    }
    fn to_f64(&self) -> Option<f64> {
        self.0.to_f64()
    }
}

impl<T: NumCast> NumCast for NoInline<T> {
    fn from<N: ToPrimitive>(n: N) -> Option<Self> {
        T::from(n).map(NoInline)
    }
}

/// Float's methods, delegated: constants, `self → Self`, `(self, Self) → Self`,
/// and `self → bool`.
macro_rules! float {
    (consts: $($c:ident),*; unary: $($u:ident),*; binary: $($b:ident),*; tests: $($t:ident),*) => {
        $(fn $c() -> Self { NoInline(T::$c()) })*
        $(#[inline(never)] fn $u(self) -> Self { NoInline(self.0.$u()) })*
        $(#[inline(never)] fn $b(self, o: Self) -> Self { NoInline(self.0.$b(o.0)) })*
        $(fn $t(self) -> bool { self.0.$t() })*
    };
}

impl<T: Float> Float for NoInline<T> {
    float!(
        consts: nan, infinity, neg_infinity, neg_zero, min_value, min_positive_value, epsilon,
            max_value;
        unary: floor, ceil, round, trunc, fract, abs, signum, recip, sqrt, exp, exp2, ln, log2,
            log10, cbrt, sin, cos, tan, asin, acos, atan, exp_m1, ln_1p, sinh, cosh, tanh, asinh,
            acosh, atanh;
        binary: powf, log, max, min, abs_sub, hypot, atan2, copysign;
        tests: is_nan, is_infinite, is_finite, is_normal, is_sign_positive, is_sign_negative
    );

    fn classify(self) -> FpCategory {
        self.0.classify()
    }
    #[inline(never)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        NoInline(self.0.mul_add(a.0, b.0))
    }
    #[inline(never)]
    fn powi(self, n: i32) -> Self {
        NoInline(self.0.powi(n))
    }
    #[inline(never)]
    fn sin_cos(self) -> (Self, Self) {
        let (s, c) = self.0.sin_cos();
        (NoInline(s), NoInline(c))
    }
    fn integer_decode(self) -> (u64, i16, i8) {
        self.0.integer_decode()
    }
}
