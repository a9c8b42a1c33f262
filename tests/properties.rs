//! Property tests: random expression trees over every op, with inputs kept
//! in each op's domain, differentiated by the tape and by central finite
//! differences.
//!
//! Each op's argument passes through a smooth map into its domain (`ln` sees
//! `a² + ¼`, `asin` sees `0.9·tanh a`, …); the maps are recorded on the tape
//! like everything else. Cases whose value leaves a sane range, or that lie
//! within reach of a kink (`abs`, `relu`, `max` at a tie, the cut of
//! `atan2`), where finite differences are meaningless, are skipped.

use std::cell::Cell;

use proptest::prelude::*;
use tapegrad::{
    Tape, Var,
    check::check_gradient,
    dot,
    nn::{affine, dense},
    sum,
};

#[derive(Clone, Copy, Debug)]
enum Unary {
    Neg,
    Recip,
    Exp,
    Exp2,
    ExpM1,
    Ln,
    Ln1p,
    Log2,
    Log10,
    Powi(i32),
    PowfConst(f64),
    ConstPowf(f64),
    Sqrt,
    Cbrt,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Abs,
    Relu,
    Sigmoid,
    Softplus,
    LnSigmoid,
    SigmoidThenLn,
    OneMinusSigmoidThenLn,
    BceConst(f64),
}

#[derive(Clone, Copy, Debug)]
enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Powf,
    Log,
    Max,
    Min,
    Atan2,
    Hypot,
    Bce,
    MulAdd,
    Custom,
}

#[derive(Clone, Copy, Debug)]
enum Nary {
    Sum,
    SumIter,
    Product,
    Dot,
    Affine,
}

#[derive(Clone, Debug)]
enum Expr {
    Input(usize),
    Const(f64),
    Unary(Unary, Box<Expr>),
    Binary(Binary, Box<Expr>, Box<Expr>),
    Nary(Nary, Vec<Expr>),
}

const INPUTS: usize = 3;

/// How far the evaluation came to a kink, where the gradient is a convention
/// and finite differences see a jump.
struct Kinks(Cell<f64>);

impl Kinks {
    fn near(&self, distance: f64) {
        self.0.set(self.0.get().min(distance.abs()));
    }
}

fn positive<'t>(a: Var<'t>) -> Var<'t> {
    a * a + 0.25
}

fn bounded<'t>(a: Var<'t>, limit: f64) -> Var<'t> {
    a.tanh() * limit
}

fn eval<'t>(e: &Expr, x: &[Var<'t>], kinks: &Kinks) -> Var<'t> {
    match e {
        Expr::Input(i) => x[*i],
        Expr::Const(c) => Var::constant(*c),
        Expr::Unary(op, a) => {
            let a = eval(a, x, kinks);
            match *op {
                Unary::Neg => -a,
                Unary::Recip => positive(a).recip(),
                Unary::Exp => bounded(a, 3.0).exp(),
                Unary::Exp2 => bounded(a, 3.0).exp2(),
                Unary::ExpM1 => bounded(a, 3.0).exp_m1(),
                Unary::Ln => positive(a).ln(),
                Unary::Ln1p => (a * a).ln_1p(),
                Unary::Log2 => positive(a).log2(),
                Unary::Log10 => positive(a).log10(),
                Unary::Powi(n) if n < 0 => positive(a).powi(n),
                Unary::Powi(n) => bounded(a, 2.0).powi(n),
                Unary::PowfConst(c) => positive(a).powf(c),
                Unary::ConstPowf(c) => Var::constant(c).powf(bounded(a, 3.0)),
                Unary::Sqrt => positive(a).sqrt(),
                Unary::Cbrt => positive(a).cbrt(),
                Unary::Sin => a.sin(),
                Unary::Cos => a.cos(),
                Unary::Tan => bounded(a, 1.3).tan(),
                Unary::Asin => bounded(a, 0.9).asin(),
                Unary::Acos => bounded(a, 0.9).acos(),
                Unary::Atan => a.atan(),
                Unary::Sinh => bounded(a, 3.0).sinh(),
                Unary::Cosh => bounded(a, 3.0).cosh(),
                Unary::Tanh => a.tanh(),
                Unary::Asinh => a.asinh(),
                Unary::Acosh => (positive(a) + 1.0).acosh(),
                Unary::Atanh => bounded(a, 0.9).atanh(),
                Unary::Abs => {
                    kinks.near(a.value());
                    a.abs()
                }
                Unary::Relu => {
                    kinks.near(a.value());
                    a.relu()
                }
                Unary::Sigmoid => a.sigmoid(),
                Unary::Softplus => a.softplus(),
                Unary::LnSigmoid => a.ln_sigmoid(),
                Unary::SigmoidThenLn => a.sigmoid().ln(),
                Unary::OneMinusSigmoidThenLn => (1.0 - a.sigmoid()).ln(),
                Unary::BceConst(y) => a.bce_with_logits(y),
            }
        }
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, x, kinks), eval(b, x, kinks));
            match op {
                Binary::Add => a + b,
                Binary::Sub => a - b,
                Binary::Mul => a * b,
                Binary::Div => a / positive(b),
                Binary::Powf => positive(a).powf(bounded(b, 2.0)),
                Binary::Log => positive(a).log(positive(b) + 1.25),
                Binary::Max => {
                    kinks.near(a.value() - b.value());
                    a.max(b)
                }
                Binary::Min => {
                    kinks.near(a.value() - b.value());
                    a.min(b)
                }
                Binary::Atan2 => {
                    // The cut is the negative x axis; the origin is singular.
                    if b.value() < 0.0 {
                        kinks.near(a.value());
                    }
                    kinks.near(a.value().hypot(b.value()));
                    a.atan2(b)
                }
                Binary::Hypot => {
                    kinks.near(a.value().hypot(b.value()));
                    a.hypot(b)
                }
                Binary::Bce => a.bce_with_logits(b.sigmoid()),
                Binary::MulAdd => a.mul_add(b, a),
                Binary::Custom => Var::custom("x·exp(y)", [a, bounded(b, 2.0)], |[p, q]| {
                    (p * q.exp(), [q.exp(), p * q.exp()])
                }),
            }
        }
        Expr::Nary(op, items) => {
            let xs: Vec<Var<'t>> = items.iter().map(|e| eval(e, x, kinks)).collect();
            match op {
                Nary::Sum => sum(&xs),
                Nary::SumIter => xs.iter().sum(),
                Nary::Product => xs.iter().map(|&v| bounded(v, 2.0)).product(),
                Nary::Dot => {
                    let half = xs.len() / 2;
                    dot(&xs[..half], &xs[half..2 * half])
                }
                Nary::Affine => {
                    let half = xs.len() / 2;
                    let b = xs.last().copied().unwrap_or(Var::constant(0.5));
                    affine(&xs[..half], &xs[half..2 * half], b)
                }
            }
        }
    }
}

fn unary() -> impl Strategy<Value = Unary> {
    use Unary::*;
    prop_oneof![
        Just(Neg),
        Just(Recip),
        Just(Exp),
        Just(Exp2),
        Just(ExpM1),
        Just(Ln),
        Just(Ln1p),
        Just(Log2),
        Just(Log10),
        (-3..=4).prop_map(Powi),
        (-1.5..2.5).prop_map(PowfConst),
        (0.2..4.0).prop_map(ConstPowf),
        Just(Sqrt),
        Just(Cbrt),
        Just(Sin),
        Just(Cos),
        Just(Tan),
        Just(Asin),
        Just(Acos),
        Just(Atan),
        Just(Sinh),
        Just(Cosh),
        Just(Tanh),
        Just(Asinh),
        Just(Acosh),
        Just(Atanh),
        Just(Abs),
        Just(Relu),
        Just(Sigmoid),
        Just(Softplus),
        Just(LnSigmoid),
        Just(SigmoidThenLn),
        Just(OneMinusSigmoidThenLn),
        (0.0..=1.0).prop_map(BceConst),
    ]
}

fn binary() -> impl Strategy<Value = Binary> {
    use Binary::*;
    prop_oneof![
        Just(Add),
        Just(Sub),
        Just(Mul),
        Just(Div),
        Just(Powf),
        Just(Log),
        Just(Max),
        Just(Min),
        Just(Atan2),
        Just(Hypot),
        Just(Bce),
        Just(MulAdd),
        Just(Custom),
    ]
}

fn nary() -> impl Strategy<Value = Nary> {
    prop_oneof![
        Just(Nary::Sum),
        Just(Nary::SumIter),
        Just(Nary::Product),
        Just(Nary::Dot),
        Just(Nary::Affine)
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => (0..INPUTS).prop_map(Expr::Input),
        1 => (-2.0..2.0).prop_map(Expr::Const),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            4 => (unary(), inner.clone()).prop_map(|(op, a)| Expr::Unary(op, Box::new(a))),
            4 => (binary(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| Expr::Binary(op, Box::new(a), Box::new(b))),
            1 => (nary(), prop::collection::vec(inner, 0..5)).prop_map(|(op, xs)| Expr::Nary(op, xs)),
        ]
    })
}

proptest! {
    // About 1.3 % of cases meet a kink and are rejected; the limit allows
    // for PROPTEST_CASES in the hundreds of thousands (the default, 1,024,
    // stopped a run at 76,540 cases).
    #![proptest_config(ProptestConfig {
        cases: 4000,
        max_global_rejects: 1 << 16,
        ..ProptestConfig::default()
    })]

    #[test]
    fn tape_gradient_matches_finite_differences(
        e in expr(),
        x in prop::array::uniform3(-2.0..2.0f64),
    ) {
        let kinks = Kinks(Cell::new(f64::INFINITY));
        let tape = Tape::new();
        let vars = tape.vars(&x);
        let out = eval(&e, &vars, &kinks);
        let grads = out.backward();
        let gradient: Vec<f64> = vars.iter().map(|v| grads.wrt(v)).collect();
        prop_assume!(out.value().is_finite() && out.value().abs() < 1e6);
        prop_assume!(gradient.iter().all(|g| g.is_finite() && g.abs() < 1e6));
        prop_assume!(kinks.0.get() > 1e-3);

        let quiet = Kinks(Cell::new(f64::INFINITY));
        let check = check_gradient(|v| eval(&e, v, &quiet), &x);
        prop_assert!(check.is_ok(), "{:?} at {:?}: {}", e, x, check.unwrap_err());
    }
}

/// A smooth expression, written for any `T: Float`: what `hessian` sees.
#[derive(Clone, Debug)]
enum Smooth {
    Input(usize),
    Const(f64),
    Unary(SmoothUnary, Box<Smooth>),
    Binary(SmoothBinary, Box<Smooth>, Box<Smooth>),
}

#[derive(Clone, Copy, Debug)]
enum SmoothUnary {
    Neg,
    Exp,
    Ln,
    Sqrt,
    Sin,
    Cos,
    Tanh,
    Atan,
    Recip,
    Powi(i32),
    Powf(f64),
    Cbrt,
    Asinh,
    ExpM1,
}

#[derive(Clone, Copy, Debug)]
enum SmoothBinary {
    Add,
    Sub,
    Mul,
    Div,
    Powf,
    Hypot,
    MulAdd,
}

fn eval_smooth<T: num_traits::Float>(e: &Smooth, x: &[T]) -> T {
    let c = |v: f64| T::from(v).expect("a literal");
    // Smooth maps into each op's domain, as for the first property.
    let positive = |a: T| a * a + c(0.25);
    let bounded = |a: T, limit: f64| a.tanh() * c(limit);
    match e {
        Smooth::Input(i) => x[*i],
        Smooth::Const(v) => c(*v),
        Smooth::Unary(op, a) => {
            let a = eval_smooth(a, x);
            match *op {
                SmoothUnary::Neg => -a,
                SmoothUnary::Exp => bounded(a, 3.0).exp(),
                SmoothUnary::Ln => positive(a).ln(),
                SmoothUnary::Sqrt => positive(a).sqrt(),
                SmoothUnary::Sin => a.sin(),
                SmoothUnary::Cos => a.cos(),
                SmoothUnary::Tanh => a.tanh(),
                SmoothUnary::Atan => a.atan(),
                SmoothUnary::Recip => positive(a).recip(),
                SmoothUnary::Powi(n) => bounded(a, 2.0).powi(n),
                SmoothUnary::Powf(p) => positive(a).powf(c(p)),
                SmoothUnary::Cbrt => positive(a).cbrt(),
                SmoothUnary::Asinh => a.asinh(),
                SmoothUnary::ExpM1 => bounded(a, 3.0).exp_m1(),
            }
        }
        Smooth::Binary(op, a, b) => {
            let (a, b) = (eval_smooth(a, x), eval_smooth(b, x));
            match op {
                SmoothBinary::Add => a + b,
                SmoothBinary::Sub => a - b,
                SmoothBinary::Mul => a * b,
                SmoothBinary::Div => a / positive(b),
                SmoothBinary::Powf => positive(a).powf(bounded(b, 2.0)),
                SmoothBinary::Hypot => positive(a).hypot(b),
                SmoothBinary::MulAdd => a.mul_add(b, a),
            }
        }
    }
}

fn smooth() -> impl Strategy<Value = Smooth> {
    use SmoothUnary::*;
    let unary = prop_oneof![
        Just(Neg),
        Just(Exp),
        Just(Ln),
        Just(Sqrt),
        Just(Sin),
        Just(Cos),
        Just(Tanh),
        Just(Atan),
        Just(Recip),
        (0..=4).prop_map(Powi),
        (-1.5..2.5).prop_map(Powf),
        Just(Cbrt),
        Just(Asinh),
        Just(ExpM1),
    ];
    let binary = prop_oneof![
        Just(SmoothBinary::Add),
        Just(SmoothBinary::Sub),
        Just(SmoothBinary::Mul),
        Just(SmoothBinary::Div),
        Just(SmoothBinary::Powf),
        Just(SmoothBinary::Hypot),
        Just(SmoothBinary::MulAdd),
    ];
    let leaf = prop_oneof![
        3 => (0..INPUTS).prop_map(Smooth::Input),
        1 => (-2.0..2.0).prop_map(Smooth::Const),
    ];
    leaf.prop_recursive(4, 16, 2, move |inner| {
        prop_oneof![
            (unary.clone(), inner.clone()).prop_map(|(op, a)| Smooth::Unary(op, Box::new(a))),
            (binary.clone(), inner.clone(), inner).prop_map(|(op, a, b)| Smooth::Binary(
                op,
                Box::new(a),
                Box::new(b)
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn hessian_matches_finite_differences_of_the_gradient(
        e in smooth(),
        x in prop::array::uniform3(-2.0..2.0f64),
    ) {
        let value = eval_smooth(&e, &x);
        prop_assume!(value.is_finite() && value.abs() < 1e4);
        let h = tapegrad::hessian(|v| eval_smooth(&e, v), &x);
        prop_assume!(h.iter().flatten().all(|v| v.is_finite() && v.abs() < 1e4));
        for j in 0..INPUTS {
            let step = f64::EPSILON.cbrt() * x[j].abs().max(1.0);
            let at = |delta: f64| {
                let mut p = x;
                p[j] += delta;
                tapegrad::grad(|v| eval_smooth(&e, v), &p)
            };
            // Central differences at h and h/2, extrapolated (Richardson): the
            // error is O(h⁴), not O(h²), which a strongly curved term needs.
            let central = |h: f64| {
                let (up, down) = (at(h), at(-h));
                let width = (x[j] + h) - (x[j] - h);
                (0..INPUTS).map(|i| (up[i] - down[i]) / width).collect::<Vec<_>>()
            };
            let (wider, wide, narrow) = (central(2.0 * step), central(step), central(step / 2.0));
            for i in 0..INPUTS {
                let numeric = (4.0 * narrow[i] - wide[i]) / 3.0;
                let scale = h[i][j].abs().max(numeric.abs()).max(1.0);
                // The same extrapolation a step coarser: where the two differ
                // by a quarter of the tolerance, the differences' rounding
                // (a gradient whose terms cancel, divided by a small step)
                // makes them no reference at this point.
                let coarser = (4.0 * wide[i] - wider[i]) / 3.0;
                prop_assume!((numeric - coarser).abs() <= 0.25e-5 * scale, "differences unsettled");
                prop_assert!(
                    (h[i][j] - numeric).abs() <= 1e-5 * scale,
                    "{:?} at {:?}: H[{}][{}] = {}, differences give {}", e, x, i, j, h[i][j], numeric
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Forward mode (`Dual`) and reverse mode (the tape) give the same
    /// gradient of a random smooth expression; so does the expression as one
    /// fused node, and its Hessian through the nested tape.
    #[test]
    fn forward_mode_matches_reverse_mode(
        e in smooth(),
        x in prop::array::uniform3(-2.0..2.0f64),
    ) {
        let reverse = tapegrad::grad(|v| eval_smooth(&e, v), &x);
        prop_assume!(reverse.iter().all(|g| g.is_finite() && g.abs() < 1e6));
        let forward = eval_smooth(&e, &tapegrad::forward::Dual::inputs(x)).tangent();
        let fused = tapegrad::grad(
            |v| Var::fused("e", [v[0], v[1], v[2]], |d| eval_smooth(&e, &d)),
            &x,
        );
        for i in 0..INPUTS {
            let scale = reverse[i].abs().max(1.0);
            prop_assert!(
                (forward[i] - reverse[i]).abs() <= 1e-12 * scale,
                "{:?} at {:?}: ∂/∂x{} forward {}, reverse {}", e, x, i, forward[i], reverse[i]
            );
            prop_assert_eq!(fused[i], forward[i]);
        }
        let h = tapegrad::hessian(|v| eval_smooth(&e, v), &x);
        prop_assume!(h.iter().flatten().all(|v| v.is_finite() && v.abs() < 1e6));
        let h_fused = tapegrad::hessian(
            |v| Var::fused("e", [v[0], v[1], v[2]], |d| eval_smooth(&e, &d)),
            &x,
        );
        for (row, row_fused) in h.iter().zip(&h_fused) {
            for (a, b) in row.iter().zip(row_fused) {
                let scale = a.abs().max(1.0);
                prop_assert!((a - b).abs() <= 1e-10 * scale, "{:?} at {:?}: {} vs {}", e, x, a, b);
            }
        }
    }
}

proptest! {
    /// An n-ary node's parents, consecutive or not, with repeats: each
    /// parent's gradient is the sum of its edges' partials, accumulated last
    /// edge first, to the bit.
    #[test]
    fn n_ary_parents_in_any_order_get_exactly_their_partials(
        values in prop::collection::vec(-2.0..2.0f64, 1..12),
        picks in prop::collection::vec((0..12usize, -3.0..3.0f64), 1..16),
        consecutive in any::<bool>(),
        seed in -2.0..2.0f64,
    ) {
        let tape = Tape::new();
        let x = tape.vars(&values);
        let picks: Vec<(usize, f64)> = if consecutive {
            picks.iter().enumerate().map(|(k, &(_, c))| (k % values.len(), c)).take(values.len()).collect()
        } else {
            picks.iter().map(|&(i, c)| (i % values.len(), c)).collect()
        };
        let (vars, coefficients): (Vec<Var>, Vec<f64>) = picks.iter().map(|&(i, c)| (x[i], c)).unzip();
        let grads = (dot(&vars, &coefficients) * seed).backward();
        let mut expected = vec![0.0; values.len()];
        for &(i, c) in picks.iter().rev() {
            expected[i] += c * seed;
        }
        for (i, xi) in x.iter().enumerate() {
            prop_assert_eq!(grads.wrt(xi), expected[i], "x[{}] of {:?}", i, picks);
        }
    }
}

/// One op of a random program: which op, and its operands by how far back
/// they were recorded (0 is the value just before).
#[derive(Clone, Debug)]
struct Step {
    op: u8,
    a: usize,
    b: usize,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    // Mostly near operands: chains, diamonds and reuse of one value twice.
    let back = prop_oneof![3 => 0..2usize, 1 => 0..8usize];
    prop::collection::vec(
        (0..4u8, back.clone(), back).prop_map(|(op, a, b)| Step { op, a, b }),
        1..60,
    )
}

proptest! {
    /// The sweep's result to the bit: each node's gradient is the sum of its
    /// children's products, added from the last child recorded to the
    /// first, each child's edges last to first. A reference sweep over the
    /// same program, in plain floats, adds them in that order.
    #[test]
    fn the_sweep_adds_every_product_in_the_documented_order(
        inputs in prop::collection::vec(-1.5..1.5f64, 1..4),
        program in steps(),
    ) {
        let tape = Tape::new();
        let xs = tape.vars(&inputs);
        let mut vars: Vec<Var> = xs.clone();
        // (parents, partials) of every op node, as the reference sees them.
        let mut edges: Vec<Vec<(usize, f64)>> = vec![Vec::new(); inputs.len()];
        for step in &program {
            let n = vars.len();
            let (i, j) = (n - 1 - step.a.min(n - 1), n - 1 - step.b.min(n - 1));
            let (a, b) = (vars[i], vars[j]);
            let (y, e) = match step.op {
                0 => (a + b, vec![(i, 1.0), (j, 1.0)]),
                1 => (a * b, vec![(i, b.value()), (j, a.value())]),
                2 => (a - b, vec![(i, 1.0), (j, -1.0)]),
                _ => (a.sin(), vec![(i, a.value().cos())]),
            };
            vars.push(y);
            edges.push(e);
        }
        let out = *vars.last().unwrap();
        let grads = out.backward();
        let mut adjoint = vec![0.0; vars.len()];
        adjoint[vars.len() - 1] = 1.0;
        for node in (0..vars.len()).rev() {
            let g = adjoint[node];
            for &(parent, partial) in edges[node].iter().rev() {
                // The documented rule: a zero gradient passes nothing through
                // a partial that is not finite (0 · ∞ would be NaN).
                if g != 0.0 || partial.is_finite() {
                    adjoint[parent] += partial * g;
                }
            }
        }
        for (k, x) in xs.iter().enumerate() {
            prop_assert_eq!(grads.wrt(x).to_bits(), adjoint[k].to_bits(), "x[{}]", k);
        }
        for (k, v) in vars.iter().enumerate().skip(inputs.len()) {
            prop_assert_eq!(grads.wrt(v).to_bits(), adjoint[k].to_bits(), "node {}", k);
        }
    }
}

/// What two ways of recording must agree on, to the bit: the `outputs`'
/// values, the gradient of `Σ sin(output)` with respect to `params`, and the
/// tape's node and edge counts.
fn recorded(tape: &Tape, outputs: &[Var], params: &[Var]) -> (Vec<u64>, Vec<u64>, usize, usize) {
    let values = outputs.iter().map(|u| u.value().to_bits()).collect();
    let y = outputs.iter().map(|u| u.sin()).sum::<Var>();
    let grads = y
        .backward()
        .wrt_all(params)
        .iter()
        .map(|g| g.to_bits())
        .collect();
    (values, grads, tape.len(), tape.edges())
}

proptest! {
    /// `dense` records each unit with `affine`'s value, gradient and edges,
    /// to the bit, whatever its inputs: data, activations recorded after
    /// the parameters, the parameters themselves (a unit's own, another
    /// unit's), repeats, constants.
    #[test]
    fn dense_units_are_affine_to_the_bit(
        theta in prop::collection::vec(-2.0..2.0f64, 12),
        picks in prop::collection::vec((0..3u8, 0..3usize, -2.0..2.0f64), 0..6),
        data in any::<bool>(),
    ) {
        let n = picks.len();
        let rows = 12 / (n + 1);
        let run = |fused: bool| {
            let tape = Tape::new();
            let params = tape.vars(&theta);
            let params = &params[..rows * (n + 1)];
            let activations: Vec<Var> = params.iter().map(|p| p.tanh()).collect();
            let x: Vec<Var> = picks
                .iter()
                .map(|&(kind, i, c)| match kind {
                    0 => activations[i % params.len().max(1)],
                    1 => params[i % params.len().max(1)],
                    _ => Var::constant(c),
                })
                .collect();
            let floats: Vec<f64> = picks.iter().map(|&(_, _, c)| c).collect();
            let units: Vec<Var> = match (fused, data) {
                (true, true) => dense(params, &floats).collect(),
                (true, false) => dense(params, &x).collect(),
                (false, true) => params.chunks(n + 1).map(|r| affine(&r[..n], &floats, r[n])).collect(),
                (false, false) => params.chunks(n + 1).map(|r| affine(&r[..n], &x, r[n])).collect(),
            };
            recorded(&tape, &units, params)
        };
        prop_assert_eq!(run(true), run(false));
    }

    /// Layers whose parameters overlap, repeat from call to call (the tape
    /// keeps their values once) or are each other's slices record `affine`'s
    /// units to the bit, each layer's inputs the last outputs so far; also
    /// a layer again with its last row moved elsewhere among the
    /// parameters, whose first parameter and count match values the tape
    /// keeps but whose rows do not.
    #[test]
    fn dense_layers_sharing_parameters_are_affine_to_the_bit(
        theta in prop::collection::vec(-2.0..2.0f64, 24),
        layers in prop::collection::vec(
            (0..24usize, 1..4usize, 1..4usize, prop::option::of(0..24usize)),
            1..10,
        ),
    ) {
        let run = |fused: bool| {
            let tape = Tape::new();
            let all = tape.vars(&theta);
            let mut outputs: Vec<Var> = tape.vars(&[0.3, -0.7, 1.1]).iter().map(|x| x.tanh()).collect();
            let mut calls: Vec<(Vec<Var>, usize)> = Vec::new();
            for &(start, n, rows, moved) in &layers {
                let rows = rows.min((all.len() - start) / (n + 1));
                let mut params = all[start..][..rows * (n + 1)].to_vec();
                calls.push((params.clone(), n));
                // Again, its last row moved (and still on its first node).
                if let Some(from) = moved.filter(|&from| rows > 1 && from + n < all.len()) {
                    let last = params.len() - (n + 1);
                    params[last..].copy_from_slice(&all[from..][..n + 1]);
                    calls.push((params, n));
                }
            }
            for (params, n) in calls {
                let x = outputs[outputs.len() - n..].to_vec();
                let units: Vec<Var> = match fused {
                    true => dense(&params, &x).collect(),
                    false => params.chunks(n + 1).map(|r| affine(&r[..n], &x, r[n])).collect(),
                };
                outputs.extend(units.iter().map(|u| u.sin()));
            }
            recorded(&tape, &outputs, &all)
        };
        prop_assert_eq!(run(true), run(false));
    }
}
