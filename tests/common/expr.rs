//! Random expressions of the op table's ops over three inputs, for the
//! property tests of recorded functions.

use num_traits::Float;
use proptest::prelude::*;

/// An expression of the table's ops, written once for any `Float`.
#[derive(Clone, Debug)]
pub enum Expr {
    Input(usize),
    Const(f64),
    Unary(u8, Box<Expr>),
    Binary(u8, Box<Expr>, Box<Expr>),
}

pub const INPUTS: usize = 3;

/// How many unary and binary ops an op code picks among, and the codes of
/// the two clamps (read by `eval` and `clamps`).
const UNARY: u8 = 18;
const BINARY: u8 = 11;
const CLAMP: u8 = 11;
const CLAMP_BETWEEN: u8 = 9;

impl Expr {
    /// Whether it clamps: a recorded function's `clamp` is two selects, a
    /// tape's returns the operand itself, so where the clamped value is
    /// read twice their sweeps add the same products in another order.
    pub fn clamps(&self) -> bool {
        match self {
            Expr::Input(_) | Expr::Const(_) => false,
            Expr::Unary(op, a) => op % UNARY == CLAMP || a.clamps(),
            Expr::Binary(op, a, b) => op % BINARY == CLAMP_BETWEEN || a.clamps() || b.clamps(),
        }
    }
}

pub fn eval<T: Float>(e: &Expr, x: &[T]) -> T {
    let c = |v: f64| T::from(v).expect("a literal");
    match e {
        Expr::Input(i) => x[*i],
        Expr::Const(v) => c(*v),
        Expr::Unary(op, a) => {
            let a = eval(a, x);
            match op % UNARY {
                0 => -a,
                1 => a.tanh().exp(),
                2 => (a * a + c(0.5)).ln(),
                3 => a.sin(),
                4 => a.cos(),
                5 => a.abs(),
                6 => a.atan(),
                7 => (a * a + c(1.0)).sqrt(),
                8 => a.tanh().powi(3),
                9 => a.floor(),
                10 => a.max(c(0.25)),
                CLAMP => a.clamp(c(-0.5), c(1.0)),
                12 => a.signum() * a.sinh(),
                13 => a.tanh().exp_m1() + (a * a).ln_1p(),
                14 => (a * a + c(1.0)).cbrt() + a.asinh(),
                15 => a % c(0.75),
                16 => c(1.5) - a.tanh(),
                _ => (a * a + c(1.0)).recip(),
            }
        }
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, x), eval(b, x));
            match op % BINARY {
                0 => a + b,
                1 => a - b,
                2 => a * b,
                3 => a / (b * b + c(0.5)),
                4 => a.hypot(b),
                5 => a.atan2(b),
                6 => a.min(b),
                7 => a.max(b) * a.copysign(b),
                8 => a % (b * b + c(0.5)),
                CLAMP_BETWEEN => a.clamp(b.tanh(), b.tanh() + c(1.0)),
                _ => (a * a + c(0.5)).powf(b.tanh()),
            }
        }
    }
}

pub fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => (0..INPUTS).prop_map(Expr::Input),
        1 => (-2.0..2.0).prop_map(Expr::Const),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            (any::<u8>(), inner.clone()).prop_map(|(op, a)| Expr::Unary(op, Box::new(a))),
            (any::<u8>(), inner.clone(), inner).prop_map(|(op, a, b)| Expr::Binary(
                op,
                Box::new(a),
                Box::new(b)
            )),
        ]
    })
}
