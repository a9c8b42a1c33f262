//! The local derivatives: each function gives an operation's value and its
//! partial derivative(s) from its arguments' values. [`Var`](crate::Var)
//! records them on the tape, [`Dual`](crate::Dual) carries them forward,
//! so the two modes compute every derivative with one formula.

use num_traits::Float;

/// `2`, in any float type.
pub(crate) fn two<F: Float>() -> F {
    F::one() + F::one()
}

/// Unary functions: `name(x) => (value, d value / dx)`, each computing what
/// it needs once.
macro_rules! unary {
    ($($name:ident($x:ident) => $body:expr;)*) => {$(
        #[inline(always)]
        pub(crate) fn $name<F: Float>($x: F) -> (F, F) {
            $body
        }
    )*};
}

unary! {
    floor(x) => (x.floor(), F::zero());
    ceil(x) => (x.ceil(), F::zero());
    round(x) => (x.round(), F::zero());
    trunc(x) => (x.trunc(), F::zero());
    fract(x) => (x.fract(), F::one());
    signum(x) => (x.signum(), F::zero());
    abs(x) => {
        let d = if x > F::zero() {
            F::one()
        } else if x < F::zero() {
            -F::one()
        } else {
            F::zero()
        };
        (x.abs(), d)
    };
    recip(x) => {
        let r = x.recip();
        (r, -r * r)
    };
    sqrt(x) => {
        let r = x.sqrt();
        (r, (two::<F>() * r).recip())
    };
    cbrt(x) => {
        let r = x.cbrt();
        let three = two::<F>() + F::one();
        (r, (three * r * r).recip())
    };
    exp(x) => {
        let y = x.exp();
        (y, y)
    };
    exp2(x) => {
        let y = x.exp2();
        (y, y * two::<F>().ln())
    };
    // eˣ itself, not (eˣ − 1) + 1, which loses every digit for x ≪ 0.
    exp_m1(x) => (x.exp_m1(), x.exp());
    ln(x) => (x.ln(), x.recip());
    ln_1p(x) => (x.ln_1p(), (F::one() + x).recip());
    log2(x) => (x.log2(), (x * two::<F>().ln()).recip());
    log10(x) => {
        let ten = F::from(10).expect("10 is representable in every float type");
        (x.log10(), (x * ten.ln()).recip())
    };
    sin(x) => (x.sin(), x.cos());
    cos(x) => (x.cos(), -x.sin());
    tan(x) => {
        let t = x.tan();
        (t, F::one() + t * t)
    };
    asin(x) => (x.asin(), (F::one() - x * x).sqrt().recip());
    acos(x) => (x.acos(), -(F::one() - x * x).sqrt().recip());
    atan(x) => (x.atan(), (F::one() + x * x).recip());
    sinh(x) => (x.sinh(), x.cosh());
    cosh(x) => (x.cosh(), x.sinh());
    tanh(x) => {
        let t = x.tanh();
        (t, F::one() - t * t)
    };
    asinh(x) => (x.asinh(), x.hypot(F::one()).recip());
    acosh(x) => (x.acosh(), ((x - F::one()).sqrt() * (x + F::one()).sqrt()).recip());
    atanh(x) => (x.atanh(), (F::one() - x * x).recip());
    to_degrees(x) => {
        let per_radian = F::from(180).expect("180 fits every float type")
            / F::from(core::f64::consts::PI).expect("π fits every float type");
        (x.to_degrees(), per_radian)
    };
    to_radians(x) => {
        let per_degree = F::from(core::f64::consts::PI).expect("π fits every float type")
            / F::from(180).expect("180 fits every float type");
        (x.to_radians(), per_degree)
    };
}

/// `xⁿ`: `d/dx = n·xⁿ⁻¹`.
#[inline(always)]
pub(crate) fn powi<F: Float>(x: F, n: i32) -> (F, F) {
    let d = match n {
        0 => F::zero(),
        _ => F::from(n).expect("an i32 is representable in every float type") * x.powi(n - 1),
    };
    (x.powi(n), d)
}

/// `xʸ`: `∂/∂x = y·xʸ⁻¹`, `∂/∂y = xʸ·ln x` (`0` where `xʸ = 0`).
#[inline(always)]
pub(crate) fn powf<F: Float>(x: F, y: F) -> (F, [F; 2]) {
    let v = x.powf(y);
    // Only 0⁰ needs the limit: elsewhere the formula, so that a nested tape
    // differentiates it (∂²/∂x∂y xʸ at y = 0 is 1/x, not 0).
    let dx = if y == F::zero() && x == F::zero() {
        F::zero()
    } else {
        y * x.powf(y - F::one())
    };
    let dy = if v == F::zero() {
        F::zero()
    } else {
        v * x.ln()
    };
    (v, [dx, dy])
}

/// `log_b x = ln x / ln b`.
#[inline(always)]
pub(crate) fn log<F: Float>(x: F, b: F) -> (F, [F; 2]) {
    let ln_b = b.ln();
    let dx = (x * ln_b).recip();
    let db = -x.ln() / (b * ln_b * ln_b);
    (x.log(b), [dx, db])
}

/// `a / b`: `∂/∂a = 1/b`, `∂/∂b = −a/b²`.
#[inline(always)]
pub(crate) fn div<F: Float>(a: F, b: F) -> (F, [F; 2]) {
    let q = a / b;
    (q, [b.recip(), -q / b])
}

/// `a % b = a − b·trunc(a/b)`: `∂/∂a = 1`, `∂/∂b = −trunc(a/b)`.
#[inline(always)]
pub(crate) fn rem<F: Float>(a: F, b: F) -> (F, [F; 2]) {
    (a % b, [F::one(), -(a / b).trunc()])
}

/// The angle of `(x, y)`: `∂/∂y = x/r²`, `∂/∂x = −y/r²` (`0` at the origin).
#[inline(always)]
pub(crate) fn atan2<F: Float>(y: F, x: F) -> (F, [F; 2]) {
    let r = y.hypot(x);
    let partials = if r == F::zero() {
        [F::zero(); 2]
    } else {
        // (x/r)/r rather than x/(x² + y²): no overflow for large x, y.
        [x / r / r, -y / r / r]
    };
    (y.atan2(x), partials)
}

/// `√(x² + y²)`: `∂/∂x = x/r`, `∂/∂y = y/r` (`0` at the origin).
#[inline(always)]
pub(crate) fn hypot<F: Float>(x: F, y: F) -> (F, [F; 2]) {
    let r = x.hypot(y);
    let partials = if r == F::zero() {
        [F::zero(); 2]
    } else {
        [x / r, y / r]
    };
    (r, partials)
}

/// `|x|` with the sign of `s`: `∂/∂x = ±1`, `∂/∂s = 0`.
#[inline(always)]
pub(crate) fn copysign<F: Float>(x: F, s: F) -> (F, [F; 2]) {
    let d = if x.is_sign_negative() == s.is_sign_negative() {
        F::one()
    } else {
        -F::one()
    };
    (x.copysign(s), [d, F::zero()])
}

/// The larger: its derivative goes to the larger argument, half to each on
/// a tie; a NaN argument loses, as in `f64::max`.
#[inline(always)]
pub(crate) fn max<F: Float>(a: F, b: F) -> (F, [F; 2]) {
    (a.max(b), split(a > b || b.is_nan(), a < b || a.is_nan()))
}

/// The smaller, with its derivative as in [`max`].
#[inline(always)]
pub(crate) fn min<F: Float>(a: F, b: F) -> (F, [F; 2]) {
    (a.min(b), split(a < b || b.is_nan(), a > b || a.is_nan()))
}

/// The derivative of `max` or `min`: all to the winner, half each on a tie.
fn split<F: Float>(a_wins: bool, b_wins: bool) -> [F; 2] {
    match (a_wins, b_wins) {
        (true, _) => [F::one(), F::zero()],
        (false, true) => [F::zero(), F::one()],
        (false, false) => [two::<F>().recip(); 2],
    }
}
