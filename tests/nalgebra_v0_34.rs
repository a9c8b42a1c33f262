//! nalgebra 0.34 (the `nalgebra_v0_34` feature, which argmin-math 0.5
//! builds on) on `Active`: the same impls as for 0.35, each checked once.
#![cfg(feature = "nalgebra_v0_34")]

use approx::assert_relative_eq;
use nalgebra_v0_34::{Matrix2, Vector3};
use tapegrad::{Active, Tape, replay::Function};

#[test]
fn the_norm_s_gradient_is_the_unit_vector_in_the_matrix_s_shape() -> tapegrad::Result<()> {
    let mut tape = Tape::new();
    let (v, norm) = tape.record(|| {
        let v = Vector3::from_iterator(Active::vars(&[3.0, 4.0, 12.0]));
        (v, v.norm())
    });
    let g = tape.backward(&norm)?.wrt_matrix(&v);
    for (gi, xi) in g.iter().zip([3.0, 4.0, 12.0]) {
        assert_relative_eq!(*gi, xi / 13.0, max_relative = 1e-15);
    }
    Ok(())
}

#[test]
fn a_recorded_cholesky_replays_on_nalgebra_0_34() -> tapegrad::Result<()> {
    let log_det = |x: &[Active]| {
        let m = Matrix2::new(x[0], x[1], x[1], x[2]);
        let l = m
            .cholesky()
            .expect("positive definite where recorded")
            .unpack();
        (l[(0, 0)].ln() + l[(1, 1)].ln()) * 2.0
    };
    let f = Function::record(&[2.0, 0.5, 1.0], log_det)?;
    let (a, b, c) = (3.0, -1.0, 2.0);
    let (value, gradient) = f.value_and_gradient(&mut f.workspace(), &[a, b, c])?;
    let det: f64 = a * c - b * b;
    assert_relative_eq!(value, det.ln(), max_relative = 1e-14);
    for (g, e) in gradient.iter().zip([c / det, -2.0 * b / det, a / det]) {
        assert_relative_eq!(*g, e, max_relative = 1e-14);
    }
    let indefinite = f.value(&mut f.workspace(), &[1.0, 2.0, 1.0]);
    assert!(matches!(
        indefinite,
        Err(tapegrad::Error::BranchChanged { .. })
    ));
    Ok(())
}
