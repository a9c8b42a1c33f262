//! A loop being reversed: the steps run forward, the snapshots, each step
//! differentiated by its recording.

use super::schedule::{Online, split};
use super::{Record, Report, Reversed, Step, optimum};
use crate::replay::{Vjp, Workspace};
use crate::{Error, Result, Scalar};

/// A loop being reversed: the step's recordings and their workspaces, its
/// parameters, and what the reverse pass adds up.
pub(super) struct Run<'r, 'a, F: Scalar, D> {
    pub(super) recordings: &'r mut Vec<Box<dyn Step<F> + 'a>>,
    pub(super) workspaces: Vec<Workspace<F>>,
    pub(super) closure: Option<&'r Record<'a, F>>,
    /// The recording the last step took.
    pub(super) current: usize,
    pub(super) records: usize,
    /// `θ`, then the step's data.
    pub(super) params: Vec<F>,
    pub(super) theta: usize,
    pub(super) data: D,
    pub(super) loss: bool,
    pub(super) steps: usize,
    pub(super) advances: u64,
    pub(super) live: usize,
    pub(super) peak: usize,
    pub(super) value: F,
    /// The final state, once the last step is differentiated.
    pub(super) state: Vec<F>,
    pub(super) d_params: Vec<F>,
}

impl<F: Scalar, D: FnMut(usize, &mut [F])> Run<'_, '_, F, D> {
    /// `eval` of step `i` at `x` by the recording whose branches `x` takes:
    /// the last one used, then the others, then, if the loop records, a new
    /// one.
    fn step<R>(
        &mut self,
        x: &[F],
        i: usize,
        eval: impl Fn(&dyn Step<F>, &mut Workspace<F>) -> Result<R>,
    ) -> Result<R> {
        (self.data)(i, &mut self.params[self.theta..]);
        let count = self.recordings.len();
        let mut changed = None;
        for k in (0..count).map(|k| (self.current + k) % count) {
            self.workspaces[k].set_params(&self.params)?;
            match eval(&*self.recordings[k], &mut self.workspaces[k]) {
                Err(e @ Error::BranchChanged { .. }) => changed = changed.or(Some(e)),
                result => {
                    self.current = k;
                    return result;
                }
            }
        }
        // Every recording's branch changed (a loop has one at least).
        let changed = changed.expect("a loop's recording");
        let Some(record) = self.closure else {
            return Err(changed);
        };
        let step = record(x, &self.params)?;
        let mut ws = step.function().workspace();
        ws.set_params(&self.params)?;
        let result = eval(&*step, &mut ws);
        self.recordings.push(step);
        self.workspaces.push(ws);
        (self.current, self.records) = (count, self.records + 1);
        result
    }

    /// The state at step `to` from `x` at step `from`.
    pub(super) fn advance(&mut self, x: &[F], from: usize, to: usize) -> Result<Vec<F>> {
        let mut x = x.to_vec();
        for i in from..to {
            let y = self.step(&x, i, |f, ws| f.value(ws, &x))?;
            let n = x.len();
            x.copy_from_slice(&y[..n]);
            self.advances += 1;
        }
        Ok(x)
    }

    /// Differentiates step `i` at its state `x`: `lambda`, the loss's
    /// gradient with respect to the state after it, becomes that before it.
    fn back(&mut self, x: &[F], i: usize, lambda: &mut Vec<F>) -> Result<()> {
        let n = x.len();
        let mut weights = core::mem::take(lambda);
        if self.loss {
            weights.push(F::one());
        }
        let Vjp {
            outputs,
            inputs,
            params,
        } = self.step(x, i, |f, ws| f.vjp(ws, x, &weights))?;
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
    pub(super) fn reverse_steps(
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

    /// Runs the loop from `x0` until `stop(i, state)` holds of the state
    /// after `i` steps (or `max` steps), keeping the snapshots the online
    /// schedule chooses of `snapshots`; then reverses each segment, the
    /// last first, with the snapshots the segments before it leave free.
    /// The number of steps.
    pub(super) fn reverse_online(
        &mut self,
        x0: &[F],
        snapshots: usize,
        max: usize,
        mut stop: impl FnMut(usize, &[F]) -> bool,
        lambda: &mut Vec<F>,
    ) -> Result<usize> {
        let mut online = Online::new(snapshots as u64);
        let mut kept = vec![(0, x0.to_vec())];
        let (mut x, mut i) = (x0.to_vec(), 0);
        while i < max && !stop(i, &x) {
            if let Some(k) = online.before(i as u64) {
                kept.truncate(k);
                kept.push((i, x.clone()));
                self.peak = self.peak.max(kept.len());
            }
            x = self.advance(&x, i, i + 1)?;
            i += 1;
        }
        // The final state comes from the last step's `back`, as in `reverse_steps`.
        self.steps = i;
        let mut end = i;
        while let Some((a, x)) = kept.pop() {
            if a < end {
                self.live = kept.len();
                self.reverse_steps(x, a, end, snapshots - 1 - kept.len(), lambda)?;
            }
            end = a;
        }
        Ok(i)
    }

    /// The loop's value, final state and gradients, `lambda` the initial
    /// state's, and what it took.
    pub(super) fn reversed(
        self,
        lambda: Vec<F>,
        final_weights: &[F],
        snapshots: usize,
    ) -> Reversed<F> {
        let last = self.state.iter().zip(final_weights);
        let value = last.fold(self.value, |acc, (&x, &w)| acc + w * x);
        let report = Report {
            steps: self.steps,
            forward_steps: self.advances,
            optimum: optimum(self.steps as u64, snapshots as u64),
            snapshots: self.peak,
            records: self.records,
            snapshot_bytes: self.peak * self.state.len() * core::mem::size_of::<F>(),
        };
        Reversed {
            value,
            state: self.state,
            d_state: lambda,
            d_params: self.d_params,
            report,
        }
    }
}
