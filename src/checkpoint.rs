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
//! The trade-off, snapshots against steps run again ([`optimum`]):
//!
//! | steps | snapshots | each step run again at most | on average |
//! |---|---|---|---|
//! | 10⁵ | 2 | 446 times | 297 times |
//! | 10⁵ | 10 | 10 | 8.3 |
//! | 10⁶ | 20 | 8 | 6.8 |
//! | 10⁷ | 40 | 7 | 5.9 |
//!
//! The step is a recorded [`Function`]: its inputs the state, its first
//! dynamic parameters `θ` (differentiated) and the rest a step's data (a
//! time, a step size, an observation: written by the caller for each step,
//! not differentiated); its outputs the next state and, optionally, one
//! term of the loss added up over the steps.

use crate::replay::{Function, Vjp, Workspace};
use crate::{Error, Result, Scalar};

/// `C(s + r, s)`, saturating: the most steps `s` snapshots reverse with
/// each step run again at most `r` times.
fn beta(s: u64, r: u64) -> u64 {
    let mut b: u128 = 1;
    for i in 1..=u128::from(s) {
        // C(r + i, i) from C(r + i − 1, i − 1): an integer at each step.
        b = b * (u128::from(r) + i) / i;
        if b > u128::from(u64::MAX) {
            return u64::MAX;
        }
    }
    b as u64
}

/// The least `r` with `C(s + r, s) ≥ l`.
fn repetitions(l: u64, s: u64) -> u64 {
    let mut r = 0;
    while beta(s, r) < l {
        r += 1;
    }
    r
}

/// The fewest steps run forward to reverse `l` steps with `s ≥ 1`
/// snapshots (the initial state's included), besides the `l` steps
/// differentiated: `r·l − C(s + r, s + 1)`.
pub fn optimum(l: u64, s: u64) -> u64 {
    assert!(s >= 1, "at least one snapshot: the initial state's");
    match repetitions(l, s) {
        0 => 0,
        r => r * l - beta(s + 1, r - 1),
    }
}

/// Where the first snapshot goes, from the start, when `l ≥ 2` steps are
/// reversed with `s ≥ 2` snapshots: a split with the fewest steps run
/// forward (checked against all splits by a search in the tests).
fn split(l: u64, s: u64) -> u64 {
    let r = repetitions(l, s);
    let m = beta(s, r - 1).min(l - beta(s - 1, r - 1).min(l));
    m.clamp(1, l - 1)
}

/// A loop of a recorded step, reversed with a given number of snapshots.
///
/// ```
/// use tapegrad::{Active, checkpoint::Loop, replay::Function};
///
/// // x ← x + dt·(θ − x): relaxes towards θ; the loss, the final state.
/// let step = Function::record_with_params(&[0.0], &[1.0, 0.1], |x: &[Active], p: &[Active]| {
///     [x[0] + p[1] * (p[0] - x[0])]
/// })?;
/// let looped = Loop::new(&step, 3);
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
#[derive(Clone, Copy, Debug)]
pub struct Loop<'a, F: Scalar = f64> {
    step: &'a Function<F>,
    snapshots: usize,
}

/// A loop's value, final state and gradients, and what it took.
#[derive(Clone, Debug, PartialEq)]
pub struct Reversed<F> {
    /// The loss: the steps' terms added in order, then the final state
    /// weighted.
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
    /// Their bytes.
    pub snapshot_bytes: usize,
}

impl<'a, F: Scalar> Loop<'a, F> {
    /// The loop of `step`, reversed with at most `snapshots` states kept at
    /// once (the initial state's included).
    ///
    /// # Panics
    ///
    /// If `snapshots` is 0: the initial state needs one.
    pub fn new(step: &'a Function<F>, snapshots: usize) -> Self {
        assert!(
            snapshots >= 1,
            "a loop needs a snapshot at least, the initial state's"
        );
        Loop { step, snapshots }
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
        &self,
        x0: &[F],
        theta: &[F],
        steps: usize,
        data: impl FnMut(usize, &mut [F]),
        final_weights: &[F],
    ) -> Result<Reversed<F>> {
        let step = self.step;
        let n = step.inputs();
        let loss = step.outputs() == n + 1;
        if !loss {
            Error::check_length("outputs of a loop's step (its state)", n, step.outputs())?;
        }
        Error::check_length("initial state", n, x0.len())?;
        Error::check_length("final state's weights", n, final_weights.len())?;
        if theta.len() > step.params() {
            let what = "parameters of a loop's step, at most";
            Error::check_length(what, step.params(), theta.len())?;
        }
        let mut params = vec![F::zero(); step.params()];
        params[..theta.len()].copy_from_slice(theta);
        let mut run = Run {
            step,
            ws: step.workspace(),
            params,
            theta: theta.len(),
            data,
            loss,
            steps,
            advances: 0,
            live: 0,
            peak: 0,
            value: F::zero(),
            state: x0.to_vec(),
            d_params: vec![F::zero(); theta.len()],
        };
        let mut lambda = final_weights.to_vec();
        if steps > 0 {
            run.reverse_steps(x0.to_vec(), 0, steps, self.snapshots - 1, &mut lambda)?;
        }
        let last = run.state.iter().zip(final_weights);
        let value = last.fold(run.value, |acc, (&x, &w)| acc + w * x);
        let report = Report {
            steps,
            forward_steps: run.advances,
            optimum: optimum(steps as u64, self.snapshots as u64),
            snapshots: run.peak,
            snapshot_bytes: run.peak * n * core::mem::size_of::<F>(),
        };
        Ok(Reversed {
            value,
            state: run.state,
            d_state: lambda,
            d_params: run.d_params,
            report,
        })
    }
}

/// A loop being reversed: the step's workspace and parameters, and what
/// the reverse pass adds up.
struct Run<'a, F: Scalar, D> {
    step: &'a Function<F>,
    ws: Workspace<F>,
    /// `θ`, then the step's data.
    params: Vec<F>,
    theta: usize,
    data: D,
    loss: bool,
    steps: usize,
    advances: u64,
    live: usize,
    peak: usize,
    value: F,
    /// The final state, once the last step is differentiated.
    state: Vec<F>,
    d_params: Vec<F>,
}

impl<F: Scalar, D: FnMut(usize, &mut [F])> Run<'_, F, D> {
    /// Sets step `i`'s parameters.
    fn set(&mut self, i: usize) -> Result<()> {
        (self.data)(i, &mut self.params[self.theta..]);
        self.ws.set_params(&self.params)
    }

    /// The state at step `to` from `x` at step `from`.
    fn advance(&mut self, x: &[F], from: usize, to: usize) -> Result<Vec<F>> {
        let mut x = x.to_vec();
        for i in from..to {
            self.set(i)?;
            let y = self.step.value(&mut self.ws, &x)?;
            let n = x.len();
            x.copy_from_slice(&y[..n]);
            self.advances += 1;
        }
        Ok(x)
    }

    /// Differentiates step `i` at its state `x`: `lambda`, the loss's
    /// gradient with respect to the state after it, becomes that before it.
    fn back(&mut self, x: &[F], i: usize, lambda: &mut Vec<F>) -> Result<()> {
        self.set(i)?;
        let n = x.len();
        let mut weights = core::mem::take(lambda);
        if self.loss {
            weights.push(F::one());
        }
        let Vjp {
            outputs,
            inputs,
            params,
        } = self.step.vjp(&mut self.ws, x, &weights)?;
        if self.loss {
            self.value = self.value + outputs[n];
        }
        if i + 1 == self.steps {
            self.state = outputs[..n].to_vec();
        }
        *lambda = inputs;
        for (d, &p) in self.d_params.iter_mut().zip(&params) {
            *d = *d + p;
        }
        Ok(())
    }

    /// Reverses steps `a..b` from the state `x` at `a`, with `free`
    /// snapshots besides `x`'s: a snapshot at the best split, the part after
    /// it reversed with one snapshot fewer, then the part before it.
    fn reverse_steps(
        &mut self,
        x: Vec<F>,
        a: usize,
        mut b: usize,
        free: usize,
        lambda: &mut Vec<F>,
    ) -> Result<()> {
        self.live += 1;
        self.peak = self.peak.max(self.live);
        while b - a > 1 && free > 0 {
            let m = a + split((b - a) as u64, free as u64 + 1) as usize;
            let snapshot = self.advance(&x, a, m)?;
            self.reverse_steps(snapshot, m, b, free - 1, lambda)?;
            b = m;
        }
        // `x` the one snapshot left: each step, from the last, run again from it.
        for i in (a..b).rev() {
            let at = self.advance(&x, a, i)?;
            self.back(&at, i, lambda)?;
        }
        self.live -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fewest steps run forward to reverse `l` steps with `free`
    /// snapshots besides the initial state's, over every split.
    fn search(l: usize, free: usize, memo: &mut Vec<Vec<Option<u64>>>) -> u64 {
        if l <= 1 {
            return 0;
        }
        if free == 0 {
            return (l * (l - 1) / 2) as u64;
        }
        if let Some(best) = memo[l][free] {
            return best;
        }
        let best = (1..l)
            .map(|m| m as u64 + search(l - m, free - 1, memo) + search(m, free, memo))
            .min()
            .expect("a split");
        memo[l][free] = Some(best);
        best
    }

    #[test]
    fn the_split_runs_the_fewest_steps_and_the_optimum_is_revolves() {
        let mut memo = vec![vec![None; 8]; 300];
        for free in 0..8 {
            for l in 1..300 {
                let best = search(l, free, &mut memo);
                assert_eq!(
                    optimum(l as u64, free as u64 + 1),
                    best,
                    "l = {l}, free = {free}"
                );
                if free > 0 && l > 1 {
                    let m = split(l as u64, free as u64 + 1) as usize;
                    let ours =
                        m as u64 + search(l - m, free - 1, &mut memo) + search(m, free, &mut memo);
                    assert_eq!(ours, best, "l = {l}, free = {free}, split {m}");
                }
            }
        }
    }

    #[test]
    fn binomials_at_their_edges() {
        assert_eq!(beta(0, 7), 1);
        assert_eq!(beta(7, 0), 1);
        assert_eq!(beta(2, 3), 10);
        assert_eq!(beta(40, 40), u64::MAX); // C(80, 40) ≈ 1.1·10²³
        assert_eq!(repetitions(1, 1), 0);
        assert_eq!(repetitions(10_000_000, 40), 7);
        assert_eq!(optimum(10_000_000, 40), 59_262_427);
        assert_eq!(optimum(1, 1), 0);
        assert_eq!(optimum(4, 1), 6); // one snapshot: 0 + 1 + 2 + 3
    }
}
