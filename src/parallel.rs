//! Gradients of a loss that is a sum over samples, computed on several
//! threads, with the same bits whatever their number. Needs the `parallel`
//! feature.

use std::sync::{Mutex, PoisonError};

use num_traits::Float;
use rayon::prelude::*;

use crate::{Error, Gradients, Result, Scalar, Tape, Var, replay::Function};

/// The value and gradient with respect to `theta` of
/// `Σₖ f(θ, chunkₖ)`, where `samples` are cut into chunks of `chunk_size`.
///
/// Each chunk is recorded and swept on the tape of the worker thread that
/// takes it; the chunks' values and gradients are then added up in chunk
/// order. The chunks do not depend on the number of threads, and neither
/// does the order of the sums: the result is the same, bit for bit, on one
/// thread or on many. (It can differ in the last bits from recording
/// everything on one tape, which adds in another order.)
///
/// The tapes live for this call only; in a training loop, keep them from
/// step to step with [`Workers::sum_over_samples`].
///
/// # Panics
///
/// If `chunk_size` is zero.
///
/// ```
/// // The mean squared distance of θ from 10,000 points, on all cores.
/// let points: Vec<f64> = (0..10_000).map(|i| f64::from(i % 7)).collect();
/// let (value, gradient) = tapegrad::parallel::sum_over_samples(&[2.5], &points, 1024, |theta, chunk| {
///     let terms: Vec<_> = chunk.iter().map(|&p| (theta[0] - p).powi(2) / 10_000.0).collect();
///     tapegrad::sum(&terms)
/// });
/// let mean = points.iter().sum::<f64>() / 10_000.0;
/// assert!((gradient[0] - 2.0 * (2.5 - mean)).abs() < 1e-12);
/// assert!(value > 0.0);
/// ```
///
#[doc = closure_rule!()]
#[track_caller]
pub fn sum_over_samples<F, S, G>(theta: &[F], samples: &[S], chunk_size: usize, f: G) -> (F, Vec<F>)
where
    F: Float + Send + Sync,
    S: Sync,
    G: for<'t> Fn(&[Var<'t, F>], &[S]) -> Var<'t, F> + Sync,
{
    Workers::new().sum_over_samples(theta, samples, chunk_size, f)
}

/// A tape and a gradient buffer for each worker thread, kept from call to
/// call of [`sum_over_samples`](Workers::sum_over_samples): the parallel
/// counterpart of reusing one tape in a training loop.
///
/// A tape that is kept has grown to a chunk's size once and records the
/// next steps in memory it already has; a new tape for every step and
/// thread would ask the system for fresh pages every time.
///
/// ```
/// use tapegrad::parallel::Workers;
///
/// let points: Vec<f64> = (0..10_000).map(|i| f64::from(i % 7)).collect();
/// let mut workers = Workers::new();
/// let mut theta = [0.0];
/// for _ in 0..50 {
///     let (_, gradient) = workers.sum_over_samples(&theta, &points, 1024, |theta, chunk| {
///         let terms: Vec<_> = chunk.iter().map(|&p| (theta[0] - p).powi(2) / 10_000.0).collect();
///         tapegrad::sum(&terms)
///     });
///     theta[0] -= 0.25 * gradient[0];
/// }
/// let mean = points.iter().sum::<f64>() / 10_000.0;
/// assert!((theta[0] - mean).abs() < 1e-9);
/// ```
pub struct Workers<F: Float = f64> {
    tapes: Vec<Mutex<(Tape<F>, Gradients<F>)>>,
}

impl<F: Float + Send + Sync> Workers<F> {
    /// No tapes yet: each call makes those its thread pool needs.
    pub fn new() -> Self {
        Workers { tapes: Vec::new() }
    }

    /// What the [function of the same name](crate::parallel::sum_over_samples)
    /// computes, on the tapes kept here, one per thread of the current rayon pool (the
    /// global one, or that of `ThreadPool::install`). The result has the
    /// same bits as the function's.
    ///
    /// # Panics
    ///
    /// If `chunk_size` is zero.
    ///
    #[doc = closure_rule!()]
    #[track_caller]
    pub fn sum_over_samples<S, G>(
        &mut self,
        theta: &[F],
        samples: &[S],
        chunk_size: usize,
        f: G,
    ) -> (F, Vec<F>)
    where
        S: Sync,
        G: for<'t> Fn(&[Var<'t, F>], &[S]) -> Var<'t, F> + Sync,
    {
        assert!(
            chunk_size > 0,
            "tapegrad::parallel: chunk_size must be positive"
        );
        let threads = rayon::current_num_threads().max(1);
        while self.tapes.len() < threads {
            self.tapes
                .push(Mutex::new((Tape::default(), Gradients::new())));
        }
        let tapes = &self.tapes;
        let parts: Vec<(F, Vec<F>)> = samples
            .par_chunks(chunk_size)
            .map(|chunk| {
                // A worker's own tape, so the lock is never contended.
                let worker = rayon::current_thread_index().unwrap_or(0) % tapes.len();
                let mut guard = tapes[worker].lock().unwrap_or_else(PoisonError::into_inner);
                let (tape, grads) = &mut *guard;
                tape.clear();
                let vars = tape.vars(theta);
                let y = f(&vars, chunk);
                y.backward_into(grads);
                (y.value(), grads.wrt_all(&vars))
            })
            .collect();
        add_in_order(parts.into_iter(), theta.len())
    }
}

/// The value and gradient at `theta` of `Σₖ f(θ; pₖ)`, where `f` is a
/// recorded [`Function`] of one output and `pₖ` its dynamic parameters for
/// the `k`-th sample: `params` holds them one sample after another.
///
/// The samples are evaluated on the threads of the current rayon pool, a
/// [`Workspace`](crate::replay::Workspace) each, without recording anything, and
/// their values and gradients added in sample order: the same bits on one
/// thread or on many.
///
/// # Errors
///
/// [`Error::Length`] if `params` is not a whole number of samples, and what
/// [`Function::value_and_gradient`] returns (the first sample's error, in
/// order).
///
/// ```
/// use tapegrad::{Active, replay::Function};
///
/// // A squared residual (θ₀·t − y)², recorded once with (t, y) as parameters.
/// let residual = Function::record_with_params(&[0.0], &[0.0, 0.0], |w: &[Active], p: &[Active]| {
///     (w[0] * p[0] - p[1]).powi(2)
/// })?;
/// let samples: Vec<f64> = (0..1000).flat_map(|i| [f64::from(i % 10), 3.0 * f64::from(i % 10)]).collect();
/// let (value, gradient) = tapegrad::parallel::sum_over_params(&residual, &[3.0], &samples)?;
/// assert_eq!((value, gradient[0]), (0.0, 0.0)); // θ₀ = 3 fits every sample
/// # Ok::<(), tapegrad::Error>(())
/// ```
pub fn sum_over_params<F>(function: &Function<F>, theta: &[F], params: &[F]) -> Result<(F, Vec<F>)>
where
    F: Scalar + Send + Sync,
{
    let per = function.params();
    // One sample's parameters a chunk; a function of none takes none.
    let chunk = per.max(1);
    // The longest whole number of samples that `params` reaches.
    let whole = params.len() / chunk * per;
    Error::check_length("parameters for whole samples", whole, params.len())?;
    let parts: Vec<Result<(F, Vec<F>)>> = params
        .par_chunks_exact(chunk)
        .map_init(
            || function.workspace(),
            |ws, sample| {
                ws.set_params(sample)?;
                function.value_and_gradient(ws, theta)
            },
        )
        .collect();
    let parts: Vec<(F, Vec<F>)> = parts.into_iter().collect::<Result<_>>()?;
    Ok(add_in_order(parts.into_iter(), theta.len()))
}

/// The values and the gradients of `parts` (of `n` inputs) added in their
/// order, whatever thread computed which: the same bits on any number.
fn add_in_order<F: Float>(parts: impl Iterator<Item = (F, Vec<F>)>, n: usize) -> (F, Vec<F>) {
    let mut value = F::zero();
    let mut gradient = vec![F::zero(); n];
    for (v, g) in parts {
        value = value + v;
        for (total, part) in gradient.iter_mut().zip(g) {
            *total = *total + part;
        }
    }
    (value, gradient)
}

impl<F: Float + Send + Sync> Default for Workers<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// Shows how many tapes are kept.
impl<F: Float> core::fmt::Debug for Workers<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Workers")
            .field("tapes", &self.tapes.len())
            .finish()
    }
}
