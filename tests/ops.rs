//! Every op's value and gradient against two oracles, in `f32` and `f64`:
//! its closed-form derivative, and central finite differences.
//!
//! In `f64` the finite differences are the crate's own `check_gradient`. In
//! `f32` a central difference of the `f32` function is too coarse near the
//! edges of a domain to test anything, so the `f32` tape gradient is held to
//! the `f64` central difference of the same op at the same (f32) point.

mod common;

use common::{Real, assert_close, central_difference};
use tapegrad::{Tape, Var, check::check_gradient};

/// Checks one op at `points`: value, closed-form derivative and finite
/// differences, in both float types.
///
/// `op` is written once and instantiated for `Var<f32>`, `Var<f64>`, and the
/// floats: `value` and `d` are the float function and its derivative.
macro_rules! unary {
    ($name:ident: |$x:ident| $op:expr, value = $value:expr, d = $d:expr, at = $points:expr) => {
        mod $name {
            use super::*;
            unary!(@in f64: |$x| $op, value = $value, d = $d, at = $points);
            unary!(@in f32: |$x| $op, value = $value, d = $d, at = $points);

            #[test]
            fn matches_finite_differences_f64() {
                for p in $points {
                    check_gradient(|v| {
                        let $x = v[0];
                        $op
                    }, &[p])
                    .unwrap_or_else(|e| panic!("at {p}: {e}"));
                }
            }

            #[test]
            fn matches_finite_differences_f32() {
                for p in $points {
                    let p32 = p as f32;
                    let tape = Tape::<f32>::default();
                    let $x = tape.var(p32);
                    let y: Var<f32> = $op;
                    let grad = y.backward().wrt(&$x);
                    let numeric = central_difference(|p| {
                        let tape = Tape::<f64>::new();
                        let $x = tape.var(p);
                        let y: Var<f64> = $op;
                        y.value()
                    }, f64::from(p32));
                    let tol = f32::closed_form_tolerance();
                    assert_close(grad, numeric as f32, tol, &format!("f32 gradient at {p}"));
                }
            }
        }
    };
    (@in $F:ident: |$x:ident| $op:expr, value = $value:expr, d = $d:expr, at = $points:expr) => {
        #[test]
        fn $F() {
            type F = $F;
            for p in $points {
                let p = p as F;
                let tape = Tape::<F>::default();
                let $x = tape.var(p);
                let y: Var<F> = $op;
                let grad = y.backward().wrt(&$x);
                let (value, d): (F, F) = {
                    let $x = p;
                    ($value, $d)
                };
                let tol = F::closed_form_tolerance();
                assert_close(y.value(), value, F::EPSILON * 4.0, "value");
                assert_close(grad, d, tol, &format!("derivative at {p:?}"));
            }
        }
    };
}

unary!(exp: |x| x.exp(), value = x.exp(), d = x.exp(), at = [-20.0, -1.0, 0.0, 0.7, 15.0]);
unary!(exp2: |x| x.exp2(), value = x.exp2(), d = x.exp2() * (2.0 as F).ln(), at = [-8.0, 0.0, 1.5, 10.0]);
unary!(exp_m1: |x| x.exp_m1(), value = x.exp_m1(), d = x.exp(), at = [-30.0, -1e-6, 1e-9, 0.5, 3.0]);
unary!(ln: |x| x.ln(), value = x.ln(), d = x.recip(), at = [0.05, 0.5, 1.0, 7.0, 1e6]);
unary!(ln_1p: |x| x.ln_1p(), value = x.ln_1p(), d = (x + 1.0).recip(), at = [-0.9, -1e-8, 0.0, 2.0, 1e4]);
unary!(log2: |x| x.log2(), value = x.log2(), d = (x * (2.0 as F).ln()).recip(), at = [0.05, 1.0, 8.0, 1e5]);
unary!(log10: |x| x.log10(), value = x.log10(), d = (x * (10.0 as F).ln()).recip(), at = [0.05, 1.0, 1000.0]);
unary!(log_base_3: |x| x.log(3.0), value = x.log(3.0), d = (x * (3.0 as F).ln()).recip(), at = [0.05, 1.0, 9.0]);
unary!(recip: |x| x.recip(), value = x.recip(), d = -(x * x).recip(), at = [-4.0, -0.1, 0.1, 3.0]);
unary!(neg: |x| -x, value = -x, d = -1.0, at = [-2.0, 0.0, 3.5]);
unary!(powi_3: |x| x.powi(3), value = x.powi(3), d = 3.0 * x * x, at = [-2.0, -0.1, 0.0, 1.3, 10.0]);
unary!(powi_0: |x| x.powi(0), value = x.powi(0), d = 0.0, at = [-2.0, 0.0, 3.0]);
unary!(powi_neg_2: |x| x.powi(-2), value = x.powi(-2), d = -2.0 / (x * x * x), at = [-3.0, 0.2, 5.0]);
unary!(powf_2_5: |x| x.powf(2.5), value = x.powf(2.5), d = 2.5 * x.powf(1.5), at = [0.01, 0.5, 2.0, 30.0]);
unary!(powf_neg_half: |x| x.powf(-0.5), value = x.powf(-0.5), d = -0.5 * x.powf(-1.5), at = [0.05, 1.0, 40.0]);
unary!(constant_to_the_x: |x| Var::constant(2.0).powf(x), value = (2.0 as F).powf(x), d = (2.0 as F).powf(x) * (2.0 as F).ln(), at = [-3.0, 0.0, 0.5, 6.0]);
unary!(x_to_the_x: |x| x.powf(x), value = x.powf(x), d = x.powf(x) * (x.ln() + 1.0), at = [0.1, 1.0, 2.5]);
unary!(sqrt: |x| x.sqrt(), value = x.sqrt(), d = 0.5 / x.sqrt(), at = [0.01, 1.0, 2.0, 1e6]);
unary!(cbrt: |x| x.cbrt(), value = x.cbrt(), d = (3.0 * x.cbrt().powi(2)).recip(), at = [-8.0, -0.01, 0.01, 27.0]);
unary!(sin: |x| x.sin(), value = x.sin(), d = x.cos(), at = [-3.0, 0.0, 1.0, 100.0]);
unary!(cos: |x| x.cos(), value = x.cos(), d = -x.sin(), at = [-3.0, 0.0, 1.0, 100.0]);
unary!(tan: |x| x.tan(), value = x.tan(), d = x.cos().powi(-2), at = [-1.5, 0.0, 0.3, 1.4]);
unary!(asin: |x| x.asin(), value = x.asin(), d = (1.0 - x * x).sqrt().recip(), at = [-0.99, 0.0, 0.5, 0.99]);
unary!(acos: |x| x.acos(), value = x.acos(), d = -(1.0 - x * x).sqrt().recip(), at = [-0.99, 0.0, 0.5, 0.99]);
unary!(atan: |x| x.atan(), value = x.atan(), d = (1.0 + x * x).recip(), at = [-1e3, -1.0, 0.0, 2.0]);
unary!(sinh: |x| x.sinh(), value = x.sinh(), d = x.cosh(), at = [-5.0, 0.0, 0.5, 20.0]);
unary!(cosh: |x| x.cosh(), value = x.cosh(), d = x.sinh(), at = [-5.0, 0.0, 0.5, 20.0]);
unary!(tanh: |x| x.tanh(), value = x.tanh(), d = x.cosh().powi(-2), at = [-4.0, -0.5, 0.0, 1.0, 3.0]);
unary!(asinh: |x| x.asinh(), value = x.asinh(), d = (x * x + 1.0).sqrt().recip(), at = [-100.0, -1.0, 0.0, 3.0]);
unary!(acosh: |x| x.acosh(), value = x.acosh(), d = (x * x - 1.0).sqrt().recip(), at = [1.01, 2.0, 50.0]);
unary!(atanh: |x| x.atanh(), value = x.atanh(), d = (1.0 - x * x).recip(), at = [-0.99, 0.0, 0.5, 0.99]);
unary!(abs: |x| x.abs(), value = x.abs(), d = x.signum(), at = [-3.0, -1e-3, 1e-3, 2.0]);
unary!(relu: |x| x.relu(), value = x.max(0.0), d = if x > 0.0 { 1.0 } else { 0.0 }, at = [-3.0, -0.1, 0.1, 5.0]);
unary!(sigmoid: |x| x.sigmoid(), value = (1.0 + (-x).exp()).recip(), d = (-x).exp() / (1.0 + (-x).exp()).powi(2), at = [-30.0, -2.0, 0.0, 0.5, 30.0]);
unary!(softplus: |x| x.softplus(), value = x.exp().ln_1p(), d = (1.0 + (-x).exp()).recip(), at = [-30.0, -2.0, 0.0, 3.0, 30.0]);
unary!(ln_sigmoid: |x| x.ln_sigmoid(), value = -(-x).exp().ln_1p(), d = (1.0 + x.exp()).recip(), at = [-30.0, -2.0, 0.0, 3.0, 30.0]);
unary!(sigmoid_then_ln: |x| x.sigmoid().ln(), value = -(-x).exp().ln_1p(), d = (1.0 + x.exp()).recip(), at = [-30.0, -2.0, 0.0, 3.0, 15.0]);
unary!(one_minus_sigmoid_then_ln: |x| (Var::constant(1.0) - x.sigmoid()).ln(), value = -x.exp().ln_1p(), d = -(1.0 + (-x).exp()).recip(), at = [-15.0, -2.0, 0.0, 3.0, 30.0]);
unary!(bce_label_1: |x| x.bce_with_logits(1.0), value = (-x).exp().ln_1p(), d = -(1.0 + x.exp()).recip(), at = [-30.0, -1.0, 0.0, 2.0, 30.0]);
unary!(bce_label_0: |x| x.bce_with_logits(0.0), value = x.exp().ln_1p(), d = (1.0 + (-x).exp()).recip(), at = [-30.0, -1.0, 0.0, 2.0, 30.0]);
unary!(add_constant: |x| x + 2.0, value = x + 2.0, d = 1.0, at = [-1.0, 0.0, 3.0]);
unary!(constant_minus: |x| Var::constant(2.0) - x, value = 2.0 - x, d = -1.0, at = [-1.0, 0.0, 3.0]);
unary!(times_constant: |x| x * 3.0, value = x * 3.0, d = 3.0, at = [-1.0, 0.0, 3.0]);
unary!(constant_over_x: |x| Var::constant(3.0) / x, value = 3.0 / x, d = -3.0 / (x * x), at = [-2.0, 0.1, 4.0]);
unary!(x_over_constant: |x| x / 4.0, value = x / 4.0, d = 0.25, at = [-2.0, 0.0, 4.0]);
unary!(square_by_mul: |x| x * x, value = x * x, d = 2.0 * x, at = [-2.0, 0.0, 4.0]);
unary!(quotient_of_itself: |x| (x + 1.0) / (x * x + 1.0), value = (x + 1.0) / (x * x + 1.0), d = (1.0 - 2.0 * x - x * x) / (x * x + 1.0).powi(2), at = [-2.0, 0.0, 0.5, 3.0]);
unary!(max_with_constant: |x| x.max(1.0), value = x.max(1.0), d = if x > 1.0 { 1.0 } else { 0.0 }, at = [-1.0, 0.5, 1.5, 3.0]);
unary!(min_with_constant: |x| x.min(1.0), value = x.min(1.0), d = if x < 1.0 { 1.0 } else { 0.0 }, at = [-1.0, 0.5, 1.5, 3.0]);
unary!(atan2_over_constant: |x| x.atan2(2.0), value = x.atan2(2.0), d = 2.0 / (x * x + 4.0), at = [-3.0, 0.0, 1.0]);
unary!(atan2_of_constant: |x| Var::constant(2.0).atan2(x), value = (2.0 as F).atan2(x), d = -2.0 / (x * x + 4.0), at = [-3.0, 0.0, 1.0]);
unary!(hypot_with_constant: |x| x.hypot(3.0), value = x.hypot(3.0), d = x / x.hypot(3.0), at = [-4.0, 0.0, 4.0, 1e3]);
unary!(mul_add_self: |x| x.mul_add(x, 1.0), value = x * x + 1.0, d = 2.0 * x, at = [-2.0, 0.0, 3.0]);

/// Checks an op of two variables like [`unary!`], partials with respect to
/// both.
macro_rules! binary {
    ($name:ident: |$x:ident, $y:ident| $op:expr, value = $value:expr,
     dx = $dx:expr, dy = $dy:expr, at = $points:expr) => {
        mod $name {
            use super::*;
            binary!(@in f64: |$x, $y| $op, value = $value, dx = $dx, dy = $dy, at = $points);
            binary!(@in f32: |$x, $y| $op, value = $value, dx = $dx, dy = $dy, at = $points);

            #[test]
            fn matches_finite_differences_f64() {
                for (a, b) in $points {
                    let (a, b): (f64, f64) = (a, b);
                    check_gradient(|v| {
                        let ($x, $y) = (v[0], v[1]);
                        $op
                    }, &[a, b])
                    .unwrap_or_else(|e| panic!("at ({a}, {b}): {e}"));
                }
            }

            #[test]
            fn matches_finite_differences_f32() {
                for (a, b) in $points {
                    let (a, b) = (a as f32, b as f32);
                    let tape = Tape::<f32>::default();
                    let ($x, $y) = (tape.var(a), tape.var(b));
                    let grads = { let out: Var<f32> = $op; out.backward() };
                    let f = |a: f64, b: f64| {
                        let tape = Tape::<f64>::new();
                        let ($x, $y) = (tape.var(a), tape.var(b));
                        let out: Var<f64> = $op;
                        out.value()
                    };
                    let (a, b) = (f64::from(a), f64::from(b));
                    let tol = f32::closed_form_tolerance();
                    let dx = central_difference(|a| f(a, b), a) as f32;
                    let dy = central_difference(|b| f(a, b), b) as f32;
                    assert_close(grads.wrt(&$x), dx, tol, &format!("∂/∂x at ({a}, {b})"));
                    assert_close(grads.wrt(&$y), dy, tol, &format!("∂/∂y at ({a}, {b})"));
                }
            }
        }
    };
    (@in $F:ident: |$x:ident, $y:ident| $op:expr, value = $value:expr,
     dx = $dx:expr, dy = $dy:expr, at = $points:expr) => {
        #[test]
        fn $F() {
            type F = $F;
            for (a, b) in $points {
                let (a, b) = (a as F, b as F);
                let tape = Tape::<F>::default();
                let ($x, $y) = (tape.var(a), tape.var(b));
                let out: Var<F> = $op;
                let grads = out.backward();
                let (value, dx, dy): (F, F, F) = {
                    let ($x, $y) = (a, b);
                    ($value, $dx, $dy)
                };
                let tol = F::closed_form_tolerance();
                assert_close(out.value(), value, F::EPSILON * 4.0, "value");
                assert_close(grads.wrt(&$x), dx, tol, &format!("∂/∂x at ({a:?}, {b:?})"));
                assert_close(grads.wrt(&$y), dy, tol, &format!("∂/∂y at ({a:?}, {b:?})"));
            }
        }
    };
}

binary!(add: |x, y| x + y, value = x + y, dx = 1.0, dy = 1.0, at = [(1.0, 2.0), (-3.0, 0.5)]);
binary!(sub: |x, y| x - y, value = x - y, dx = 1.0, dy = -1.0, at = [(1.0, 2.0), (-3.0, 0.5)]);
binary!(mul: |x, y| x * y, value = x * y, dx = y, dy = x, at = [(1.5, 2.0), (-3.0, 0.0)]);
binary!(div: |x, y| x / y, value = x / y, dx = 1.0 / y, dy = -x / (y * y), at = [(1.0, 2.0), (-3.0, 0.1), (0.0, -4.0)]);
binary!(powf: |x, y| x.powf(y), value = x.powf(y), dx = y * x.powf(y - 1.0), dy = x.powf(y) * x.ln(),
        at = [(2.0, 3.0), (0.5, -1.5), (3.0, 0.5), (0.05, 2.0)]);
binary!(log: |x, y| x.log(y), value = x.log(y), dx = 1.0 / (x * y.ln()), dy = -x.ln() / (y * y.ln().powi(2)),
        at = [(8.0, 2.0), (0.1, 10.0), (5.0, 0.5)]);
binary!(atan2: |x, y| x.atan2(y), value = x.atan2(y), dx = y / (x * x + y * y), dy = -x / (x * x + y * y),
        at = [(1.0, 2.0), (-3.0, -0.5), (0.5, -4.0), (0.0, 4.0), (0.01, 0.02)]);
binary!(hypot: |x, y| x.hypot(y), value = x.hypot(y), dx = x / x.hypot(y), dy = y / x.hypot(y),
        at = [(3.0, 4.0), (-1e-3, 2e-3), (0.0, -4.0)]);
binary!(max: |x, y| x.max(y), value = x.max(y), dx = if x > y { 1.0 } else { 0.0 }, dy = if x > y { 0.0 } else { 1.0 },
        at = [(3.0, 4.0), (-1.0, -2.0)]);
binary!(min: |x, y| x.min(y), value = x.min(y), dx = if x < y { 1.0 } else { 0.0 }, dy = if x < y { 0.0 } else { 1.0 },
        at = [(3.0, 4.0), (-1.0, -2.0)]);
binary!(bce_with_logits: |z, y| z.bce_with_logits(y), value = z.max(0.0) - y * z + (-z.abs()).exp().ln_1p(),
        dx = 1.0 / (1.0 + (-z).exp()) - y, dy = -z, at = [(2.0, 1.0), (-3.0, 0.3), (0.0, 0.0), (25.0, 0.0)]);
binary!(mul_add: |x, y| x.mul_add(y, x), value = x * y + x, dx = y + 1.0, dy = x, at = [(2.0, 3.0), (-0.5, 0.0)]);
binary!(product_via_iterator: |x, y| [x, y, x].into_iter().product(), value = x * y * x, dx = 2.0 * x * y, dy = x * x,
        at = [(2.0, 3.0), (0.0, 5.0), (-1.5, 0.0)]);
binary!(sum_via_iterator: |x, y| [x, y, x].iter().sum(), value = x + y + x, dx = 2.0, dy = 1.0, at = [(2.0, 3.0)]);
binary!(dot_of_variables: |x, y| tapegrad::dot(&[x, y], &[y, y]), value = x * y + y * y, dx = y, dy = x + 2.0 * y,
        at = [(2.0, 3.0), (-1.0, 0.5)]);
binary!(affine_of_variables: |x, y| tapegrad::nn::affine(&[x, y], &[y, x], y), value = x * y + y * x + y, dx = 2.0 * y,
        dy = 2.0 * x + 1.0, at = [(2.0, 3.0), (-1.0, 0.5)]);
binary!(affine_of_variables_and_floats: |x, y| tapegrad::nn::affine(&[x, y], &[1.5, -2.0], x), value = 1.5 * x - 2.0 * y + x,
        dx = 2.5, dy = -2.0, at = [(2.0, 3.0), (-1.0, 0.5)]);
binary!(dense_of_floats: |x, y| tapegrad::nn::dense(&[x, y, y, x], &[1.5]).sum(), value = 2.5 * x + 2.5 * y,
        dx = 2.5, dy = 2.5, at = [(2.0, 3.0), (-1.0, 0.5)]);
binary!(dense_of_variables: |x, y| tapegrad::nn::dense(&[x, y], &[y * y]).sum(), value = x * y * y + y, dx = y * y,
        dy = 2.0 * x * y + 1.0, at = [(2.0, 3.0), (-1.0, 0.5)]);
binary!(custom_op: |x, y| Var::custom("x·exp(y)", [x, y], |[a, b]| (a * b.exp(), [b.exp(), a * b.exp()])), value = x * y.exp(),
        dx = y.exp(), dy = x * y.exp(), at = [(2.0, 0.3), (-1.0, -2.0)]);
