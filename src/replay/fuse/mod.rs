//! Sums as one node: the evaluation and the reverse sweep of an optimized
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
//!
//! The evaluation does the same: a chain is one step, its sum computed link
//! by link in order (the same bits as the links' own steps), a product
//! `w·a` no other node reads computed inside it with its partials written
//! to the table; its running sums and those products are never visited. A
//! link of such a product (`y − x·x`) is a chain of one link for it.
//!
//! A chain whose sum is a term of another chain alone (`Σ (a·a + c·c)`) is
//! nested in it: the evaluation computes it as its own step, as written,
//! and the sweep visits it as part of the other's node, its edges the
//! other's times the sign it is added with.

mod walk;

use num_traits::Float;

use super::{Arg, Op, Route, Visit};
use walk::Walk;

/// The evaluation and the sweep of a function whose sums are linear nodes.
#[derive(Clone, Debug)]
pub(crate) struct Chains<F> {
    /// Each node's route: its node in the sweep's tape, or a chain's term,
    /// or none for a node absorbed into an edge or a chain (it has no
    /// adjoint; the evaluation visits it unless its chain computes it).
    pub(crate) index: Vec<Route>,
    /// The sweep tape's nodes: the sink, the leading inputs, then the kept
    /// nodes in order, a chain as a node of many parents.
    pub(crate) layout: Vec<[u32; 2]>,
    /// Per node of the sweep's tape, what its partials are multiplied by
    /// (where a node of one constant partial was folded into its edge); a
    /// node whose scales are not 1 is routed [`Route::Scaled`].
    pub(crate) scales: Vec<[F; 2]>,
    /// The chains' edges, in the tape's n-ary table, and their partials.
    pub(crate) table: Vec<u32>,
    pub(crate) partials: Vec<F>,
    /// The absorbed terms whose partials each evaluation writes.
    pub(crate) terms: Vec<Term<F>>,
    /// The chains' links, first to last; chain `k`'s from `sums[k]` to
    /// `sums[k + 1]`.
    pub(crate) links: Vec<Link<F>>,
    pub(crate) sums: Vec<u32>,
}

/// A link of a chain: its summand, added to the running sum or taken from
/// it (`minus`); the first link's summand is the sum's first value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Link<F> {
    pub(crate) minus: bool,
    pub(crate) summand: Summand<F>,
}

/// What a link adds: a constant, a node's value, or the product `a·b` of
/// a term no other node reads, whose partials, times their factors, go to
/// the table at `slot` and the next.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Summand<F> {
    Const(F),
    Node(u32),
    Product {
        operands: [u32; 2],
        slot: u32,
        factors: [F; 2],
    },
}

/// The running sum of a step, its summand, and whether the summand is
/// taken away, if the step is a link of a chain: `acc + t`, `acc − t`,
/// `acc ± c`.
fn link<F: Float>(op: Op<F>) -> Option<(u32, Arg<F>, bool)> {
    match op {
        Op::Add(a, b) => Some((a, Arg::Node(b), false)),
        Op::Sub(a, b) => Some((a, Arg::Node(b), true)),
        Op::AddConst(a, c) => Some((a, Arg::Const(c), false)),
        Op::SubConst(a, c) => Some((a, Arg::Const(c), true)),
        _ => None,
    }
}

/// The parent and constant partial of a step of one parent whose partial
/// is the same at every point: `−a`, `a·k`, `a/k`, `a ± c`, `c − a`.
fn linear<F: Float>(op: Op<F>) -> Option<(u32, F)> {
    match op {
        Op::Neg(a) => Some((a, -F::one())),
        Op::MulConst(a, k) => Some((a, k)),
        Op::DivConst(a, k) => Some((a, k.recip())),
        Op::AddConst(a, _) | Op::SubConst(a, _) => Some((a, F::one())),
        Op::ConstSub(_, b) => Some((b, -F::one())),
        _ => None,
    }
}

/// A term of a chain whose partials change: where each evaluation writes
/// them (times their factors) in the chain's table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Term<F> {
    pub(crate) slots: [u32; 2],
    pub(crate) factors: [F; 2],
    pub(crate) count: u8,
}

impl<F: Float> Chains<F> {
    /// The chains of a function of these `ops` and `parents` (the sink's
    /// first), whose first `lead` nodes are the sink and the inputs, and
    /// whose nodes' values are read `uses` times (by the other nodes, and
    /// `usize::MAX` by an output or a guard), with the evaluation's program:
    /// the nodes it computes, each with its [`Route`], a chain's last link a
    /// [`Op::Sum`]. `None` if it has none.
    pub(crate) fn new(
        ops: &[Op<F>],
        parents: &[[u32; 2]],
        lead: usize,
        uses: &[usize],
    ) -> Option<(Self, Vec<Visit<F>>)> {
        let total = parents.len();
        let op = |n: u32| ops[n as usize - 1];
        let once = |n: u32| n as usize >= lead && uses[n as usize] == 1;
        let link_of = |n: u32| (n as usize >= lead).then(|| link(op(n))).flatten();
        // A link's running sum is absorbed into the chain if it is a link
        // used there alone; a link whose running sum is absorbed is a
        // chain's last link if it is not absorbed itself.
        let mut chained = vec![false; total];
        let mut root = vec![false; total];
        for (node, last) in root.iter_mut().enumerate().skip(lead) {
            if let Some((acc, ..)) = link_of(node as u32) {
                chained[acc as usize] = link_of(acc).is_some() && once(acc);
                *last = chained[acc as usize];
            }
        }
        (lead..total).for_each(|n| root[n] &= !chained[n]);
        // So is a link of a product no other node reads (`x − a·b`), a
        // chain of one link that computes the product in its sum.
        let product = |n: u32| once(n) && matches!(op(n), Op::Mul(..));
        for node in lead..total {
            if let Some((acc, summand, _)) = link_of(node as u32) {
                let with_product = product(acc) || summand.node().is_some_and(product);
                root[node] |= !chained[node] && with_product;
            }
        }
        // A node of one constant partial used by one other alone is folded
        // into its user's edge, which goes to its parent, times its partial.
        // A partial of ±1 anywhere: it changes no product. Another only as
        // a term of a chain, where it is the edge's constant partial alone,
        // so the sweep computes `adjoint · d` as the unfolded node would;
        // folded into a partial that changes, `d · ∂` could overflow where
        // `(adjoint · ∂) · d` does not. Never an infinite one: the sweep
        // passes nothing through it behind a zero adjoint, which a product
        // would make NaN.
        let mut term = vec![false; total];
        for node in (lead..total).filter(|&n| chained[n] || root[n]) {
            let (acc, summand, _) = link_of(node as u32).expect("a member is a link");
            if let Some(t) = summand.node() {
                term[t as usize] = true;
            }
            term[acc as usize] |= !chained[acc as usize];
        }
        let foldable = |n: usize| match linear(op(n as u32)) {
            Some((_, d)) => d.abs() == F::one() || (term[n] && d.is_finite()),
            None => false,
        };
        let folded: Vec<bool> = (0..total)
            .map(|n| !chained[n] && !root[n] && once(n as u32) && foldable(n))
            .collect();
        if !chained.iter().chain(&root).chain(&folded).any(|&a| a) {
            return None;
        }
        // Where an edge to `p` goes past the folded nodes, and the product
        // of their partials.
        let resolve = |mut p: u32| {
            let mut factor = F::one();
            while folded[p as usize] {
                let (q, d) = linear(op(p)).expect("a folded node");
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
                // A select's edge is chosen at each evaluation (`route_select`).
                && !matches!(op(n as u32), Op::Select(_))
        };
        let mut dynamic = vec![false; total];
        for node in (lead..total).filter(|&n| member(n as u32)) {
            let (acc, summand, _) = link_of(node as u32).expect("a member is a link");
            if let Some(t) = summand.node().filter(|&t| candidate(t)) {
                dynamic[t as usize] = true;
            }
            if !chained[acc as usize] && candidate(acc) {
                dynamic[acc as usize] = true; // the chain's first term
            }
        }
        // A chain whose sum is a term of another chain alone is nested in
        // it: evaluated as its own step, before it, in its own order (so the
        // same bits), but swept as part of it, its edges the other's, so
        // that the sweep visits one node however the sum was parenthesized.
        let mut nested = vec![false; total];
        for node in (lead..total).filter(|&n| member(n as u32)) {
            let (_, summand, _) = link_of(node as u32).expect("a member is a link");
            if let Some(t) = summand.node().filter(|&t| root[t as usize] && once(t)) {
                nested[t as usize] = true;
            }
        }
        let kept = |n: usize| !chained[n] && !folded[n] && !dynamic[n] && !nested[n];
        let mut index = vec![Route::Absorbed; total];
        let (mut layout, mut scales) = (Vec::new(), Vec::new());
        for node in (0..total).filter(|&n| kept(n)) {
            let [(a, sa), (b, sb)] = parents[node].map(|p| match p {
                0 => (0, F::one()),
                p => resolve(p),
            });
            let scaled = node >= lead && !root[node] && (sa != F::one() || sb != F::one());
            let at = layout.len() as u32;
            index[node] = if scaled {
                Route::Scaled(at)
            } else {
                Route::Node(at)
            };
            // A chain's last link is laid out below, once its edges are.
            layout.push(match root[node] {
                true => [0; 2],
                false => [a, b].map(|p| index[p as usize].kept()),
            });
            scales.push([sa, sb]);
        }
        let (mut table, mut partials, mut terms) = (Vec::new(), Vec::new(), Vec::new());
        let (mut links, mut sums, mut inlined) = (Vec::new(), vec![0], vec![false; total]);
        let mut chain_of = vec![0u32; total];
        for node in (lead..total).filter(|&n| root[n] && !nested[n]) {
            let mut walk = Walk {
                op: &op,
                link_of: &link_of,
                resolve: &resolve,
                chained: &chained,
                nested: &nested,
                dynamic: &dynamic,
                parents,
                edges: Vec::new(),
                products: Vec::new(),
                terms: &mut terms,
                index: &mut index,
                inlined: &mut inlined,
                inner: Vec::new(),
            };
            let chain = walk.links(node as u32, F::one());
            let Walk {
                edges,
                mut products,
                inner,
                ..
            } = walk;
            // The tape sweeps a node's edges last to first.
            let start = table.len() as u32;
            for &(parent, partial, place) in edges.iter().rev() {
                if let Some((j, k, product)) = place {
                    let kept = if product { &mut products } else { &mut terms };
                    kept[j].slots[k] = table.len() as u32;
                }
                table.push(index[parent as usize].kept());
                partials.push(partial);
            }
            // The nested chains first, as they were finished, then this one.
            for (last, chain) in inner.into_iter().chain([(node as u32, chain)]) {
                for (minus, mut summand, term) in chain.into_iter().rev() {
                    if let (Summand::Product { slot, .. }, Some(j)) = (&mut summand, term) {
                        let [first, next] = products[j].slots;
                        debug_assert_eq!(next, first + 1, "a product's edges are adjacent");
                        *slot = first;
                    }
                    links.push(Link { minus, summand });
                }
                chain_of[last as usize] = sums.len() as u32 - 1;
                sums.push(links.len() as u32);
            }
            layout[index[node].kept() as usize] = crate::tape::wide(start, edges.len() as u32);
        }
        // The evaluation computes every node but the running sums and the
        // products the chains compute; a last link computes its chain.
        let program = (lead..total)
            .filter(|&n| !chained[n] && !inlined[n])
            .map(|n| Visit {
                op: match root[n] {
                    true => Op::Sum(chain_of[n]),
                    false => op(n as u32),
                },
                node: n as u32,
                route: index[n],
            })
            .collect();
        let chains = Chains {
            index: fit(index),
            layout: fit(layout),
            scales: fit(scales),
            table: fit(table),
            partials: fit(partials),
            terms: fit(terms),
            links: fit(links),
            sums: fit(sums),
        };
        Some((chains, fit(program)))
    }

    /// The bytes its buffers hold.
    pub(crate) fn allocated_bytes(&self) -> usize {
        use core::mem::size_of;
        self.index.capacity() * size_of::<Route>()
            + self.layout.capacity() * size_of::<[u32; 2]>()
            + self.scales.capacity() * size_of::<[F; 2]>()
            + self.table.capacity() * size_of::<u32>()
            + self.partials.capacity() * size_of::<F>()
            + self.terms.capacity() * size_of::<Term<F>>()
            + self.links.capacity() * size_of::<Link<F>>()
            + self.sums.capacity() * size_of::<u32>()
    }
}

/// `v` without the room it grew into.
fn fit<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}
