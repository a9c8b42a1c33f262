//! The edge values of the float types and the ops recorded at them, for
//! the tests that a recorded function, interpreted or compiled, gives a
//! fresh recording's numbers there (`tests/edge_values.rs`,
//! `jit/tests/edges.rs`).

use num_traits::Float;
use tapegrad::Active;

pub type Case<F> = (&'static str, fn(&[Active<F>]) -> Active<F>);

/// The cases, each of two inputs, for one float type (a literal on the left
/// of an operator needs the concrete type); the module is `edges` at the
/// test crate's root.
macro_rules! cases {
    ($t:ty) => {{
        let cases: Vec<$crate::edges::Case<$t>> = vec![
            ("clamp", |x| x[0].clamp(0.0, 1.0) * x[1]),
            ("clamp between variables", |x| x[0].clamp(x[1], x[1] + 1.0)),
            ("max with a constant", |x| x[0].max(0.0) + x[1]),
            ("min", |x| x[0].min(x[1])),
            ("max", |x| x[0].max(x[1]) * x[0]),
            ("relu", |x| x[0].relu() * x[1]),
            ("abs", |x| x[0].abs() * x[1]),
            ("signum", |x| x[0].signum() * x[1]),
            ("copysign", |x| x[0].copysign(x[1])),
            ("floor", |x| x[0].floor() * x[1]),
            ("rem", |x| x[0] % x[1]),
            ("rem by a constant", |x| x[0] % 2.0),
            ("ln σ", |x| x[0].sigmoid().ln()),
            ("ln(1 − σ)", |x| (1.0 - x[0].sigmoid()).ln()),
            ("ln σ(−z)", |x| (-x[0]).sigmoid().ln()),
            ("cross-entropy", |x| {
                let s = (x[0] * x[1]).sigmoid();
                -(x[1] * s.ln() + (1.0 - x[1]) * (1.0 - s).ln())
            }),
            ("σ read beside its ln", |x| {
                let s = x[0].sigmoid();
                s.ln() * s + (1.0 - s).ln() + s.ln()
            }),
            ("ln(σ + 0)", |x| (x[0].sigmoid() + 0.0).ln()),
            ("softplus", |x| x[0].softplus() - x[1]),
            ("powi", |x| {
                x[0].powi(0) * x[1] + x[0].powi(3) + x[1].powi(-1)
            }),
            ("powf of a constant", |x| {
                x[0].powf(0.0) * x[1] + x[0].powf(0.5)
            }),
            ("powf", |x| x[0].powf(x[1])),
            ("sqrt", |x| x[0].sqrt() * x[1]),
            ("recip", |x| x[0].recip() * x[1]),
            ("ln · 0", |x| x[0].ln() * 0.0 + x[1]),
            ("times ±0", |x| x[0] * 0.0 + x[1] * -0.0),
            ("0 times", |x| 0.0 * x[0] + x[1]),
            ("± 0", |x| (x[0] + 0.0) * (x[1] - 0.0) + (x[0] + -0.0)),
            ("0 −", |x| 0.0 - x[0] * x[1]),
            ("times and by 1", |x| x[0] * 1.0 * x[1] / 1.0),
            ("− −", |x| -(-x[0]) * x[1]),
            ("times ∞", |x| x[0] * <$t>::INFINITY + x[1]),
            ("times NaN", |x| x[0] * <$t>::NAN + x[1]),
            ("x − x", |x| x[0] - x[0] + x[1] / x[1]),
            ("a product twice", |x| x[0] * x[1] - x[0] * x[1]),
            ("a sine twice", |x| {
                (x[0] * x[1]).sin() + (x[0] * x[1]).sin()
            }),
            ("sum", |x| {
                [x[0], x[1], x[0] * x[1], x[0] * 2.0].into_iter().sum()
            }),
            ("sum with minus", |x| {
                x[0] - x[1] * x[0] - (x[1] - x[0] * x[0]) + 3.0
            }),
            ("nested sums", |x| {
                (x[0] * x[0] + x[1] * x[1]) + (x[0] - x[1]) + 1.0
            }),
            ("product", |x| {
                [x[0], x[1], x[0] + x[1]].into_iter().product()
            }),
            ("scaled chain", |x| {
                (-(x[0] * 2.0)).sin() * 3.0 + (x[1] / 4.0 - 1.0) * -1.0
            }),
            ("hypot", |x| x[0].hypot(x[1])),
            ("atan2", |x| x[0].atan2(x[1])),
            ("exp ln", |x| x[0].exp().ln() + (x[0] * x[1]).ln_1p()),
            ("a constant output", |x| x[0] * 0.0),
            ("<", |x| if x[0] < x[1] { x[0] } else { x[1] * 2.0 }),
            ("==", |x| if x[0] == x[1] { x[0] * x[0] } else { x[1] }),
            ("is_nan", |x| if x[0].is_nan() { x[1] } else { x[0] }),
            ("select", |x| {
                x[0].select(tapegrad::replay::Comparison::Gt, x[1], x[0], x[1] * 3.0)
            }),
            ("select of a constant", |x| {
                x[0].select(tapegrad::replay::Comparison::Gt, 0.0, x[0].ln(), x[1])
            }),
        ];
        cases
    }};
}

/// Each number's bits, every NaN as one: what "the same to the bit" compares.
pub fn bits<F: Float>(values: &[F]) -> Vec<u64> {
    let one = |v: &F| match v.is_nan() {
        true => f64::NAN.to_bits(),
        false => v.to_f64().expect("every float converts").to_bits(),
    };
    values.iter().map(one).collect()
}

/// The points: every pair of the edge values.
pub fn points<F: Float>() -> Vec<[F; 2]> {
    let v = |x: f64| F::from(x).expect("a test literal");
    let edges = [
        F::zero(),
        -F::zero(),
        v(0.5),
        -F::one(),
        v(2.0),
        v(-800.0),
        F::min_positive_value() / v(4.0),
        F::max_value() / v(2.0),
        F::infinity(),
        F::neg_infinity(),
        F::nan(),
    ];
    edges
        .iter()
        .flat_map(|&a| edges.iter().map(move |&b| [a, b]))
        .collect()
}
