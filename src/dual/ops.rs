//! `Dual`'s arithmetic, comparisons, `num_traits` impls and elementary
//! functions, each with the local derivative `Var`'s method of the same name
//! records.

use core::cmp::Ordering;
use core::fmt;
use core::iter::{Product, Sum};
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use num_traits::{Float, Num, NumCast, One, ToPrimitive, Zero};

use crate::float::float_methods;
use crate::ops::local;

use super::Dual;

impl<F: Float, const N: usize> Add for Dual<F, N> {
    type Output = Self;
    fn add(self, b: Self) -> Self {
        self.binary(b, self.value + b.value, F::one(), F::one())
    }
}

impl<F: Float, const N: usize> Sub for Dual<F, N> {
    type Output = Self;
    fn sub(self, b: Self) -> Self {
        self.binary(b, self.value - b.value, F::one(), -F::one())
    }
}

impl<F: Float, const N: usize> Mul for Dual<F, N> {
    type Output = Self;
    fn mul(self, b: Self) -> Self {
        self.binary(b, self.value * b.value, b.value, self.value)
    }
}

impl<F: Float, const N: usize> Div for Dual<F, N> {
    type Output = Self;
    fn div(self, b: Self) -> Self {
        self.apply2(b, local::div)
    }
}

impl<F: Float, const N: usize> Rem for Dual<F, N> {
    type Output = Self;
    fn rem(self, b: Self) -> Self {
        self.apply2(b, local::rem)
    }
}

impl<F: Float, const N: usize> Neg for Dual<F, N> {
    type Output = Self;
    fn neg(self) -> Self {
        Dual::new(-self.value, self.tangent.map(|t| -t))
    }
}

/// With a float on one side, only the other side's derivatives are
/// carried: the same partials as with a constant, without multiplying its
/// zero derivatives.
impl<F: Float, const N: usize> Dual<F, N> {
    fn add_float(self, f: F) -> Self {
        Dual::new(self.value + f, self.tangent)
    }

    fn float_add(f: F, b: Self) -> Self {
        Dual::new(f + b.value, b.tangent)
    }

    fn sub_float(self, f: F) -> Self {
        Dual::new(self.value - f, self.tangent)
    }

    fn float_sub(f: F, b: Self) -> Self {
        b.unary(f - b.value, -F::one())
    }

    fn mul_float(self, f: F) -> Self {
        self.unary(self.value * f, f)
    }

    fn float_mul(f: F, b: Self) -> Self {
        b.unary(f * b.value, f)
    }

    fn div_float(self, f: F) -> Self {
        self.unary(self.value / f, f.recip())
    }

    fn float_div(f: F, b: Self) -> Self {
        let q = f / b.value;
        b.unary(q, -q / b.value)
    }

    fn rem_float(self, f: F) -> Self {
        self.unary(self.value % f, F::one())
    }

    fn float_rem(f: F, b: Self) -> Self {
        b.unary(f % b.value, -(f / b.value).trunc())
    }
}

/// `Dual ∘ F`, `F ∘ Dual` for `f32` and `f64`, and the assigning forms.
macro_rules! with_floats {
    ($($Op:ident $op:ident $OpAssign:ident $op_assign:ident $right:ident $left:ident),*) => {$(
        impl<F: Float, const N: usize> $Op<F> for Dual<F, N> {
            type Output = Self;
            fn $op(self, b: F) -> Self {
                self.$right(b)
            }
        }

        impl<F: Float, const N: usize> $OpAssign for Dual<F, N> {
            fn $op_assign(&mut self, b: Self) {
                *self = $Op::$op(*self, b);
            }
        }

        impl<F: Float, const N: usize> $OpAssign<F> for Dual<F, N> {
            fn $op_assign(&mut self, b: F) {
                *self = self.$right(b);
            }
        }

        impl<const N: usize> $Op<Dual<f64, N>> for f64 {
            type Output = Dual<f64, N>;
            fn $op(self, b: Dual<f64, N>) -> Dual<f64, N> {
                Dual::$left(self, b)
            }
        }

        impl<const N: usize> $Op<Dual<f32, N>> for f32 {
            type Output = Dual<f32, N>;
            fn $op(self, b: Dual<f32, N>) -> Dual<f32, N> {
                Dual::$left(self, b)
            }
        }
    )*};
}

with_floats!(
    Add add AddAssign add_assign add_float float_add,
    Sub sub SubAssign sub_assign sub_float float_sub,
    Mul mul MulAssign mul_assign mul_float float_mul,
    Div div DivAssign div_assign div_float float_div,
    Rem rem RemAssign rem_assign rem_float float_rem
);

impl<F: Float, const N: usize> Sum for Dual<F, N> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Dual::constant(F::neg_zero()), Add::add)
    }
}

impl<F: Float, const N: usize> Product for Dual<F, N> {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Dual::constant(F::one()), Mul::mul)
    }
}

/// Compares values, as `f64`'s `==` does.
impl<F: Float, const N: usize> PartialEq for Dual<F, N> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// Compares values, as `f64`'s `<` does.
impl<F: Float, const N: usize> PartialOrd for Dual<F, N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<F: Float, const N: usize> Zero for Dual<F, N> {
    fn zero() -> Self {
        Dual::constant(F::zero())
    }

    fn is_zero(&self) -> bool {
        self.value.is_zero()
    }
}

impl<F: Float, const N: usize> One for Dual<F, N> {
    fn one() -> Self {
        Dual::constant(F::one())
    }
}

impl<F: Float, const N: usize> Num for Dual<F, N> {
    type FromStrRadixErr = F::FromStrRadixErr;

    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        F::from_str_radix(s, radix).map(Dual::constant)
    }
}

impl<F: Float, const N: usize> ToPrimitive for Dual<F, N> {
    fn to_i64(&self) -> Option<i64> {
        self.value.to_i64()
    }

    fn to_u64(&self) -> Option<u64> {
        self.value.to_u64()
    }

    fn to_f64(&self) -> Option<f64> {
        self.value.to_f64()
    }

    fn to_f32(&self) -> Option<f32> {
        self.value.to_f32()
    }
}

impl<F: Float, const N: usize> NumCast for Dual<F, N> {
    /// A constant, converted as `F::from` converts.
    fn from<T: ToPrimitive>(n: T) -> Option<Self> {
        <F as NumCast>::from(n).map(Dual::constant)
    }
}

/// Methods of one argument, each with the value and derivative of
/// [`ops::local`](crate::ops::local), as the `Var` method of the same name.
macro_rules! unary {
    ($($name:ident)*) => {$(
        #[doc = concat!("`", stringify!($name), "`, with the derivative of [`Var::",
            stringify!($name), "`](crate::Var::", stringify!($name), ").")]
        pub fn $name(self) -> Self {
            self.apply(local::$name)
        }
    )*};
}

impl<F: Float, const N: usize> Dual<F, N> {
    unary! {
        floor ceil round trunc fract signum abs recip sqrt cbrt exp exp2 exp_m1 ln ln_1p log2
        log10 sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh to_degrees
        to_radians
    }

    /// `xⁿ`: `d/dx = n·xⁿ⁻¹`.
    pub fn powi(self, n: i32) -> Self {
        self.apply(|x| local::powi(x, n))
    }

    /// `xʸ`: `∂/∂x = y·xʸ⁻¹`, `∂/∂y = xʸ·ln x` (`0` where `xʸ = 0`).
    pub fn powf(self, exponent: impl Into<Self>) -> Self {
        self.apply2(exponent.into(), local::powf)
    }

    /// `log_b x = ln x / ln b`.
    pub fn log(self, base: impl Into<Self>) -> Self {
        self.apply2(base.into(), local::log)
    }

    /// `x·a + b` with one rounding: `∂/∂x = a`, `∂/∂a = x`, `∂/∂b = 1`.
    pub fn mul_add(self, a: impl Into<Self>, b: impl Into<Self>) -> Self {
        let (a, b) = (a.into(), b.into());
        let value = self.value.mul_add(a.value, b.value);
        let mut out = self.binary(a, value, a.value, self.value);
        for (t, &u) in out.tangent.iter_mut().zip(&b.tangent) {
            *t = *t + u;
        }
        out
    }

    /// The larger: its derivative goes to the larger argument, half to
    /// each on a tie.
    pub fn max(self, other: impl Into<Self>) -> Self {
        self.apply2(other.into(), local::max)
    }

    /// The smaller: its derivative goes to the smaller argument, half to
    /// each on a tie.
    pub fn min(self, other: impl Into<Self>) -> Self {
        self.apply2(other.into(), local::min)
    }

    /// `√(x² + y²)`: `∂/∂x = x/r`, `∂/∂y = y/r` (`0` at the origin).
    pub fn hypot(self, other: impl Into<Self>) -> Self {
        self.apply2(other.into(), local::hypot)
    }

    /// The angle of `(x, y) = (other, self)`: `∂/∂y = x/r²`, `∂/∂x = −y/r²`.
    pub fn atan2(self, other: impl Into<Self>) -> Self {
        self.apply2(other.into(), local::atan2)
    }

    /// `|x|` with the sign of `sign`: `∂/∂x = ±1`, `∂/∂sign = 0`.
    pub fn copysign(self, sign: impl Into<Self>) -> Self {
        let (value, [d, _]) = local::copysign(self.value, sign.into().value);
        self.unary(value, d)
    }

    /// `x` limited to `[min, max]`: the derivative of whichever is returned.
    ///
    /// # Panics
    ///
    /// Unless `min <= max`, neither NaN.
    pub fn clamp(self, min: impl Into<Self>, max: impl Into<Self>) -> Self {
        let (min, max) = (min.into(), max.into());
        assert!(
            min.value <= max.value,
            "tapegrad: clamp needs min <= max, neither NaN"
        );
        if self.value < min.value {
            min
        } else if self.value > max.value {
            max
        } else {
            self
        }
    }

    /// `(sin x, cos x)`.
    pub fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
}

impl<F: Float, const N: usize> From<F> for Dual<F, N> {
    /// A [constant](Dual::constant).
    fn from(value: F) -> Self {
        Dual::constant(value)
    }
}

/// Every method is the inherent method of the same name, whose derivative
/// is that of the [`Var`](crate::Var) method of the same name.
impl<F: Float, const N: usize> Float for Dual<F, N> {
    float_methods!();
}

impl<F: fmt::Debug, const N: usize> fmt::Debug for Dual<F, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dual")
            .field("value", &self.value)
            .field("tangent", &self.tangent)
            .finish()
    }
}

/// Formats the value, as the float would be.
impl<F: fmt::Display, const N: usize> fmt::Display for Dual<F, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}
