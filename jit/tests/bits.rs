//! A compiled function gives the interpreter's numbers to the bit, and its
//! errors: random programs of the op table's ops, kinks, guarded branches,
//! selects, `clamp`, the stable losses, sums of products, recorded at one
//! point and evaluated at another, optimized or not, in f32 and f64,
//! compiled whole or cut into pieces of a few ops.

#[path = "../../tests/common/program.rs"]
mod program;

use program::{Program, coordinate, program_with_sums, run};
use proptest::prelude::*;
use tapegrad::replay::Function;
use tapegrad::{Active, Error};
use tapegrad_jit::{CompileError, Real, compile, compile_in_pieces};

/// The same bits, a NaN as any NaN (Cranelift may order an addition's
/// operands otherwise, and of two NaNs the processor keeps the first).
fn bits<F: Real>(v: &[F]) -> Vec<Option<u64>> {
    v.iter()
        .map(|v| (!v.is_nan()).then(|| v.to_f64().expect("a float").to_bits()))
        .collect()
}

/// `p` and `q` recorded at `x0`, optimized or not, compiled in pieces of
/// `piece` ops: at `x0` and `x1`, its value, gradient and vector–Jacobian
/// product, or its error, are the interpreter's.
fn agrees<F: Real>(
    p: &Program,
    q: &Program,
    x0: &[F],
    x1: &[F],
    w: [F; 2],
    piece: usize,
) -> Result<(), TestCaseError> {
    for optimize in [false, true] {
        let record = |outputs: usize| {
            Function::record(x0, |x: &[Active<F>]| {
                [run(p, x), run(q, x)][..outputs].to_vec()
            })
        };
        let (Ok(mut one), Ok(mut two)) = (record(1), record(2)) else {
            return Err(TestCaseError::reject("not replayable"));
        };
        if optimize {
            one.optimize();
            two.optimize();
        }
        let (c1, c2) = (
            compile_in_pieces(&one, piece),
            compile_in_pieces(&two, piece),
        );
        let (c1, c2) = (
            c1.map_err(|e| TestCaseError::fail(e.to_string()))?,
            c2.map_err(|e| TestCaseError::fail(e.to_string()))?,
        );
        for x in [x0, x1] {
            let mut ws = one.workspace();
            let ours = c1.value_and_gradient(&mut ws, x);
            let theirs = one.value_and_gradient(&mut ws, x);
            match (ours, theirs) {
                (Ok((v, g)), Ok((tv, tg))) => {
                    prop_assert_eq!(bits(&[v]), bits(&[tv]), "value (optimized: {})", optimize);
                    prop_assert_eq!(bits(&g), bits(&tg), "gradient (optimized: {})", optimize);
                }
                (ours, theirs) => prop_assert_eq!(ours.err(), theirs.err()),
            }
            let mut ws = two.workspace();
            match (c2.vjp(&mut ws, x, &w), two.vjp(&mut ws, x, &w)) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(bits(&a.outputs), bits(&b.outputs));
                    prop_assert_eq!(
                        bits(&a.inputs),
                        bits(&b.inputs),
                        "vjp (optimized: {})",
                        optimize
                    );
                }
                (ours, theirs) => prop_assert_eq!(ours.err(), theirs.err()),
            }
            prop_assert_eq!(
                c2.value(&mut ws, x).map(|v| bits(&v)),
                two.value(&mut ws, x).map(|v| bits(&v))
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { max_global_rejects: 65_536, ..ProptestConfig::default() })]

    #[test]
    fn a_compiled_function_gives_the_interpreters_bits(
        p in program_with_sums(),
        q in program_with_sums(),
        x0 in prop::array::uniform3(coordinate()),
        x1 in prop::array::uniform3(coordinate()),
        w in prop::array::uniform2(-2.0..2.0f64),
        piece in prop::sample::select(vec![1, 2, 3, 7, 256]),
    ) {
        agrees::<f64>(&p, &q, &x0, &x1, w, piece)?;
        let f32s = |x: [f64; 3]| x.map(|v| v as f32);
        agrees::<f32>(&p, &q, &f32s(x0), &f32s(x1), w.map(|v| v as f32), piece)?;
    }
}

#[test]
fn a_changed_branch_is_the_interpreters_error() -> Result<(), Box<dyn std::error::Error>> {
    let f = Function::record(&[1.0], |x: &[Active]| match x[0] > Active::constant(0.0) {
        true => x[0].sqrt(),
        false => -x[0],
    })?;
    let compiled = compile(&f)?;
    let mut ws = f.workspace();
    assert_eq!(
        compiled.value_and_gradient(&mut ws, &[4.0])?,
        (2.0, vec![0.25])
    );
    let error = compiled
        .gradient(&mut ws, &[-4.0])
        .expect_err("the other branch");
    assert_eq!(Some(&error), f.gradient(&mut ws, &[-4.0]).err().as_ref());
    assert!(matches!(error, Error::BranchChanged { .. }), "{error}");
    Ok(())
}

#[test]
fn lengths_are_the_interpreters_errors() -> Result<(), Box<dyn std::error::Error>> {
    let f = Function::record_with_params(&[1.0, 2.0], &[3.0], |x: &[Active], p: &[Active]| {
        [x[0] * p[0], x[1]]
    })?;
    let compiled = compile(&f)?;
    let mut ws = f.workspace();
    assert_eq!(
        compiled.value(&mut ws, &[1.0]).err(),
        f.value(&mut ws, &[1.0]).err()
    );
    assert_eq!(
        compiled.vjp(&mut ws, &[1.0, 2.0], &[1.0]).err(),
        f.vjp(&mut ws, &[1.0, 2.0], &[1.0]).err()
    );
    assert!(compiled.gradient(&mut ws, &[1.0, 2.0]).is_err());
    ws.set_params(&[5.0])?;
    let vjp = compiled.vjp(&mut ws, &[1.0, 2.0], &[1.0, 10.0])?;
    assert_eq!(vjp, f.vjp(&mut ws, &[1.0, 2.0], &[1.0, 10.0])?);
    assert_eq!(
        (vjp.outputs, vjp.inputs, vjp.params),
        (vec![5.0, 2.0], vec![5.0, 10.0], vec![1.0])
    );
    Ok(())
}

#[test]
fn a_function_that_read_a_value_does_not_compile() -> Result<(), Box<dyn std::error::Error>> {
    let f = Function::record(&[1.0], |x: &[Active]| x[0] * x[0].value())?;
    assert!(matches!(
        compile(&f),
        Err(CompileError::Function(Error::ValueRead { .. }))
    ));
    Ok(())
}

#[test]
fn a_compiled_function_is_send_and_sync_and_runs_on_threads()
-> Result<(), Box<dyn std::error::Error>> {
    fn shared<T: Send + Sync>(_: &T) {}
    let mut f = Function::record(&[1.0, 2.0], |x: &[Active]| x[0].exp() * x[1] + x[1] * x[1])?;
    f.optimize();
    let compiled = compile(&f)?;
    shared(&compiled);
    std::thread::scope(|s| {
        for k in 0..2 {
            let (f, compiled) = (&f, &compiled);
            s.spawn(move || {
                let x = [0.1 * k as f64, 1.5];
                let mut ws = f.workspace();
                assert_eq!(
                    compiled.value_and_gradient(&mut ws, &x),
                    f.value_and_gradient(&mut ws, &x)
                );
            });
        }
    });
    Ok(())
}
