//! A compiled `Retaping` records and compiles each branch once and keeps
//! it: alternating branches compile no more, its numbers are those of a
//! fresh recording at the same point to the bit, parameters and errors
//! are the interpreter's. (It holds workspaces, which are `Send`, not
//! `Sync`: an evaluation takes `&mut self`.)

use tapegrad::replay::Function;
use tapegrad::{Active, Error};
use tapegrad_jit::{CompileError, Retaping};

/// A piecewise function of `pieces` branches of `x[0]` (a different
/// polynomial on each unit interval), times the parameter.
fn piecewise(pieces: usize) -> impl Fn(&[Active], &[Active]) -> Active {
    move |x: &[Active], p: &[Active]| {
        let mut k = 0;
        while k + 1 < pieces && x[0] > Active::constant((k + 1) as f64) {
            k += 1;
        }
        let c = (k + 1) as f64;
        (x[0] * x[0] * c + x[1].sin() * (c - 0.5)) * p[0]
    }
}

/// The value and gradient of a fresh recording at `x`, optimized, by the
/// interpreter.
fn fresh(pieces: usize, x: &[f64], p: f64) -> Result<(f64, Vec<f64>), Error> {
    let mut f = Function::record_with_params(x, &[p], piecewise(pieces))?;
    f.optimize();
    let mut ws = f.workspace();
    ws.set_params(&[p])?;
    f.value_and_gradient(&mut ws, x)
}

fn bits(v: &(f64, Vec<f64>)) -> Vec<u64> {
    Some(v.0)
        .into_iter()
        .chain(v.1.iter().copied())
        .map(f64::to_bits)
        .collect()
}

#[test]
fn alternating_branches_compile_once_each() -> Result<(), CompileError> {
    let mut f = Retaping::new(&[0.5, 0.1], &[2.0], piecewise(3))?;
    for round in 0..4 {
        for x in [[0.5, 0.1], [1.5, -0.3], [2.5, 0.7]] {
            let ours = f.value_and_gradient(&x)?;
            assert_eq!(
                bits(&ours),
                bits(&fresh(3, &x, 2.0)?),
                "round {round} at {x:?}"
            );
        }
    }
    assert_eq!((f.records(), f.kept()), (2, 3));
    Ok(())
}

/// The forward-mode products through the kept recordings: those of a
/// fresh recording at the same point, and no recording more.
#[test]
fn forward_mode_products_use_the_kept_recordings() -> Result<(), CompileError> {
    let mut f = Retaping::new(&[0.5, 0.1], &[2.0], piecewise(3))?;
    let v = [0.7, -1.3];
    for x in [[0.5, 0.1], [1.5, -0.3], [2.5, 0.7], [0.4, 0.2], [1.6, 0.0]] {
        let mut g = Function::record_with_params(&x, &[2.0], piecewise(3))?;
        g.optimize();
        let mut ws = g.workspace();
        ws.set_params(&[2.0])?;
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        assert_eq!(
            bits(f.jvp(&x, &v)?),
            bits(g.jvp(&mut ws, &x, &v)?),
            "jvp at {x:?}"
        );
        assert_eq!(
            bits(f.hvp(&x, &v)?),
            bits(g.hvp(&mut ws, &x, &v)?),
            "hvp at {x:?}"
        );
    }
    assert_eq!((f.records(), f.kept()), (2, 3));
    assert!(matches!(
        f.jvp(&[0.5, 0.1], &[1.0]),
        Err(CompileError::Function(Error::Length { .. }))
    ));
    Ok(())
}

#[test]
fn it_keeps_the_recordings_used_last() -> Result<(), CompileError> {
    let pieces = 20;
    let mut f = Retaping::new(&[0.5, 0.0], &[1.0], piecewise(pieces))?;
    for k in 0..pieces {
        let x = [k as f64 + 0.5, 0.2];
        assert_eq!(
            bits(&f.value_and_gradient(&x)?),
            bits(&fresh(pieces, &x, 1.0)?)
        );
    }
    assert_eq!(f.records(), pieces - 1);
    assert_eq!(
        f.kept(),
        Retaping::<f64, fn(&[Active], &[Active]) -> Active>::KEPT
    );
    // The last piece is kept: no recording; the first was dropped: one.
    f.gradient(&[pieces as f64 - 0.5, 0.2])?;
    assert_eq!(f.records(), pieces - 1);
    f.gradient(&[0.5, 0.2])?;
    assert_eq!(f.records(), pieces);
    Ok(())
}

#[test]
fn parameters_reach_every_recording() -> Result<(), CompileError> {
    let mut f = Retaping::new(&[0.5, 0.1], &[2.0], piecewise(2))?;
    f.gradient(&[1.5, 0.1])?;
    f.set_params(&[-3.0])?;
    for x in [[0.5, 0.1], [1.5, 0.1]] {
        assert_eq!(bits(&f.value_and_gradient(&x)?), bits(&fresh(2, &x, -3.0)?));
    }
    assert_eq!(f.records(), 1);
    assert!(matches!(
        f.set_params(&[1.0, 2.0]),
        Err(CompileError::Function(Error::Length { .. }))
    ));
    Ok(())
}

#[test]
fn errors_are_the_interpreters() -> Result<(), CompileError> {
    let mut f = Retaping::new(&[0.5, 0.1], &[2.0], piecewise(2))?;
    assert!(matches!(
        f.gradient(&[0.5]),
        Err(CompileError::Function(Error::Length { .. }))
    ));
    let mut two = Retaping::new(&[1.0], &[], |x: &[Active], _: &[Active]| {
        [x[0], x[0] * x[0]]
    })?;
    assert!(matches!(
        two.gradient(&[1.0]),
        Err(CompileError::Function(Error::Length { .. }))
    ));
    let vjp = two.vjp(&[3.0], &[1.0, 1.0])?;
    assert_eq!((vjp.outputs, vjp.inputs), (vec![3.0, 9.0], vec![7.0]));
    assert_eq!(two.value(&[2.0])?, [2.0, 4.0]);
    Ok(())
}

#[test]
fn it_moves_to_another_thread() -> Result<(), CompileError> {
    let mut f = Retaping::new(&[0.5, 0.1], &[2.0], piecewise(2))?;
    let g = std::thread::spawn(move || f.gradient(&[1.5, 0.1]))
        .join()
        .expect("the thread ends")?;
    assert_eq!(g, fresh(2, &[1.5, 0.1], 2.0)?.1);
    Ok(())
}
