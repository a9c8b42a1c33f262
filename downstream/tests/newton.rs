//! Newton on a `RealField` model from a user's crate, through tapegrad's
//! argmin problem.

use argmin::core::{Executor, State};
use argmin::solver::newton::Newton;
use tapegrad::integrations::argmin::{DVector, Problem};
use tapegrad_downstream::GaussianMean;

#[test]
fn newton_finds_the_mean_in_one_step() -> Result<(), argmin::core::Error> {
    let observations = vec![[1.0, 2.0], [3.0, -1.0], [2.0, 0.5], [-0.5, 1.5]];
    let model = GaussianMean {
        observations: observations.clone(),
        covariance: [[2.0, 0.3], [0.3, 1.0]],
    };
    let start = DVector::from_vec(vec![10.0, -10.0]);
    let result = Executor::new(Problem::dvector(model), Newton::<f64>::new())
        .configure(|state| state.param(start).max_iters(3))
        .run()?;
    let best = result.state().get_best_param().expect("a best point");
    let n = observations.len() as f64;
    let mean = [0, 1].map(|k| observations.iter().map(|o| o[k]).sum::<f64>() / n);
    for (b, m) in best.iter().zip(mean) {
        assert!((b - m).abs() < 1e-12, "{best} against the mean {mean:?}");
    }
    Ok(())
}
