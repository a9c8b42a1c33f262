//! ndarray's arithmetic on arrays of `Active`, the one-node `dot`, and
//! gradients in the arrays' shape.
#![cfg(feature = "ndarray")]

use approx::assert_relative_eq;
use ndarray::{Array1, Array2, array};
use tapegrad::integrations::ndarray::dot;
use tapegrad::{Active, Tape};

#[test]
fn element_wise_arithmetic_mapv_and_sum() -> Result<(), tapegrad::Error> {
    let mut tape = Tape::new();
    let (a, b, y) = tape.record(|| {
        let a = Array1::from(Active::vars(&[1.0, 2.0, 3.0]));
        let b = Array1::from(Active::vars(&[0.5, -1.0, 4.0]));
        // Σ (aᵢ·bᵢ + 2·sin aᵢ)
        let y = (&a * &b + a.mapv(Active::sin) * Active::constant(2.0)).sum();
        (a, b, y)
    });
    let grads = tape.backward(&y)?;
    let da = grads.wrt_array(&a);
    let db = grads.wrt_array(&b);
    for i in 0..3 {
        assert_relative_eq!(da[i], b[i].value() + 2.0 * a[i].value().cos());
        assert_eq!(db[i], a[i].value());
    }
    Ok(())
}

#[test]
fn a_matrix_times_a_vector_by_ndarray_s_dot() -> Result<(), tapegrad::Error> {
    // f(M) = |M·v|²: ∂f/∂M = 2 (M·v) vᵀ.
    let m0 = array![[1.0, 2.0], [-0.5, 3.0], [0.25, 0.0]];
    let v0 = array![2.0, -1.0];
    let mut tape = Tape::new();
    let (m, f) = tape.record(|| {
        let m = Array1::from(Active::vars(m0.as_slice().unwrap()))
            .into_shape_with_order((3, 2))
            .unwrap();
        let mv = m.dot(&v0.mapv(Active::constant));
        let f = mv.mapv(|x| x * x).sum();
        (m, f)
    });
    let gradient: Array2<f64> = tape.backward(&f)?.wrt_array(&m);
    let mv = m0.dot(&v0);
    for i in 0..3 {
        for j in 0..2 {
            assert_relative_eq!(gradient[(i, j)], 2.0 * mv[i] * v0[j]);
        }
    }
    Ok(())
}

#[test]
fn tapegrad_s_dot_is_one_node_and_the_same_gradient() -> Result<(), tapegrad::Error> {
    let (x, w) = ([1.0, -2.0, 0.5, 4.0], [0.3, 0.1, -0.7, 2.0]);
    let mut ours = Tape::new();
    let (xs_a, ws_a, y_a) = ours.record(|| {
        let (xs, ws) = (
            Array1::from(Active::vars(&x)),
            Array1::from(Active::vars(&w)),
        );
        let y = dot(&xs, &ws);
        (xs, ws, y)
    });
    let mut theirs = Tape::new();
    let (xs_b, ws_b, y_b) = theirs.record(|| {
        let (xs, ws) = (
            Array1::from(Active::vars(&x)),
            Array1::from(Active::vars(&w)),
        );
        let y = xs.dot(&ws);
        (xs, ws, y)
    });
    assert_eq!(ours.len(), 8 + 1, "eight inputs and one node");
    assert!(theirs.len() > ours.len());
    assert_relative_eq!(y_a.value(), y_b.value(), max_relative = 1e-15);
    let (g_a, g_b) = (ours.backward(&y_a)?, theirs.backward(&y_b)?);
    assert_eq!(g_a.wrt_array(&xs_a), g_b.wrt_array(&xs_b));
    assert_eq!(g_a.wrt_array(&ws_a), g_b.wrt_array(&ws_b));
    assert_eq!(g_a.wrt_array(&xs_a).to_vec(), w);
    Ok(())
}

#[test]
fn dot_with_constants_and_mixed_recordings() {
    let mut tape = Tape::new();
    tape.record(|| {
        let c = array![1.0, 2.0].mapv(Active::constant);
        assert!(dot(&c, &c).is_constant());
        let x = Array1::from(Active::vars(&[3.0, 4.0]));
        assert_eq!(dot(&x, &c).backward().wrt_array(&x), array![1.0, 2.0]);
    });
    let mut other = Tape::new();
    let stray = other.record(|| Array1::from(Active::vars(&[1.0, 1.0])));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tape.record(|| {
            let x = Array1::from(Active::vars(&[3.0, 4.0]));
            dot(&x, &stray)
        })
    }));
    assert!(caught.is_err(), "two recordings in one dot product");
}

/// `dot` inside a recorded function: recorded as its products and sums, so
/// an evaluation elsewhere gives a fresh recording's value and gradient.
#[test]
fn dot_replays_in_a_function() -> tapegrad::Result<()> {
    use tapegrad::replay::Function;
    let f = |x: &[Active]| {
        let (a, b) = x.split_at(3);
        dot(&Array1::from(a.to_vec()), &Array1::from(b.to_vec())).sin()
    };
    let mut g = Function::record(&[0.5, -1.0, 2.0, 1.5, 0.25, -0.75], f)?;
    g.optimize();
    let at = [1.0, 2.0, -3.0, 0.5, -0.5, 0.125];
    let (value, gradient) = g.value_and_gradient(&mut g.workspace(), &at)?;
    let mut tape = Tape::new();
    let (x, y) = tape.record(|| {
        let x = Active::vars(&at);
        let y = f(&x);
        (x, y)
    });
    assert_eq!(value.to_bits(), y.value().to_bits());
    let fresh = tape.backward(&y)?;
    for (g, x) in gradient.iter().zip(&x) {
        assert_relative_eq!(*g, fresh.wrt(x), max_relative = 1e-15);
    }
    Ok(())
}
