//! Generic code on the tape, and derivatives of higher order from nested
//! tapes: Hessians, Hessian-vector products, Jacobians and third
//! derivatives, against their closed forms.

mod common;

use approx::assert_relative_eq;
use common::central_difference;
use num_traits::{Float, One, Zero};
use tapegrad::{Tape, Var, grad, hessian, hvp, jacobian};

/// Asserts two matrices agree entry by entry.
#[track_caller]
fn assert_matrix(actual: &[Vec<f64>], expected: &[Vec<f64>], tolerance: f64) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        for (j, (a, e)) in a.iter().zip(e).enumerate() {
            assert!(
                (a - e).abs() <= tolerance * e.abs().max(1.0),
                "entry ({i}, {j}): got {a}, expected {e}"
            );
        }
    }
}

fn rosenbrock<T: Float>(x: &[T]) -> T {
    let hundred = T::from(100.0).unwrap();
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (T::one() - w[0]).powi(2))
        .fold(T::zero(), |a, b| a + b)
}

#[test]
fn rosenbrock_hessian_matches_its_closed_form() {
    let x = [0.3, -1.2, 0.8, 2.0, -0.5];
    let n = x.len();
    let mut expected = vec![vec![0.0; n]; n];
    for i in 0..n - 1 {
        // 100·(x[i+1] − x[i]²)² + (1 − x[i])²
        expected[i][i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        expected[i][i + 1] += -400.0 * x[i];
        expected[i + 1][i] += -400.0 * x[i];
        expected[i + 1][i + 1] += 200.0;
    }
    assert_matrix(&hessian(|v| rosenbrock(v), &x), &expected, 1e-13);
}

/// The mean binary cross-entropy of logistic regression, θ = [w, b],
/// written once for any float type.
fn logistic_loss<T: Float>(theta: &[T], xs: &[[f64; 3]], ys: &[f64]) -> T {
    let d = theta.len() - 1;
    let total = xs.iter().zip(ys).fold(T::zero(), |acc, (x, &y)| {
        let z = x
            .iter()
            .zip(&theta[..d])
            .fold(theta[d], |z, (&xj, &w)| z + w * T::from(xj).unwrap());
        let y = T::from(y).unwrap();
        // max(z, 0) − y·z + ln(1 + e^(−|z|)), the stable form
        acc + z.max(T::zero()) - y * z + (-z.abs()).exp().ln_1p()
    });
    total / T::from(xs.len()).unwrap()
}

#[test]
fn logistic_regression_hessian_is_xt_diag_x_over_n() {
    let xs = [
        [0.5, -1.0, 2.0],
        [1.5, 0.3, -0.7],
        [-0.2, 0.9, 0.4],
        [2.0, -1.5, 0.1],
        [-1.0, -0.4, -1.2],
    ];
    let ys = [1.0, 0.0, 1.0, 0.0, 1.0];
    let theta = [0.4, -0.3, 0.2, 0.1];
    let n = xs.len() as f64;
    // With the bias as a feature that is always 1: H = Xᵀ·diag(ŷ(1 − ŷ))·X / N.
    let mut expected = vec![vec![0.0; 4]; 4];
    for x in &xs {
        let row = [x[0], x[1], x[2], 1.0];
        let z: f64 = row.iter().zip(&theta).map(|(a, b)| a * b).sum();
        let p = 1.0 / (1.0 + (-z).exp());
        for i in 0..4 {
            for j in 0..4 {
                expected[i][j] += p * (1.0 - p) * row[i] * row[j] / n;
            }
        }
    }
    assert_matrix(
        &hessian(|t| logistic_loss(t, &xs, &ys), &theta),
        &expected,
        1e-13,
    );
}

#[test]
fn second_derivatives_of_products_quotients_and_compositions() {
    // f = sin(x)·eʸ / (1 + z²)
    let f = |v: &[f64]| v[0].sin() * v[1].exp() / (1.0 + v[2] * v[2]);
    let p = [0.7, -0.4, 1.3];
    let (s, c, e, q) = (p[0].sin(), p[0].cos(), p[1].exp(), 1.0 + p[2] * p[2]);
    let z = p[2];
    let expected = vec![
        vec![-s * e / q, c * e / q, -2.0 * z * c * e / (q * q)],
        vec![c * e / q, s * e / q, -2.0 * z * s * e / (q * q)],
        vec![
            -2.0 * z * c * e / (q * q),
            -2.0 * z * s * e / (q * q),
            s * e * (6.0 * z * z - 2.0) / (q * q * q),
        ],
    ];
    let h = hessian(|v| v[0].sin() * v[1].exp() / (v[2] * v[2] + 1.0), &p);
    assert_matrix(&h, &expected, 1e-13);
    assert_relative_eq!(f(&p), p[0].sin() * e / q);
}

/// Second derivative of a one-variable op at a point, through `hessian`.
macro_rules! second_derivative {
    ($name:ident: |$x:ident| $op:expr, d2 = $d2:expr, at = $points:expr) => {
        #[test]
        fn $name() {
            for p in $points {
                let h = hessian(
                    |v| {
                        let $x = v[0];
                        $op
                    },
                    &[p],
                );
                let expected = {
                    let $x: f64 = p;
                    $d2
                };
                assert_relative_eq!(h[0][0], expected, max_relative = 1e-12, epsilon = 1e-14);
            }
        }
    };
}

second_derivative!(exp_second: |x| x.exp(), d2 = x.exp(), at = [-2.0, 0.5]);
second_derivative!(ln_second: |x| x.ln(), d2 = -1.0 / (x * x), at = [0.1, 3.0]);
second_derivative!(sqrt_second: |x| x.sqrt(), d2 = -0.25 * x.powf(-1.5), at = [0.2, 4.0]);
second_derivative!(sin_second: |x| x.sin(), d2 = -x.sin(), at = [-1.0, 2.0]);
second_derivative!(tan_second: |x| x.tan(), d2 = 2.0 * x.tan() / x.cos().powi(2), at = [-1.0, 0.4]);
second_derivative!(tanh_second: |x| x.tanh(), d2 = -2.0 * x.tanh() * (1.0 - x.tanh().powi(2)), at = [-1.0, 0.3]);
second_derivative!(atan_second: |x| x.atan(), d2 = -2.0 * x / (1.0 + x * x).powi(2), at = [-2.0, 0.5]);
second_derivative!(powf_second: |x| x.powf(2.5), d2 = 3.75 * x.powf(0.5), at = [0.3, 2.0]);
second_derivative!(powi_second: |x| x.powi(4), d2 = 12.0 * x * x, at = [-1.5, 2.0]);
second_derivative!(recip_second: |x| x.recip(), d2 = 2.0 / x.powi(3), at = [-2.0, 0.5]);
second_derivative!(sigmoid_second: |x| x.sigmoid(), d2 = {
    let s = 1.0 / (1.0 + (-x).exp());
    s * (1.0 - s) * (1.0 - 2.0 * s)
}, at = [-2.0, 0.0, 1.5]);
second_derivative!(softplus_second: |x| x.softplus(), d2 = {
    let s = 1.0 / (1.0 + (-x).exp());
    s * (1.0 - s)
}, at = [-3.0, 0.0, 0.7]);
second_derivative!(ln_sigmoid_second: |x| x.sigmoid().ln(), d2 = {
    let s = 1.0 / (1.0 + (-x).exp());
    -s * (1.0 - s)
}, at = [-30.0, -2.0, 0.0, 4.0]);
second_derivative!(sigmoid_plus_its_square: |x| x.sigmoid() + x.sigmoid() * x.sigmoid(), d2 = {
    // σ″ + 2σ′² + 2σσ″, with σ′ = σ(1 − σ) and σ″ = σ′(1 − 2σ)
    let s = 1.0 / (1.0 + (-x).exp());
    let (d1, d2) = (s * (1.0 - s), s * (1.0 - s) * (1.0 - 2.0 * s));
    d2 + 2.0 * d1 * d1 + 2.0 * s * d2
}, at = [-1.0, 0.0, 2.0]);
second_derivative!(bce_second: |x| x.bce_with_logits(1.0), d2 = {
    let s = 1.0 / (1.0 + (-x).exp());
    s * (1.0 - s)
}, at = [-3.0, 0.0, 0.5, 30.0]);

/// d³f/dx³ by nesting three tapes.
fn third_derivative(
    x0: f64,
    f: impl for<'a, 'b, 'c> Fn(Var<'c, Var<'b, Var<'a>>>) -> Var<'c, Var<'b, Var<'a>>>,
) -> f64 {
    let t1 = Tape::new();
    let x1 = t1.var(x0);
    let t2 = Tape::default();
    let x2 = t2.var(x1);
    let t3 = Tape::default();
    let x3 = t3.var(x2);
    let first = f(x3).backward().wrt(&x3); // a Var on t2
    let second = first.backward().wrt(&x2); // a Var on t1
    second.backward().wrt(&x1)
}

#[test]
fn third_derivatives_of_sin_and_x_to_the_fifth() {
    for x in [-1.3, 0.0, 0.6, 2.2] {
        assert_relative_eq!(
            third_derivative(x, |v| v.sin()),
            -f64::cos(x),
            max_relative = 1e-14,
            epsilon = 1e-15
        );
        assert_relative_eq!(
            third_derivative(x, |v| v.powi(5)),
            60.0 * x * x,
            max_relative = 1e-14
        );
        assert_relative_eq!(
            third_derivative(x, |v| v * v * v * v * v),
            60.0 * x * x,
            max_relative = 1e-14
        );
        assert_relative_eq!(
            third_derivative(x, |v| v.exp()),
            x.exp(),
            max_relative = 1e-14
        );
    }
}

#[test]
fn hvp_is_the_hessian_times_v() {
    let x = [0.3, -1.2, 0.8, 2.0];
    let v = [1.0, -0.5, 2.0, 0.25];
    let h = hessian(|t| rosenbrock(t), &x);
    let expected: Vec<f64> = h
        .iter()
        .map(|row| row.iter().zip(&v).map(|(a, b)| a * b).sum())
        .collect();
    let hv = hvp(|t| rosenbrock(t), &x, &v);
    for (a, e) in hv.iter().zip(&expected) {
        assert_relative_eq!(a, e, max_relative = 1e-13);
    }
}

#[test]
fn jacobian_of_spherical_coordinates_matches_its_closed_form() {
    // (r, θ, φ) ↦ (r sin θ cos φ, r sin θ sin φ, r cos θ)
    let p = [2.0, 0.7, -1.1];
    let j = jacobian(
        |v| {
            vec![
                v[0] * v[1].sin() * v[2].cos(),
                v[0] * v[1].sin() * v[2].sin(),
                v[0] * v[1].cos(),
            ]
        },
        &p,
    );
    let (r, (st, ct), (sp, cp)) = (p[0], p[1].sin_cos(), p[2].sin_cos());
    let expected = vec![
        vec![st * cp, r * ct * cp, -r * st * sp],
        vec![st * sp, r * ct * sp, r * st * cp],
        vec![ct, -r * st, 0.0],
    ];
    assert_matrix(&j, &expected, 1e-15);
}

#[test]
fn grad_matches_backward() {
    let g = grad(|v| rosenbrock(v), &[0.5, 0.25, -1.0]);
    let tape = Tape::new();
    let x = tape.vars(&[0.5, 0.25, -1.0]);
    assert_eq!(g, rosenbrock(&x).backward().wrt_all(&x));
}

#[test]
fn generic_code_gives_the_same_bits_on_floats_and_on_the_tape() {
    for x in [[0.3_f64, -1.2, 0.8], [2.5, 0.7, -3.1], [-0.9, 1.6, 0.05]] {
        let plain = common::kitchen_sink(&x);
        let tape = Tape::new();
        let on_tape = common::kitchen_sink(&tape.vars(&x)).value();
        assert_eq!(
            plain.to_bits(),
            on_tape.to_bits(),
            "at {x:?}: {plain} vs {on_tape}"
        );
        assert_eq!(
            rosenbrock(&x).to_bits(),
            rosenbrock(&tape.vars(&x)).value().to_bits()
        );
    }
}

#[test]
fn generic_code_has_the_gradient_of_finite_differences() {
    let x = [0.3, -1.2, 0.8];
    tapegrad::check::check_gradient(|v| common::kitchen_sink(v), &x)
        .expect("gradient of the kitchen sink");
}

#[test]
fn constants_made_from_nothing_record_nothing() {
    let tape = Tape::<f64>::new();
    let x = tape.var(2.0);
    let before = tape.len();
    let c = Var::<f64>::zero() + Var::one() + <Var as num_traits::NumCast>::from(2.5).unwrap();
    assert!(c.is_constant());
    assert_eq!(tape.len(), before);
    let y = x * c; // one unary node
    assert_eq!(tape.len(), before + 1);
    assert_eq!(y.backward().wrt(&x), 3.5);
}

#[test]
fn flat_functions_have_zero_gradients() {
    let tape = Tape::new();
    let x = tape.var(2.7);
    for y in [x.floor(), x.ceil(), x.round(), x.trunc(), x.signum()] {
        assert_eq!(y.backward().wrt(&x), 0.0);
    }
    assert_eq!(x.fract().backward().wrt(&x), 1.0);
    let grads = (x % tape.var(1.0)).backward();
    assert_eq!(grads.wrt(&x), 1.0);
}

#[test]
fn values_compare_as_floats_do() {
    let tape = Tape::new();
    let (a, b) = (tape.var(1.0), tape.var(2.0));
    assert!(a < b && a != b && a == Var::constant(1.0));
    let nan = tape.var(f64::NAN);
    assert!(nan != nan);
}

/// The Hessian of `f` by central differences of its tape gradient.
fn hessian_by_differences(f: impl for<'t> Fn(&[Var<'t>]) -> Var<'t>, x: &[f64]) -> Vec<Vec<f64>> {
    (0..x.len())
        .map(|i| {
            (0..x.len())
                .map(|j| {
                    central_difference(
                        |xj| {
                            let mut at = x.to_vec();
                            at[j] = xj;
                            grad(&f, &at)[i]
                        },
                        x[j],
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn hessian_of_kitchen_sink_matches_differences_of_the_gradient() {
    let x = [0.3, -1.2, 0.8];
    let h = hessian(|v| common::kitchen_sink(v), &x);
    let numeric = hessian_by_differences(|v| common::kitchen_sink(v), &x);
    assert_matrix(&h, &numeric, 1e-6);
}

#[test]
fn mixed_second_derivative_of_powf_at_a_zero_exponent() {
    // ∂²/∂x∂y xʸ = x^(y−1)·(1 + y·ln x), which is 1/x at y = 0.
    let h = hessian(|v| v[0].powf(v[1]), &[2.0, 0.0]);
    assert_relative_eq!(h[0][1], 0.5, max_relative = 1e-15);
    assert_relative_eq!(h[1][0], 0.5, max_relative = 1e-15);
}
