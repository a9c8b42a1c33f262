//! nalgebra's generic code on `Active`: vectors, matrices, rotations, first
//! and second derivatives, each against its closed form or central
//! differences.
#![cfg(feature = "nalgebra")]

use approx::assert_relative_eq;
use nalgebra::{DMatrix, DVector, Matrix3, Rotation3, UnitQuaternion, Vector3};
use tapegrad::{Active, Tape};

/// The gradient of `f` at `x`, the inputs as a `DVector` of `Active`.
fn gradient(x: &[f64], f: impl FnOnce(&DVector<Active>) -> Active) -> Vec<f64> {
    let mut tape = Tape::new();
    tape.record(|| {
        let v = DVector::from_vec(Active::vars(x));
        f(&v).backward().wrt_all(v.as_slice())
    })
}

/// Central differences of `f` at `x`.
fn differences(x: &[f64], f: impl Fn(&DVector<f64>) -> f64) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (DVector::from_row_slice(x), DVector::from_row_slice(x));
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h)
        })
        .collect()
}

#[test]
fn the_norm_s_gradient_is_the_unit_vector() {
    let x = [3.0, 4.0, 12.0];
    let g = gradient(&x, |v| v.norm());
    for (gi, xi) in g.iter().zip(x) {
        assert_relative_eq!(*gi, xi / 13.0, max_relative = 1e-15);
    }
}

#[test]
fn the_norm_of_the_zero_vector_has_a_nan_gradient_as_documented() {
    let g = gradient(&[0.0, 0.0], |v| v.norm());
    assert!(g.iter().all(|g| g.is_nan()));
    let g = gradient(&[0.0, 0.0], |v| v.norm_squared());
    assert_eq!(g, [0.0, 0.0]);
}

#[test]
fn dot_and_cross_of_fixed_size_vectors() {
    // f(a) = (a × b) · c = a · (b × c): ∇ = b × c.
    let (b, c) = (Vector3::new(1.0, -2.0, 0.5), Vector3::new(0.3, 0.7, -1.1));
    let g = gradient(&[0.2, 0.4, -0.6], |v| {
        let a = Vector3::new(v[0], v[1], v[2]);
        let (b, c) = (b.map(Active::constant), c.map(Active::constant));
        a.cross(&b).dot(&c)
    });
    let expected = b.cross(&c);
    for i in 0..3 {
        assert_relative_eq!(g[i], expected[i], max_relative = 1e-14);
    }
}

#[test]
fn the_determinant_s_gradient_is_the_cofactor_matrix() {
    let a = [2.0, 1.0, 0.5, -1.0, 3.0, 0.2, 0.4, -0.3, 1.5];
    let g = gradient(&a, |v| Matrix3::from_row_slice(v.as_slice()).determinant());
    // ∂ det A / ∂A = det A · A⁻ᵀ.
    let m = Matrix3::from_row_slice(&a);
    let cofactors = m.determinant() * m.try_inverse().unwrap().transpose();
    for i in 0..3 {
        for j in 0..3 {
            assert_relative_eq!(g[3 * i + j], cofactors[(i, j)], max_relative = 1e-12);
        }
    }
}

#[test]
fn the_inverse_of_a_dynamic_matrix_matches_differences() {
    let a = [4.0, 1.0, 0.3, 1.0, 3.0, -0.5, 0.3, -0.5, 2.0];
    let weights = DMatrix::from_fn(3, 3, |i, j| (i + 2 * j) as f64 - 1.5);
    let g = gradient(&a, |v| {
        let m = DMatrix::from_row_slice(3, 3, v.as_slice());
        let inverse = m.try_inverse().expect("invertible");
        inverse.component_mul(&weights.map(Active::constant)).sum()
    });
    let numeric = differences(&a, |v| {
        let inverse = DMatrix::from_row_slice(3, 3, v.as_slice())
            .try_inverse()
            .unwrap();
        inverse.component_mul(&weights).sum()
    });
    for (gi, ni) in g.iter().zip(&numeric) {
        assert_relative_eq!(gi, ni, max_relative = 1e-7, epsilon = 1e-9);
    }
}

#[test]
fn rotations_differentiate_in_their_angles() {
    // The x of p rotated by θ about z: x cos θ − y sin θ; d/dθ = −x sin θ − y cos θ.
    let (x, y, theta) = (1.5, -0.5, 0.7_f64);
    let g = gradient(&[theta], |v| {
        let r = Rotation3::from_axis_angle(&Vector3::z_axis(), v[0]);
        (r * Vector3::new(x, y, 0.0).map(Active::constant)).x
    });
    assert_relative_eq!(
        g[0],
        -x * theta.sin() - y * theta.cos(),
        max_relative = 1e-14
    );
    // Euler angles through a quaternion, against differences.
    let angles = [0.3, -0.8, 1.1];
    let p = Vector3::new(0.2, 1.0, -0.4);
    let g = gradient(&angles, |v| {
        let q = UnitQuaternion::from_euler_angles(v[0], v[1], v[2]);
        (q * p.map(Active::constant)).dot(&Vector3::new(1.0, 2.0, 3.0).map(Active::constant))
    });
    let numeric = differences(&angles, |v| {
        let q = UnitQuaternion::from_euler_angles(v[0], v[1], v[2]);
        (q * p).dot(&Vector3::new(1.0, 2.0, 3.0))
    });
    for (gi, ni) in g.iter().zip(&numeric) {
        assert_relative_eq!(gi, ni, max_relative = 1e-8);
    }
}

#[test]
fn second_derivatives_through_nalgebra() {
    // f(x) = |x|³ over a DVector: ∇²f = 3(|x| I + x xᵀ/|x|).
    let x = [1.0, -2.0, 2.0];
    let mut outer = Tape::new();
    let h: Vec<Vec<f64>> = outer.record(|| {
        let xs = Active::vars(&x);
        let mut inner = Tape::<Active>::default();
        let gradient: Vec<Active> = inner.record(|| {
            let v = DVector::from_vec(xs.iter().map(|&xi| Active::var(xi)).collect());
            v.norm().powi(3).backward().wrt_all(v.as_slice())
        });
        gradient.iter().map(|g| g.backward().wrt_all(&xs)).collect()
    });
    let r = 3.0;
    for i in 0..3 {
        for j in 0..3 {
            let identity = if i == j { r } else { 0.0 };
            assert_relative_eq!(
                h[i][j],
                3.0 * (identity + x[i] * x[j] / r),
                max_relative = 1e-14
            );
        }
    }
}

#[test]
fn f32_vectors_too() {
    let mut tape = Tape::<f32>::default();
    let g = tape.record(|| {
        let v = Vector3::from_iterator(Active::vars(&[1.0_f32, 2.0, 2.0]));
        v.norm().backward().wrt_all(v.as_slice())
    });
    for (gi, xi) in g.iter().zip([1.0_f32, 2.0, 2.0]) {
        assert_relative_eq!(*gi, xi / 3.0, max_relative = 1e-6);
    }
}

#[test]
fn gradients_come_back_in_the_matrix_s_shape() -> Result<(), tapegrad::Error> {
    let mut tape = Tape::new();
    let (m, trace) = tape.record(|| {
        let m =
            Matrix3::from_iterator(Active::vars(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]));
        (m, (m * m).trace())
    });
    // ∂ tr(M²)/∂M = 2 Mᵀ.
    let g: Matrix3<f64> = tape.backward(&trace)?.wrt_matrix(&m);
    assert_eq!(g, 2.0 * m.map(|x| x.value()).transpose());
    Ok(())
}

/// `ln det` of the 2×2 matrix `[[a, b], [b, c]]` by nalgebra's Cholesky,
/// whose test of each pivot (`try_sqrt`) a recorded function guards.
fn log_det(x: &[Active]) -> Active {
    let m = nalgebra::Matrix2::new(x[0], x[1], x[1], x[2]);
    let l = m
        .cholesky()
        .expect("positive definite where recorded")
        .unpack();
    (l[(0, 0)].ln() + l[(1, 1)].ln()) * 2.0
}

#[test]
fn a_recorded_cholesky_replays_and_refuses_where_a_pivot_turns_negative() -> tapegrad::Result<()> {
    let f = tapegrad::replay::Function::record(&[2.0, 0.5, 1.0], log_det)?;
    let mut ws = f.workspace();
    let (a, b, c) = (3.0, -1.0, 2.0);
    let (value, gradient) = f.value_and_gradient(&mut ws, &[a, b, c])?;
    // ln det = ln(ac − b²); ∇ = (c, −2b, a) / (ac − b²).
    let det: f64 = a * c - b * b;
    assert_relative_eq!(value, det.ln(), max_relative = 1e-14);
    let expected = [c / det, -2.0 * b / det, a / det];
    for (g, e) in gradient.iter().zip(expected) {
        assert_relative_eq!(*g, e, max_relative = 1e-14);
    }
    // Not positive definite: a fresh Cholesky fails; the replay refuses.
    let indefinite = f.value_and_gradient(&mut ws, &[1.0, 2.0, 1.0]);
    assert!(
        matches!(indefinite, Err(tapegrad::Error::BranchChanged { .. })),
        "{indefinite:?}"
    );
    Ok(())
}

#[test]
fn real_field_predicates_are_guarded_in_a_recording() -> tapegrad::Result<()> {
    use nalgebra::{ComplexField, RealField};
    type Probe = fn(&[Active]) -> Active;
    let probes: [(Probe, f64); 4] = [
        (|x| if x[0].is_sign_positive() { x[0] } else { -x[0] }, -1.0),
        (
            |x| {
                if ComplexField::is_finite(&x[0]) {
                    x[0]
                } else {
                    x[0] * 0.0
                }
            },
            f64::NAN,
        ),
        (|x| x[0] * ComplexField::argument(x[0]), -2.0),
        (|x| x[0].try_sqrt().unwrap_or(x[0]), -4.0),
    ];
    for (k, (probe, elsewhere)) in probes.into_iter().enumerate() {
        let f = tapegrad::replay::Function::record(&[1.0], probe)?;
        let mut ws = f.workspace();
        assert_eq!(
            f.value(&mut ws, &[3.0])?,
            [probe(&[Active::constant(3.0)]).value()]
        );
        let changed = f.value(&mut ws, &[elsewhere]);
        assert!(
            matches!(changed, Err(tapegrad::Error::BranchChanged { .. })),
            "probe {k}: {changed:?}"
        );
    }
    Ok(())
}
