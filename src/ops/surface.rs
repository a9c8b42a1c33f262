//! The methods and operators of a handle, generated from the op table: one
//! list of ops, the same surface on [`Var`](crate::Var) and
//! [`Dual`](crate::forward::Dual) (and on any later handle that implements
//! [`Handle`]).

use num_traits::Float;

use crate::table::Test;
use crate::table::{Binary, Unary};

/// A handle whose ops come from the table: it gets an op's value and
/// partials, and records them ([`Var`](crate::Var)) or carries them forward
/// ([`Dual`](crate::forward::Dual)).
pub(crate) trait Handle: Copy {
    /// The float type of the handle's values.
    type Float: Float;

    /// The handle's value.
    fn value_of(&self) -> Self::Float;

    /// `op`'s result at `self`, of value `value` and derivative `d`.
    ///
    /// Both take the handles by reference: a by-value copy of a `Var` was
    /// read eight bytes at a time, and a node index just written four bytes
    /// wide then stalls the load (see BENCHMARKS.md).
    fn unary_op(&self, op: Unary, value: Self::Float, d: Self::Float) -> Self;

    /// `op`'s result at `(self, other)`, of value `value` and `partials`.
    fn binary_op(
        &self,
        op: Binary,
        other: &Self,
        value: Self::Float,
        partials: [Self::Float; 2],
    ) -> Self;

    /// `op(self)`: the table's value and derivative, recorded (or carried)
    /// by [`unary_op`](Handle::unary_op). A handle whose recording must also
    /// keep how to compute the node again (`Active` on a function's
    /// recording) says so here.
    #[inline(always)]
    #[track_caller]
    fn apply_unary(&self, op: Unary) -> Self {
        let (value, d) = op.eval(self.value_of());
        self.unary_op(op, value, d)
    }

    /// `op(self, other)`, as [`apply_unary`](Handle::apply_unary).
    #[inline(always)]
    #[track_caller]
    fn apply_binary(&self, op: Binary, other: &Self) -> Self {
        let (value, partials) = op.eval(self.value_of(), other.value_of());
        self.binary_op(op, other, value, partials)
    }

    /// Code is about to branch on `test` of `self` (and `other`): a
    /// recording that is evaluated again keeps it as a guard.
    #[inline(always)]
    #[track_caller]
    fn observe(&self, _test: Test, _other: Option<&Self>) {}

    /// Code read the value out: a recording that is evaluated again can no
    /// longer be.
    #[inline(always)]
    #[track_caller]
    fn read(&self) {}
}

/// `x` limited to `[min, max]`, for a handle that carries derivatives
/// rather than recording a node: whichever of the three is returned, with
/// its own derivatives.
///
/// # Panics
///
/// If `min > max` or either is NaN, as `f64::clamp`.
#[track_caller]
pub(crate) fn clamp<H: Handle>(x: H, min: H, max: H) -> H {
    let (value, lo, hi) = (x.value_of(), min.value_of(), max.value_of());
    assert!(lo <= hi, "tapegrad: clamp needs min <= max, neither NaN");
    if value < lo {
        min
    } else if value > hi {
        max
    } else {
        x
    }
}

/// `op(x)`, from the table.
#[inline(always)]
#[track_caller]
pub(crate) fn apply<H: Handle>(op: Unary, x: H) -> H {
    x.apply_unary(op)
}

/// `op(a, b)`, from the table.
#[inline(always)]
#[track_caller]
pub(crate) fn apply2<H: Handle>(op: Binary, a: H, b: H) -> H {
    a.apply_binary(op, &b)
}

/// The table's `unary` and `binary` entries as methods of a handle:
/// `op_table!(methods! {[impl<…> Handle<…>] style})`, where `style` (`var` or
/// `dual`) picks the handle's doc examples.
macro_rules! methods {
    ({[$($head:tt)*] $style:ident}
     unary { $($(#[$ud:meta])* $U:ident $un:ident($x:ident) at $uat:literal, d $d:expr
        => $ubody:expr;)* }
     binary { $($(#[$bd:meta])* $B:ident $bn:ident($a:ident, $b:ident)
        at ($bx:literal, $by:literal), d ($da:expr, $db:expr) => $bbody:expr;)* }
     operators { $($operators:tt)* }
    ) => {
        $($head)* {$(
            $(#[$ud])*
            #[doc = $crate::table::docs::note!($style $un)]
            ///
            /// ```
            #[doc = $crate::table::docs::example!($style $un $uat; $d)]
            /// ```
            #[inline(always)]
            #[track_caller]
            pub fn $un(self) -> Self {
                $crate::ops::surface::apply($crate::table::Unary::$U, self)
            }
        )* $(
            $(#[$bd])*
            ///
            /// ```
            #[doc = $crate::table::docs::example!($style $bn ($bx, $by); ($da, $db))]
            /// ```
            ///
            /// # Panics
            ///
            /// If two variables are on different tapes.
            #[inline(always)]
            #[track_caller]
            pub fn $bn(self, $b: impl Into<Self>) -> Self {
                $crate::ops::surface::apply2($crate::table::Binary::$B, self, $b.into())
            }
        )*}
    };
}

/// `- + - * / %` for a handle, in every form: `−x`, `x ∘ y`, `x ∘ c`,
/// `c ∘ x` (for `f32` and `f64`), on references, and `x ∘= y`, `x ∘= c`.
/// `operators!([generics] Handle<…, F>; [generics] Handle<…, f64>, Handle<…, f32>)`.
macro_rules! operators {
    ([$($g:tt)*] $T:ty; [$($h:tt)*] $T64:ty, $T32:ty) => {
        impl<$($g)*> core::ops::Neg for $T {
            type Output = Self;
            /// `−a`: `d/da = −1`.
            #[inline(always)]
            #[track_caller]
            fn neg(self) -> Self {
                $crate::ops::surface::apply($crate::table::Unary::Neg, self)
            }
        }
        impl<$($g)*> core::ops::Neg for &$T {
            type Output = $T;
            /// `−a`: `d/da = −1`.
            #[inline(always)]
            #[track_caller]
            fn neg(self) -> $T {
                -*self
            }
        }
        $crate::ops::surface::operators!(@op [$($g)*] $T; [$($h)*] $T64, $T32;
            Add add AddAssign add_assign);
        $crate::ops::surface::operators!(@op [$($g)*] $T; [$($h)*] $T64, $T32;
            Sub sub SubAssign sub_assign);
        $crate::ops::surface::operators!(@op [$($g)*] $T; [$($h)*] $T64, $T32;
            Mul mul MulAssign mul_assign);
        $crate::ops::surface::operators!(@op [$($g)*] $T; [$($h)*] $T64, $T32;
            Div div DivAssign div_assign);
        $crate::ops::surface::operators!(@op [$($g)*] $T; [$($h)*] $T64, $T32;
            Rem rem RemAssign rem_assign);
    };
    (@op [$($g:tt)*] $T:ty; [$($h:tt)*] $T64:ty, $T32:ty;
     $Op:ident $op:ident $OpAssign:ident $op_assign:ident) => {
        impl<$($g)*> core::ops::$Op for $T {
            type Output = Self;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: Self) -> Self {
                $crate::ops::surface::apply2($crate::table::Binary::$Op, self, b)
            }
        }
        $crate::ops::surface::operators!(@forms [$($g)*] $T, F;
            $Op $op $OpAssign $op_assign);
        $crate::ops::surface::operators!(@forms [$($h)*] $T64, f64;
            $Op $op $OpAssign $op_assign);
        $crate::ops::surface::operators!(@forms [$($h)*] $T32, f32;
            $Op $op $OpAssign $op_assign);
    };
    // The forms that reduce to `T ∘ T`, with `T`'s own float type `F`.
    (@forms [$($g:tt)*] $T:ty, F; $Op:ident $op:ident $OpAssign:ident $op_assign:ident) => {
        impl<$($g)*> core::ops::$Op<F> for $T {
            type Output = Self;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: F) -> Self {
                core::ops::$Op::$op(self, <$T as From<F>>::from(b))
            }
        }
        impl<$($g)*> core::ops::$Op<&$T> for $T {
            type Output = Self;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: &Self) -> Self {
                core::ops::$Op::$op(self, *b)
            }
        }
        impl<$($g)*> core::ops::$Op<$T> for &$T {
            type Output = $T;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: $T) -> $T {
                core::ops::$Op::$op(*self, b)
            }
        }
        impl<$($g)*> core::ops::$Op<&$T> for &$T {
            type Output = $T;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: &$T) -> $T {
                core::ops::$Op::$op(*self, *b)
            }
        }
        impl<$($g)*> core::ops::$Op<F> for &$T {
            type Output = $T;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: F) -> $T {
                core::ops::$Op::$op(*self, b)
            }
        }
        impl<$($g)*> core::ops::$OpAssign for $T {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, b: Self) {
                *self = core::ops::$Op::$op(*self, b);
            }
        }
        impl<$($g)*> core::ops::$OpAssign<&$T> for $T {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, b: &Self) {
                *self = core::ops::$Op::$op(*self, *b);
            }
        }
        impl<$($g)*> core::ops::$OpAssign<F> for $T {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, b: F) {
                *self = core::ops::$Op::$op(*self, b);
            }
        }
    };
    // A float of a concrete type on the left.
    (@forms [$($h:tt)*] $T:ty, $f:ident; $Op:ident $op:ident $OpAssign:ident $op_assign:ident) => {
        impl<$($h)*> core::ops::$Op<$T> for $f {
            type Output = $T;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: $T) -> $T {
                core::ops::$Op::$op(<$T as From<$f>>::from(self), b)
            }
        }
        impl<$($h)*> core::ops::$Op<&$T> for $f {
            type Output = $T;
            #[inline(always)]
            #[track_caller]
            fn $op(self, b: &$T) -> $T {
                core::ops::$Op::$op(self, *b)
            }
        }
    };
}

pub(crate) use {methods, operators};
