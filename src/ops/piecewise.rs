//! Rounding, sign and the other piecewise functions of `f64`.
//!
//! They are flat or linear between their jumps; at a jump the derivative
//! does not exist, and the node records the one-sided value `0` (for the
//! flat ones) by convention. Their gradients are what is true almost
//! everywhere, never a silent NaN.

use num_traits::Float;

use super::local;
use crate::Var;

impl<'t, F: Float> Var<'t, F> {
    /// The largest integer `≤ x`: `d/dx = 0` (piecewise constant).
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(2.7);
    /// let y = x.floor();
    /// assert_eq!(y.value(), 2.0);
    /// assert_eq!(y.backward().wrt(&x), 0.0);
    /// ```
    #[track_caller]
    pub fn floor(self) -> Self {
        self.apply("floor", local::floor)
    }

    /// The smallest integer `≥ x`: `d/dx = 0` (piecewise constant).
    #[track_caller]
    pub fn ceil(self) -> Self {
        self.apply("ceil", local::ceil)
    }

    /// The nearest integer, half away from zero: `d/dx = 0`.
    #[track_caller]
    pub fn round(self) -> Self {
        self.apply("round", local::round)
    }

    /// The integer part, towards zero: `d/dx = 0`.
    #[track_caller]
    pub fn trunc(self) -> Self {
        self.apply("trunc", local::trunc)
    }

    /// The fractional part `x − trunc(x)`: `d/dx = 1`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(2.75);
    /// let y = x.fract();
    /// assert_eq!(y.value(), 0.75);
    /// assert_eq!(y.backward().wrt(&x), 1.0);
    /// ```
    #[track_caller]
    pub fn fract(self) -> Self {
        self.apply("fract", local::fract)
    }

    /// `1`, `−1` or NaN, as `f64::signum`: `d/dx = 0`.
    #[track_caller]
    pub fn signum(self) -> Self {
        self.apply("signum", local::signum)
    }

    /// `|x|` with the sign of `sign`: `∂/∂x = ±1` (`+1` where the signs
    /// agree), `∂/∂sign = 0`.
    #[track_caller]
    pub fn copysign(self, sign: impl Into<Self>) -> Self {
        self.apply2("copysign", sign.into(), local::copysign)
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

    /// Radians to degrees: `d/dx = 180/π`.
    #[track_caller]
    pub fn to_degrees(self) -> Self {
        self.apply("to_degrees", local::to_degrees)
    }

    /// Degrees to radians: `d/dx = π/180`.
    #[track_caller]
    pub fn to_radians(self) -> Self {
        self.apply("to_radians", local::to_radians)
    }
}
