//! The elementary functions, named as `f64` and `num_traits::Float` name them.
//!
//! Each doc comment states the derivative the node records. Binary methods
//! (`powf`, `max`, `min`, `atan2`, `hypot`, `log`, `mul_add`) take a variable
//! or a float: `x.powf(y)`, `x.powf(2.5)`.

use num_traits::Float;

use super::local;
use crate::Var;

impl<'t, F: Float> Var<'t, F> {
    /// `eˣ`: `d/dx eˣ = eˣ`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(1.5);
    /// assert_eq!(x.exp().backward().wrt(&x), 1.5_f64.exp());
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn exp(self) -> Self {
        self.apply("exp", local::exp)
    }

    /// `2ˣ`: `d/dx 2ˣ = 2ˣ · ln 2`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(3.0);
    /// let y = x.exp2();
    /// assert_eq!(y.value(), 8.0);
    /// assert_eq!(y.backward().wrt(&x), 8.0 * 2.0_f64.ln());
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn exp2(self) -> Self {
        self.apply("exp2", local::exp2)
    }

    /// `eˣ − 1`, accurate near `0`: `d/dx = eˣ`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(1e-10);
    /// let y = x.exp_m1();
    /// assert_eq!(y.value(), 1e-10_f64.exp_m1());
    /// assert_eq!(y.backward().wrt(&x), 1e-10_f64.exp());
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn exp_m1(self) -> Self {
        self.apply("exp_m1", local::exp_m1)
    }

    /// `ln x`: `d/dx ln x = 1/x`.
    ///
    /// `s.ln()` where `s = z.sigmoid()` (or `s = 1 − z.sigmoid()`) is
    /// recorded as [`z.ln_sigmoid()`](Var::ln_sigmoid) (or `(−z).ln_sigmoid()`):
    /// the textbook loss `y·ln ŷ + (1 − y)·ln(1 − ŷ)` stays finite, value and
    /// gradient, however large `|z|`. The node's parent is then `z`, not `s`:
    /// the gradient reaches `z` directly, and asking for the gradient with
    /// respect to `s` itself is an [`Error::BypassedSigmoid`](crate::Error::BypassedSigmoid)
    /// rather than a number that misses this path.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(4.0);
    /// assert_eq!(x.ln().backward().wrt(&x), 0.25);
    ///
    /// let z = tape.var(-800.0);
    /// let ln_p = z.sigmoid().ln(); // ln σ(−800) = −800, not −∞
    /// assert_eq!(ln_p.value(), -800.0);
    /// assert_eq!(ln_p.backward().wrt(&z), 1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn ln(self) -> Self {
        if let Some(stable) = self.ln_of_sigmoid() {
            return stable;
        }
        self.apply("ln", local::ln)
    }

    /// `ln(1 + x)`, accurate near `0`: `d/dx = 1/(1 + x)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(1.0);
    /// let y = x.ln_1p();
    /// assert_eq!(y.value(), 2.0_f64.ln());
    /// assert_eq!(y.backward().wrt(&x), 0.5);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn ln_1p(self) -> Self {
        self.apply("ln_1p", local::ln_1p)
    }

    /// `log₂ x`: `d/dx = 1/(x · ln 2)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(8.0);
    /// let y = x.log2();
    /// assert_eq!(y.value(), 3.0);
    /// assert_eq!(y.backward().wrt(&x), 1.0 / (8.0 * 2.0_f64.ln()));
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn log2(self) -> Self {
        self.apply("log2", local::log2)
    }

    /// `log₁₀ x`: `d/dx = 1/(x · ln 10)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(100.0);
    /// let y = x.log10();
    /// assert_eq!(y.value(), 2.0);
    /// assert_eq!(y.backward().wrt(&x), 1.0 / (100.0 * 10.0_f64.ln()));
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn log10(self) -> Self {
        self.apply("log10", local::log10)
    }

    /// `log_b x = ln x / ln b`: `∂/∂x = 1/(x · ln b)`,
    /// `∂/∂b = −ln x / (b · (ln b)²)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(8.0);
    /// let y = x.log(2.0);
    /// assert_eq!(y.value(), 3.0);
    /// assert_eq!(y.backward().wrt(&x), 1.0 / (8.0 * 2.0_f64.ln()));
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn log(self, base: impl Into<Self>) -> Self {
        self.apply2("log", base.into(), local::log)
    }

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
        self.apply("powi", |x| local::powi(x, n))
    }

    /// `xʸ`: `∂/∂x = y · xʸ⁻¹`, `∂/∂y = xʸ · ln x`.
    ///
    /// Either side may be a float: `x.powf(2.5)`, or a constant base raised
    /// to a variable, `Var::constant(2.0).powf(y)`. Where `xʸ = 0` the
    /// partial with respect to `y` is `0`, its limit, rather than `0 · ln 0`;
    /// at `0⁰` the partial with respect to `x` is `0`.
    ///
    /// ```
    /// use tapegrad::{Tape, Var};
    ///
    /// let tape = Tape::new();
    /// let x = tape.var(3.0);
    /// assert_eq!(x.powf(2.0).backward().wrt(&x), 6.0);
    ///
    /// let y = Var::constant(2.0).powf(x); // 2ˣ
    /// assert_eq!(y.value(), 8.0);
    /// assert_eq!(y.backward().wrt(&x), 8.0 * 2.0_f64.ln());
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn powf(self, exponent: impl Into<Self>) -> Self {
        self.apply2("powf", exponent.into(), local::powf)
    }

    /// `√x`: `d/dx = 1/(2√x)` (`+∞` at `0`, as the limit).
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(4.0);
    /// let y = x.sqrt();
    /// assert_eq!(y.value(), 2.0);
    /// assert_eq!(y.backward().wrt(&x), 0.25);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn sqrt(self) -> Self {
        self.apply("sqrt", local::sqrt)
    }

    /// `∛x`: `d/dx = 1/(3 ∛x²)`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(8.0);
    /// let y = x.cbrt();
    /// assert_eq!(y.value(), 2.0);
    /// assert_eq!(y.backward().wrt(&x), 1.0 / 12.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn cbrt(self) -> Self {
        self.apply("cbrt", local::cbrt)
    }

    /// `|x|`: `d/dx = sign x`, and `0` at `0` (the convention of PyTorch).
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(-3.0);
    /// let y = x.abs();
    /// assert_eq!(y.value(), 3.0);
    /// assert_eq!(y.backward().wrt(&x), -1.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn abs(self) -> Self {
        self.apply("abs", local::abs)
    }

    /// The larger of `self` and `other`: the gradient goes to the larger one,
    /// and at a tie half to each (the convention of PyTorch). A NaN operand
    /// is ignored, as `f64::max` ignores it.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let (a, b) = (tape.var(2.0), tape.var(2.0));
    /// let grads = a.max(b).backward();
    /// assert_eq!((grads.wrt(&a), grads.wrt(&b)), (0.5, 0.5));
    /// assert_eq!(a.max(3.0).value(), 3.0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn max(self, other: impl Into<Self>) -> Self {
        self.apply2("max", other.into(), local::max)
    }

    /// The smaller of `self` and `other`: the gradient goes to the smaller
    /// one, and at a tie half to each. A NaN operand is ignored, as
    /// `f64::min` ignores it.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let (a, b) = (tape.var(1.0), tape.var(2.0));
    /// let grads = a.min(b).backward();
    /// assert_eq!((grads.wrt(&a), grads.wrt(&b)), (1.0, 0.0));
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn min(self, other: impl Into<Self>) -> Self {
        self.apply2("min", other.into(), local::min)
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
}
