//! A checkpointed loop of a compiled step: the interpreted loop's value,
//! final state, gradients and report to the bit, in f32 and f64, with
//! every number of snapshots and by the online schedule; a branch that
//! changes inside the loop the interpreted loop's error; a loop that
//! records its step again compiles each branch once, with the numbers of
//! the interpreted loop of the optimized recordings.

#[path = "../../tests/common/program.rs"]
mod program;

use num_traits::Float;
use tapegrad::checkpoint::{Loop, Reversed, Step};
use tapegrad::replay::Function;
use tapegrad::{Active, Error, Scalar};
use tapegrad_jit::Real;

/// One step of a damped pendulum whose stiffness passes through `tanh`,
/// `θ = (k, c)`, its data `(dt, observation)`, and the squared misfit of
/// the angle to the observation as the step's term of the loss.
fn step<F: Scalar>(x: &[Active<F>], p: &[Active<F>]) -> [Active<F>; 3] {
    let (q, v) = (x[0], x[1]);
    let (k, c, dt, seen) = (p[0], p[1], p[2], p[3]);
    let v1 = v - (k * q.sin().tanh() + c * v * v.abs()) * dt;
    let q1 = q + v1 * dt;
    let miss = q1 - seen;
    [q1, v1, miss * miss]
}

fn lit<F: Float>(v: f64) -> F {
    F::from(v).expect("a literal")
}

/// Step `i`'s data: its step size and the observation after it.
fn data<F: Float>(i: usize, rest: &mut [F]) {
    rest.copy_from_slice(&[lit(0.05), lit((0.05 * (i + 1) as f64).sin())]);
}

fn bits<F: Float>(r: &Reversed<F>) -> Vec<(u64, i16, i8)> {
    let numbers = [&[r.value][..], &r.state, &r.d_state, &r.d_params];
    numbers
        .concat()
        .iter()
        .map(|v| v.integer_decode())
        .collect()
}

fn the_same_bits<F: Real + Float>() -> Result<(), Box<dyn std::error::Error>> {
    let mut recorded = Function::record_with_params(
        &[F::one(), F::zero()],
        &[lit(4.0), lit(0.3), lit(0.05), F::zero()],
        step,
    )?;
    recorded.optimize();
    let compiled = tapegrad_jit::compile(&recorded)?;
    let (x0, theta, w) = (
        [lit(0.8), lit(-0.2)],
        [lit(4.0), lit(0.3)],
        [lit(0.5), lit(-1.0)],
    );
    for steps in [0, 1, 2, 7, 300] {
        for snapshots in [1, 2, 3, 60] {
            let slow = Loop::new(&recorded, snapshots).gradient(&x0, &theta, steps, data, &w)?;
            let fast = Loop::new(&compiled, snapshots).gradient(&x0, &theta, steps, data, &w)?;
            assert_eq!(
                bits(&fast),
                bits(&slow),
                "{steps} steps, {snapshots} snapshots"
            );
            assert_eq!(fast.report, slow.report);
            let stop = |i: usize, _: &[F]| i == steps;
            let online = |step: &dyn Step<F>| {
                Loop::new(step, snapshots).gradient_until(&x0, &theta, stop, 1000, data, &w)
            };
            let (slow, fast) = (online(&recorded)?, online(&compiled)?);
            assert_eq!(bits(&fast), bits(&slow), "online, {steps} steps");
            assert_eq!(fast.report, slow.report);
        }
    }
    Ok(())
}

#[test]
fn a_compiled_step_reverses_to_the_interpreters_bits() -> Result<(), Box<dyn std::error::Error>> {
    the_same_bits::<f64>()?;
    the_same_bits::<f32>()
}

#[test]
fn a_branch_that_changes_inside_a_compiled_loop_is_the_interpreters_error()
-> Result<(), Box<dyn std::error::Error>> {
    let f = Function::record(&[1.0], |x: &[Active]| {
        if x[0] > 0.0 {
            [x[0] - 0.3]
        } else {
            [x[0] * 2.0]
        }
    })?;
    let compiled = tapegrad_jit::compile(&f)?;
    let run = |steps| Loop::new(&compiled, 2).gradient(&[1.0], &[], steps, |_, _| {}, &[1.0]);
    let r = run(3)?;
    assert!((r.state[0] - 0.1).abs() < 1e-12);
    let crossed = run(5);
    assert!(
        matches!(crossed, Err(Error::BranchChanged { .. })),
        "{crossed:?}"
    );
    let interpreted = Loop::new(&f, 2).gradient(&[1.0], &[], 5, |_, _| {}, &[1.0]);
    assert_eq!(crossed, interpreted);
    Ok(())
}

mod branching_steps {
    use super::*;
    use crate::program::{Program, looped, looped_paths, loops};
    use proptest::prelude::*;

    /// A loop of `p`'s step recorded again at each new branch, compiled
    /// (`tapegrad_jit::compiled`) and interpreted (the recordings
    /// optimized as `compiled` optimizes them): the same numbers and
    /// errors, to the bit (a NaN as any NaN), and as many recordings.
    fn compiled_as_interpreted<F: Real + Float>(
        p: &Program,
        x0: [F; 3],
        theta: F,
        steps: usize,
        snapshots: usize,
    ) -> Result<(), TestCaseError> {
        // Where recording panics (a clamp's bounds crossed), both loops would.
        prop_assume!(
            looped_paths(p, &x0, theta, steps).is_some(),
            "recording panics"
        );
        let step = |x: &[Active<F>], t: &[Active<F>]| looped(p, x, t);
        let optimized = |mut f: Function<F>| {
            f.optimize();
            Ok(f)
        };
        let w = [F::one(), F::zero(), F::one()];
        let run = |l: &mut Loop<'_, F>| {
            let r = l.gradient(&x0, &[theta], steps, |_, _| {}, &w);
            let numbers = |r: Reversed<F>| {
                crate::program::bits(r.value, &[r.state, r.d_state, r.d_params].concat())
            };
            (r.map(numbers).map_err(|e| e.to_string()), l.recordings())
        };
        let fail = |e: Error| TestCaseError::fail(e.to_string());
        let mut fast = Loop::recorded_with(&x0, &[theta], step, snapshots, tapegrad_jit::compiled)
            .map_err(fail)?;
        let mut slow =
            Loop::recorded_with(&x0, &[theta], step, snapshots, optimized).map_err(fail)?;
        prop_assert_eq!(run(&mut fast), run(&mut slow));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// In f64 and f32.
        #[test]
        fn a_compiled_loop_that_records_again_is_the_interpreted_one((p, x0, theta, steps, snapshots) in loops()) {
            compiled_as_interpreted(&p, x0, theta, steps, snapshots)?;
            compiled_as_interpreted(&p, x0.map(|v| v as f32), theta as f32, steps, snapshots)?;
        }
    }
}
