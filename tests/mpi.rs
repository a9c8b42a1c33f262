//! The distributed sums under `mpirun` (a binary of its own: MPI starts
//! once a process). On every rank: the summed value and gradient are one
//! process's to the bit, for a closure on a tape and for a recorded
//! function, with shards of unequal size and ranks with none; a rank whose parameter count, block size or shard is wrong,
//! and a rank whose function fails, give every rank the same error.
//!
//! ```text
//! cargo test --features mpi --test mpi --no-run
//! mpirun -np 3 target/debug/deps/mpi-…
//! ```

use tapegrad::integrations::mpi::{Ranks, Summed, abort_on_panic, shard};
use tapegrad::replay::Function;
use tapegrad::{Active, Error, Var};

/// A logistic loss of one sample `k` of the job's: features from `k`.
fn sample(k: usize) -> [f64; 3] {
    let t = k as f64;
    [
        (t * 0.37).sin(),
        (t * 0.11).cos(),
        if (k * 7919) % 13 < 6 { 1.0 } else { 0.0 },
    ]
}

fn block_loss<'t>(theta: &[Var<'t>], block: &[[f64; 3]]) -> Var<'t> {
    let terms: Vec<Var<'t>> = block
        .iter()
        .map(|s| {
            let z = theta[0] * s[0] + theta[1] * s[1] + theta[2];
            (1.0 + (-z).exp()).ln() + z * (1.0 - s[2])
        })
        .collect();
    tapegrad::sum(&terms)
}

fn bits(s: &Summed<f64>) -> Vec<u64> {
    Some(s.value)
        .into_iter()
        .chain(s.gradient.iter().copied())
        .map(f64::to_bits)
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let universe = mpi::initialize().ok_or("MPI initializes once")?;
    abort_on_panic();
    let world = universe.world();
    let mut ranks = Ranks::new(world);
    let (rank, size) = (ranks.rank(), ranks.size());
    let theta = [0.3, -0.2, 0.1];
    let (samples, block) = (1003, 50);

    // One process's sum of the same blocks, computed on every rank.
    let everything: Vec<[f64; 3]> = (0..samples).map(sample).collect();
    let mut alone = Ranks::new(mpi::topology::SimpleCommunicator::self_comm());
    let reference = alone.sum_over_samples(&theta, 0, &everything, block, block_loss)?;

    let mine = shard(samples, block, rank, size);
    let shard_samples: Vec<[f64; 3]> = mine.clone().map(sample).collect();
    let summed = ranks.sum_over_samples(&theta, mine.start, &shard_samples, block, block_loss)?;
    assert_eq!(
        bits(&summed),
        bits(&reference),
        "rank {rank} of {size}: the tape's sums"
    );
    assert_eq!(summed.samples, samples);

    // Fewer blocks than ranks: the last ranks hold no samples.
    let mine_few = shard(60, block, rank, size);
    let few: Vec<[f64; 3]> = mine_few.clone().map(sample).collect();
    let summed = ranks.sum_over_samples(&theta, mine_few.start, &few, block, block_loss)?;
    let all_few: Vec<[f64; 3]> = (0..60).map(sample).collect();
    let reference_few = alone.sum_over_samples(&theta, 0, &all_few, block, block_loss)?;
    assert_eq!(
        bits(&summed),
        bits(&reference_few),
        "rank {rank} of {size}: {} samples here",
        few.len()
    );

    // A recorded function of one sample, its features as parameters.
    let f = Function::record_with_params(&theta, &sample(0), |t: &[Active], s: &[Active]| {
        let z = t[0] * s[0] + t[1] * s[1] + t[2];
        (1.0 + (-z).exp()).ln() + z * (1.0 - s[2])
    })?;
    let flat = |range: core::ops::Range<usize>| range.flat_map(sample).collect::<Vec<f64>>();
    let reference = alone.sum_over_params(&f, &theta, 0, &flat(0..samples), block)?;
    let summed = ranks.sum_over_params(&f, &theta, mine.start, &flat(mine.clone()), block)?;
    assert_eq!(
        bits(&summed),
        bits(&reference),
        "rank {rank} of {size}: the function's sums"
    );

    // The last rank counts one parameter more: every rank hears of it
    // (one rank alone agrees with itself).
    let last = size - 1;
    if size > 1 {
        let theta_r = if rank == last {
            &[0.3, -0.2, 0.1, 0.0][..]
        } else {
            &theta[..]
        };
        let wrong = ranks.sum_over_samples(theta_r, mine.start, &shard_samples, block, block_loss);
        assert!(
            matches!(wrong, Err(Error::Rank { rank: r, .. }) if r == last),
            "{wrong:?}"
        );
    }

    // The last rank's shard begins one sample late.
    let first = if rank == last {
        mine.start + 1
    } else {
        mine.start
    };
    let wrong = ranks.sum_over_samples(&theta, first, &shard_samples, block, block_loss);
    assert!(
        matches!(wrong, Err(Error::Rank { rank: r, .. }) if r == last),
        "{wrong:?}"
    );

    // The last rank's function fails (a parameter list of the wrong
    // length): every rank returns its error, message and all.
    let params = flat(mine.clone());
    let params = if rank == last {
        &params[..params.len() - 1]
    } else {
        &params[..]
    };
    let wrong = ranks.sum_over_params(&f, &theta, mine.start, params, block);
    match wrong {
        Err(Error::Rank { rank: r, message }) => {
            assert_eq!(r, last);
            assert!(
                message.contains("parameters for whole samples"),
                "{message}"
            );
        }
        other => panic!("rank {rank}: expected the last rank's error, got {other:?}"),
    }

    // And the job goes on: the ranks still agree.
    let again = ranks.sum_over_samples(&theta, mine.start, &shard_samples, block, block_loss)?;
    assert_eq!(
        bits(&again),
        bits(&alone.sum_over_samples(&theta, 0, &everything, block, block_loss)?)
    );
    println!("rank {rank} of {size}: ok");
    Ok(())
}
