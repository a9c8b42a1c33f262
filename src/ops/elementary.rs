//! `Var`'s methods: the op table's, generated with their doc examples, and
//! those of three arguments or two results (`mul_add`, `clamp`, `sin_cos`).
//! They are named as `f64` and `num_traits::Float` name them.
//!
//! Binary methods (`powf`, `max`, `min`, `atan2`, `hypot`, `log`, `copysign`,
//! `mul_add`) take a variable or a float: `x.powf(y)`, `x.powf(2.5)`.

use num_traits::Float;

use super::surface::{self, methods};
use crate::Var;
use crate::table::{Unary, op_table};

op_table!(methods! {[impl<'t, F: Float> Var<'t, F>] var});

impl<'t, F: Float> Var<'t, F> {
    /// `xⁿ` for an integer `n`: `d/dx = n · xⁿ⁻¹` (and `0` for `n = 0`).
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(2.0);
    /// assert_eq!(x.powi(3).backward().wrt(&x), 12.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn powi(self, n: i32) -> Self {
        surface::apply(Unary::Powi(n), self)
    }

    /// `self · a + b`: `∂/∂self = a`, `∂/∂a = self`, `∂/∂b = 1`. One node.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let (x, a) = (tape.var(2.0), tape.var(3.0));
    /// let y = x.mul_add(a, 1.0);
    /// assert_eq!(y.value(), 7.0);
    /// assert_eq!(y.backward().wrt(&a), 2.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn mul_add(self, a: impl Into<Self>, b: impl Into<Self>) -> Self {
        let (a, b) = (a.into(), b.into());
        let x = self.value();
        let value = x.mul_add(a.value(), b.value());
        Self::combine("mul_add", [self, a, b], value, [a.value(), x, F::one()])
    }

    /// `x` limited to `[min, max]`: the gradient goes to `x` inside the
    /// interval and to the bound that applies outside it (at a bound, to
    /// `x`).
    ///
    /// # Panics
    ///
    /// If `min > max` or either is NaN, as `f64::clamp`; or if two variables
    /// are on different tapes.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(3.0);
    /// assert_eq!(x.clamp(0.0, 1.0).value(), 1.0);
    /// assert_eq!(x.clamp(0.0, 1.0).backward().wrt(&x), 0.0);
    /// assert_eq!(x.clamp(0.0, 5.0).backward().wrt(&x), 1.0);
    /// ```
    #[track_caller]
    pub fn clamp(self, min: impl Into<Self>, max: impl Into<Self>) -> Self {
        let (min, max) = (min.into(), max.into());
        let (lo, hi) = (min.value(), max.value());
        assert!(lo <= hi, "tapegrad: clamp needs min <= max, neither NaN");
        let x = self.value();
        let (one, zero) = (F::one(), F::zero());
        let (value, partials) = if x < lo {
            (lo, [zero, one, zero])
        } else if x > hi {
            (hi, [zero, zero, one])
        } else {
            (x, [one, zero, zero])
        };
        Self::combine("clamp", [self, min, max], value, partials)
    }

    /// `(sin x, cos x)`, as two nodes.
    #[track_caller]
    pub fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
}
