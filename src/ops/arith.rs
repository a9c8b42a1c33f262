//! `+ - * /`, `%`, unary `-`, their assigning and by-reference forms, for
//! `Var ∘ Var`, `Var ∘ F` and `F ∘ Var` (`f32`, `f64`): generated from the op
//! table. An operand that is a float is a constant: the node records an edge
//! to the variable only.
//!
//! `1 − s` where `s = z.sigmoid()` is recorded as `σ(−z)`, exactly, and so
//! that its [`ln`](Var::ln) stays finite.
//!
//! # Panics
//!
//! Every binary operator panics if its two variables are on different tapes:
//! the result would mix two unrelated recordings.

use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Rem, RemAssign, Sub, SubAssign};

use super::surface::operators;
use crate::Var;

operators!(['t, F: num_traits::Float] Var<'t, F>; ['t] Var<'t, f64>, Var<'t, f32>);

/// A float on either side of a variable of a nested tape, whose values are
/// variables themselves: `x * x + 1.0` inside `hessian`.
macro_rules! nested {
    ($($Op:ident $op:ident $OpAssign:ident $op_assign:ident),*) => {$(
        nested!(@float $Op $op $OpAssign $op_assign f32 f64);
    )*};
    (@float $Op:ident $op:ident $OpAssign:ident $op_assign:ident $($f:ident)*) => {$(
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
}

nested!(
    Add add AddAssign add_assign,
    Sub sub SubAssign sub_assign,
    Mul mul MulAssign mul_assign,
    Div div DivAssign div_assign,
    Rem rem RemAssign rem_assign
);

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
