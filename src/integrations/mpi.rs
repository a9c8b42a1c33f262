//! Gradients of a loss summed over samples that the ranks of an MPI job
//! hold between them (the `mpi` feature: rsmpi, on the system's OpenMPI
//! or MPICH).
//!
//! The samples are numbered across the job and cut into blocks of a fixed
//! size; each rank holds whole blocks, in rank order ([`shard`]), and
//! computes each of its blocks' value and gradient on a tape it keeps.
//! Every rank then gathers every block's numbers and adds them in block
//! order, from zero: the sums have the same bits on every rank, in every
//! run, and for every number of ranks, as one process adding the same
//! blocks ([`Ranks::sum_over_samples`] on one rank). MPI's own reductions
//! leave the order of their additions to the implementation; ranks that
//! step in lockstep need identical bits, so this one does not use them. A
//! gather moves `blocks × (parameters + 1)` numbers: blocks of thousands of
//! samples keep it small beside the work.
//!
//! What MPI offers beyond that, and what it does not: a rank that exits
//! without `MPI_Finalize`, or is killed by a signal, makes `mpirun` end the
//! job (OpenMPI and MPICH both do); no standard MPI recovers a job from a
//! failed rank (ULFM, which would, is an extension that neither enables by
//! default), so a job restarts from its own checkpoint; and MPI has no
//! timeout: a rank that loops for ever without a collective holds the
//! others until the batch system's wall-time limit ends the job.
//!
//! Optimizers run in lockstep: every rank runs the same optimizer (the
//! crate's, or argmin's through its adapter) on the summed gradient, and
//! since the sums have the same bits everywhere, every rank takes the same
//! steps without another message. Driving the optimizer from rank 0 would
//! broadcast the parameters at every step and leave the other ranks idle
//! while it decides, for nothing the lockstep lacks.
//!
//! Every rank must call each collective function of [`Ranks`], in the
//! same order. What a rank got wrong (a parameter count or block size that
//! differs from the others', a shard out of place, an error of its own
//! function) is sent to every rank, and every rank returns the same
//! [`Error::Rank`]: no rank waits for one that left. A rank that panics
//! cannot take part any more: [`abort_on_panic`] makes its panic end the
//! whole job (`MPI_Abort`), its message on standard error, rather than
//! leave the others waiting in a collective for ever.
//!
//! ```no_run
//! use tapegrad::integrations::mpi::{Ranks, abort_on_panic, shard};
//!
//! let universe = mpi::initialize().ok_or("MPI is initialized once")?;
//! abort_on_panic();
//! let mut ranks = Ranks::new(universe.world());
//! // 10⁶ samples in blocks of 10⁴, this rank's share of them.
//! let mine = shard(1_000_000, 10_000, ranks.rank(), ranks.size());
//! let samples: Vec<f64> = mine.clone().map(|i| (i % 7) as f64).collect();
//! let summed = ranks.sum_over_samples(&[2.5], mine.start, &samples, 10_000, |theta, block| {
//!     let terms: Vec<_> = block.iter().map(|&p| (theta[0] - p).powi(2)).collect();
//!     tapegrad::sum(&terms)
//! })?;
//! let (loss, gradient) = summed.per_sample();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::ops::Range;

use mpi::datatype::{Equivalence, PartitionMut};
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Root};
use num_traits::Float;

use crate::replay::Function;
use crate::{Error, Gradients, Result, Scalar, Tape, Var};

/// The samples `first..end` of rank `rank` of `size`, of `samples` cut
/// into blocks of `block`: whole blocks in rank order, the first ranks one
/// block more where they do not divide evenly, the last block as short as
/// the samples leave it.
///
/// # Panics
///
/// If `block` is zero or `rank` is not below `size`.
///
/// ```
/// use tapegrad::integrations::mpi::shard;
///
/// let shards: Vec<_> = (0..3).map(|r| shard(10, 2, r, 3)).collect();
/// assert_eq!(shards, [0..4, 4..8, 8..10]);
/// ```
pub fn shard(samples: usize, block: usize, rank: usize, size: usize) -> Range<usize> {
    assert!(
        block > 0 && rank < size,
        "tapegrad::mpi::shard: a block of one sample at least, and a rank below the size"
    );
    let blocks = samples.div_ceil(block);
    let (each, more) = (blocks / size, blocks % size);
    let first = rank * each + rank.min(more);
    let count = each + usize::from(rank < more);
    (first * block).min(samples)..((first + count) * block).min(samples)
}

/// Makes a panic on this rank end the whole MPI job (`MPI_Abort` on the
/// world communicator, exit code 101), after printing its message as the
/// panic hook in place did: a rank that panicked takes part in no more
/// collectives, and the others would wait for it for ever. Call it once,
/// after `mpi::initialize`.
pub fn abort_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        SimpleCommunicator::world().abort(101)
    }));
}

/// The value and gradient summed over every rank's samples, and how many
/// samples there were: [`per_sample`](Summed::per_sample) divides by them.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Summed<F> {
    /// The sum of the blocks' values.
    pub value: F,
    /// The sum of the blocks' gradients.
    pub gradient: Vec<F>,
    /// The samples of every rank.
    pub samples: usize,
}

impl<F: Float> Summed<F> {
    /// The value and gradient divided by the number of samples.
    pub fn per_sample(self) -> (F, Vec<F>) {
        let n = F::from(self.samples.max(1)).expect("a count converts to a float");
        let gradient = self.gradient.into_iter().map(|g| g / n).collect();
        (self.value / n, gradient)
    }
}

/// A communicator and a tape kept from call to call: each rank of the job
/// makes one and calls its functions in the same order as the others.
pub struct Ranks<C: Communicator, F: Float = f64> {
    comm: C,
    tape: Tape<F>,
    grads: Gradients<F>,
}

/// Shows this rank, the number of ranks and the tape.
impl<C: Communicator, F: Float> core::fmt::Debug for Ranks<C, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ranks")
            .field("rank", &self.comm.rank())
            .field("size", &self.comm.size())
            .field("tape", &self.tape)
            .finish_non_exhaustive()
    }
}

impl<C: Communicator, F: Float + Equivalence> Ranks<C, F> {
    /// The ranks of `comm` (usually `universe.world()`).
    pub fn new(comm: C) -> Self {
        Ranks {
            comm,
            tape: Tape::default(),
            grads: Gradients::new(),
        }
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.comm.rank() as usize
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.comm.size() as usize
    }

    /// `Σₖ f(θ, blockₖ)` and its gradient over the blocks of every rank's
    /// samples: this rank holds `samples`, numbered from `first` in the
    /// job, cut into blocks of `block` (a multiple of `block` where the
    /// shard begins: [`shard`] gives such shards). Each block is recorded
    /// on this rank's tape; the sums are in block order (see the
    /// [module](self)). Collective: every rank calls it.
    ///
    /// # Errors
    ///
    /// [`Error::Rank`] on every rank if a rank's `theta` or `block` is not
    /// the others', or the shards do not follow one another from sample 0
    /// in rank order, each beginning a block.
    #[doc = closure_rule!()]
    pub fn sum_over_samples<S, G>(
        &mut self,
        theta: &[F],
        first: usize,
        samples: &[S],
        block: usize,
        f: G,
    ) -> Result<Summed<F>>
    where
        G: for<'t> Fn(&[Var<'t, F>], &[S]) -> Var<'t, F>,
    {
        let shares = self.agree(theta.len(), first, samples.len(), block)?;
        let (tape, grads) = (&mut self.tape, &mut self.grads);
        let blocks = samples
            .chunks(block.max(1))
            .map(|chunk| {
                tape.clear();
                let vars = tape.vars(theta);
                let y = f(&vars, chunk);
                y.backward_into(grads);
                Ok((y.value(), grads.wrt_all(&vars)))
            })
            .collect();
        self.gather(theta.len(), blocks, &shares, block)
    }

    /// `Σₖ f(θ; pₖ)` and its gradient, `f` a recorded [`Function`] of one
    /// output and `pₖ` its dynamic parameters for sample `k`: `params`
    /// holds this rank's samples' one after another, numbered from `first`
    /// in the job. Each block's samples are evaluated and added in order,
    /// then the blocks as [`sum_over_samples`](Ranks::sum_over_samples)
    /// adds them. Collective: every rank calls it.
    ///
    /// # Errors
    ///
    /// As [`sum_over_samples`](Ranks::sum_over_samples); and on every rank,
    /// as [`Error::Rank`], the first error of a rank's function (the lowest
    /// rank's), or a rank's `params` that is not a whole number of samples.
    pub fn sum_over_params(
        &mut self,
        function: &Function<F>,
        theta: &[F],
        first: usize,
        params: &[F],
        block: usize,
    ) -> Result<Summed<F>>
    where
        F: Scalar,
    {
        let per = function.params().max(1);
        let whole = Error::check_length(
            "parameters for whole samples",
            params.len() / per * per,
            params.len(),
        );
        let count = params.len() / per;
        let shares = self.agree(theta.len(), first, count, block)?;
        let mut ws = function.workspace();
        let blocks = match whole {
            Err(e) => vec![Err(e)],
            Ok(()) => params
                .chunks(per * block.max(1))
                .map(|chunk| {
                    let mut sum = (F::zero(), vec![F::zero(); theta.len()]);
                    for sample in chunk.chunks(per) {
                        ws.set_params(&sample[..function.params()])?;
                        let (v, g) = function.value_and_gradient(&mut ws, theta)?;
                        add(&mut sum, v, &g);
                    }
                    Ok(sum)
                })
                .collect(),
        };
        self.gather(theta.len(), blocks, &shares, block)
    }

    /// Every rank's parameter count, first sample, sample count and block
    /// size, checked alike on every rank: each rank's number of samples.
    fn agree(&self, n: usize, first: usize, count: usize, block: usize) -> Result<Vec<usize>> {
        let mine = [n as u64, first as u64, count as u64, block as u64];
        let mut all = vec![0u64; 4 * self.size()];
        self.comm.all_gather_into(&mine[..], &mut all[..]);
        // Every rank judges by the same numbers: rank 0's counts.
        let (n, block) = (all[0] as usize, all[3] as usize);
        let (mut next, mut shares) = (0, Vec::with_capacity(self.size()));
        for (rank, row) in all.chunks(4).enumerate() {
            let [n_r, first_r, count_r, block_r] =
                [row[0], row[1], row[2], row[3]].map(|v| v as usize);
            let wrong = |message: String| Err(Error::Rank { rank, message });
            if n_r != n || block_r != block {
                return wrong(format!(
                    "{n_r} parameters in blocks of {block_r}, where rank 0 has {n} in blocks of {block}"
                ));
            }
            if block == 0 {
                return wrong("blocks of no samples".into());
            }
            if first_r != next || (count_r > 0 && first_r % block != 0) {
                return wrong(format!(
                    "its samples begin at {first_r}, where the ranks before it end at {next} (a shard begins a block of {block}: see `shard`)"
                ));
            }
            next += count_r;
            shares.push(count_r);
        }
        Ok(shares)
    }

    /// Each block's value and gradient (or this rank's first error),
    /// gathered from every rank and added in block order on each; each
    /// rank's part is its blocks (of `shares` samples, agreed) times `n + 1`.
    fn gather(
        &self,
        n: usize,
        blocks: Vec<Result<(F, Vec<F>)>>,
        shares: &[usize],
        block: usize,
    ) -> Result<Summed<F>> {
        let failed = blocks.iter().find_map(|b| b.as_ref().err().cloned());
        // Whether each rank failed: then the lowest such rank's message.
        let mut flags = vec![0u8; self.size()];
        self.comm
            .all_gather_into(&u8::from(failed.is_some()), &mut flags[..]);
        if let Some(rank) = flags.iter().position(|&f| f != 0) {
            let root = self.comm.process_at_rank(rank as i32);
            let mut text = failed
                .map(|e| e.to_string())
                .unwrap_or_default()
                .into_bytes();
            let mut len = text.len() as u64;
            root.broadcast_into(&mut len);
            text.resize(len as usize, 0);
            root.broadcast_into(&mut text[..]);
            let message = String::from_utf8_lossy(&text).into_owned();
            return Err(Error::Rank { rank, message });
        }
        let width = n + 1;
        let mine: Vec<F> = blocks
            .into_iter()
            .flat_map(|b| {
                let (v, g) = b.expect("no rank failed");
                Some(v).into_iter().chain(g)
            })
            .collect();
        let counts: Vec<i32> = (shares.iter())
            .map(|&share| (share.div_ceil(block) * width) as i32)
            .collect();
        debug_assert_eq!(mine.len(), counts[self.rank()] as usize, "a block a chunk");
        let displs: Vec<i32> = counts
            .iter()
            .scan(0, |at, &c| {
                let here = *at;
                *at += c;
                Some(here)
            })
            .collect();
        let mut all = vec![F::zero(); counts.iter().map(|&c| c as usize).sum()];
        let mut partition = PartitionMut::new(&mut all[..], counts, &displs[..]);
        self.comm
            .all_gather_varcount_into(&mine[..], &mut partition);
        let mut sum = (F::zero(), vec![F::zero(); n]);
        for part in all.chunks(width) {
            add(&mut sum, part[0], &part[1..]);
        }
        Ok(Summed {
            value: sum.0,
            gradient: sum.1,
            samples: shares.iter().sum(),
        })
    }
}

/// Adds a value and a gradient into a running sum, in place.
fn add<F: Float>(sum: &mut (F, Vec<F>), value: F, gradient: &[F]) {
    sum.0 = sum.0 + value;
    for (total, g) in sum.1.iter_mut().zip(gradient) {
        *total = *total + *g;
    }
}
