//! A rank that panics ends the whole MPI job, its message on standard
//! error, where the others would wait in a collective for ever. Not run
//! by `cargo test` (it panics on purpose): CI runs it under `mpirun` and
//! expects a failure within a minute, with the message.

use tapegrad::integrations::mpi::{Ranks, abort_on_panic};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let universe = mpi::initialize().ok_or("MPI initializes once")?;
    abort_on_panic();
    let mut ranks = Ranks::new(universe.world());
    if ranks.rank() + 1 == ranks.size() {
        panic!("rank {} panics on purpose", ranks.rank());
    }
    // The others enter a collective the last rank never joins.
    let samples = [1.0; 10];
    ranks.sum_over_samples(&[0.0], 0, &samples, 10, |t, s| {
        tapegrad::sum(&s.iter().map(|&x| t[0] * x).collect::<Vec<_>>())
    })?;
    Ok(())
}
