//! Loop fusion: a loop of ops and the long sum right after it, whose
//! repeated terms read what the loop computes, as one loop. Each
//! iteration computes one iteration's ops, stores them as the loop did,
//! then adds the sum's terms of one iteration, reading what it just
//! computed from registers. The sum adds the same terms in the same order
//! and an op's value depends on its operands alone: the bits are the
//! same. A Rosenbrock function written as a fold, or as a sum of terms,
//! is one such pair: its elements' ops, then the sum of their squares.
//!
//! The sum runs `lead` iterations behind the ops: its iteration `m` reads
//! the ops' iterations up to `m + lead` (and the terms before its loop
//! those up to some iteration), so that many of the ops' iterations come
//! first, alone; what is left of either loop after the fused one follows
//! it, the ops first.
//!
//! The sweep visits the sum's node first, then those ops' nodes: the
//! node's loop of edges and that loop of nodes are fused the same way
//! ([`FusedSweep`]), where no adjoint is then reached in another order.

use std::collections::HashMap;

use tapegrad::replay::ir::Op;

use crate::Real;
use crate::emit::Plan;
use crate::forward::{Shape, term_item};
use crate::roll::{Item, Loop, Rolled, Segment};
use crate::sweep;

/// The loops a plan fuses: loops of ops with sums, by the loop's first
/// op; wide nodes' edges with loops of nodes, by the loop's first visit.
/// The code reads the fused loops' tables: kept as long as it.
#[derive(Debug)]
pub(crate) struct Fusions<F> {
    pub(crate) sums: HashMap<usize, Fused<F>>,
    pub(crate) sweeps: HashMap<usize, FusedSweep<F>>,
}

impl<F> Default for Fusions<F> {
    fn default() -> Self {
        Fusions {
            sums: HashMap::new(),
            sweeps: HashMap::new(),
        }
    }
}

/// A loop of ops and the sum after it, as [the module](self) builds them.
#[derive(Debug)]
pub(crate) struct Fused<F> {
    /// The sum's op.
    pub(crate) sum: usize,
    /// The ops' first iterations, alone, and the ops after the loop
    /// before the sum.
    pub(crate) before: Option<Loop<F>>,
    pub(crate) between: Vec<usize>,
    /// How many of the sum's segments come before its loop (`One`s).
    pub(crate) prologue: usize,
    /// The fused loop's parts: the ops', then the sum's terms'.
    pub(crate) ops: Loop<F>,
    pub(crate) terms: Loop<F>,
    /// What is left of either loop.
    pub(crate) rest_ops: Option<Loop<F>>,
    pub(crate) rest_terms: Option<Loop<F>>,
}

/// The fusions of the forward pieces' loops of ops with the sums right
/// after them, by the loop's first op (`ops`: the ops' items).
pub(crate) fn fusions<'s, F: Real>(
    pieces: impl Iterator<Item = &'s [Segment<F>]>,
    ops: &[Item<Shape<F>, F>],
    plan: &Plan<'_, F>,
) -> HashMap<usize, Fused<F>> {
    let mut fused = HashMap::new();
    for segments in pieces {
        for (s, segment) in segments.iter().enumerate() {
            if let Segment::Loop(l) = segment
                && let Some((_, i, between)) = sum_after(segments, s, plan)
                && let Some(f) = fuse(l, i, between, ops, plan)
            {
                fused.insert(l.start, f);
            }
        }
    }
    fused
}

/// The first long sum after `segments[s]`, its segment, and the ops
/// between that are code of their own (ops a sum computes are none, see
/// [`crate::forward::inlined`]): none if a loop with code comes first.
pub(crate) fn sum_after<F: Real>(
    segments: &[Segment<F>],
    s: usize,
    plan: &Plan<'_, F>,
) -> Option<(usize, usize, Vec<usize>)> {
    let mut between = Vec::new();
    for (at, segment) in segments.iter().enumerate().skip(s + 1) {
        match segment {
            Segment::One(i) if plan.sums.contains_key(i) => return Some((at, *i, between)),
            Segment::One(i) if !plan.inlined[i + 1] => between.push(*i),
            Segment::One(_) => {}
            Segment::Loop(l) if plan.sums_compute(l) => {}
            Segment::Loop(_) | Segment::Variants(_) => return None,
        }
    }
    None
}

/// Loop `l` of ops fused with op `i`, if it is a long sum whose repeated
/// terms read what `l` computes, one iteration of `l` an iteration; the
/// ops `between` them come before the sum, after the iterations they read.
fn fuse<F: Real>(
    l: &Loop<F>,
    i: usize,
    between: Vec<usize>,
    ops: &[Item<Shape<F>, F>],
    plan: &Plan<'_, F>,
) -> Option<Fused<F>> {
    let segments = plan.sums.get(&i)?;
    let Op::Sum { first, count } = plan.ir.ops[i] else {
        return None;
    };
    let terms = &plan.ir.terms[first as usize..(first + count) as usize];
    let items: Vec<_> = (terms.iter())
        .map(|term| term_item(term, &plan.ir, &plan.inlined))
        .collect();
    let (prologue, t) = one_loop(segments)?;
    // The iteration of `l` that computes node `n`, if one does.
    let (begin, end) = (l.start + 1, l.start + 1 + l.len());
    let iteration = |n: usize| (begin..end).contains(&n).then(|| (n - begin) / l.period);
    // The terms before the sum's loop need these iterations done.
    let before_loop = Some(0)
        .into_iter()
        .chain(segments[..prologue].iter().map(|s| match s {
            Segment::One(k) => 1 + k,
            Segment::Loop(_) => unreachable!("one loop"),
            Segment::Variants(never) => match *never {},
        }));
    let read_between = between.iter().flat_map(|&x| &ops[x].indices[1..]);
    let needed = (before_loop.flat_map(|q| items[q].indices.iter()))
        .chain(read_between)
        .filter_map(|&n| iteration(n))
        .max();
    // Iteration `m` of the sum's loop reads iterations up to `m + lead`.
    let mut lead = None;
    for (j, steps) in t.steps.iter().enumerate() {
        // The sum's items are its terms after the first.
        for &n in &items[1 + t.start + j].indices {
            let step = steps.get(&n).copied().unwrap_or(0);
            let last = n as isize + step * (t.count as isize - 1);
            match iteration(n) {
                Some(c) if step == l.period as isize && last < end as isize => {
                    lead = lead.max(Some(c));
                }
                // Read before `l`, in every iteration.
                None if n < begin && last < begin as isize && last >= 0 => {}
                _ => return None,
            }
        }
    }
    let before = lead?.max(needed.map_or(0, |c| c + 1));
    let count = t.count.min(l.count.checked_sub(before)?);
    if count < 2 {
        return None;
    }
    let items = &items[1..];
    let rest_ops = match before + count < l.count {
        true => Some(l.skip(before + count, ops)?),
        false => None,
    };
    let rest_terms = match count < t.count {
        true => Some(t.skip(count, items)?),
        false => None,
    };
    Some(Fused {
        sum: i,
        before: (before > 0).then(|| l.take(before)),
        between,
        prologue,
        ops: l.skip(before, ops)?.take(count),
        terms: t.take(count),
        rest_ops,
        rest_terms,
    })
}

/// A wide node's loops of edges and the loop of nodes the sweep visits
/// right after it, as one loop: each iteration adds one iteration of each
/// loop's edges into their parents' adjoints, then visits one iteration's
/// nodes, which read them. Built only where no adjoint is reached in
/// another order: iteration `k` of a loop of edges may reach an adjoint
/// that iteration `j` of a later part reads or writes only if `k ≤ j`, and
/// the edges after the loops none the fused loop touches.
#[derive(Debug)]
pub(crate) struct FusedSweep<F> {
    /// The wide node.
    pub(crate) node: usize,
    /// How many of its edges' segments come before their loops (`One`s).
    pub(crate) prologue: usize,
    /// The fused loop's parts: each loop of the node's edges, then the
    /// nodes'.
    pub(crate) edges: Vec<Loop<F>>,
    pub(crate) nodes: Loop<F>,
    /// What is left of each loop.
    pub(crate) rest_edges: Vec<Loop<F>>,
    pub(crate) rest_nodes: Option<Loop<F>>,
}

/// The fusions of the reverse pieces' wide nodes with the loops of nodes
/// after them, by the loop's first visit (`nodes`: the visits' items).
pub(crate) fn sweep_fusions<'s, F: Real>(
    pieces: impl Iterator<Item = &'s [Segment<F>]>,
    nodes: &[Item<Vec<u8>, F>],
    plan: &Plan<'_, F>,
) -> HashMap<usize, FusedSweep<F>> {
    let pairs = pieces.flat_map(|segments| segments.windows(2));
    pairs
        .filter_map(|pair| match pair {
            [Segment::One(at), Segment::Loop(n)] => {
                Some((n.start, fuse_sweep(plan.visits[*at], n, nodes, plan)?))
            }
            _ => None,
        })
        .collect()
}

/// Node `v`'s loops of edges (one after the other among its segments)
/// fused with loop `n` of visits.
fn fuse_sweep<F: Real>(
    v: usize,
    n: &Loop<F>,
    nodes: &[Item<Vec<u8>, F>],
    plan: &Plan<'_, F>,
) -> Option<FusedSweep<F>> {
    let segments = plan.wide.get(&v)?;
    let is_loop = |s: &Rolled<F>| matches!(s, Segment::Loop(_));
    let prologue = segments.iter().position(is_loop)?;
    let after = prologue
        + segments[prologue..]
            .iter()
            .take_while(|s| is_loop(s))
            .count();
    if segments[after..].iter().any(is_loop) {
        return None;
    }
    let loops: Vec<&Loop<F>> = (segments[prologue..after].iter())
        .map(|s| match s {
            Segment::Loop(l) => l,
            Segment::One(_) => unreachable!("loops"),
            Segment::Variants(never) => match *never {},
        })
        .collect();
    let count = loops.iter().map(|l| l.count).min()?.min(n.count);
    // Checked edge by edge: a bound on the work.
    let work: usize = loops.iter().map(|l| l.len()).sum::<usize>() * (loops.len() + n.period);
    if count < 2 || work > 1 << 22 {
        return None;
    }
    let edges: Vec<_> = (plan.edges[v].iter())
        .map(|&edge| sweep::edge_item(edge))
        .collect();
    // The adjoints each fused iteration of a part touches, as (place in
    // iteration 0, step): an edge loop's parents, the nodes' own and their
    // parents'.
    let places = |l: &Loop<F>, items: &[Item<Vec<u8>, F>]| -> Vec<(isize, isize)> {
        (0..l.period)
            .flat_map(|j| {
                let item = &items[l.start + j];
                let steps = &l.steps[j];
                (item.indices[..item.distinct].iter())
                    .map(move |&q| (q as isize, steps.get(&q).copied().unwrap_or(0)))
            })
            .collect()
    };
    let parts: Vec<Vec<(isize, isize)>> = (loops.iter().map(|l| places(l, &edges)))
        .chain(Some(places(n, nodes)))
        .collect();
    // The first fused iteration in which part `b` touches adjoint `p`.
    let first_touch = |b: usize, p: isize| {
        (parts[b].iter())
            .filter_map(|&(q, step)| match step {
                0 => (p == q).then_some(0),
                step => {
                    let j = (p - q) / step;
                    ((p - q) % step == 0 && (0..count as isize).contains(&j)).then_some(j as usize)
                }
            })
            .min()
    };
    // Each edge loop's iteration `k` comes before iteration `j` of the parts
    // after it, fused, only where `k <= j` (past `count`, after all of them).
    for (a, l) in loops.iter().enumerate() {
        for &(p, step) in &parts[a] {
            for k in 0..l.count {
                let place = p + step * k as isize;
                let early = (a + 1..parts.len())
                    .filter_map(|b| first_touch(b, place))
                    .min();
                if early.is_some_and(|touch| touch < k) {
                    return None;
                }
            }
        }
    }
    for segment in &segments[after..] {
        let Segment::One(edge) = segment else {
            unreachable!("no loop after")
        };
        let place = edges[*edge].indices[0] as isize;
        if (0..parts.len()).any(|b| first_touch(b, place).is_some()) {
            return None;
        }
    }
    let rest_edges = (loops.iter())
        .filter(|l| count < l.count)
        .map(|l| l.skip(count, &edges))
        .collect::<Option<_>>()?;
    let rest_nodes = match count < n.count {
        true => Some(n.skip(count, nodes)?),
        false => None,
    };
    Some(FusedSweep {
        node: v,
        prologue,
        edges: loops.iter().map(|l| l.take(count)).collect(),
        nodes: n.take(count),
        rest_edges,
        rest_nodes,
    })
}

/// The one loop among `segments`, and where it is; none if there are more.
fn one_loop<F>(segments: &[Rolled<F>]) -> Option<(usize, &Loop<F>)> {
    let mut loops = segments
        .iter()
        .enumerate()
        .filter_map(|(s, segment)| match segment {
            Segment::Loop(l) => Some((s, l)),
            Segment::One(_) => None,
            Segment::Variants(never) => match *never {},
        });
    let found = loops.next()?;
    loops.next().is_none().then_some(found)
}
