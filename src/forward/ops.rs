//! `Dual`'s operators and methods, generated from the op table as `Var`'s
//! are; its comparisons, `num_traits` impls, and the methods of three
//! arguments or two results.

use core::fmt;
use core::iter::{Product, Sum};
use core::ops::{Add, Mul};

use num_traits::Float;

use crate::float::{float_methods, number_traits};
use crate::ops::surface::{self, Handle, methods, operators};
use crate::table::{Binary, Unary, op_table};

use super::Dual;

/// `Dual` carries forward what the op table gives.
impl<F: Float, const N: usize> Handle for Dual<F, N> {
    type Float = F;

    #[inline(always)]
    fn value_of(&self) -> F {
        self.value
    }

    #[inline(always)]
    fn unary_op(&self, _: Unary, value: F, d: F) -> Self {
        self.unary(value, d)
    }

    #[inline(always)]
    fn binary_op(&self, _: Binary, other: &Self, value: F, [da, db]: [F; 2]) -> Self {
        self.binary(*other, value, da, db)
    }
}

operators!([F: Float, const N: usize] Dual<F, N>; [const N: usize] Dual<f64, N>, Dual<f32, N>);

op_table!(methods! {[impl<F: Float, const N: usize> Dual<F, N>] dual});

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

number_traits!([F: Float, const N: usize] Dual<F, N>, F; [const N: usize] Dual<f64, N>, Dual<f32, N>);

impl<F: Float, const N: usize> Dual<F, N> {
    /// `xⁿ`: `d/dx = n·xⁿ⁻¹`.
    pub fn powi(self, n: i32) -> Self {
        surface::apply(Unary::Powi(n), self)
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

    /// `x` limited to `[min, max]`: the derivative of whichever is returned.
    ///
    /// # Panics
    ///
    /// Unless `min <= max`, neither NaN.
    #[track_caller]
    pub fn clamp(self, min: impl Into<Self>, max: impl Into<Self>) -> Self {
        surface::clamp(self, min.into(), max.into())
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
