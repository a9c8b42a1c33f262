//! `+ - * /`, unary `-`, and their assigning and by-reference forms.
//!
//! Each operator exists for `Var ∘ Var`, `Var ∘ F`, `F ∘ Var` (for `f32` and
//! `f64`) and on references. An operand that is a float is a constant: the
//! node records an edge to the variable only.
//!
//! # Panics
//!
//! Every binary operator panics if its two variables are on different tapes:
//! the result would mix two unrelated recordings.

use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use num_traits::Float;

use super::local;
use crate::Var;

impl<'t, F: Float> Add for Var<'t, F> {
    type Output = Self;

    /// `a + b`: `∂/∂a = 1`, `∂/∂b = 1`.
    #[inline(always)]
    #[track_caller]
    fn add(self, b: Self) -> Self {
        self.binary("add", b, self.value() + b.value(), F::one(), F::one())
    }
}

impl<'t, F: Float> Sub for Var<'t, F> {
    type Output = Self;

    /// `a − b`: `∂/∂a = 1`, `∂/∂b = −1`.
    ///
    /// `1 − s` where `s = z.sigmoid()` is recorded as `σ(−z)`, exactly, and
    /// remembered so that its [`ln`](Var::ln) stays finite.
    #[inline(always)]
    #[track_caller]
    fn sub(self, b: Self) -> Self {
        if self.is_constant() && self.value() == F::one() {
            if let Some(complement) = b.sigmoid_complement() {
                return complement;
            }
        }
        self.binary("sub", b, self.value() - b.value(), F::one(), -F::one())
    }
}

impl<'t, F: Float> Mul for Var<'t, F> {
    type Output = Self;

    /// `a · b`: `∂/∂a = b`, `∂/∂b = a`.
    #[inline(always)]
    #[track_caller]
    fn mul(self, b: Self) -> Self {
        self.binary("mul", b, self.value() * b.value(), b.value(), self.value())
    }
}

impl<'t, F: Float> Div for Var<'t, F> {
    type Output = Self;

    /// `a / b`: `∂/∂a = 1/b`, `∂/∂b = −a/b²`.
    #[inline(always)]
    #[track_caller]
    fn div(self, b: Self) -> Self {
        self.apply2("div", b, local::div)
    }
}

impl<'t, F: Float> Rem for Var<'t, F> {
    type Output = Self;

    /// The remainder `a % b = a − b·trunc(a/b)`, as `f64`'s `%`:
    /// `∂/∂a = 1`, `∂/∂b = −trunc(a/b)`.
    #[inline(always)]
    #[track_caller]
    fn rem(self, b: Self) -> Self {
        self.apply2("rem", b, local::rem)
    }
}

impl<'t, F: Float> Neg for Var<'t, F> {
    type Output = Self;

    /// `−a`: `d/da = −1`.
    #[inline(always)]
    #[track_caller]
    fn neg(self) -> Self {
        self.unary("neg", -self.value(), -F::one())
    }
}

impl<'t, F: Float> Neg for &Var<'t, F> {
    type Output = Var<'t, F>;

    /// `−a`: `d/da = −1`.
    #[inline(always)]
    #[track_caller]
    fn neg(self) -> Var<'t, F> {
        -*self
    }
}

/// The forms of `Var ∘ Var` that take a reference or a float, and `∘=`.
macro_rules! forward {
    ($Op:ident $op:ident $OpAssign:ident $op_assign:ident) => {
        impl<'t, F: Float> $Op<F> for Var<'t, F> {
            type Output = Self;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: F) -> Self {
                $Op::$op(self, Var::constant(b))
            }
        }
        impl<'t, F: Float> $Op<&Var<'t, F>> for Var<'t, F> {
            type Output = Self;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: &Self) -> Self {
                $Op::$op(self, *b)
            }
        }
        impl<'t, F: Float> $Op<Var<'t, F>> for &Var<'t, F> {
            type Output = Var<'t, F>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: Var<'t, F>) -> Var<'t, F> {
                $Op::$op(*self, b)
            }
        }
        impl<'t, F: Float> $Op<&Var<'t, F>> for &Var<'t, F> {
            type Output = Var<'t, F>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: &Var<'t, F>) -> Var<'t, F> {
                $Op::$op(*self, *b)
            }
        }
        impl<'t, F: Float> $Op<F> for &Var<'t, F> {
            type Output = Var<'t, F>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: F) -> Var<'t, F> {
                $Op::$op(*self, Var::constant(b))
            }
        }
        impl<'t, F: Float> $OpAssign for Var<'t, F> {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, b: Self) {
                *self = $Op::$op(*self, b);
            }
        }
        impl<'t, F: Float> $OpAssign<&Var<'t, F>> for Var<'t, F> {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, b: &Self) {
                *self = $Op::$op(*self, *b);
            }
        }
        impl<'t, F: Float> $OpAssign<F> for Var<'t, F> {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, b: F) {
                *self = $Op::$op(*self, Var::constant(b));
            }
        }
        forward!(@float $Op $op f32 f64);
        forward!(@nested $Op $op $OpAssign $op_assign f32 f64);
    };
    // A float on either side of a variable of a nested tape, whose values
    // are variables themselves: `x * x + 1.0` inside `hessian`.
    (@nested $Op:ident $op:ident $OpAssign:ident $op_assign:ident $($f:ident)*) => {$(
        impl<'i, 'o> $Op<$f> for Var<'i, Var<'o, $f>> {
            type Output = Self;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: $f) -> Self {
                $Op::$op(self, Var::constant(Var::constant(b)))
            }
        }
        impl<'i, 'o> $Op<Var<'i, Var<'o, $f>>> for $f {
            type Output = Var<'i, Var<'o, $f>>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: Var<'i, Var<'o, $f>>) -> Var<'i, Var<'o, $f>> {
                $Op::$op(Var::constant(Var::constant(self)), b)
            }
        }
        impl<'i, 'o> $OpAssign<$f> for Var<'i, Var<'o, $f>> {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, b: $f) {
                *self = $Op::$op(*self, b);
            }
        }
    )*};
    (@float $Op:ident $op:ident $($f:ident)*) => {$(
        impl<'t> $Op<Var<'t, $f>> for $f {
            type Output = Var<'t, $f>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: Var<'t, $f>) -> Var<'t, $f> {
                $Op::$op(Var::constant(self), b)
            }
        }
        impl<'t> $Op<&Var<'t, $f>> for $f {
            type Output = Var<'t, $f>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: &Var<'t, $f>) -> Var<'t, $f> {
                $Op::$op(Var::constant(self), *b)
            }
        }
    )*};
}

forward!(Add add AddAssign add_assign);
forward!(Sub sub SubAssign sub_assign);
forward!(Mul mul MulAssign mul_assign);
forward!(Div div DivAssign div_assign);
forward!(Rem rem RemAssign rem_assign);

/// A float as a constant of a nested tape, for the binary methods:
/// `x.powf(2.5)` inside `hessian`.
macro_rules! nested_from {
    ($($f:ident)*) => {$(
        impl<'i, 'o> From<$f> for Var<'i, Var<'o, $f>> {
            fn from(value: $f) -> Self {
                Var::constant(Var::constant(value))
            }
        }
    )*};
}

nested_from!(f32 f64);

impl<'t, F: Float> Var<'t, F> {
    /// `1/x`: `d/dx = −1/x²`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(4.0);
    /// let y = x.recip();
    /// assert_eq!(y.value(), 0.25);
    /// assert_eq!(y.backward().wrt(&x), -1.0 / 16.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn recip(self) -> Self {
        self.apply("recip", local::recip)
    }
}
