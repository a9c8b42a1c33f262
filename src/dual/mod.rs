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

use num_traits::Float;

use crate::ops::{sigmoid, softplus};

mod ops;

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
}

impl<F: Float, const N: usize> Dual<F, N> {
    /// A value with the given derivatives.
    ///
    /// ```
    /// let x = tapegrad::Dual::new(3.0, [1.0, 0.0]);
    /// assert_eq!((x * x).tangent(), [6.0, 0.0]);
    /// ```
    pub fn new(value: F, tangent: [F; N]) -> Self {
        Dual { value, tangent }
    }

    /// A constant: every derivative is `0`.
    pub fn constant(value: F) -> Self {
        Dual {
            value,
            tangent: [F::zero(); N],
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
        let tangent = match d.is_finite() {
            true => self.tangent.map(|t| t * d),
            false => self.tangent.map(|t| scaled(t, d)),
        };
        Dual::new(value, tangent)
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
        match da.is_finite() && db.is_finite() {
            true => pairs.for_each(|(t, &u)| *t = *t * da + u * db),
            false => pairs.for_each(|(t, &u)| *t = scaled(*t, da) + scaled(u, db)),
        }
        Dual { value, tangent }
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
