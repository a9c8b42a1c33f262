//! The trigonometric and hyperbolic functions and their inverses, `atan2`
//! and `hypot`, named as `f64` names them. Each doc comment states the
//! derivative the node records.

use num_traits::Float;

use super::local;
use crate::Var;

impl<'t, F: Float> Var<'t, F> {
    /// `sin x`: `d/dx = cos x`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.5);
    /// assert_eq!(x.sin().backward().wrt(&x), 0.5_f64.cos());
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn sin(self) -> Self {
        self.apply("sin", local::sin)
    }

    /// `cos x`: `d/dx = −sin x`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.5);
    /// let y = x.cos();
    /// assert_eq!(y.value(), 0.5_f64.cos());
    /// assert_eq!(y.backward().wrt(&x), -0.5_f64.sin());
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn cos(self) -> Self {
        self.apply("cos", local::cos)
    }

    /// `tan x`: `d/dx = 1 + tan² x`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.0);
    /// let y = x.tan();
    /// assert_eq!(y.value(), 0.0);
    /// assert_eq!(y.backward().wrt(&x), 1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn tan(self) -> Self {
        self.apply("tan", local::tan)
    }

    /// `asin x`: `d/dx = 1/√(1 − x²)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.0);
    /// let y = x.asin();
    /// assert_eq!(y.value(), 0.0);
    /// assert_eq!(y.backward().wrt(&x), 1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn asin(self) -> Self {
        self.apply("asin", local::asin)
    }

    /// `acos x`: `d/dx = −1/√(1 − x²)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.0);
    /// let y = x.acos();
    /// assert_eq!(y.value(), std::f64::consts::FRAC_PI_2);
    /// assert_eq!(y.backward().wrt(&x), -1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn acos(self) -> Self {
        self.apply("acos", local::acos)
    }

    /// `atan x`: `d/dx = 1/(1 + x²)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(1.0);
    /// let y = x.atan();
    /// assert_eq!(y.value(), std::f64::consts::FRAC_PI_4);
    /// assert_eq!(y.backward().wrt(&x), 0.5);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn atan(self) -> Self {
        self.apply("atan", local::atan)
    }

    /// `atan2(y, x)`, the angle of the point `(x, y)`, with `self` as `y`:
    /// `∂/∂y = x/(x² + y²)`, `∂/∂x = −y/(x² + y²)`; both `0` at the origin,
    /// where the angle has no derivative.
    ///
    /// ```
    /// use approx::assert_relative_eq;
    ///
    /// let tape = tapegrad::Tape::new();
    /// let (y, x) = (tape.var(1.0), tape.var(1.0));
    /// let grads = y.atan2(x).backward();
    /// assert_relative_eq!(grads.wrt(&y), 0.5);
    /// assert_relative_eq!(grads.wrt(&x), -0.5);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn atan2(self, other: impl Into<Self>) -> Self {
        self.apply2("atan2", other.into(), local::atan2)
    }

    /// `sinh x`: `d/dx = cosh x`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.0);
    /// let y = x.sinh();
    /// assert_eq!(y.value(), 0.0);
    /// assert_eq!(y.backward().wrt(&x), 1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn sinh(self) -> Self {
        self.apply("sinh", local::sinh)
    }

    /// `cosh x`: `d/dx = sinh x`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.0);
    /// let y = x.cosh();
    /// assert_eq!(y.value(), 1.0);
    /// assert_eq!(y.backward().wrt(&x), 0.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn cosh(self) -> Self {
        self.apply("cosh", local::cosh)
    }

    /// `tanh x`: `d/dx = 1 − tanh² x`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.0);
    /// assert_eq!(x.tanh().backward().wrt(&x), 1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn tanh(self) -> Self {
        self.apply("tanh", local::tanh)
    }

    /// `asinh x`: `d/dx = 1/√(x² + 1)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.0);
    /// let y = x.asinh();
    /// assert_eq!(y.value(), 0.0);
    /// assert_eq!(y.backward().wrt(&x), 1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn asinh(self) -> Self {
        self.apply("asinh", local::asinh)
    }

    /// `acosh x`: `d/dx = 1/√(x² − 1)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(1.25);
    /// let y = x.acosh();
    /// assert_eq!(y.value(), 1.25_f64.acosh());
    /// assert_eq!(y.backward().wrt(&x), 1.0 / 0.75);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn acosh(self) -> Self {
        self.apply("acosh", local::acosh)
    }

    /// `atanh x`: `d/dx = 1/(1 − x²)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(0.5);
    /// let y = x.atanh();
    /// assert_eq!(y.value(), 0.5_f64.atanh());
    /// assert_eq!(y.backward().wrt(&x), 1.0 / 0.75);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn atanh(self) -> Self {
        self.apply("atanh", local::atanh)
    }

    /// `√(x² + y²)` without overflow: `∂/∂x = x/√(x² + y²)`,
    /// `∂/∂y = y/√(x² + y²)`; both `0` at the origin.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let (x, y) = (tape.var(3.0), tape.var(4.0));
    /// let r = x.hypot(y);
    /// assert_eq!(r.value(), 5.0);
    /// assert_eq!(r.backward().wrt(&x), 0.6);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn hypot(self, other: impl Into<Self>) -> Self {
        self.apply2("hypot", other.into(), local::hypot)
    }
}
