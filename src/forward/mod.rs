//! `Dual`: forward mode, a number that carries its own derivatives.
//!
//! The tape differentiates in reverse: one node per operation, one sweep
//! back. For a small function of a few inputs that is evaluated many times
//! (a term of a long sum), forward mode is cheaper: each operation updates
//! the value and `N` derivatives in registers, nothing is recorded, and the
//! whole function becomes one node on the tape with its `N` partials
//! ([`Var::fused`](crate::Var::fused), [`sum_windows`](crate::custom::sum_windows)).
//! This is the "preaccumulation" of the autodiff literature.
//!
//! Every method computes its value with `F`'s own method of the same name
//! and its derivative with the same entry of the crate's op table as
//! [`Var`](crate::Var)'s method, so the two modes agree (the tests hold them
//! to each other).

use num_traits::Float;

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
/// use tapegrad::forward::Dual;
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
    /// let x = tapegrad::forward::Dual::new(3.0, [1.0, 0.0]);
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
    /// let x = tapegrad::forward::Dual::<f64, 3>::input(2.0, 1);
    /// assert_eq!(x.tangent(), [0.0, 1.0, 0.0]);
    /// ```
    pub fn input(value: F, k: usize) -> Self {
        assert!(
            k < N,
            "tapegrad::forward::Dual::input: input {k} of a Dual with {N} derivatives"
        );
        let mut tangent = [F::zero(); N];
        tangent[k] = F::one();
        Dual::new(value, tangent)
    }

    /// The inputs `values[0]`, …, `values[N − 1]`, each differentiated with
    /// respect to itself.
    ///
    /// ```
    /// let [a, b] = tapegrad::forward::Dual::inputs([1.0, 2.0]);
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
    pub(crate) fn unary(self, value: F, d: F) -> Self {
        let tangent = match d.is_finite() {
            true => self.tangent.map(|t| t * d),
            false => self.tangent.map(|t| scaled(t, d)),
        };
        Dual::new(value, tangent)
    }

    /// `value` as a function of `self` and `other`, with partials `da`, `db`.
    #[inline(always)]
    pub(crate) fn binary(self, other: Self, value: F, da: F, db: F) -> Self {
        let mut tangent = self.tangent;
        let pairs = tangent.iter_mut().zip(&other.tangent);
        match da.is_finite() && db.is_finite() {
            true => pairs.for_each(|(t, &u)| *t = *t * da + u * db),
            false => pairs.for_each(|(t, &u)| *t = scaled(*t, da) + scaled(u, db)),
        }
        Dual { value, tangent }
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
