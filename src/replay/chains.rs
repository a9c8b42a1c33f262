//! Sums as one node: the reverse sweep of an optimized
//! [`Function`](super::Function) over fewer nodes.
//!
//! A sum written term by term, `((a + b) − c·k) + d`, records a node per
//! term, each passing its adjoint on unchanged (a partial of ±1). When each
//! partial sum is used by the next alone, the chain is one linear node whose
//! edges go to the terms with constant partials (±1, or ±k for a term
//! `x·k` used there alone): set once per workspace, and the sweep visits
//! one node. The same products as the chain's, so the same numbers.
//!
//! Likewise a node of one constant partial (`−x`, `x·k`, `x/k`, `x ± c`)
//! used by one other node alone: that node's edge goes past it to its
//! parent, its partial multiplied by the folded one's (a scale set once).
//! And a term whose partials change (`w·a`, `sin x`) used by a chain alone
//! gives its edges to the chain, whose table each evaluation writes.

use num_traits::Float;

use super::Step;

/// The sweep of a function whose sums are linear nodes.
#[derive(Clone, Debug)]
pub(crate) struct Chains<F> {
    /// Each node's index in the sweep's tape, `u32::MAX` for a node a chain
    /// absorbed (its value is still computed; it has no adjoint).
    pub(crate) index: Vec<u32>,
    /// The sweep tape's nodes: the sink, the leading inputs, then the kept
    /// nodes in order, a chain as a node of many parents.
    pub(crate) layout: Vec<[u32; 2]>,
    /// Per node of the sweep's tape, what its partials are multiplied by
    /// (where a node of one constant partial was folded into its edge); a
    /// node whose scales are not 1 has [`SCALED`] in its index.
    pub(crate) scales: Vec<[F; 2]>,
    /// The chains' edges, in the tape's n-ary table, and their partials.
    pub(crate) table: Vec<u32>,
    pub(crate) partials: Vec<F>,
    /// The absorbed terms whose partials each evaluation writes.
    pub(crate) terms: Vec<Term<F>>,
}

/// The running sum of a step and its term with the term's sign, if the
/// step is a link of a chain: `acc + t`, `acc − t`, `acc ± c`.
fn link<F: Float>(step: Step<F>) -> Option<(u32, Option<(u32, F)>)> {
    match step {
        Step::Add(a, b) => Some((a, Some((b, F::one())))),
        Step::Sub(a, b) => Some((a, Some((b, -F::one())))),
        Step::AddConst(a, _) | Step::SubConst(a, _) => Some((a, None)),
        _ => None,
    }
}

/// The parent and constant partial of a step of one parent whose partial
/// is the same at every point: `−a`, `a·k`, `a/k`, `a ± c`, `c − a`.
fn linear<F: Float>(step: Step<F>) -> Option<(u32, F)> {
    match step {
        Step::Neg(a) => Some((a, -F::one())),
        Step::MulConst(a, k) => Some((a, k)),
        Step::DivConst(a, k) => Some((a, k.recip())),
        Step::AddConst(a, _) | Step::SubConst(a, _) => Some((a, F::one())),
        Step::ConstSub(_, b) => Some((b, -F::one())),
        _ => None,
    }
}

/// Marks, in a sweep index, a node whose partials are scaled (see
/// [`Chains::scales`]).
pub(crate) const SCALED: u32 = 1 << 31;

/// Marks, in place of a sweep index, a term a chain absorbed: the rest is
/// its index in [`Chains::terms`].
pub(crate) const TERM: u32 = 1 << 30;

/// The bits of a sweep index that count.
pub(crate) const FLAGS: u32 = !(SCALED | TERM);

/// A term of a chain whose partials change: where each evaluation writes
/// them (times their factors) in the chain's table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Term<F> {
    pub(crate) slots: [u32; 2],
    pub(crate) factors: [F; 2],
    pub(crate) count: u8,
}

impl<F: Float> Chains<F> {
    /// The chains of a function of these `steps` and `parents` (the sink's
    /// first), whose first `lead` nodes are the sink and the inputs, and
    /// whose adjoints are asked at `outputs`; `None` if it has none.
    pub(crate) fn new(
        steps: &[Step<F>],
        parents: &[[u32; 2]],
        lead: usize,
        outputs: &[u32],
    ) -> Option<Self> {
        let total = parents.len();
        if total >= TERM as usize {
            return None; // its indices would not leave room for the marks
        }
        let mut uses = vec![0usize; total];
        for &[a, b] in &parents[lead..] {
            uses[a as usize] += 1;
            uses[b as usize] += usize::from(b != 0);
        }
        outputs.iter().for_each(|&o| uses[o as usize] = usize::MAX);
        let step = |n: u32| steps[n as usize - 1];
        let once = |n: u32| n as usize >= lead && uses[n as usize] == 1;
        let links = |n: u32| (n as usize >= lead).then(|| link(step(n))).flatten();
        // A link's running sum is absorbed into the chain if it is a link
        // used there alone; a link whose running sum is absorbed is a
        // chain's last link if it is not absorbed itself.
        let mut chained = vec![false; total];
        let mut root = vec![false; total];
        for (node, last) in root.iter_mut().enumerate().skip(lead) {
            if let Some((acc, _)) = links(node as u32) {
                chained[acc as usize] = links(acc).is_some() && once(acc);
                *last = chained[acc as usize];
            }
        }
        (lead..total).for_each(|n| root[n] &= !chained[n]);
        // A node of one constant partial used by one other alone is folded
        // into its user's edge, which goes to its parent, times its partial.
        // Only a finite partial: the sweep passes nothing through an
        // infinite one behind a zero adjoint, which a product would make NaN.
        let finite = |n: usize| linear(step(n as u32)).is_some_and(|(_, d)| d.is_finite());
        let folded: Vec<bool> = (0..total)
            .map(|n| !chained[n] && !root[n] && once(n as u32) && finite(n))
            .collect();
        if !chained.iter().chain(&folded).any(|&a| a) {
            return None;
        }
        // Where an edge to `p` goes past the folded nodes, and the product
        // of their partials.
        let resolve = |mut p: u32| {
            let mut factor = F::one();
            while folded[p as usize] {
                let (q, d) = linear(step(p)).expect("a folded node");
                (p, factor) = (q, factor * d);
            }
            (p, factor)
        };
        // A term whose partials change (`w·a`, `sin x`) used by a chain
        // alone gives the chain its edges, whose partials each evaluation
        // writes into the chain's table.
        let member = |n: u32| chained[n as usize] || root[n as usize];
        let candidate = |n: u32| {
            let n = n as usize;
            n >= lead
                && once(n as u32)
                && !chained[n]
                && !folded[n]
                && !root[n]
                && parents[n][0] != 0
        };
        let mut dynamic = vec![false; total];
        for node in (lead..total).filter(|&n| member(n as u32)) {
            let (acc, term) = links(node as u32).expect("a member is a link");
            if let Some((t, _)) = term.filter(|&(t, _)| candidate(t)) {
                dynamic[t as usize] = true;
            }
            if !chained[acc as usize] && candidate(acc) {
                dynamic[acc as usize] = true; // the chain's first term
            }
        }
        let kept = |n: usize| !chained[n] && !folded[n] && !dynamic[n];
        let mut index = vec![u32::MAX; total];
        let (mut layout, mut scales) = (Vec::new(), Vec::new());
        for node in (0..total).filter(|&n| kept(n)) {
            let [(a, sa), (b, sb)] = parents[node].map(|p| match p {
                0 => (0, F::one()),
                p => resolve(p),
            });
            let scaled = node >= lead && !root[node] && (sa != F::one() || sb != F::one());
            index[node] = layout.len() as u32 | if scaled { SCALED } else { 0 };
            layout.push([a, b].map(|p| index[p as usize] & FLAGS));
            scales.push([sa, sb]);
        }
        let (mut table, mut partials, mut terms) = (Vec::new(), Vec::new(), Vec::new());
        for node in (lead..total).filter(|&n| root[n]) {
            let (mut acc, mut term) = links(node as u32).expect("a chain's last link");
            // The edges in the order the chain's own sweep reaches them:
            // a link's term, then its running sum; a term's own edges last
            // to first. Each with its constant partial, or its place in a
            // dynamic term.
            let mut edges = Vec::new();
            let mut push = |t: u32, sign: F| {
                let (t, factor) = resolve(t);
                if !dynamic[t as usize] {
                    edges.push((t, sign * factor, None));
                    return;
                }
                let j = terms.len();
                terms.push(Term {
                    slots: [0; 2],
                    factors: [F::zero(); 2],
                    count: 0,
                });
                index[t as usize] = TERM | j as u32;
                let own = parents[t as usize];
                for k in (0..2).rev().filter(|&k| own[k] != 0) {
                    let (p, f) = resolve(own[k]);
                    terms[j].factors[k] = sign * factor * f;
                    terms[j].count += 1;
                    edges.push((p, F::zero(), Some((j, k))));
                }
            };
            loop {
                if let Some((t, sign)) = term {
                    push(t, sign);
                }
                if !chained[acc as usize] {
                    push(acc, F::one());
                    break;
                }
                (acc, term) = links(acc).expect("an absorbed link");
            }
            // The tape sweeps a node's edges last to first.
            let start = table.len() as u32;
            for &(parent, partial, place) in edges.iter().rev() {
                if let Some((j, k)) = place {
                    terms[j].slots[k] = table.len() as u32;
                }
                table.push(index[parent as usize] & FLAGS);
                partials.push(partial);
            }
            layout[index[node] as usize] = crate::tape::wide(start, edges.len() as u32);
        }
        Some(Chains {
            index,
            layout,
            scales,
            table,
            partials,
            terms,
        })
    }
}
