//! A checkpointed loop against a tape of the whole loop: the same value
//! and gradients, in f32 and f64, with every number of snapshots, the
//! steps run forward as few as revolve's optimum, and a branch that
//! changes inside the loop an error; loops of random branching steps,
//! each branch recorded once, to the bit.

#[path = "common/program.rs"]
mod program;

use num_traits::Float;
use tapegrad::checkpoint::{Loop, optimum};
use tapegrad::replay::Function;
use tapegrad::{Active, Error, Scalar};

/// One explicit Euler step of a damped oscillator, `θ = (k, c)`, its data
/// `(dt, observation)`, and the squared misfit of the position to the
/// observation as the step's term of the loss.
fn step<F: Scalar>(x: &[Active<F>], p: &[Active<F>]) -> [Active<F>; 3] {
    let (q, v) = (x[0], x[1]);
    let (k, c, dt, seen) = (p[0], p[1], p[2], p[3]);
    let v1 = v - (k * q + c * v) * dt;
    let q1 = q + v1 * dt;
    let miss = q1 - seen;
    [q1, v1, miss * miss]
}

fn lit<F: Float>(v: f64) -> F {
    F::from(v).expect("a literal")
}

/// Step `i`'s data: its step size and the observation after it.
fn data<F: Float>(i: usize) -> [F; 2] {
    [lit(0.05), lit((0.05 * (i + 1) as f64).sin())]
}

/// The loss and its gradient with respect to `(x0, θ)` from a tape of the
/// whole loop, recorded once.
fn whole<F: Scalar>(x0: &[F], theta: &[F], steps: usize, w: &[F]) -> (F, Vec<F>) {
    let point = [x0, theta].concat();
    let f = Function::record(&point, |z: &[Active<F>]| {
        let (mut x, mut loss) = (vec![z[0], z[1]], Active::constant(F::zero()));
        for i in 0..steps {
            let [dt, seen] = data::<F>(i).map(Active::constant);
            let [q, v, term] = step(&x, &[z[2], z[3], dt, seen]);
            (x, loss) = (vec![q, v], loss + term);
        }
        loss + x[0] * w[0] + x[1] * w[1]
    })
    .expect("replayable");
    f.value_and_gradient(&mut f.workspace(), &point)
        .expect("evaluates")
}

fn agrees<F: Scalar + std::fmt::Debug>(tolerance: F) -> tapegrad::Result<()> {
    let rest = [lit(0.05), F::zero()];
    let recorded = Function::record_with_params(
        &[F::one(), F::zero()],
        &[lit(4.0), lit(0.3), rest[0], rest[1]],
        step,
    )?;
    let (x0, theta, w) = (
        [lit(0.8), lit(-0.2)],
        [lit(4.0), lit(0.3)],
        [lit(0.5), lit(-1.0)],
    );
    let close = |a: F, b: F| (a - b).abs() <= tolerance * b.abs().max(F::one());
    for steps in [0, 1, 2, 7, 50, 300] {
        let (value, gradient) = whole(&x0, &theta, steps, &w);
        for snapshots in [1, 2, 3, 60] {
            let mut looped = Loop::new(&recorded, snapshots);
            let fill = |i: usize, rest: &mut [F]| rest.copy_from_slice(&data::<F>(i));
            let r = looped.gradient(&x0, &theta, steps, fill, &w)?;
            let ours = [r.d_state.clone(), r.d_params.clone()].concat();
            assert!(
                close(r.value, value),
                "{steps} steps, {snapshots} snapshots: {:?} against {value:?}",
                r.value
            );
            for (a, b) in ours.iter().zip(&gradient) {
                assert!(
                    close(*a, *b),
                    "{steps} steps, {snapshots} snapshots: {ours:?} against {gradient:?}"
                );
            }
            let report = r.report;
            assert_eq!(
                report.forward_steps,
                optimum(steps as u64, snapshots as u64)
            );
            assert_eq!(report.optimum, report.forward_steps);
            assert!(report.snapshots <= snapshots && (steps == 0 || report.snapshots >= 1));
            assert_eq!(report.snapshot_bytes, report.snapshots * 2 * size_of::<F>());
            // The online schedule, the number of steps found by the loop:
            // the same steps at the same states, so the same bits.
            let stop = |i: usize, _: &[F]| i == steps;
            let u = looped.gradient_until(&x0, &theta, stop, usize::MAX, fill, &w)?;
            assert_eq!(
                (u.value, &u.state, &u.d_state, &u.d_params),
                (r.value, &r.state, &r.d_state, &r.d_params),
                "{steps} steps, {snapshots} snapshots"
            );
            let (best, ran) = (u.report.optimum, u.report.forward_steps);
            assert_eq!(
                (u.report.steps as u64, best),
                (steps as u64, report.optimum)
            );
            assert!(best <= ran && ran <= best + steps as u64, "{:?}", u.report);
            assert!(u.report.snapshots <= snapshots);
        }
    }
    Ok(())
}

#[test]
fn a_checkpointed_loop_gives_a_whole_tapes_value_and_gradients() -> tapegrad::Result<()> {
    agrees::<f64>(1e-12)?;
    agrees::<f32>(1e-4)
}

#[test]
fn a_long_loop_with_few_snapshots_runs_revolves_optimum() -> tapegrad::Result<()> {
    let decay = Function::record_with_params(&[1.0], &[0.5], |x: &[Active], p: &[Active]| {
        [x[0] - x[0] * p[0] * 0.001]
    })?;
    let r = Loop::new(&decay, 4).gradient(&[1.0], &[0.5], 5000, |_, _| {}, &[1.0])?;
    assert_eq!(r.report.forward_steps, optimum(5000, 4));
    // C(4 + 16, 4) < 5000 ≤ C(4 + 17, 4): each step run again 17 times at
    // most, where one snapshot would run 5000·4999/2 steps.
    assert!(r.report.forward_steps <= 17 * 5000, "{:?}", r.report);
    assert_eq!(r.report.snapshots, 4);
    let exact = (1.0 - 0.0005_f64).powi(5000);
    assert!((r.state[0] - exact).abs() < 1e-12 && (r.d_state[0] - exact).abs() < 1e-12);
    // d/dθ (1 − θ/1000)ⁿ = −n/1000·(1 − θ/1000)ⁿ⁻¹
    let d = -5.0 * (1.0 - 0.0005_f64).powi(4999);
    assert!(
        (r.d_params[0] - d).abs() < 1e-10,
        "{} against {d}",
        r.d_params[0]
    );
    Ok(())
}

#[test]
fn a_branch_that_changes_inside_the_loop_is_an_error() -> tapegrad::Result<()> {
    let f = Function::record(&[1.0], |x: &[Active]| {
        if x[0] > 0.0 {
            [x[0] - 0.3]
        } else {
            [x[0] * 2.0]
        }
    })?;
    let r = Loop::new(&f, 2).gradient(&[1.0], &[], 3, |_, _| {}, &[1.0])?;
    assert!((r.state[0] - 0.1).abs() < 1e-12);
    let crossed = Loop::new(&f, 2).gradient(&[1.0], &[], 5, |_, _| {}, &[1.0]);
    assert!(
        matches!(crossed, Err(Error::BranchChanged { .. })),
        "{crossed:?}"
    );
    Ok(())
}

#[test]
fn shapes_that_do_not_fit_the_step_are_errors() -> tapegrad::Result<()> {
    let f = Function::record_with_params(&[1.0, 2.0], &[0.5], |x: &[Active], p: &[Active]| {
        [x[0] * p[0], x[1]]
    })?;
    let mut looped = Loop::new(&f, 2);
    let length = |r: tapegrad::Result<_>| matches!(r, Err(Error::Length { .. }));
    assert!(length(looped.gradient(
        &[1.0],
        &[0.5],
        3,
        |_, _| {},
        &[1.0, 1.0]
    )));
    assert!(length(looped.gradient(
        &[1.0, 2.0],
        &[0.5],
        3,
        |_, _| {},
        &[1.0]
    )));
    assert!(length(looped.gradient(
        &[1.0, 2.0],
        &[0.5, 1.0],
        3,
        |_, _| {},
        &[1.0, 1.0]
    )));
    let three = Function::record(&[1.0], |x: &[Active]| [x[0], x[0], x[0]])?;
    let mut looped = Loop::new(&three, 2);
    assert!(length(looped.gradient(&[1.0], &[], 3, |_, _| {}, &[1.0])));
    Ok(())
}

#[test]
#[should_panic(expected = "a loop needs a snapshot at least")]
fn a_loop_without_a_snapshot_is_refused() {
    let f = Function::record(&[1.0], |x: &[Active]| x[0] * 2.0).expect("replayable");
    let _ = Loop::new(&f, 0);
}

#[test]
fn a_step_whose_branch_changes_is_recorded_again_once_a_branch() -> tapegrad::Result<()> {
    // Around 0: down by θ above it, up by θ/2 below; the loss, Σ x².
    let step = |x: &[Active], p: &[Active]| {
        let next = if x[0] > 0.0 {
            x[0] - p[0]
        } else {
            x[0] + p[0] * 0.5
        };
        [next, next * next]
    };
    let (x0, theta, steps) = (1.0, 0.3, 40);
    let mut looped = Loop::recorded(&[x0], &[theta], step, 3)?;
    let r = looped.gradient(&[x0], &[theta], steps, |_, _| {}, &[0.0])?;
    assert_eq!(r.report.records, 1, "{:?}", r.report);
    assert_eq!(looped.recordings(), 2);
    // A tape of the whole loop, each step's branch as it comes.
    let f = Function::record(&[x0, theta], |z: &[Active]| {
        let (mut x, mut loss) = (z[0], Active::constant(0.0));
        for _ in 0..steps {
            let [next, term] = step(&[x], &[z[1]]);
            (x, loss) = (next, loss + term);
        }
        loss
    })?;
    let (value, gradient) = f.value_and_gradient(&mut f.workspace(), &[x0, theta])?;
    assert!((r.value - value).abs() <= 1e-12 * value.abs());
    assert!((r.d_state[0] - gradient[0]).abs() <= 1e-12 * gradient[0].abs().max(1.0));
    assert!((r.d_params[0] - gradient[1]).abs() <= 1e-12 * gradient[1].abs().max(1.0));
    // Run again: both branches are kept, nothing is recorded.
    let again = looped.gradient(&[x0], &[theta], steps, |_, _| {}, &[0.0])?;
    assert_eq!(again.report.records, 0);
    assert_eq!(again.d_params, r.d_params);
    Ok(())
}

#[test]
fn a_loop_until_a_condition_holds_gives_the_loop_of_as_many_steps() -> tapegrad::Result<()> {
    // x ← x + dt·(θ − x) until x ≥ 0.9·θ: the number of steps depends on θ.
    let relax = Function::record_with_params(&[0.0], &[2.0], |x: &[Active], p: &[Active]| {
        [x[0] + (p[0] - x[0]) * 0.05]
    })?;
    let theta = 2.0;
    let stop = |_: usize, x: &[f64]| x[0] >= 0.9 * theta;
    let mut looped = Loop::new(&relax, 3);
    let until = looped.gradient_until(&[0.0], &[theta], stop, 1000, |_, _| {}, &[1.0])?;
    // 1 − 0.95ⁿ ≥ 0.9 first at n = 45.
    assert_eq!(until.report.steps, 45);
    let fixed = looped.gradient(&[0.0], &[theta], 45, |_, _| {}, &[1.0])?;
    assert_eq!(
        (until.value, &until.d_state, &until.d_params),
        (fixed.value, &fixed.d_state, &fixed.d_params)
    );
    // One forward pass and its segments reversed: fewer steps than a
    // pass counting the steps and then revolve's optimum.
    let (best, ran) = (optimum(45, 3), until.report.forward_steps);
    assert!(best <= ran && ran < best + 45, "{:?}", until.report);
    // Capped, and stopped before the first step.
    let capped = looped.gradient_until(&[0.0], &[theta], stop, 10, |_, _| {}, &[1.0])?;
    assert_eq!(capped.report.steps, 10);
    let none = looped.gradient_until(&[0.0], &[theta], |_, _| true, 10, |_, _| {}, &[1.0])?;
    assert_eq!(
        (
            none.report.steps,
            none.d_state.clone(),
            none.d_params.clone()
        ),
        (0, vec![1.0], vec![0.0])
    );
    Ok(())
}

#[test]
fn a_loops_loss_is_one_op_of_a_larger_computation_on_var_and_active() -> tapegrad::Result<()> {
    use tapegrad::Tape;
    let recorded = Function::record_with_params(&[1.0, 0.0], &[4.0, 0.3, 0.05, 0.0], step::<f64>)?;
    let (x0, theta, w, steps) = ([0.8, -0.2], [4.0, 0.3], [0.5, -1.0], 30);
    // The reference: a tape of the whole loop, plus θ₀·θ₁ beside it.
    let (value, gradient) = whole(&x0, &theta, steps, &w);
    let fill = |i: usize, rest: &mut [f64]| rest.copy_from_slice(&data::<f64>(i));
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
    // On a `Var` tape.
    let tape = Tape::new();
    let (xs, ts) = (tape.vars(&x0), tape.vars(&theta));
    let mut looped = Loop::new(&recorded, 4);
    let total = looped.loss(&xs, &ts, steps, fill, &w)? + ts[0] * ts[1];
    assert!(close(total.value(), value + theta[0] * theta[1]));
    let grads = total.backward();
    let extra = [0.0, 0.0, theta[1], theta[0]];
    for (k, v) in xs.iter().chain(&ts).enumerate() {
        assert!(
            close(grads.wrt(v), gradient[k] + extra[k]),
            "{k}: {} against {}",
            grads.wrt(v),
            gradient[k] + extra[k]
        );
    }
    // On the thread's `Active` recording: the same.
    let (total, grads) = Tape::new().record(|| {
        let (xs, ts) = (Active::vars(&x0), Active::vars(&theta));
        let total = looped.loss(&xs, &ts, steps, fill, &w).expect("runs") + ts[0] * ts[1];
        let grads = total.backward();
        (
            total.value(),
            xs.iter()
                .chain(&ts)
                .map(|v| grads.wrt(v))
                .collect::<Vec<_>>(),
        )
    });
    assert!(close(total, value + theta[0] * theta[1]));
    assert!(
        grads
            .iter()
            .zip(gradient.iter().zip(extra))
            .all(|(&g, (&e, x))| close(g, e + x))
    );
    // Inside a recorded function: refused, as any node it cannot compute again.
    let inside = Function::record(&x0, |x: &[Active]| {
        let ts = [Active::constant(4.0), Active::constant(0.3)];
        looped.loss(x, &ts, 3, fill, &w).expect("runs")
    });
    assert!(
        matches!(inside, Err(Error::NotReplayable { .. })),
        "{inside:?}"
    );
    Ok(())
}

#[test]
fn ten_thousand_steps_give_the_whole_tapes_gradient_and_central_differences() -> tapegrad::Result<()>
{
    let recorded = Function::record_with_params(&[1.0, 0.0], &[4.0, 0.3, 0.05, 0.0], step::<f64>)?;
    let (x0, theta, w, steps) = ([0.8, -0.2], [4.0, 0.3], [0.5, -1.0], 10_000);
    let fill = |i: usize, rest: &mut [f64]| rest.copy_from_slice(&data::<f64>(i));
    let mut looped = Loop::new(&recorded, 20);
    let r = looped.gradient(&x0, &theta, steps, fill, &w)?;
    let (value, gradient) = whole(&x0, &theta, steps, &w);
    assert!((r.value - value).abs() <= 1e-12 * value.abs());
    let ours = [r.d_state.clone(), r.d_params.clone()].concat();
    for (a, b) in ours.iter().zip(&gradient) {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "{ours:?} against {gradient:?}"
        );
    }
    // Central differences of the loop's value, in each of x₀ and θ, with
    // Richardson's extrapolation from h and h/2 (its error O(h⁴)).
    let h = 1e-4;
    let point = [x0, theta].concat();
    for k in 0..4 {
        let mut at = |d: f64| -> tapegrad::Result<f64> {
            let mut p = point.clone();
            p[k] += d;
            Ok(looped.gradient(&p[..2], &p[2..], steps, fill, &w)?.value)
        };
        let numeric = (at(h)? - at(-h)?) / (2.0 * h);
        assert!(
            (ours[k] - numeric).abs() <= 1e-6 * numeric.abs().max(1.0),
            "{k}: {} against {numeric}",
            ours[k]
        );
    }
    Ok(())
}

#[test]
fn a_step_that_panics_while_recorded_again_leaves_the_threads_recordings_usable() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use tapegrad::Tape;
    // Recorded above 0; below it, recording the step again panics.
    let step = |x: &[Active], _: &[Active]| {
        assert!(x[0] > 0.0, "the step panics below 0");
        [x[0] - 0.4]
    };
    let mut looped = Loop::recorded(&[1.0], &[], step, 2).expect("records");
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        looped.gradient(&[1.0], &[], 5, |_, _| {}, &[1.0])
    }));
    assert!(panicked.is_err());
    // The thread records again as before: a tape of `Active`s, and a loop.
    let slope = Tape::new().record(|| {
        let x = Active::var(3.0);
        (x * x).backward().wrt(&x)
    });
    assert_eq!(slope, 6.0);
    let r = looped
        .gradient(&[1.0], &[], 2, |_, _| {}, &[1.0])
        .expect("runs above 0");
    assert!((r.state[0] - 0.2).abs() < 1e-15 && r.d_state == [1.0]);
}

/// Loops of random steps that branch: a checkpointed loop that records
/// each branch of its step once gives, to the bit, what a loop keeping
/// every state and recording the step afresh at each gives, for any
/// number of snapshots.
mod branching_steps {
    use super::*;
    use crate::program::{Program, bits, looped, looped_path, looped_paths, loops, met};
    use proptest::prelude::*;

    /// The loop kept whole: every state, the step recorded afresh at each,
    /// reversed as `checkpoint::Loop` reverses (the terms and `θ`'s
    /// gradient added from the last step).
    fn kept_whole<F: Scalar>(
        p: &Program,
        x0: &[F],
        theta: F,
        steps: usize,
        w: &[F],
    ) -> tapegrad::Result<Vec<Option<u64>>> {
        let (mut states, mut steps_recorded) = (vec![x0.to_vec()], Vec::new());
        for _ in 0..steps {
            let x = states.last().expect("the initial state");
            let f =
                Function::record_with_params(x, &[theta], |x: &[Active<F>], t: &[Active<F>]| {
                    looped(p, x, t)
                })?;
            let mut ws = f.workspace();
            ws.set_params(&[theta])?;
            states.push(f.value(&mut ws, x)?[..3].to_vec());
            steps_recorded.push((f, ws));
        }
        let (mut lambda, mut value, mut d_theta) = (w.to_vec(), F::zero(), F::zero());
        for ((f, ws), x) in steps_recorded.iter_mut().zip(&states).rev() {
            let vjp = f.vjp(ws, x, &[lambda.as_slice(), &[F::one()]].concat())?;
            (value, d_theta) = (value + vjp.outputs[3], d_theta + vjp.params[0]);
            lambda = vjp.inputs;
        }
        let last = states[steps].iter().zip(w);
        let value = last.fold(value, |acc, (&x, &w)| acc + w * x);
        let numbers = [&[value, d_theta][..], &lambda, &states[steps]].concat();
        Ok(bits(numbers[0], &numbers[1..]))
    }

    /// `Loop::recorded` of `p`'s step: the loop kept whole's numbers, to
    /// the bit, and one recording a set of branches the steps took.
    fn agrees_with_the_loop_kept_whole<F: Scalar>(
        p: &Program,
        x0: [F; 3],
        theta: F,
        steps: usize,
        snapshots: usize,
    ) -> Result<(), TestCaseError> {
        let taken = looped_paths(p, &x0, theta, steps);
        prop_assume!(taken.is_some(), "recording panics at a step");
        // The first recording is made at `x0`, however many steps run.
        let taken = [
            taken.unwrap_or_default(),
            looped_path(p, &x0, theta).into_iter().collect(),
        ]
        .concat();
        let fail = |e: Error| TestCaseError::fail(e.to_string());
        let w = [F::one(), F::zero(), F::one()];
        let expected = kept_whole(p, &x0, theta, steps, &w).map_err(fail)?;
        let closure = |x: &[Active<F>], t: &[Active<F>]| looped(p, x, t);
        let mut looped = Loop::recorded(&x0, &[theta], closure, snapshots).map_err(fail)?;
        let r = looped
            .gradient(&x0, &[theta], steps, |_, _| {}, &w)
            .map_err(fail)?;
        let numbers = [&[r.value, r.d_params[0]][..], &r.d_state, &r.state].concat();
        prop_assert_eq!(bits(numbers[0], &numbers[1..]), expected);
        prop_assert_eq!(looped.recordings(), met(&taken));
        prop_assert_eq!(r.report.records, met(&taken) - 1);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// In f64 and f32.
        #[test]
        fn a_loop_of_a_branching_step_is_the_loop_kept_whole((p, x0, theta, steps, snapshots) in loops()) {
            agrees_with_the_loop_kept_whole(&p, x0, theta, steps, snapshots)?;
            agrees_with_the_loop_kept_whole(&p, x0.map(|v| v as f32), theta as f32, steps, snapshots)?;
        }
    }
}
