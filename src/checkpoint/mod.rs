//! Long loops in bounded memory: a loop of a recorded step,
//! `state ← step(state; θ, dataᵢ)`, differentiated with a few snapshots of
//! its state, each segment between them run again in the reverse pass
//! (binomial checkpointing: Griewank and Walther's revolve, ACM TOMS 2000).
//!
//! With `s` snapshots (the initial state's included) and `l` steps, where
//! `C(s + r − 1, s) < l ≤ C(s + r, s)`, the reverse pass runs
//! `r·l − C(s + r, s + 1)` steps forward besides the `l` it differentiates,
//! and no schedule runs fewer: each step at most `r` times more.
//!
//! The trade-off, snapshots against steps run again ([`optimum`]), and
//! what the online schedule of [`Loop::gradient_until`] runs, the number
//! of steps unknown until the loop stops:
//!
//! | steps | snapshots | each step run again at most | on average | online, on average |
//! |---|---|---|---|---|
//! | 10⁵ | 2 | 446 times | 297 times | 297 times |
//! | 10⁵ | 10 | 10 | 8.3 | 9.0 |
//! | 10⁶ | 20 | 8 | 6.8 | 7.5 |
//! | 10⁷ | 40 | 7 | 5.9 | 6.8 |
//!
//! The step is a recorded [`Function`]: its inputs the state, its first
//! dynamic parameters `θ` (differentiated) and the rest a step's data (a
//! time, a step size, an observation: written by the caller for each step,
//! not differentiated); its outputs the next state and, optionally, one
//! term of the loss added up over the steps. The loop evaluates it through
//! [`Step`]: by the interpreter, or by the code `tapegrad_jit::compile`
//! makes of it (the same numbers to the bit).

mod run;
mod schedule;
mod step;

use crate::replay::{Function, Outputs};
use crate::{Active, Error, Result, Scalar, Variable};
use run::Run;
pub use schedule::optimum;
pub use step::Step;

/// A loop of a recorded step, reversed with a given number of snapshots.
///
/// ```
/// use tapegrad::{Active, checkpoint::Loop, replay::Function};
///
/// // x ← x + dt·(θ − x): relaxes towards θ; the loss, the final state.
/// let step = Function::record_with_params(&[0.0], &[1.0, 0.1], |x: &[Active], p: &[Active]| {
///     [x[0] + p[1] * (p[0] - x[0])]
/// })?;
/// let mut looped = Loop::new(&step, 3);
/// // 100 steps of dt = 0.1 towards θ = 2 from x = 0: x = 2·(1 − 0.9¹⁰⁰).
/// let reversed = looped.gradient(&[0.0], &[2.0], 100, |_, data| data[0] = 0.1, &[1.0])?;
/// let x = 2.0 * (1.0 - 0.9_f64.powi(100));
/// assert!((reversed.state[0] - x).abs() < 1e-12);
/// assert!((reversed.d_params[0] - (1.0 - 0.9_f64.powi(100))).abs() < 1e-12);
/// assert!((reversed.d_state[0] - 0.9_f64.powi(100)).abs() < 1e-15);
/// // 3 snapshots for 100 steps: each step run again at most r times.
/// assert_eq!(reversed.report.forward_steps, tapegrad::checkpoint::optimum(100, 3));
/// # Ok::<(), tapegrad::Error>(())
/// ```
pub struct Loop<'a, F: Scalar = f64> {
    /// The step's recordings, one a branch it took.
    recordings: Vec<Box<dyn Step<F> + 'a>>,
    /// The closure that records the step again where its branch changes.
    closure: Option<Recorder<'a, F>>,
    snapshots: usize,
}

/// A step's closure, recorded again at a state and parameters.
type Recorder<'a, F> = Box<Record<'a, F>>;

/// Records a step at a state and parameters, made into what the loop runs.
type Record<'a, F> = dyn Fn(&[F], &[F]) -> Result<Box<dyn Step<F> + 'a>> + 'a;

impl<F: Scalar> core::fmt::Debug for Loop<'_, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Loop")
            .field("recordings", &self.recordings.len())
            .field("records_again", &self.closure.is_some())
            .field("snapshots", &self.snapshots)
            .finish()
    }
}

/// A loop's value, final state and gradients, and what it took.
#[derive(Clone, Debug, PartialEq)]
pub struct Reversed<F> {
    /// The loss: the steps' terms added, the last first (as the reverse
    /// pass meets them), then the final state weighted.
    pub value: F,
    /// The final state.
    pub state: Vec<F>,
    /// The loss's gradient with respect to the initial state.
    pub d_state: Vec<F>,
    /// The loss's gradient with respect to `θ`.
    pub d_params: Vec<F>,
    /// What it took.
    pub report: Report,
}

/// What reversing a loop took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// The loop's steps, each differentiated once.
    pub steps: usize,
    /// The steps run forward besides those: the first pass and the
    /// segments run again from their snapshots.
    pub forward_steps: u64,
    /// The fewest any schedule with these snapshots runs ([`optimum`]).
    pub optimum: u64,
    /// The most snapshots held at once, the initial state's included.
    pub snapshots: usize,
    /// The step's recordings made in this run, where its branch changed
    /// at a step as no recording of the loop took it.
    pub records: usize,
    /// Their bytes.
    pub snapshot_bytes: usize,
}

impl<'a, F: Scalar> Loop<'a, F> {
    /// The loop of the recorded `step` (a [`Function`], a reference to one,
    /// or its compiled code: any [`Step`]), reversed with at most
    /// `snapshots` states kept at once (the initial state's included). A
    /// step whose branch changes is an error ([`Error::BranchChanged`]):
    /// see [`recorded`](Loop::recorded).
    ///
    /// # Panics
    ///
    /// If `snapshots` is 0: the initial state needs one.
    #[track_caller]
    pub fn new(step: impl Step<F> + 'a, snapshots: usize) -> Self {
        Loop::of(Box::new(step), None, snapshots)
    }

    /// A loop of `step`, recorded again by `closure` if given.
    #[track_caller]
    fn of(step: Box<dyn Step<F> + 'a>, closure: Option<Recorder<'a, F>>, snapshots: usize) -> Self {
        assert!(
            snapshots >= 1,
            "a loop needs a snapshot at least, the initial state's"
        );
        Loop {
            recordings: vec![step],
            closure,
            snapshots,
        }
    }

    /// The loop of the step `step`, recorded at `x` with the dynamic
    /// parameters `params` (as [`Function::record_with_params`]), and
    /// recorded again at a step whose branch changes, as no recording of the
    /// loop took it (an adaptive solver accepting or rejecting a step):
    /// each branch recorded once and kept, the records counted in the
    /// [`Report`].
    ///
    /// # Errors
    ///
    /// As [`Function::record`].
    ///
    /// # Panics
    ///
    /// If `snapshots` is 0.
    #[track_caller]
    pub fn recorded<O: Outputs<F>>(
        x: &[F],
        params: &[F],
        step: impl Fn(&[Active<F>], &[Active<F>]) -> O + 'a,
        snapshots: usize,
    ) -> Result<Self> {
        Loop::recorded_with(x, params, step, snapshots, Ok)
    }

    /// As [`recorded`](Loop::recorded), each recording of the step made
    /// into what the loop runs by `make`: the recording optimized, or its
    /// compiled code (`tapegrad_jit::compiled`), each branch made once.
    ///
    /// ```
    /// use tapegrad::{Active, checkpoint::Loop, replay::Function};
    ///
    /// // Halves a positive state, doubles a negative one: two branches.
    /// let step = |x: &[Active], _: &[Active]| [if x[0] > 0.0 { x[0] * 0.5 } else { x[0] * 2.0 }];
    /// let optimized = |mut f: Function| {
    ///     f.optimize();
    ///     Ok(f)
    /// };
    /// let mut looped = Loop::recorded_with(&[1.0], &[], step, 3, optimized)?;
    /// let r = looped.gradient(&[1.0], &[], 10, |_, _| {}, &[1.0])?;
    /// assert_eq!(r.d_state, [0.5_f64.powi(10)]);
    /// let r = looped.gradient(&[-1.0], &[], 10, |_, _| {}, &[1.0])?;
    /// assert_eq!((r.d_state[0], r.report.records), (2.0_f64.powi(10), 1));
    /// assert_eq!(looped.recordings(), 2);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Function::record`], and `make`'s.
    ///
    /// # Panics
    ///
    /// If `snapshots` is 0.
    #[track_caller]
    pub fn recorded_with<O: Outputs<F>, S: Step<F> + 'a>(
        x: &[F],
        params: &[F],
        step: impl Fn(&[Active<F>], &[Active<F>]) -> O + 'a,
        snapshots: usize,
        make: impl Fn(Function<F>) -> Result<S> + 'a,
    ) -> Result<Self> {
        let record = move |x: &[F], p: &[F]| -> Result<Box<dyn Step<F> + 'a>> {
            Ok(Box::new(make(Function::record_with_params(x, p, &step)?)?))
        };
        let first = record(x, params)?;
        Ok(Loop::of(first, Some(Box::new(record)), snapshots))
    }

    /// The recordings of the step kept: one a branch it took.
    pub fn recordings(&self) -> usize {
        self.recordings.len()
    }

    /// A run of `steps` steps from `x0` with `theta` and `data`, once their
    /// shapes and the final state's weights are checked against the step's.
    fn start<D: FnMut(usize, &mut [F])>(
        &mut self,
        x0: &[F],
        theta: &[F],
        steps: usize,
        data: D,
        final_weights: &[F],
    ) -> Result<Run<'_, 'a, F, D>> {
        let step = self.recordings[0].function();
        let (n, p) = (step.inputs(), step.params());
        Error::check_length("final state's weights", n, final_weights.len())?;
        let loss = step.outputs() == n + 1;
        if !loss {
            Error::check_length("outputs of a loop's step (its state)", n, step.outputs())?;
        }
        Error::check_length("initial state", n, x0.len())?;
        if theta.len() > p {
            Error::check_length("parameters of a loop's step, at most", p, theta.len())?;
        }
        let mut params = vec![F::zero(); p];
        params[..theta.len()].copy_from_slice(theta);
        let workspaces = (self.recordings.iter())
            .map(|step| step.function().workspace())
            .collect();
        Ok(Run {
            recordings: &mut self.recordings,
            workspaces,
            closure: self.closure.as_deref(),
            current: 0,
            records: 0,
            params,
            theta: theta.len(),
            data,
            loss,
            steps,
            advances: 0,
            live: 0,
            peak: 1,
            value: F::zero(),
            state: x0.to_vec(),
            d_params: vec![F::zero(); theta.len()],
        })
    }

    /// The loop's loss as a variable of the tape (or thread's recording)
    /// that `x0` and `theta` are variables of: one node whose value and
    /// partials [`gradient`](Loop::gradient) gives, so that the loop is one
    /// op of a larger computation. First derivatives: a Hessian through
    /// the node sees its partials as constants.
    ///
    /// ```
    /// use tapegrad::{Tape, checkpoint::Loop, replay::Function, Active};
    ///
    /// // x ← x·θ for 10 steps, the loss x₁₀ = x₀·θ¹⁰, plus θ² beside it.
    /// let step = Function::record_with_params(&[1.0], &[0.9], |x: &[Active], p: &[Active]| {
    ///     [x[0] * p[0]]
    /// })?;
    /// let tape = Tape::new();
    /// let (x0, theta) = (tape.var(2.0), tape.var(0.9));
    /// let looped = Loop::new(&step, 2).loss(&[x0], &[theta], 10, |_, _| {}, &[1.0])?;
    /// let total = looped + theta * theta;
    /// let grads = total.backward();
    /// assert!((grads.wrt(&theta) - (2.0 * 10.0 * 0.9_f64.powi(9) + 1.8)).abs() < 1e-12);
    /// assert!((grads.wrt(&x0) - 0.9_f64.powi(10)).abs() < 1e-15);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// Inside a closure that [`Function::record`] records, the node is
    /// refused as any node an evaluation cannot compute again:
    /// [`Error::NotReplayable`].
    ///
    /// # Errors
    ///
    /// As [`gradient`](Loop::gradient).
    #[track_caller]
    pub fn loss<V: Variable<F>>(
        &mut self,
        x0: &[V],
        theta: &[V],
        steps: usize,
        data: impl FnMut(usize, &mut [F]),
        final_weights: &[F],
    ) -> Result<V> {
        let values = |xs: &[V]| xs.iter().map(Variable::scalar_value).collect::<Vec<F>>();
        let r = self.gradient(&values(x0), &values(theta), steps, data, final_weights)?;
        let partials = r.d_state.iter().chain(&r.d_params);
        let args: Vec<(V, F)> = x0
            .iter()
            .chain(theta)
            .copied()
            .zip(partials.copied())
            .collect();
        Ok(V::record_node("loop", r.value, &args))
    }

    /// As [`gradient`](Loop::gradient), for a loop that runs until
    /// `stop(i, state)` holds of the state after `i` steps (an adaptive
    /// solver at its end time), `max_steps` at most: the number of steps
    /// unknown in advance, an online schedule keeps snapshots in the one
    /// forward pass (revolve's layout for the most steps its repetitions
    /// cover, thinned each time the loop outgrows it), then each segment
    /// between them is reversed binomially. It runs each step once more
    /// than [`gradient`](Loop::gradient) at most, and far fewer in all
    /// (the table in the module's docs).
    ///
    /// ```
    /// use tapegrad::{Active, checkpoint::Loop, replay::Function};
    ///
    /// // Halve x until it is below 10⁻³: 10 steps from 1.
    /// let half = Function::record(&[1.0], |x: &[Active]| [x[0] * 0.5])?;
    /// let r = Loop::new(&half, 2).gradient_until(&[1.0], &[], |_, x| x[0] < 1e-3, 100, |_, _| {}, &[1.0])?;
    /// assert_eq!(r.report.steps, 10);
    /// assert_eq!(r.d_state, [0.5_f64.powi(10)]);
    /// assert!(r.report.forward_steps < r.report.optimum + 10);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`gradient`](Loop::gradient).
    pub fn gradient_until(
        &mut self,
        x0: &[F],
        theta: &[F],
        stop: impl FnMut(usize, &[F]) -> bool,
        max_steps: usize,
        data: impl FnMut(usize, &mut [F]),
        final_weights: &[F],
    ) -> Result<Reversed<F>> {
        let snapshots = self.snapshots;
        let mut run = self.start(x0, theta, max_steps, data, final_weights)?;
        let mut lambda = final_weights.to_vec();
        run.reverse_online(x0, snapshots, max_steps, stop, &mut lambda)?;
        Ok(run.reversed(lambda, final_weights, snapshots))
    }

    /// Runs `steps` steps from `x0` with the parameters `theta` (the step's
    /// first dynamic parameters), `data(i, rest)` writing step `i`'s other
    /// dynamic parameters (called again for a step run again: what it writes
    /// must depend on `i` alone); then the gradient of the loss, the steps'
    /// terms plus the final state weighted by `final_weights`, with respect
    /// to `x0` and `theta`, as a tape of the whole loop gives it.
    ///
    /// # Errors
    ///
    /// [`Error::Length`] if `x0` or `final_weights` is not as long as the
    /// step's state, the step has more outputs than its state and one loss
    /// term or fewer than its state, or `theta` is longer than its dynamic
    /// parameters; a step's error ([`Error::BranchChanged`], …).
    pub fn gradient(
        &mut self,
        x0: &[F],
        theta: &[F],
        steps: usize,
        data: impl FnMut(usize, &mut [F]),
        final_weights: &[F],
    ) -> Result<Reversed<F>> {
        let snapshots = self.snapshots;
        let mut run = self.start(x0, theta, steps, data, final_weights)?;
        let mut lambda = final_weights.to_vec();
        if steps > 0 {
            run.reverse_steps(x0.to_vec(), 0, steps, snapshots - 1, &mut lambda)?;
        }
        Ok(run.reversed(lambda, final_weights, snapshots))
    }
}
