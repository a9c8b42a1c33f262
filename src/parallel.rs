//! Gradients of a loss that is a sum over samples, computed on several
//! threads, with the same bits whatever their number. Needs the `parallel`
//! feature.

use num_traits::Float;
use rayon::prelude::*;

use crate::{Gradients, Tape, Var};

/// The value and gradient with respect to `theta` of
/// `Σₖ f(θ, chunkₖ)`, where `samples` are cut into chunks of `chunk_size`.
///
/// Each chunk is recorded and swept on a tape of the worker thread that
/// takes it (a worker reuses its tape from chunk to chunk); the chunks'
/// values and gradients are then added up in chunk order. The chunks do not
/// depend on the number of threads, and neither does the order of the sums:
/// the result is the same, bit for bit, on one thread or on many. (It can
/// differ in the last bits from recording everything on one tape, which adds
/// in another order.)
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
#[track_caller]
pub fn sum_over_samples<F, S, G>(theta: &[F], samples: &[S], chunk_size: usize, f: G) -> (F, Vec<F>)
where
    F: Float + Send + Sync,
    S: Sync,
    G: for<'t> Fn(&[Var<'t, F>], &[S]) -> Var<'t, F> + Sync,
{
    assert!(
        chunk_size > 0,
        "tapegrad::parallel: chunk_size must be positive"
    );
    let parts: Vec<(F, Vec<F>)> = samples
        .par_chunks(chunk_size)
        .map_init(
            || (Tape::new(), Gradients::new()),
            |(tape, grads), chunk| {
                tape.clear();
                let vars = tape.vars(theta);
                let y = f(&vars, chunk);
                y.backward_into(grads);
                (y.value(), grads.wrt_all(&vars))
            },
        )
        .collect();
    // In chunk order, whatever thread computed which chunk.
    let mut value = F::zero();
    let mut gradient = vec![F::zero(); theta.len()];
    for (v, g) in parts {
        value = value + v;
        for (total, part) in gradient.iter_mut().zip(g) {
            *total = *total + part;
        }
    }
    (value, gradient)
}
