//! A compiled `Retaping` records and compiles each branch once and keeps
//! it: alternating branches compile no more, its numbers are those of a
//! fresh recording at the same point to the bit, parameters and errors
//! are the interpreter's; over random programs with guarded branches too. (It holds workspaces, which are `Send`, not
//! `Sync`: an evaluation takes `&mut self`.)

#[path = "../../tests/common/program.rs"]
mod program;

use program::{Program, met, paths, points, program, run};
use proptest::prelude::*;
use tapegrad::replay::{Function, Workspace};
use tapegrad::{Active, Error, Scalar};
use tapegrad_jit::{CompileError, Real, Retaping};

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

fn bits(v: &(f64, Vec<f64>)) -> Vec<Option<u64>> {
    program::bits(v.0, &v.1)
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

/// A compiled `Retaping` of `p` over the points `xs`: at each, the
/// interpreter's value, gradient, and Jacobian– and Hessian–vector
/// products of a fresh optimized recording, to the bit (a NaN as any NaN);
/// having recorded exactly once per set of branches taken that it had not
/// met.
fn compiles_each_branch_once<F: Real + Scalar>(
    p: &Program,
    xs: &[[F; 3]],
) -> Result<(), TestCaseError> {
    let paths = paths(p, xs);
    prop_assume!(paths.is_some(), "recording panics at a point");
    let paths = paths.unwrap_or_default();
    let fail = |e: CompileError| TestCaseError::fail(e.to_string());
    let closure = |x: &[Active<F>], _: &[Active<F>]| run(p, x);
    let mut f = Retaping::new(&xs[0], &[], closure).map_err(fail)?;
    let v = [1.0, -0.5, 0.25].map(|v| F::from(v).expect("a literal"));
    for (k, x) in xs.iter().enumerate() {
        let (value, gradient) = f.value_and_gradient(x).map_err(fail)?;
        let mut fresh = Function::record(x, |x: &[Active<F>]| run(p, x))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        fresh.optimize();
        let interpreted = |ws: &mut Workspace<F>| -> tapegrad::Result<Vec<Option<u64>>> {
            let (value, gradient) = fresh.value_and_gradient(ws, x)?;
            let hvp = fresh.hvp(ws, x, &v)?;
            Ok(program::bits(
                value,
                &[gradient, fresh.jvp(ws, x, &v)?, hvp].concat(),
            ))
        };
        let expected =
            interpreted(&mut fresh.workspace()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (jvp, hvp) = (f.jvp(x, &v).map_err(fail)?, f.hvp(x, &v).map_err(fail)?);
        let got = program::bits(value, &[gradient, jvp, hvp].concat());
        prop_assert_eq!(got, expected, "at point {}", k);
        let met = met(&paths[..=k]);
        prop_assert_eq!((f.kept(), f.records()), (met, met - 1), "at point {}", k);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random programs with guarded branches over six points, f64 and f32:
    /// the interpreter's numbers, each set of branches compiled once.
    #[test]
    fn random_programs_compile_each_branch_once(
        p in program(),
        xs in points(),
    ) {
        compiles_each_branch_once(&p, &xs)?;
        let xs32: Vec<[f32; 3]> = xs.iter().map(|x| x.map(|v| v as f32)).collect();
        compiles_each_branch_once(&p, &xs32)?;
    }
}
