//! The op table: every operation of one or two arguments, its code, and its
//! value and local derivative(s) written once, generic over the float type.
//!
//! [`Var`](crate::Var) records what the table gives, [`Dual`](crate::forward::Dual)
//! carries it forward, and both handles' methods and operators are generated
//! from the table by [`surface`](super::surface): a new op is one entry here.
//! An op's code says what it was, and its constants travel with it (`n` in
//! `powi`, `c` in `x + c` as a constant operand), so a recording of codes can
//! be evaluated again.

use num_traits::Float;

mod block;
mod branch;
pub(crate) mod docs;
mod instr;
mod operand;
pub(crate) mod stable;

pub(crate) use block::Block;
pub use block::BlockOp;
pub use branch::Comparison;
pub use branch::{Guard, Outcome, Select, Test};
pub(crate) use instr::{Code, Instr, Side};
pub use operand::Arg;
use stable::{bce, sigmoid, softplus};

/// `2`, in any float type.
pub(crate) fn two<F: Float>() -> F {
    F::one() + F::one()
}

/// The table. Invoked with a macro name, it hands that macro every entry:
/// `unary` and `binary` entries become methods of each handle, with a doc
/// example from the entry's point `at` and its derivatives `d` (for `f64`);
/// `operators` are the table's ops behind `- + - * / %`. Each entry is
/// `Code name(arguments) ... => (value, partial(s))`.
macro_rules! op_table {
    ($then:ident! $args:tt) => {
        $then! { $args
        unary {
            /// The largest integer `≤ x`: `d/dx = 0` (piecewise constant).
            Floor floor(x) at 2.5, d 0.0 => (x.floor(), F::zero());
            /// The smallest integer `≥ x`: `d/dx = 0` (piecewise constant).
            Ceil ceil(x) at 2.5, d 0.0 => (x.ceil(), F::zero());
            /// The nearest integer, half away from zero: `d/dx = 0`.
            Round round(x) at 2.5, d 0.0 => (x.round(), F::zero());
            /// The integer part, towards zero: `d/dx = 0`.
            Trunc trunc(x) at -2.5, d 0.0 => (x.trunc(), F::zero());
            /// The fractional part `x − trunc(x)`: `d/dx = 1`.
            Fract fract(x) at 2.5, d 1.0 => (x.fract(), F::one());
            /// `1`, `−1` or NaN, as `f64::signum`: `d/dx = 0`.
            Signum signum(x) at -2.0, d 0.0 => (x.signum(), F::zero());
            /// `|x|`: `d/dx = sign x`, and `0` at `0` (the convention of PyTorch).
            Abs abs(x) at -2.0, d -1.0 => {
                let d = if x > F::zero() {
                    F::one()
                } else if x < F::zero() {
                    -F::one()
                } else {
                    F::zero()
                };
                (x.abs(), d)
            };
            /// `1/x`: `d/dx = −1/x²`.
            Recip recip(x) at 4.0, d -1.0 / 16.0 => {
                let r = x.recip();
                (r, -r * r)
            };
            /// `√x`: `d/dx = 1/(2√x)` (`+∞` at `0`, as the limit).
            Sqrt sqrt(x) at 4.0, d 0.25 => {
                let r = x.sqrt();
                (r, (two::<F>() * r).recip())
            };
            /// `∛x`: `d/dx = 1/(3 ∛x²)`.
            Cbrt cbrt(x) at 8.0, d 1.0 / 12.0 => {
                let r = x.cbrt();
                (r, ((two::<F>() + F::one()) * r * r).recip())
            };
            /// `eˣ`: `d/dx eˣ = eˣ`.
            Exp exp(x) at 1.5, d 1.5_f64.exp() => {
                let y = x.exp();
                (y, y)
            };
            /// `2ˣ`: `d/dx 2ˣ = 2ˣ · ln 2`.
            Exp2 exp2(x) at 3.0, d 8.0 * 2.0_f64.ln() => {
                let y = x.exp2();
                (y, y * two::<F>().ln())
            };
            /// `eˣ − 1`, accurate near `0`: `d/dx = eˣ`.
            // eˣ itself, not (eˣ − 1) + 1, which loses every digit for x ≪ 0.
            ExpM1 exp_m1(x) at 1e-10, d 1e-10_f64.exp() => (x.exp_m1(), x.exp());
            /// `ln x`: `d/dx ln x = 1/x`.
            Ln ln(x) at 4.0, d 0.25 => (x.ln(), x.recip());
            /// `ln(1 + x)`, accurate near `0`: `d/dx = 1/(1 + x)`.
            Ln1p ln_1p(x) at 1.0, d 0.5 => (x.ln_1p(), (F::one() + x).recip());
            /// `log₂ x`: `d/dx = 1/(x · ln 2)`.
            Log2 log2(x) at 8.0, d 1.0 / (8.0 * 2.0_f64.ln()) => {
                (x.log2(), (x * two::<F>().ln()).recip())
            };
            /// `log₁₀ x`: `d/dx = 1/(x · ln 10)`.
            Log10 log10(x) at 100.0, d 1.0 / (100.0 * 10.0_f64.ln()) => {
                let ten = F::from(10).expect("10 is representable in every float type");
                (x.log10(), (x * ten.ln()).recip())
            };
            /// `sin x`: `d/dx = cos x`.
            Sin sin(x) at 1.0, d 1.0_f64.cos() => (x.sin(), x.cos());
            /// `cos x`: `d/dx = −sin x`.
            Cos cos(x) at 1.0, d -1.0_f64.sin() => (x.cos(), -x.sin());
            /// `tan x`: `d/dx = 1 + tan² x`.
            Tan tan(x) at 0.5, d 1.0 + 0.5_f64.tan() * 0.5_f64.tan() => {
                let t = x.tan();
                (t, F::one() + t * t)
            };
            /// `asin x`: `d/dx = 1/√(1 − x²)`.
            Asin asin(x) at 0.5, d 1.0 / 0.75_f64.sqrt() => {
                (x.asin(), (F::one() - x * x).sqrt().recip())
            };
            /// `acos x`: `d/dx = −1/√(1 − x²)`.
            Acos acos(x) at 0.5, d -1.0 / 0.75_f64.sqrt() => {
                (x.acos(), -(F::one() - x * x).sqrt().recip())
            };
            /// `atan x`: `d/dx = 1/(1 + x²)`.
            Atan atan(x) at 1.0, d 0.5 => (x.atan(), (F::one() + x * x).recip());
            /// `sinh x`: `d/dx = cosh x`.
            Sinh sinh(x) at 1.0, d 1.0_f64.cosh() => (x.sinh(), x.cosh());
            /// `cosh x`: `d/dx = sinh x`.
            Cosh cosh(x) at 1.0, d 1.0_f64.sinh() => (x.cosh(), x.sinh());
            /// `tanh x`: `d/dx = 1 − tanh² x`.
            Tanh tanh(x) at 0.5, d 1.0 - 0.5_f64.tanh() * 0.5_f64.tanh() => {
                let t = x.tanh();
                (t, F::one() - t * t)
            };
            /// `asinh x`: `d/dx = 1/√(x² + 1)`.
            Asinh asinh(x) at 1.0, d 1.0 / 2.0_f64.sqrt() => {
                (x.asinh(), x.hypot(F::one()).recip())
            };
            /// `acosh x`: `d/dx = 1/√(x² − 1)`.
            Acosh acosh(x) at 2.0, d 1.0 / 3.0_f64.sqrt() => {
                (x.acosh(), ((x - F::one()).sqrt() * (x + F::one()).sqrt()).recip())
            };
            /// `atanh x`: `d/dx = 1/(1 − x²)`.
            Atanh atanh(x) at 0.5, d 1.0 / 0.75 => (x.atanh(), (F::one() - x * x).recip());
            /// Radians to degrees: `d/dx = 180/π`.
            ToDegrees to_degrees(x) at 1.0, d 180.0 / std::f64::consts::PI => {
                let per_radian = F::from(180).expect("180 fits every float type")
                    / F::from(core::f64::consts::PI).expect("π fits every float type");
                (x.to_degrees(), per_radian)
            };
            /// Degrees to radians: `d/dx = π/180`.
            ToRadians to_radians(x) at 1.0, d std::f64::consts::PI / 180.0 => {
                let per_degree = F::from(core::f64::consts::PI).expect("π fits every float type")
                    / F::from(180).expect("180 fits every float type");
                (x.to_radians(), per_degree)
            };
            /// The logistic sigmoid `σ(z) = 1/(1 + e^(−z))`:
            /// `d/dz σ(z) = σ(z)·(1 − σ(z))`, computed without overflow: `σ(±800)`
            /// is `1` or `0` with a zero (not NaN) derivative.
            Sigmoid sigmoid(z) at 0.0, d 0.25 => sigmoid(z);
            /// `ln σ(z) = −softplus(−z)`, stable for any `z`:
            /// `d/dz ln σ(z) = σ(−z) = 1 − σ(z)`.
            LnSigmoid ln_sigmoid(z) at 0.0, d 0.5 => (-softplus(-z), sigmoid(-z).0);
            /// `softplus(z) = ln(1 + eᶻ)`, stable for any `z`:
            /// `d/dz softplus(z) = σ(z)`.
            Softplus softplus(z) at 0.0, d 0.5 => (softplus(z), sigmoid(z).0);
            /// `max(x, 0)`: `d/dx = 1` for `x > 0` and `0` otherwise, including at
            /// `0` (the convention of PyTorch). A NaN stays NaN.
            Relu relu(x) at 2.0, d 1.0 => match x > F::zero() {
                true => (x, F::one()),
                false if x.is_nan() => (x, F::zero()),
                false => (F::zero(), F::zero()),
            };
        }
        binary {
            /// `xʸ`: `∂/∂x = y · xʸ⁻¹`, `∂/∂y = xʸ · ln x`.
            ///
            /// Either side may be a float: `x.powf(2.5)`, or a constant base raised
            /// to a variable, `Var::constant(2.0).powf(y)`. Where `xʸ = 0` the
            /// partial with respect to `y` is `0`, its limit, rather than `0 · ln 0`;
            /// at `0⁰` the partial with respect to `x` is `0`.
            Powf powf(x, exponent) at (2.0, 3.0), d (12.0, 8.0 * 2.0_f64.ln()) => {
                let (y, v) = (exponent, x.powf(exponent));
                // Only 0⁰ needs the limit: elsewhere the formula, so that a nested
                // tape differentiates it (∂²/∂x∂y xʸ at y = 0 is 1/x, not 0).
                let dx = match y == F::zero() && x == F::zero() {
                    true => F::zero(),
                    false => y * x.powf(y - F::one()),
                };
                let dy = if v == F::zero() { F::zero() } else { v * x.ln() };
                (v, [dx, dy])
            };
            /// `log_b x = ln x / ln b`: `∂/∂x = 1/(x · ln b)`,
            /// `∂/∂b = −ln x / (b · (ln b)²)`.
            Log log(x, base) at (8.0, 2.0),
                d (1.0 / (8.0 * 2.0_f64.ln()), -8.0_f64.ln() / (2.0 * 2.0_f64.ln() * 2.0_f64.ln()))
            => {
                let ln_b = base.ln();
                (x.log(base), [(x * ln_b).recip(), -x.ln() / (base * ln_b * ln_b)])
            };
            /// `atan2(y, x)`, the angle of the point `(x, y)`, with `self` as `y`:
            /// `∂/∂y = x/(x² + y²)`, `∂/∂x = −y/(x² + y²)`; both `0` at the origin,
            /// where the angle has no derivative.
            Atan2 atan2(y, other) at (3.0, 4.0), d (4.0 / 5.0 / 5.0, -3.0 / 5.0 / 5.0) => {
                let (x, r) = (other, y.hypot(other));
                // (x/r)/r rather than x/(x² + y²): no overflow for large x, y.
                let partials = match r == F::zero() {
                    true => [F::zero(); 2],
                    false => [x / r / r, -y / r / r],
                };
                (y.atan2(x), partials)
            };
            /// `√(x² + y²)` without overflow: `∂/∂x = x/√(x² + y²)`,
            /// `∂/∂y = y/√(x² + y²)`; both `0` at the origin.
            Hypot hypot(x, other) at (3.0, 4.0), d (3.0 / 5.0, 4.0 / 5.0) => {
                let r = x.hypot(other);
                let partials = match r == F::zero() {
                    true => [F::zero(); 2],
                    false => [x / r, other / r],
                };
                (r, partials)
            };
            /// `|x|` with the sign of `sign`: `∂/∂x = ±1` (`+1` where the signs
            /// agree), `∂/∂sign = 0`.
            Copysign copysign(x, sign) at (2.0, -1.0), d (-1.0, 0.0) => {
                let d = match x.is_sign_negative() == sign.is_sign_negative() {
                    true => F::one(),
                    false => -F::one(),
                };
                (x.copysign(sign), [d, F::zero()])
            };
            /// The larger of `self` and `other`: the gradient goes to the larger one,
            /// and at a tie half to each (the convention of PyTorch). A NaN operand
            /// is ignored, as `f64::max` ignores it.
            Max max(a, other) at (2.0, 3.0), d (0.0, 1.0) => {
                (a.max(other), split(a > other || other.is_nan(), a < other || a.is_nan()))
            };
            /// The smaller of `self` and `other`: the gradient goes to the smaller
            /// one, and at a tie half to each. A NaN operand is ignored, as
            /// `f64::min` ignores it.
            Min min(a, other) at (2.0, 3.0), d (1.0, 0.0) => {
                (a.min(other), split(a < other || other.is_nan(), a > other || a.is_nan()))
            };
            /// Binary cross-entropy of the label `y` against the prediction
            /// `σ(z)`, from the logit `z`:
            /// `−y·ln σ(z) − (1 − y)·ln(1 − σ(z)) = softplus(z) − y·z`,
            /// with `∂/∂z = σ(z) − y` and `∂/∂y = −z`.
            /// Stable for any `z`: at `z = ±800` the loss is exact and the gradient
            /// is `±1` or `0`, never NaN.
            BceWithLogits bce_with_logits(z, y) at (0.0, 1.0), d (-0.5, 0.0) => {
                let (loss, dz) = bce(z, y);
                (loss, [dz, -z])
            };
        }
        operators {
            /// `−a`: `d/da = −1`.
            Neg neg(a) => (-a, -F::one());
            /// `a + b`: `∂/∂a = 1`, `∂/∂b = 1`.
            Add add(a, b) => (a + b, [F::one(), F::one()]);
            /// `a − b`: `∂/∂a = 1`, `∂/∂b = −1`.
            Sub sub(a, b) => (a - b, [F::one(), -F::one()]);
            /// `a · b`: `∂/∂a = b`, `∂/∂b = a`.
            Mul mul(a, b) => (a * b, [b, a]);
            /// `a / b`: `∂/∂a = 1/b`, `∂/∂b = −a/b²`.
            Div div(a, b) => {
                let q = a / b;
                (q, [b.recip(), -q / b])
            };
            /// The remainder `a % b = a − b·trunc(a/b)`, as `f64`'s `%`:
            /// `∂/∂a = 1`, `∂/∂b = −trunc(a/b)`.
            Rem rem(a, b) => (a % b, [F::one(), -(a / b).trunc()]);
        }
        }
    };
}

pub(crate) use op_table;

/// Defines the op codes and their evaluation from the table.
macro_rules! define_codes {
    ({}
     unary { $($(#[$ud:meta])* $U:ident $un:ident($x:ident) at $uat:literal, d $ud_:expr
        => $ubody:expr;)* }
     binary { $($(#[$bd:meta])* $B:ident $bn:ident($a:ident, $b:ident)
        at ($bx:literal, $by:literal), d ($bda:expr, $bdb:expr) => $bbody:expr;)* }
     operators {
        $(#[$nd:meta])* Neg neg($n:ident) => $nbody:expr;
        $($(#[$od:meta])* $O:ident $on:ident($oa:ident, $ob:ident) => $obody:expr;)*
     }
    ) => {
        /// An op of one argument: its code, and the constant it needs.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Unary {
            $($(#[$ud])* $U,)*
            /// `−x`.
            Neg,
            /// `xⁿ` for an integer `n`.
            Powi(i32),
        }

        /// An op of two arguments; either may be a constant.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Binary {
            $($(#[$bd])* $B,)*
            $($(#[$od])* $O,)*
        }

        impl Unary {
            /// The op's name, as its method's.
            pub fn name(self) -> &'static str {
                match self {
                    $(Unary::$U => stringify!($un),)*
                    Unary::Neg => "neg",
                    Unary::Powi(_) => "powi",
                }
            }

            /// The value at `x` and `d value/dx`, by the arithmetic every
            /// variable records with. Inlined where `self` is a constant,
            /// only its own arm remains.
            #[inline]
            pub fn eval<F: Float>(self, x: F) -> (F, F) {
                match self {
                    $(Unary::$U => {
                        let $x = x;
                        $ubody
                    })*
                    Unary::Neg => {
                        let $n = x;
                        $nbody
                    }
                    Unary::Powi(n) => powi(x, n),
                }
            }
        }

        impl Binary {
            /// The op's name, as its method's or operator trait's.
            pub fn name(self) -> &'static str {
                match self {
                    $(Binary::$B => stringify!($bn),)*
                    $(Binary::$O => stringify!($on),)*
                }
            }

            /// The value at `(a, b)` and `[∂/∂a, ∂/∂b]`, by the arithmetic
            /// every variable records with.
            #[inline]
            pub fn eval<F: Float>(self, a: F, b: F) -> (F, [F; 2]) {
                match self {
                    $(Binary::$B => {
                        let ($a, $b) = (a, b);
                        $bbody
                    })*
                    $(Binary::$O => {
                        let ($oa, $ob) = (a, b);
                        $obody
                    })*
                }
            }
        }
    };
}

op_table!(define_codes! {});

/// `xⁿ`: `d/dx = n·xⁿ⁻¹`.
#[inline(always)]
fn powi<F: Float>(x: F, n: i32) -> (F, F) {
    let d = match n {
        0 => F::zero(),
        _ => F::from(n).expect("an i32 is representable in every float type") * x.powi(n - 1),
    };
    (x.powi(n), d)
}

/// The derivative of `max` or `min`: all to the winner, half each on a tie.
#[inline(always)]
fn split<F: Float>(a_wins: bool, b_wins: bool) -> [F; 2] {
    match (a_wins, b_wins) {
        (true, _) => [F::one(), F::zero()],
        (false, true) => [F::zero(), F::one()],
        (false, false) => [two::<F>().recip(); 2],
    }
}
