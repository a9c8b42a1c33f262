//! `Dual`: forward mode, a number that carries its own derivatives.
//!
//! The tape differentiates in reverse: one node per operation, one sweep
//! back. For a small function of a few inputs that is evaluated many times
//! (a term of a long sum), forward mode is cheaper: each operation updates
//! the value and `N` derivatives in registers, nothing is recorded, and the
//! whole function becomes one node on the tape with its `N` partials
//! ([`Var::fused`](crate::Var::fused), [`sum_windows`](crate::sum_windows)).
//! This is the "preaccumulation" of the autodiff literature.
//!
//! Every method computes its value with `F`'s own method of the same name
//! and its derivative with the same function of the crate's local
//! derivatives as [`Var`](crate::Var)'s method, so the two modes agree (the
//! tests hold them to each other).

use core::cmp::Ordering;
use core::fmt;
use core::iter::{Product, Sum};
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use num_traits::{Float, Num, NumCast, One, ToPrimitive, Zero};

use crate::float::float_methods;
use crate::ops::local;
use crate::ops::{sigmoid, softplus};

/// A value and its derivatives with respect to `N` inputs: forward-mode
/// automatic differentiation.
///
/// Arithmetic and the elementary functions of `f64` apply the chain rule as
/// they go: `y = f(x)` carries `∂y/∂inputₖ = f′(x) · ∂x/∂inputₖ` for every
/// `k`. `Dual` implements [`num_traits::Float`], so a function written once
/// for `T: Float` runs on it. Its `==` and `<` compare values.
///
/// ```
/// use tapegrad::Dual;
///
/// // f(x, y) = x·y + sin x, at (2, 5): both partials in one evaluation.
/// let [x, y] = Dual::inputs([2.0, 5.0]);
/// let f = x * y + x.sin();
/// assert_eq!(f.value(), 10.0 + 2.0_f64.sin());
/// assert_eq!(f.tangent(), [5.0 + 2.0_f64.cos(), 2.0]);
/// ```
#[derive(Clone, Copy)]
#[must_use = "an operation returns a new Dual and leaves its operands unchanged"]
pub struct Dual<F, const N: usize> {
    value: F,
    tangent: [F; N],
    guard: Guard,
}

/// Whether a `Dual`'s operations guard its derivatives against `0 · ±∞`
/// (see [`scaled`]); an operation's result takes the strongest of its
/// operands'.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Guard {
    /// A constant: guarded, unless the other operand is not.
    Constant,
    /// Not guarded: the inputs of a term that [`sum_windows`] or
    /// [`Var::fused`] runs a first time, and runs again guarded if a
    /// derivative comes out NaN (see [`Dual::unguarded_inputs`]).
    ///
    /// [`sum_windows`]: crate::sum_windows
    /// [`Var::fused`]: crate::Var::fused
    Off,
    /// Guarded: every input a user makes.
    On,
}

impl<F: Float, const N: usize> Dual<F, N> {
    /// A value with the given derivatives.
    ///
    /// ```
    /// let x = tapegrad::Dual::new(3.0, [1.0, 0.0]);
    /// assert_eq!((x * x).tangent(), [6.0, 0.0]);
    /// ```
    pub fn new(value: F, tangent: [F; N]) -> Self {
        Dual {
            value,
            tangent,
            guard: Guard::On,
        }
    }

    /// A constant: every derivative is `0`.
    pub fn constant(value: F) -> Self {
        Dual {
            value,
            tangent: [F::zero(); N],
            guard: Guard::Constant,
        }
    }

    /// A result of `self`: `value` with `tangent`, guarded as `self` is.
    #[inline(always)]
    fn derived(self, value: F, tangent: [F; N]) -> Self {
        Dual {
            value,
            tangent,
            guard: self.guard,
        }
    }

    /// The input number `k`: its derivative with respect to itself is `1`,
    /// to the others `0`.
    ///
    /// # Panics
    ///
    /// If `k >= N`.
    ///
    /// ```
    /// let x = tapegrad::Dual::<f64, 3>::input(2.0, 1);
    /// assert_eq!(x.tangent(), [0.0, 1.0, 0.0]);
    /// ```
    pub fn input(value: F, k: usize) -> Self {
        assert!(
            k < N,
            "tapegrad::Dual::input: input {k} of a Dual with {N} derivatives"
        );
        let mut tangent = [F::zero(); N];
        tangent[k] = F::one();
        Dual::new(value, tangent)
    }

    /// The inputs `values[0]`, …, `values[N − 1]`, each differentiated with
    /// respect to itself.
    ///
    /// ```
    /// let [a, b] = tapegrad::Dual::inputs([1.0, 2.0]);
    /// assert_eq!((a / b).tangent(), [0.5, -0.25]);
    /// ```
    pub fn inputs(values: [F; N]) -> [Self; N] {
        let mut k = 0;
        values.map(|v| {
            k += 1;
            Dual::input(v, k - 1)
        })
    }

    /// [`inputs`](Dual::inputs) whose operations do not guard against
    /// `0 · ±∞`: a derivative that the guard would have made `0` comes out
    /// NaN instead, and one with no NaN is the guarded one to the bit (the
    /// guard only replaces a NaN, which every later operation keeps or
    /// drops along with its operand). A caller runs the function again on
    /// guarded inputs if a derivative is NaN; the operations run without
    /// the checks, which cost more than the arithmetic of a small term.
    #[inline(always)]
    pub(crate) fn unguarded_inputs(values: [F; N]) -> [Self; N] {
        Self::inputs(values).map(|x| Dual {
            guard: Guard::Off,
            ..x
        })
    }

    /// Whether any derivative is NaN.
    #[inline(always)]
    pub(crate) fn has_nan_tangent(&self) -> bool {
        self.tangent.iter().any(|t| t.is_nan())
    }

    /// The value.
    pub fn value(&self) -> F {
        self.value
    }

    /// The derivatives with respect to the `N` inputs.
    pub fn tangent(&self) -> [F; N] {
        self.tangent
    }

    /// `value` as a function of `self`, with `d = ∂value/∂self`.
    #[inline(always)]
    fn unary(self, value: F, d: F) -> Self {
        let tangent = match self.guard == Guard::Off || d.is_finite() {
            true => self.tangent.map(|t| t * d),
            false => self.tangent.map(|t| scaled(t, d)),
        };
        self.derived(value, tangent)
    }

    /// `f`'s value at `self`, with the derivative `f` gives.
    #[inline(always)]
    fn apply(self, f: impl FnOnce(F) -> (F, F)) -> Self {
        let (value, d) = f(self.value);
        self.unary(value, d)
    }

    /// `f`'s value at `self` and `other`, with the partials `f` gives.
    #[inline(always)]
    fn apply2(self, other: Self, f: impl FnOnce(F, F) -> (F, [F; 2])) -> Self {
        let (value, [da, db]) = f(self.value, other.value);
        self.binary(other, value, da, db)
    }

    /// `value` as a function of `self` and `other`, with partials `da`, `db`.
    #[inline(always)]
    fn binary(self, other: Self, value: F, da: F, db: F) -> Self {
        let mut tangent = self.tangent;
        let pairs = tangent.iter_mut().zip(&other.tangent);
        let guard = self.guard.max(other.guard);
        match guard == Guard::Off || (da.is_finite() && db.is_finite()) {
            true => pairs.for_each(|(t, &u)| *t = *t * da + u * db),
            false => pairs.for_each(|(t, &u)| *t = scaled(*t, da) + scaled(u, db)),
        }
        Dual {
            value,
            tangent,
            guard,
        }
    }

    /// The logistic sigmoid `σ(x) = 1/(1 + e^(−x))`: `σ′ = σ·(1 − σ)`.
    pub fn sigmoid(self) -> Self {
        let (s, ds) = sigmoid(self.value);
        self.unary(s, ds)
    }

    /// `ln σ(x)`, stable for any `x`: `d/dx = σ(−x)`.
    pub fn ln_sigmoid(self) -> Self {
        let x = self.value;
        self.unary(-softplus(-x), sigmoid(-x).0)
    }

    /// `ln(1 + eˣ)`, stable for any `x`: `d/dx = σ(x)`.
    pub fn softplus(self) -> Self {
        self.unary(softplus(self.value), sigmoid(self.value).0)
    }

    /// `max(x, 0)`: `d/dx = 1` for `x > 0`, else `0`.
    pub fn relu(self) -> Self {
        let x = self.value;
        match x > F::zero() {
            true => self,
            false if x.is_nan() => self.unary(x, F::zero()),
            false => self.unary(F::zero(), F::zero()),
        }
    }
}

/// `t · d`, except that a zero derivative passes nothing through a partial
/// that is not finite (`0 · ∞` would be NaN where nothing depends on that
/// input): the rule of the reverse sweep, so that both modes agree.
#[inline(always)]
fn scaled<F: Float>(t: F, d: F) -> F {
    if d.is_finite() || !t.is_zero() {
        t * d
    } else {
        t
    }
}

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
        self.derived(-self.value, self.tangent.map(|t| -t))
    }
}

/// With a float on one side, only the other side's derivatives are
/// carried: the same partials as with a constant, without multiplying its
/// zero derivatives.
impl<F: Float, const N: usize> Dual<F, N> {
    fn add_float(self, f: F) -> Self {
        self.derived(self.value + f, self.tangent)
    }

    fn float_add(f: F, b: Self) -> Self {
        b.derived(f + b.value, b.tangent)
    }

    fn sub_float(self, f: F) -> Self {
        self.derived(self.value - f, self.tangent)
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
        out.guard = out.guard.max(b.guard);
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
