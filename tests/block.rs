//! Block ops: a node whose backward pass is the op's vector–Jacobian
//! product. Softmax against the same function composed of scalar ops, in
//! value, gradient, second derivatives and against central differences;
//! the batched layer against `dense`; traced and checked tapes.

mod common;

use common::{Real, assert_close, lit};
use num_traits::Float;
use tapegrad::{
    Active, Error, Tape, Var,
    check::check_gradient,
    custom::{BlockOp, block},
    nn::{Activation, dense, layer},
    replay::Function,
};

/// `yᵢ = e^(xᵢ − max x) / Σⱼ e^(xⱼ − max x)`, `x̄ᵢ = yᵢ·(ȳᵢ − y·ȳ)`.
struct Softmax;

impl BlockOp for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }
    fn outputs(&self, inputs: usize) -> usize {
        inputs
    }
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
        let max = x.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
        for (y, &x) in y.iter_mut().zip(x) {
            *y = (x - max).exp();
        }
        let total = y.iter().fold(T::zero(), |s, &v| s + v);
        y.iter_mut().for_each(|y| *y = *y / total);
    }
    fn vjp<T: Float>(&self, _x: &[T], y: &[T], y_bar: &[T], x_bar: &mut [T]) {
        let dot = y.iter().zip(y_bar).fold(T::zero(), |s, (&y, &g)| s + y * g);
        for ((x_bar, &y), &g) in x_bar.iter_mut().zip(y).zip(y_bar) {
            *x_bar = *x_bar + y * (g - dot);
        }
    }
}

/// Softmax of scalar ops, for the oracle.
fn softmax_composed<T: Float>(x: &[T]) -> Vec<T> {
    let max = x.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
    let e: Vec<T> = x.iter().map(|&x| (x - max).exp()).collect();
    let total = e.iter().fold(T::zero(), |s, &v| s + v);
    e.iter().map(|&e| e / total).collect()
}

/// A loss of softmax's outputs that uses all of them.
fn loss_of<T: Float>(y: &[T]) -> T {
    y.iter().enumerate().fold(T::zero(), |acc, (i, &y)| {
        acc + T::from(i + 1).unwrap() * y.ln()
    })
}

fn softmax_agrees_with_its_composition<F: Real>() {
    let x: Vec<F> = [0.5, -1.0, 2.0, 0.25].map(lit).to_vec();
    let tape = Tape::<F>::default();
    let vars = tape.vars(&x);
    let by_block = loss_of(&block(Softmax, &vars));
    let by_ops = loss_of(&softmax_composed(&vars));
    let tol = F::epsilon() * lit(64.0);
    assert_close(by_block.value(), by_ops.value(), tol, "value");
    let (g_block, g_ops) = (by_block.backward(), by_ops.backward());
    for (i, v) in vars.iter().enumerate() {
        let what = format!("∂/∂x{i}");
        assert_close(g_block.wrt(v), g_ops.wrt(v), tol, &what);
    }
}

#[test]
fn softmax_as_a_block_agrees_with_softmax_of_scalar_ops_f32() {
    softmax_agrees_with_its_composition::<f32>();
}

#[test]
fn softmax_as_a_block_agrees_with_softmax_of_scalar_ops_f64() {
    softmax_agrees_with_its_composition::<f64>();
}

#[test]
fn a_block_gradient_passes_central_differences_in_f32_and_f64() {
    fn loss<'t, F: Real>(x: &[Var<'t, F>]) -> Var<'t, F> {
        loss_of(&block(Softmax, x))
    }
    check_gradient(loss::<f64>, &[0.5, -1.0, 2.0, 0.25]).expect("f64 gradient");
    check_gradient(loss::<f32>, &[0.5, -1.0, 2.0, 0.25]).expect("f32 gradient");
}

#[test]
fn second_derivatives_flow_through_a_block_on_nested_tapes() {
    let x = [0.5, -1.0, 2.0];
    let by_block = tapegrad::hessian(|v| loss_of(&block(Softmax, v)), &x);
    let by_ops = tapegrad::hessian(|v| loss_of(&softmax_composed(v)), &x);
    for (row_b, row_o) in by_block.iter().zip(&by_ops) {
        for (&b, &o) in row_b.iter().zip(row_o) {
            assert_close(b, o, 1e-12, "∂²/∂xᵢ∂xⱼ");
        }
    }
}

#[test]
fn a_block_records_one_node_and_one_per_output() {
    let tape = Tape::new();
    let x = tape.vars(&[1.0, 2.0, 3.0]);
    let y = block(Softmax, &x);
    assert_eq!(y.len(), 3);
    assert_eq!(tape.len(), 3 + 1 + 3);
    assert_eq!(
        tape.edges(),
        3 + 3 + 3,
        "an input's, the block's inputs, an output's"
    );
}

#[test]
fn a_block_of_constants_is_constants() {
    let tape = Tape::new();
    let y = block(Softmax, &[Var::constant(0.0), Var::constant(0.0)]);
    assert!(y.iter().all(|y| y.is_constant() && y.value() == 0.5));
    assert_eq!(tape.len(), 0);
}

#[test]
fn constants_among_a_blocks_inputs_take_no_gradient() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let y = block(Softmax, &[x, Var::constant(1.0)]);
    assert_eq!(y[0].value(), 0.5);
    // ∂y₀/∂x = y₀·(1 − y₀).
    assert_eq!(y[0].backward().wrt(&x), 0.25);
}

/// `yᵢ = √xᵢ`, whose vjp is `0 · ∞ = NaN` at `x = 0` when `ȳ = 0`.
struct Sqrt;

impl BlockOp for Sqrt {
    fn outputs(&self, inputs: usize) -> usize {
        inputs
    }
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = x.sqrt());
    }
    fn vjp<T: Float>(&self, _: &[T], y: &[T], y_bar: &[T], x_bar: &mut [T]) {
        for ((b, &y), &g) in x_bar.iter_mut().zip(y).zip(y_bar) {
            *b = *b + g / (y + y);
        }
    }
}

#[test]
fn a_block_whose_outputs_the_output_does_not_need_passes_no_nan() {
    let tape = Tape::new();
    let x = tape.var(0.0);
    let _unused = block(Sqrt, &[x]);
    let y = x * 3.0;
    assert_eq!(y.backward().wrt(&x), 3.0, "not 3 + 0/0");
}

#[test]
fn blocks_on_two_tapes_panic() {
    let (a, b) = (Tape::new(), Tape::new());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block(Softmax, &[a.var(1.0), b.var(2.0)])
    }));
    let message = result.expect_err("two tapes must panic");
    let text = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| message.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(text.contains("different tapes"), "{text}");
}

#[test]
fn a_traced_block_is_drawn_with_its_name_and_vjp_edges() -> Result<(), Error> {
    let tape = Tape::traced();
    let x = tape.vars(&[1.0, 2.0]);
    let y = block(Softmax, &x);
    let dot = tape.to_dot(&y[1], Some(&y[1].backward()))?;
    assert!(dot.contains("softmax"), "{dot}");
    assert_eq!(dot.matches("[label=\"vjp\"]").count(), 2, "{dot}");
    Ok(())
}

/// An op whose second output is not finite.
struct Reciprocal;

impl BlockOp for Reciprocal {
    fn name(&self) -> &'static str {
        "reciprocal"
    }
    fn outputs(&self, inputs: usize) -> usize {
        inputs
    }
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = x.recip());
    }
    fn vjp<T: Float>(&self, x: &[T], _: &[T], y_bar: &[T], x_bar: &mut [T]) {
        for ((b, &x), &g) in x_bar.iter_mut().zip(x).zip(y_bar) {
            *b = *b - g / (x * x);
        }
    }
    fn depends(&self, _inputs: usize, output: usize, input: usize) -> bool {
        output == input
    }
}

#[test]
fn a_checked_tape_names_a_block_whose_output_is_not_finite() {
    let tape = Tape::checked();
    let x = tape.vars(&[2.0, 0.0]);
    let y = block(Reciprocal, &x);
    match (y[0] + y[1]).backward_checked() {
        Err(Error::NonFinite { op, chain, .. }) => {
            assert_eq!(op, "reciprocal");
            assert_eq!(chain, ["input", "reciprocal"]);
        }
        other => panic!("expected the infinite output reported, got {other:?}"),
    }
    // The first output depends on the first input only: it is finite.
    assert!(y[0].backward_checked().is_ok());
}

/// A 2-3-1 network over a batch of 4, by `layer` and by `dense` per sample.
fn network_values_and_gradients(batched: bool) -> (f64, Vec<f64>) {
    let tape = Tape::new();
    let first = tape.vars(&[0.5, -1.0, 0.25, 2.0, 1.0, -0.5, -0.3, 0.8, 0.1]);
    let second = tape.vars(&[1.5, -0.5, 0.75, 0.2]);
    let batch = [1.0, 2.0, 0.0, 1.0, -1.0, 0.5, 0.3, -0.7];
    let out: Vec<Var> = if batched {
        let hidden = layer(&first, &batch, 2, Activation::Tanh);
        layer(&second, &hidden, 3, Activation::Identity)
    } else {
        batch
            .chunks(2)
            .map(|x| {
                let hidden: Vec<Var> = dense(&first, x).map(Var::tanh).collect();
                dense(&second, &hidden).next().expect("one unit")
            })
            .collect()
    };
    let loss = tapegrad::loss::mean_squared_error(&out, &[0.5, -0.5, 1.0, 0.0]);
    let grads = loss.backward();
    let all = first.iter().chain(&second);
    (loss.value(), all.map(|p| grads.wrt(p)).collect())
}

#[test]
fn a_batched_layer_gives_the_values_of_dense_and_its_gradients() {
    let (loss_b, grad_b) = network_values_and_gradients(true);
    let (loss_d, grad_d) = network_values_and_gradients(false);
    assert_eq!(loss_b, loss_d, "the same sums in the same order");
    for (i, (&b, &d)) in grad_b.iter().zip(&grad_d).enumerate() {
        assert_close(b, d, 1e-14, &format!("∂/∂θ{i}"));
    }
}

#[test]
fn every_activation_of_a_layer_passes_central_differences() {
    for activation in [
        Activation::Identity,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Relu,
    ] {
        // Inputs away from relu's kink.
        let theta = [0.5, -1.0, 0.25, 2.0, 1.0, -0.5, 1.0, 2.0, -0.4, 0.7];
        let checked = check_gradient(
            |theta| {
                let (params, x) = theta.split_at(6);
                let a = layer(params, x, 2, activation);
                let weighted = a.iter().zip(1..).map(|(&a, k)| a * f64::from(k));
                weighted.fold(Var::constant(0.0), |s, a| s + a)
            },
            &theta,
        );
        if let Err(e) = checked {
            panic!("{activation:?}: {e}");
        }
    }
}

#[test]
fn a_layer_of_too_few_parameters_panics_naming_the_shapes() {
    let tape = Tape::new();
    let params = tape.vars(&[1.0, 2.0]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        layer(&params, &[1.0, 2.0], 2, Activation::Tanh)
    }));
    let message = result.expect_err("a malformed layer must panic");
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("rows of 2 weights and a bias"), "{text}");
}

/// `yᵢ = xᵢ²`, whose vjp forgets the factor 2.
struct SquareWrongly;

impl BlockOp for SquareWrongly {
    fn name(&self) -> &'static str {
        "square, wrongly"
    }
    fn outputs(&self, inputs: usize) -> usize {
        inputs
    }
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = x * x);
    }
    fn vjp<T: Float>(&self, x: &[T], _: &[T], y_bar: &[T], x_bar: &mut [T]) {
        for ((b, &x), &g) in x_bar.iter_mut().zip(x).zip(y_bar) {
            *b = *b + x * g;
        }
    }
    fn depends(&self, _inputs: usize, output: usize, input: usize) -> bool {
        output == input
    }
}

#[test]
fn a_checked_tape_catches_a_wrong_vjp_and_names_the_input() {
    let tape = Tape::checked();
    let x = tape.vars(&[1.5, -2.0]);
    let (y, line) = (block(SquareWrongly, &x), line!());
    match y[1].backward_checked() {
        Err(Error::WrongCustomDerivative {
            op,
            location,
            argument,
            declared,
            numeric,
        }) => {
            assert_eq!(op, "square, wrongly");
            assert_eq!((location.file(), location.line()), (file!(), line));
            // y₁'s input: ∂(y₀ + y₁/2)/∂x₁ = x₁ = −2, declared x₁/2.
            assert_eq!(argument, 1);
            assert_eq!(declared, -1.0);
            assert!((numeric + 2.0).abs() < 1e-6, "{numeric}");
        }
        other => panic!("expected the wrong vjp reported, got {other:?}"),
    }
    // A right vjp passes, and a plain tape checks nothing.
    let tape = Tape::checked();
    let x = tape.vars(&[1.5, -2.0]);
    assert!(loss_of(&block(Softmax, &x)).backward_checked().is_ok());
    let plain = Tape::new();
    let x = plain.vars(&[1.5, -2.0]);
    assert_eq!(block(SquareWrongly, &x)[0].backward().wrt(&x[0]), 1.5);
}

#[test]
fn a_layer_passes_the_checked_tapes_vjp_check() {
    let tape = Tape::checked();
    let params = tape.vars(&[0.5, -1.0, 0.25, 2.0, 1.0, -0.5]);
    let a = layer(&params, &[1.0, 2.0, 0.0, 1.0], 2, Activation::Sigmoid);
    let loss = a.iter().fold(Var::constant(0.0), |s, &a| s + a);
    assert!(loss.backward_checked().is_ok());
}

/// Softmax that declares its forward-mode derivative:
/// `ẏᵢ = yᵢ·(ẋᵢ − Σⱼ yⱼ·ẋⱼ)`.
struct SoftmaxWithJvp;

impl BlockOp for SoftmaxWithJvp {
    fn outputs(&self, inputs: usize) -> usize {
        inputs
    }
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
        Softmax.forward(x, y);
    }
    fn vjp<T: Float>(&self, x: &[T], y: &[T], y_bar: &[T], x_bar: &mut [T]) {
        Softmax.vjp(x, y, y_bar, x_bar);
    }
    fn jvp<T: Float>(&self, _x: &[T], y: &[T], x_dot: &[T], y_dot: &mut [T]) -> bool {
        let dot = y.iter().zip(x_dot).fold(T::zero(), |s, (&y, &d)| s + y * d);
        for ((y_dot, &y), &d) in y_dot.iter_mut().zip(y).zip(x_dot) {
            *y_dot = *y_dot + y * (d - dot);
        }
        true
    }
}

#[test]
fn a_block_in_forward_mode_agrees_with_the_composed_ops_with_or_without_a_jvp() {
    let x = tapegrad::forward::Dual::inputs([0.5, -1.0, 2.0]);
    let composed = softmax_composed(&x);
    for y in [
        tapegrad::custom::block_forward(&Softmax, &x),
        tapegrad::custom::block_forward(&SoftmaxWithJvp, &x),
    ] {
        for (b, c) in y.iter().zip(&composed) {
            assert_close(b.value(), c.value(), 1e-15, "value");
            for (tb, tc) in b.tangent().iter().zip(c.tangent()) {
                assert_close(*tb, tc, 1e-14, "tangent");
            }
        }
    }
}

#[test]
fn a_layer_in_forward_mode_agrees_with_its_reverse_mode() {
    // ∂a/∂θ by the layer's jvp (forward), against the tape's (reverse).
    let theta = [0.5, -1.0, 0.25, 2.0, 1.0, -0.5, 1.0, 2.0, -0.4, 0.7];
    let loss = |a: &[f64]| {
        a.iter()
            .zip(1..)
            .map(|(&a, k)| a * f64::from(k))
            .sum::<f64>()
    };
    let tape = Tape::new();
    let vars = tape.vars(&theta);
    let (params, x) = vars.split_at(6);
    let a = layer(params, x, 2, Activation::Tanh);
    let weighted = a
        .iter()
        .zip(1..)
        .fold(Var::constant(0.0), |s, (&a, k)| s + a * f64::from(k));
    let reverse = weighted.backward().wrt_all(&vars);
    let values: Vec<f64> = a.iter().map(|a| a.value()).collect();
    for (i, &r) in reverse.iter().enumerate() {
        let x: Vec<tapegrad::forward::Dual<f64, 1>> = theta
            .iter()
            .enumerate()
            .map(|(k, &t)| tapegrad::forward::Dual::new(t, [if k == i { 1.0 } else { 0.0 }]))
            .collect();
        let forward =
            tapegrad::custom::block_forward(&tapegrad::nn::Layer::new(2, 2, Activation::Tanh), &x);
        let value: Vec<f64> = forward.iter().map(|y| y.value()).collect();
        assert_eq!(value, values, "the same values");
        let tangents: Vec<f64> = forward.iter().map(|y| y.tangent()[0]).collect();
        assert_close(loss(&tangents), r, 1e-14, &format!("∂/∂θ{i}"));
    }
}

#[test]
fn a_zero_first_derivative_through_a_block_keeps_its_second_derivative() {
    // f(x) = (y₀ − ½)² with y = softmax(x, 0): at x = 0, y₀ = ½ and
    // ∂f/∂y₀ = 0, but ∂²f/∂x² = 2·(∂y₀/∂x)² = 2·(¼)² = ⅛.
    fn f<T: Float>(y: &[T]) -> T {
        (y[0] - T::from(0.5).unwrap()).powi(2)
    }
    fn with_zero<T: Float>(x: T) -> [T; 2] {
        [x, T::zero()]
    }
    let by_block = tapegrad::hessian(|x| f(&block(Softmax, &with_zero(x[0]))), &[0.0]);
    let by_ops = tapegrad::hessian(|x| f(&softmax_composed(&with_zero(x[0]))), &[0.0]);
    assert_eq!(by_ops[0][0], 0.125);
    assert_close(by_block[0][0], 0.125, 1e-15, "∂²f/∂x²");
}

#[test]
fn a_layer_op_given_a_partial_sample_panics_naming_the_shapes() {
    let tape = Tape::new();
    let x = tape.vars(&[1.0; 7]); // 6 parameters of 2 units of 2 inputs, and half a sample
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block(tapegrad::nn::Layer::new(2, 2, Activation::Tanh), &x)
    }));
    let message = result.expect_err("half a sample must panic");
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("7 inputs are not 6 parameters"), "{text}");
}

#[test]
fn a_saturated_sigmoid_layer_keeps_its_tiny_gradient() {
    // z = 40: σ(z) rounds to 1, so a·(1 − a) would be 0; σ′(40) = e⁻⁴⁰/(1 + e⁻⁴⁰)².
    let tape = Tape::new();
    let params = tape.vars(&[1.0, 0.0]); // w, b
    let a = layer(&params, &[40.0], 1, Activation::Sigmoid);
    let by_layer = a[0].backward().wrt(&params[1]);
    let z = dense(&params, &[40.0]).next().expect("one unit");
    let by_var = z.sigmoid().backward().wrt(&params[1]);
    let exact = (-40.0_f64).exp() / (1.0 + (-40.0_f64).exp()).powi(2);
    assert!(by_layer > 0.0, "{by_layer}");
    assert_close(by_layer, exact, 1e-14, "σ′(40)");
    assert_eq!(by_layer, by_var);
}

/// `min(x, 1)` elementwise, written with a branch: a function's recording
/// guards it.
struct ClipAtOne;

impl BlockOp for ClipAtOne {
    fn outputs(&self, inputs: usize) -> usize {
        inputs
    }
    fn forward<T: Float>(&self, x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = if x > T::one() { T::one() } else { x };
        }
    }
    fn vjp<T: Float>(&self, x: &[T], _y: &[T], y_bar: &[T], x_bar: &mut [T]) {
        for ((b, &x), &g) in x_bar.iter_mut().zip(x).zip(y_bar) {
            if x <= T::one() {
                *b = *b + g;
            }
        }
    }
}

fn active_blocks_match_vars<F: Real + tapegrad::Scalar>() {
    let x: Vec<F> = [0.5, -1.0, 2.0, 0.25].map(lit).to_vec();
    let mut tape = Tape::<F>::default();
    let (loss, inputs) = tape.record(|| {
        let inputs = Active::vars(&x);
        (loss_of(&block(Softmax, &inputs)), inputs)
    });
    // The inputs, the block, its outputs, then the loss's own nodes.
    assert!(tape.len() > 4 + 1 + 4, "{} nodes", tape.len());
    let g = tape.backward(&loss).expect("recorded here");
    let vars_tape = Tape::<F>::default();
    let vars = vars_tape.vars(&x);
    let by_vars = loss_of(&block(Softmax, &vars));
    let gv = by_vars.backward();
    assert_eq!(loss.value(), by_vars.value());
    for (a, v) in inputs.iter().zip(&vars) {
        assert_eq!(g.wrt(a), gv.wrt(v), "the same vjp, the same bits");
    }
}

#[test]
fn a_block_of_active_variables_is_the_block_of_vars_in_f32_and_f64() {
    active_blocks_match_vars::<f32>();
    active_blocks_match_vars::<f64>();
}

fn blocks_replay<F: Real + tapegrad::Scalar>() -> Result<(), Error> {
    let x0: Vec<F> = [0.5, -1.0, 2.0].map(lit).to_vec();
    let x1: Vec<F> = [-0.3, 0.7, 1.1].map(lit).to_vec();
    let f = Function::record(&x0, |x: &[Active<F>]| loss_of(&block(Softmax, x)))?;
    let mut ws = f.workspace();
    let (value, gradient) = f.value_and_gradient(&mut ws, &x1)?;
    // A fresh recording at x1, through the op's own vjp.
    let tape = Tape::<F>::default();
    let vars = tape.vars(&x1);
    let fresh = loss_of(&block(Softmax, &vars));
    let g = fresh.backward();
    let tol = F::epsilon() * lit(64.0);
    assert_eq!(
        value,
        fresh.value(),
        "the same forward function, the same bits"
    );
    for (i, v) in vars.iter().enumerate() {
        assert_close(gradient[i], g.wrt(v), tol, &format!("∂/∂x{i}"));
    }
    // And the Hessian, against nested tapes through the op's vjp.
    let h = f.hessian(&mut ws, &x1)?;
    let nested = tapegrad::hessian(|v| loss_of(&block(Softmax, v)), &x1);
    for (row, row_nested) in h.iter().zip(&nested) {
        for (&a, &b) in row.iter().zip(row_nested) {
            assert_close(a, b, tol * lit(16.0), "∂²/∂xᵢ∂xⱼ");
        }
    }
    Ok(())
}

#[test]
fn a_block_in_a_function_replays_through_its_forward_function() -> Result<(), Error> {
    blocks_replay::<f32>()?;
    blocks_replay::<f64>()
}

#[test]
fn a_branch_inside_a_blocks_forward_function_is_guarded() -> Result<(), Error> {
    let f = Function::record(&[0.5, 3.0], |x: &[Active]| {
        let y = block(ClipAtOne, x);
        y[0] * 3.0 + y[1]
    })?;
    let mut ws = f.workspace();
    // x₀ stays below one, x₁ above: the recorded branches.
    assert_eq!(
        f.value_and_gradient(&mut ws, &[0.25, 5.0])?,
        (1.75, vec![3.0, 0.0])
    );
    match f.gradient(&mut ws, &[2.0, 5.0]) {
        Err(Error::BranchChanged { test, .. }) => assert_eq!(test, ">"),
        other => panic!("expected BranchChanged, got {other:?}"),
    }
    Ok(())
}
