//! # A million RK4 steps, 110 parameters, a few kilobytes of tape
//!
//! Ten states driven by a known forcing `u(t)` through a small network,
//!
//! ```text
//! dx/dt = tanh(W·x + b + u(t)) − x          W: 10×10, b: 10, so θ = (W, b) has 110 numbers
//! ```
//!
//! are integrated by RK4 for 10⁶ steps of 0.01 and observed, with noise,
//! every 100 steps. L-BFGS (argmin) fits `θ` to those observations from a
//! perturbed start. The loss is a sum over the whole trajectory, so its
//! gradient needs the whole trajectory reversed: a tape of it would hold
//! about 10⁹ nodes, tens of gigabytes. The step is recorded once as a
//! [`Function`]; a [`Loop`] runs it keeping 1,000 snapshots of the state
//! (80 KB) and, in the reverse pass, runs each segment again from its
//! snapshot and differentiates it: the gradient of the whole trajectory,
//! each step run again about 2.5 times.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --features argmin --example ode_fit
//! cargo run --release --features argmin --example ode_fit -- --steps 20000 --iters 30
//! ```
//!
//! A gradient of 10⁶ steps takes seconds, so the full fit takes minutes;
//! `--steps` makes the trajectory shorter.

use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::time::Instant;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use num_traits::Float;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use tapegrad::Active;
use tapegrad::checkpoint::{Loop, Report};
use tapegrad::replay::Function;

mod common;
use common::args::Args;

/// The states, the parameters (`W` row by row, then `b`), the step size.
const N: usize = 10;
const P: usize = N * N + N;
const DT: f64 = 0.01;
/// Observed every this many steps, with this deviation of noise.
const EVERY: usize = 100;
const NOISE: f64 = 0.05;
/// A step's data after `θ`: the forcing at `t`, `t + h/2` and `t + h`,
/// whether the state after the step is observed (0 or 1), and the
/// observation.
const DATA: usize = 3 * N + 1 + N;
const OBSERVED: usize = 3 * N;

/// The forcing of state `j`, `sin(ωⱼ·t + j)`: a wave of its own frequency
/// for each state, so that the trajectory explores all ten directions and
/// every weight of `W` is seen in the data.
fn omega(j: usize) -> f64 {
    0.4 + 0.21 * j as f64
}

/// `dx/dt` at `x` with `θ` and the forcing `u`, on any scalar.
fn field<T: Float>(x: &[T], theta: &[T], u: &[T]) -> Vec<T> {
    let (w, b) = theta.split_at(N * N);
    (0..N)
        .map(|i| {
            let wx = (0..N).fold(b[i] + u[i], |acc, j| acc + w[i * N + j] * x[j]);
            wx.tanh() - x[i]
        })
        .collect()
}

/// One RK4 step from `x`: the next state, and the squared misfit to the
/// observation if there is one. `p` is `θ`, then the step's data.
fn rk4<T: Float>(x: &[T], p: &[T]) -> Vec<T> {
    let (theta, data) = p.split_at(P);
    let at = |k: usize| &data[k * N..(k + 1) * N];
    let (h, half) = (T::from(DT).expect("h"), T::from(DT / 2.0).expect("h/2"));
    let shifted =
        |k: &[T], by: T| -> Vec<T> { x.iter().zip(k).map(|(&x, &k)| x + k * by).collect() };
    let k1 = field(x, theta, at(0));
    let k2 = field(&shifted(&k1, half), theta, at(1));
    let k3 = field(&shifted(&k2, half), theta, at(1));
    let k4 = field(&shifted(&k3, h), theta, at(2));
    let sixth = T::from(DT / 6.0).expect("h/6");
    let two = T::from(2.0).expect("2");
    let mut next: Vec<T> = (0..N)
        .map(|i| x[i] + (k1[i] + two * (k2[i] + k3[i]) + k4[i]) * sixth)
        .collect();
    let (observed, seen) = (data[OBSERVED], &data[OBSERVED + 1..]);
    let miss = next
        .iter()
        .zip(seen)
        .fold(T::zero(), |acc, (&x, &y)| acc + (x - y) * (x - y));
    next.push(observed * miss);
    next
}

/// Writes the forcing at step `i`'s three times into its data.
fn forcing_data(i: usize, data: &mut [f64]) {
    let t = DT * i as f64;
    for (k, dt) in [0.0, DT / 2.0, DT].into_iter().enumerate() {
        for j in 0..N {
            data[k * N + j] = (omega(j) * (t + dt) + j as f64).sin();
        }
    }
}

/// Writes step `i`'s data: the forcing and the observation after it.
fn step_data(i: usize, seen: &[[f64; N]], data: &mut [f64]) {
    forcing_data(i, data);
    let observed = (i + 1) % EVERY == 0;
    data[OBSERVED] = if observed { 1.0 } else { 0.0 };
    if observed {
        data[OBSERVED + 1..].copy_from_slice(&seen[(i + 1) / EVERY - 1]);
    }
}

/// The observations of the trajectory of `theta` from `x0`: every
/// `EVERY`-th state with Gaussian noise.
fn observe(theta: &[f64], x0: &[f64], steps: usize, rng: &mut StdRng) -> Vec<[f64; N]> {
    let noise = Normal::new(0.0, NOISE).expect("a finite deviation");
    let (mut x, mut p) = (x0.to_vec(), [theta, &[0.0; DATA]].concat());
    let mut seen = Vec::with_capacity(steps / EVERY);
    for i in 0..steps {
        forcing_data(i, &mut p[P..]);
        x = rk4(&x, &p);
        x.truncate(N);
        if (i + 1) % EVERY == 0 {
            seen.push(core::array::from_fn(|j| x[j] + noise.sample(rng)));
        }
    }
    seen
}

/// The fit's loss, `Σ |x − y|² / (2σ²·count)` over the observations (about
/// ½ at the truth), and its gradient in `θ` from the checkpointed loop.
struct Fit<'a> {
    looped: RefCell<Loop<'a>>,
    x0: Vec<f64>,
    seen: Vec<[f64; N]>,
    steps: usize,
    /// A line search asks for the cost and the gradient at the same point:
    /// the last point's are kept.
    last: RefCell<Option<Evaluated>>,
    /// The gradients taken, and when the fit began, to print each.
    gradients: Cell<usize>,
    began: Option<Instant>,
}

/// The loss and its gradient at `theta`, and what the loop took.
struct Evaluated {
    theta: Vec<f64>,
    value: f64,
    gradient: Vec<f64>,
    report: Report,
}

impl<'a> Fit<'a> {
    fn new(
        step: &'a Function,
        snapshots: usize,
        x0: Vec<f64>,
        seen: Vec<[f64; N]>,
        steps: usize,
    ) -> Self {
        Fit {
            looped: RefCell::new(Loop::new(step, snapshots)),
            x0,
            seen,
            steps,
            last: RefCell::new(None),
            gradients: Cell::new(0),
            began: None,
        }
    }

    fn evaluate(&self, theta: &[f64]) -> Result<(f64, Vec<f64>), argmin::core::Error> {
        if let Some(last) = &*self.last.borrow() {
            if last.theta == theta {
                return Ok((last.value, last.gradient.clone()));
            }
        }
        let data = |i: usize, d: &mut [f64]| step_data(i, &self.seen, d);
        let weights = [0.0; N];
        let r = self
            .looped
            .borrow_mut()
            .gradient(&self.x0, theta, self.steps, data, &weights)?;
        let scale = 1.0 / (2.0 * NOISE * NOISE * (self.seen.len() * N) as f64);
        let gradient: Vec<f64> = r.d_params.iter().map(|d| d * scale).collect();
        let value = r.value * scale;
        self.gradients.set(self.gradients.get() + 1);
        if let Some(began) = self.began {
            let seconds = began.elapsed().as_secs_f64();
            println!(
                "  gradient {:>2}: loss {value:.5} ({seconds:.0} s)",
                self.gradients.get()
            );
        }
        let theta = theta.to_vec();
        let report = r.report;
        *self.last.borrow_mut() = Some(Evaluated {
            theta,
            value,
            gradient: gradient.clone(),
            report,
        });
        Ok((value, gradient))
    }
}

impl CostFunction for &Fit<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.evaluate(theta)?.0)
    }
}

impl Gradient for &Fit<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, theta: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.evaluate(theta)?.1)
    }
}

/// The peak resident memory of this process, from Linux's `/proc`.
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line["VmHWM:".len()..].trim().to_string())
}

/// The largest difference between two parameter vectors.
fn largest_error(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = args.get("steps", 1_000_000)?;
    let snapshots: usize = args.get("snapshots", 1000)?;
    let iters: u64 = args.get("iters", 30)?;
    if steps < EVERY || snapshots == 0 {
        return Err(format!("--steps at least {EVERY} and --snapshots at least 1").into());
    }
    let mut rng = StdRng::seed_from_u64(17);
    let normal = Normal::new(0.0, 1.0)?;
    // A contracting network (‖W‖ < 1), so that the trajectory follows the
    // forcing and not its own start.
    let truth: Vec<f64> = (0..P)
        .map(|k| normal.sample(&mut rng) * if k < N * N { 0.12 } else { 0.3 })
        .collect();
    let x0 = vec![0.0; N];
    let seen = observe(&truth, &x0, steps, &mut rng);
    let start: Vec<f64> = truth
        .iter()
        .map(|t| t + 0.1 * normal.sample(&mut rng))
        .collect();

    let point = [truth.clone(), vec![0.0; DATA]].concat();
    let mut step =
        Function::record_with_params(&x0, &point, |x: &[Active], p: &[Active]| rk4(x, p))?;
    step.optimize();
    let fit = Fit {
        began: Some(Instant::now()),
        ..Fit::new(&step, snapshots, x0, seen, steps)
    };
    println!(
        "{steps} RK4 steps of 10 states, {P} parameters, observed every {EVERY} steps with noise {NOISE};"
    );
    println!(
        "the step recorded once: {} ops; {snapshots} snapshots\n",
        step.len()
    );
    let at_truth = fit.evaluate(&truth)?.0;
    // Last, so that L-BFGS finds the start's gradient kept.
    let at_start = fit.evaluate(&start)?.0;
    let (clock, before) = (Instant::now(), fit.gradients.get());
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10);
    let result = Executor::new(&fit, solver)
        .configure(|state| state.param(start.clone()).max_iters(iters))
        .run()?;
    let seconds = clock.elapsed().as_secs_f64();
    let state = result.state();
    let best = state.get_best_param().ok_or("no best point")?;
    let gradients = fit.gradients.get() - before;
    let report = fit
        .last
        .borrow()
        .as_ref()
        .ok_or("no gradient taken")?
        .report;

    println!(
        "L-BFGS, {} iterations, {gradients} gradients, {seconds:.1} s",
        state.get_iter()
    );
    println!(
        "loss: start {at_start:.4}, fitted {:.4}, at the truth {at_truth:.4}",
        state.get_best_cost()
    );
    println!(
        "largest parameter error: start {:.4}, fitted {:.4}",
        largest_error(&start, &truth),
        largest_error(best, &truth)
    );
    println!("\nparameter   truth   start  fitted");
    for k in [0, 1, 2, 11, 55, 99, 100, 109] {
        let name = if k < N * N {
            format!("W[{},{}]", k / N, k % N)
        } else {
            format!("b[{}]", k - N * N)
        };
        println!(
            "{name:<9} {:>7.3} {:>7.3} {:>7.3}",
            truth[k], start[k], best[k]
        );
    }
    println!(
        "\neach gradient: {} steps differentiated, {} run forward",
        report.steps, report.forward_steps
    );
    println!(
        "  ({:.2} a step; revolve's optimum for {snapshots} snapshots: {:.2})",
        report.forward_steps as f64 / report.steps as f64,
        report.optimum as f64 / report.steps as f64
    );
    println!(
        "  snapshots: {} of {} bytes",
        report.snapshots, report.snapshot_bytes
    );
    if let Some(peak) = peak_memory() {
        println!("peak resident memory of the process: {peak}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let about = "Fits the 110 parameters of a driven 10-state ODE to noisy observations \
                 along 10⁶ RK4 steps, by L-BFGS on a checkpointed loop's gradient";
    let known = [
        ("steps", "RK4 steps of the trajectory [1000000]"),
        ("snapshots", "states the checkpointed loop keeps [1000]"),
        ("iters", "L-BFGS iterations at most [30]"),
    ];
    match Args::parse(about, &known)
        .map_err(Into::into)
        .and_then(|a| run(&a))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ode_fit: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fit of a short trajectory, at `theta`.
    fn short(steps: usize) -> (Vec<f64>, Function, Vec<f64>, Vec<[f64; N]>) {
        let mut rng = StdRng::seed_from_u64(3);
        let normal = Normal::new(0.0, 0.25).expect("a deviation");
        let truth: Vec<f64> = (0..P).map(|_| normal.sample(&mut rng)).collect();
        let x0: Vec<f64> = (0..N).map(|j| 0.1 * j as f64).collect();
        let seen = observe(&truth, &x0, steps, &mut rng);
        let point = [truth.clone(), vec![0.0; DATA]].concat();
        let step =
            Function::record_with_params(&x0, &point, |x: &[Active], p: &[Active]| rk4(x, p))
                .expect("the step records");
        (truth, step, x0, seen)
    }

    /// The loss on `f64` alone, as `Fit` scales it.
    fn plain(theta: &[f64], x0: &[f64], seen: &[[f64; N]], steps: usize) -> f64 {
        let (mut x, mut p, mut sum) = (x0.to_vec(), [theta, &[0.0; DATA]].concat(), 0.0);
        for i in 0..steps {
            step_data(i, seen, &mut p[P..]);
            x = rk4(&x, &p);
            sum += x.pop().expect("the misfit");
        }
        sum / (2.0 * NOISE * NOISE * (seen.len() * N) as f64)
    }

    #[test]
    fn the_loops_gradient_is_the_central_difference_of_the_plain_loss() {
        let steps = 1000;
        let (truth, step, x0, seen) = short(steps);
        let theta: Vec<f64> = truth
            .iter()
            .enumerate()
            .map(|(k, t)| t + 0.01 * (k % 7) as f64)
            .collect();
        let fit = Fit::new(&step, 7, x0.clone(), seen.clone(), steps);
        let (value, gradient) = fit.evaluate(&theta).expect("the loop runs");
        let at = plain(&theta, &x0, &seen, steps);
        assert!((value - at).abs() <= 1e-12 * at, "{value} against {at}");
        for k in [0, 9, 45, 99, 100, 109] {
            let h = 1e-5;
            let moved = |by: f64| {
                let mut t = theta.clone();
                t[k] += by;
                plain(&t, &x0, &seen, steps)
            };
            let central = (moved(h) - moved(-h)) / (2.0 * h);
            assert!(
                (gradient[k] - central).abs() <= 1e-6 * central.abs().max(1.0),
                "parameter {k}: {} against {central}",
                gradient[k]
            );
        }
    }
}
