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

use std::collections::HashMap;

use tapegrad::replay::ir::Op;

use crate::Real;
use crate::emit::Plan;
use crate::forward::{Shape, term_item};
use crate::roll::{Item, Loop, Segment};

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
pub(crate) fn sum_after<F>(
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
            Segment::Loop(l) if (l.start..l.start + l.period).all(|i| plan.inlined[i + 1]) => {}
            Segment::Loop(_) => return None,
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
    let mut loops = segments
        .iter()
        .enumerate()
        .filter_map(|(s, segment)| match segment {
            Segment::Loop(t) => Some((s, t)),
            Segment::One(_) => None,
        });
    let (prologue, t) = loops.next()?;
    if loops.next().is_some() {
        return None;
    }
    // The iteration of `l` that computes node `n`, if one does.
    let (begin, end) = (l.start + 1, l.start + 1 + l.len());
    let iteration = |n: usize| (begin..end).contains(&n).then(|| (n - begin) / l.period);
    // The terms before the sum's loop need these iterations done.
    let before_loop = Some(0)
        .into_iter()
        .chain(segments[..prologue].iter().map(|s| match s {
            Segment::One(k) => 1 + k,
            Segment::Loop(_) => unreachable!("one loop"),
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
