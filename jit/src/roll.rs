//! Re-rolling: a stretch of a sequence (the ops of the forward pass, the
//! nodes of the sweep) that repeats a body of items, the same but for
//! indices that move by a fixed step each time and constants that may
//! differ, is compiled as one loop over the body instead of straight code
//! as long as the recording. The loop does what the straight code did, in
//! the same order: the bits are the same; the code is a body long, so a
//! large recording runs from the instruction cache and compiles fast.
//!
//! Found by comparing, not by knowing a workload: at each place, the
//! periods to try are the distances to the next items of the same shape;
//! the one that saves the most code wins. Where iterations differ by the
//! branch each took, a loop of variants ([`Variants`]) is cut before each
//! item of a shape every iteration has once, where it covers more than a
//! loop would.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::Hash;

use crate::Real;

/// An item as the roller compares it: what must be the same in every
/// iteration (op kinds, counts, flags), its indices (nodes, inputs,
/// places in a buffer) and its constants.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Item<S, F> {
    pub(crate) shape: S,
    pub(crate) indices: Vec<usize>,
    /// How many of the first indices name places the code keeps track of
    /// by their value in iteration 0: those that differ there must differ
    /// in every iteration (a loop stops before two meet).
    pub(crate) distinct: usize,
    /// Where each index points: a loop of variants moves each space by a
    /// distance of its own.
    pub(crate) spaces: Vec<Space>,
    pub(crate) constants: Vec<F>,
}

/// What an index numbers: the IR's nodes (their values, and their
/// partials two a node), or the sweep's nodes (their adjoints).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Space {
    Ir,
    Sweep,
}

/// How the sequence runs: items one by one, a loop, or a loop of
/// variants (`V`: [`Variants`] for the ops and the nodes of the sweep).
#[derive(Clone, Debug)]
pub(crate) enum Segment<F, V = Variants<F>> {
    One(usize),
    Loop(Loop<F>),
    Variants(V),
}

/// A long sum's terms or a wide node's edges, rolled ([`roll`]): items and
/// loops, never a loop of variants.
pub(crate) type Rolled<F> = Segment<F, Infallible>;

impl<F> Segment<F> {
    /// The segment of the items `by` further on.
    pub(crate) fn shifted(mut self, by: usize) -> Self {
        match &mut self {
            Segment::One(i) => *i += by,
            Segment::Loop(l) => l.start += by,
            Segment::Variants(v) => {
                v.bodies.iter_mut().for_each(|body| body.start += by);
                v.starts.iter_mut().for_each(|at| *at += by);
                v.end += by;
            }
        }
        self
    }
}

/// Items `start..start + period·count`: `count` iterations of the body
/// `start..start + period`. In iteration `k`, a field of body item `j`
/// whose value is `v` in iteration 0 has the value `v + step·k` (an
/// index) or `table[k]` (a constant that is not the same in every
/// iteration); fields of an item with the same value in iteration 0 move
/// alike, so the value names the field.
#[derive(Clone, Debug)]
pub(crate) struct Loop<F> {
    pub(crate) start: usize,
    pub(crate) period: usize,
    pub(crate) count: usize,
    /// Per body item: the step of each index that moves, by its value in
    /// iteration 0 (an index missing here stays put).
    pub(crate) steps: Vec<HashMap<usize, isize>>,
    /// Per body item: each constant that is not the same in every
    /// iteration, by its bits in iteration 0, with its values.
    pub(crate) tables: Vec<HashMap<u64, Box<[F]>>>,
}

impl<F> Loop<F> {
    /// The items it covers.
    pub(crate) fn len(&self) -> usize {
        self.period * self.count
    }

    /// The address of its lowest table, if it has tables: the code reads
    /// every table at an offset from a row the loop moves from there.
    pub(crate) fn first_table(&self) -> Option<usize> {
        (self.tables.iter().flat_map(|tables| tables.values()))
            .map(|table| table.as_ptr() as usize)
            .min()
    }
}

impl<F: Real> Loop<F> {
    /// Its first `count` iterations.
    pub(crate) fn take(&self, count: usize) -> Self {
        Loop {
            count: count.min(self.count),
            ..self.clone()
        }
    }

    /// Its iterations from `k0` on as a loop of their own, each field named
    /// by its value in iteration `k0` (`items`, those it was rolled from,
    /// give them); none if two fields that move differently, or two
    /// constants of which one differs later, have the same value there (a
    /// value names one field).
    pub(crate) fn skip<S>(&self, k0: usize, items: &[Item<S, F>]) -> Option<Self> {
        if k0 >= self.count {
            return None;
        }
        let (mut steps, mut tables) = (Vec::new(), Vec::new());
        for (j, (moving, varying)) in self.steps.iter().zip(&self.tables).enumerate() {
            let (a, b) = (
                &items[self.start + j],
                &items[self.start + k0 * self.period + j],
            );
            let mut by_value: HashMap<usize, isize> = HashMap::new();
            for (&v, &w) in a.indices.iter().zip(&b.indices) {
                let step = moving.get(&v).copied().unwrap_or(0);
                if *by_value.entry(w).or_insert(step) != step {
                    return None;
                }
            }
            by_value.retain(|_, step| *step != 0);
            steps.push(by_value);
            // Each constant's table from `k0` on (none if it is the same in
            // every iteration), by its bits there.
            let mut by_bits: HashMap<u64, Option<&[F]>> = HashMap::new();
            for (&v, &w) in a.constants.iter().zip(&b.constants) {
                let table = varying.get(&bits(v)).map(|t| &t[k0..]);
                let named = by_bits.entry(bits(w)).or_insert(table);
                if named.map(|t| t.as_ptr()) != table.map(|t| t.as_ptr()) {
                    return None;
                }
            }
            let varying = by_bits
                .into_iter()
                .filter_map(|(key, t)| Some((key, t?.into())));
            tables.push(varying.collect());
        }
        Some(Loop {
            start: self.start + k0 * self.period,
            count: self.count - k0,
            steps,
            tables,
            ..self.clone()
        })
    }
}

/// A stretch whose iterations each repeat one of a few bodies: a program
/// that branched one way or the other each time (logistic regression's
/// loss, whose branch follows the sign of each sample's `z`). Iteration
/// `m` is an instance of body `tags[m]`, from item `starts[m]`: a field
/// of step `s` in space `σ` is its body's moved `s` times `σ`'s distance
/// in that iteration; its constants are its body's tables' next entries.
#[derive(Clone, Debug)]
pub(crate) struct Variants<F> {
    /// Each body as a loop over its instances, which other bodies' lie
    /// between: `start` is its first instance, `count` its instances, the
    /// entries of `tables` in the order they run, `steps` in units of
    /// their space's distance.
    pub(crate) bodies: Vec<Loop<F>>,
    pub(crate) tags: Box<[u8]>,
    /// Each space that moves, with its distance in each iteration (from
    /// the first instance of the iteration's body).
    pub(crate) distances: Vec<(Space, Box<[isize]>)>,
    pub(crate) starts: Vec<usize>,
    /// The item after the last iteration.
    pub(crate) end: usize,
}

impl<F> Variants<F> {
    /// The items of code it builds: each body once.
    pub(crate) fn weight(&self) -> usize {
        self.bodies.iter().map(|body| body.period).sum()
    }
}

/// When a repeated stretch becomes a loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    /// Iterations at least.
    pub(crate) count: usize,
    /// Items covered at least.
    pub(crate) items: usize,
    /// The longest body tried.
    pub(crate) period: usize,
}

/// Loops of 4 iterations and 32 items at least, bodies of 256 items at
/// most (a piece of code).
pub(crate) const RULES: Rules = Rules {
    count: 4,
    items: 8,
    period: 256,
};

/// The candidate periods tried at each place, at most.
const CANDIDATES: usize = 128;

/// `items` as segments, in order: loops and items.
pub(crate) fn roll<S: Eq + Hash, F: Real>(items: &[Item<S, F>], rules: Rules) -> Vec<Rolled<F>> {
    roll_with(items, rules, |_, _, _| None)
}

/// `items` as segments, in order: loops, loops of variants where they
/// cover more, and items.
pub(crate) fn roll_variants<S: Eq + Hash, F: Real>(
    items: &[Item<S, F>],
    rules: Rules,
) -> Vec<Segment<F>> {
    roll_with(items, rules, |shapes, next, s| {
        let found = find_variants(items, shapes, next, s, rules)?;
        Some((found.end, found))
    })
}

/// `items` as segments, `variants(shapes, next, s)` the loop of variants
/// from `s` and where it ends, if any (`shapes` numbers each item's shape,
/// `next` is the next item of the same shape).
fn roll_with<S: Eq + Hash, F: Real, V>(
    items: &[Item<S, F>],
    rules: Rules,
    variants: impl Fn(&[u32], &[usize], usize) -> Option<(usize, V)>,
) -> Vec<Segment<F, V>> {
    // Each shape as a number, and where each occurs next.
    let mut numbers: HashMap<&S, u32> = HashMap::new();
    let shapes: Vec<u32> = (items.iter())
        .map(|item| {
            let fresh = numbers.len() as u32;
            *numbers.entry(&item.shape).or_insert(fresh)
        })
        .collect();
    let mut next = vec![usize::MAX; items.len()];
    let mut last = vec![usize::MAX; numbers.len()];
    for (i, &shape) in shapes.iter().enumerate().rev() {
        next[i] = last[shape as usize];
        last[shape as usize] = i;
    }
    let mut segments = Vec::new();
    let mut s = 0;
    while s < items.len() {
        // The period that saves the most: (period, count, steps).
        let mut best: Option<(usize, usize, Vec<Vec<isize>>)> = None;
        let mut q = next[s];
        for _ in 0..CANDIDATES {
            let period = q.wrapping_sub(s);
            if q == usize::MAX || period > rules.period || s + 2 * period > items.len() {
                break;
            }
            let saves = |period: usize, count: usize| period * (count - 1);
            // A multiple of a period that matched runs no further and
            // saves less: not tried (a long run would be scanned again
            // for each).
            let multiple = best.as_ref().is_some_and(|b| period % b.0 == 0);
            if !multiple
                && shapes[s..s + period] == shapes[s + period..s + 2 * period]
                && let Some((count, steps)) = try_period(items, s, period, rules.count)
                && best
                    .as_ref()
                    .is_none_or(|b| saves(period, count) > saves(b.0, b.1))
            {
                best = Some((period, count, steps));
            }
            q = next[q];
        }
        let found = best
            .filter(|&(period, count, _)| count >= rules.count && period * count >= rules.items)
            .and_then(|(period, count, steps)| tabulate(items, s, period, count, steps));
        // A loop of variants branches each iteration and gives up what a
        // loop does (numbers passed between iterations in registers, the
        // fusion with a sum): taken where it covers twice a loop's items.
        let covered = found.as_ref().map_or(0, Loop::len);
        if let Some((end, found)) = variants(&shapes, &next, s)
            && end - s >= 2 * covered.max(1)
        {
            s = end;
            segments.push(Segment::Variants(found));
            continue;
        }
        match found {
            Some(found) => {
                s += found.len();
                segments.push(Segment::Loop(found));
            }
            None => {
                segments.push(Segment::One(s));
                s += 1;
            }
        }
    }
    segments
}

/// How many iterations of body `start..start + period` match there, if
/// `least` at least (and two), and the steps of each body item's indices.
fn try_period<S: Eq, F: Real>(
    items: &[Item<S, F>],
    start: usize,
    period: usize,
    least: usize,
) -> Option<(usize, Vec<Vec<isize>>)> {
    let body = &items[start..start + period];
    let alike = |a: &Item<S, F>, b: &Item<S, F>| {
        a.shape == b.shape
            && a.indices.len() == b.indices.len()
            && a.constants.len() == b.constants.len()
    };
    let second = &items[start + period..start + 2 * period];
    if !body.iter().zip(second).all(|(a, b)| alike(a, b)) {
        return None;
    }
    // Iteration `k`'s indices on the line through the first two: checked
    // up to `least` before anything is built (most candidates fail here).
    let on_line = |k: usize| {
        (0..period).all(|j| {
            let (a, b, c) = (&body[j], &second[j], &items[start + k * period + j]);
            alike(a, c)
                && (a.indices.iter().zip(&b.indices).zip(&c.indices)).all(|((&x, &y), &z)| {
                    z as isize - x as isize == k as isize * (y as isize - x as isize)
                })
        })
    };
    if start + least * period > items.len() || !(2..least).all(on_line) {
        return None;
    }
    let steps: Vec<Vec<isize>> = (body.iter().zip(second))
        .map(|(a, b)| {
            (a.indices.iter().zip(&b.indices))
                .map(|(&x, &y)| y as isize - x as isize)
                .collect()
        })
        .collect();
    // Fields alike in iteration 0 must move alike.
    let named = body.iter().zip(&steps).all(|(item, steps)| {
        let fields = || item.indices.iter().zip(steps);
        match item.indices.len() {
            0..=16 => fields()
                .enumerate()
                .all(|(a, (v, s))| fields().skip(a + 1).all(|(w, t)| v != w || s == t)),
            _ => {
                let mut seen = HashMap::new();
                fields().all(|(v, s)| *seen.entry(v).or_insert(s) == s)
            }
        }
    });
    if !named {
        return None;
    }
    let moved = |k: usize| {
        (0..period).all(|j| {
            let (a, b) = (&body[j], &items[start + k * period + j]);
            alike(a, b)
                && (a.indices.iter().zip(&b.indices).zip(&steps[j]))
                    .all(|((&x, &y), &s)| y as isize == x as isize + s * k as isize)
        })
    };
    let mut count = least.max(2);
    while start + (count + 1) * period <= items.len() && moved(count) {
        count += 1;
    }
    // The iteration where two places kept apart meet: the loop ends before.
    for (item, steps) in body.iter().zip(&steps) {
        let places = &item.indices[..item.distinct];
        for (a, (&x, &s)) in places.iter().zip(steps).enumerate() {
            for (&y, &t) in places[a + 1..].iter().zip(&steps[a + 1..]) {
                let (gap, closing) = (y as isize - x as isize, s - t);
                if gap != 0 && closing != 0 && gap % closing == 0 && gap / closing > 0 {
                    count = count.min((gap / closing) as usize);
                }
            }
        }
    }
    (count >= 2).then_some((count, steps))
}

/// The loop of `count` iterations of body `start..start + period`, its
/// indices moving by `steps`, with the tables of its constants; none if
/// two constants of an item equal in iteration 0 differ later.
fn tabulate<S, F: Real>(
    items: &[Item<S, F>],
    start: usize,
    period: usize,
    count: usize,
    steps: Vec<Vec<isize>>,
) -> Option<Loop<F>> {
    let body = &items[start..start + period];
    let mut tables = Vec::with_capacity(period);
    for (j, item) in body.iter().enumerate() {
        tables.push(tables_of(item.constants.len(), |c| {
            (0..count)
                .map(|k| items[start + k * period + j].constants[c])
                .collect()
        })?);
    }
    let steps = (body.iter().zip(steps))
        .map(|(item, steps)| {
            (item.indices.iter().zip(steps))
                .filter(|(_, s)| *s != 0)
                .map(|(&v, s)| (v, s))
                .collect()
        })
        .collect();
    Some(Loop {
        start,
        period,
        count,
        steps,
        tables,
    })
}

/// The most bodies a loop of variants has.
const BODIES: usize = 4;

/// The places in the first body where the iterations may be cut, at most:
/// an iteration is cut before an item of the same shape as the item this
/// far into the first (a sweep's instances may start with a different
/// node, the branch's last, and share the next).
const OFFSETS: usize = 8;

/// The iterations of one body in a row a loop of variants has, at most: a
/// longer run is a loop's (or one the roller refused), where the loop of
/// variants ends, not scanned to its end from each place of cutting.
const ONE_BODY: usize = 64;

/// The loop of variants from item `s` that covers the most, if any: at
/// least `rules.count` iterations and `rules.items` items, of two bodies
/// or more, each of `rules.count` instances or more, and three (a loop's
/// first and last iterations, a body of their own, are the loop's).
fn find_variants<S: Eq, F: Real>(
    items: &[Item<S, F>],
    shapes: &[u32],
    next: &[usize],
    s: usize,
    rules: Rules,
) -> Option<Variants<F>> {
    let mut best: Option<(usize, Cut)> = None;
    for offset in 0..OFFSETS.min(items.len() - s) {
        let cut = cut_variants(items, shapes, next, (s, offset), rules);
        let Some(&(at, body)) = cut.pieces.last() else {
            continue;
        };
        let end = at + cut.bodies[body].1;
        let instances = instances(&cut.pieces, cut.bodies.len());
        if cut.pieces.len() >= rules.count
            && cut.bodies.len() >= 2
            && instances.iter().all(|&n| n >= rules.count.max(3))
            && end - s >= rules.items
            && best.as_ref().is_none_or(|&(best, _)| end > best)
        {
            best = Some((end, cut));
        }
    }
    let (_, cut) = best?;
    tabulate_variants(items, &cut)
}

/// Iterations as [`cut_variants`] finds them: `(start, body)` each, and
/// each body's first instance, length and motion.
struct Cut {
    pieces: Vec<(usize, usize)>,
    bodies: Vec<(usize, usize, Option<Motion>)>,
}

/// How the fields of a body's instances move from its first: each
/// field's step, in units of its space's distance, and each space's
/// first field that moves (`(space, item, field)`), which tells the
/// distance.
#[derive(Clone, Debug)]
struct Motion {
    steps: Vec<Vec<isize>>,
    units: Vec<(Space, usize, usize)>,
}

/// The iterations from item `s` cut before each item of the shape of item
/// `s + offset`, `offset` items before it. An iteration is an instance of
/// a body if its shapes are the body's and each field moves from the
/// body's first instance by its step times its space's distance; the last
/// may be a body's length of a longer stretch. They end before a run of
/// [`ONE_BODY`] iterations of one body, and before the first instance of
/// a body that has no second.
fn cut_variants<S: Eq, F: Real>(
    items: &[Item<S, F>],
    shapes: &[u32],
    next: &[usize],
    (s, offset): (usize, usize),
    rules: Rules,
) -> Cut {
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut bodies: Vec<(usize, usize, Option<Motion>)> = Vec::new();
    let anchor = shapes[s + offset];
    let (mut at, mut run) = (s, 0);
    while at + offset < items.len() && shapes[at + offset] == anchor {
        if run == ONE_BODY {
            let at = pieces[pieces.len() - run].0;
            pieces.truncate(pieces.len() - run);
            bodies.retain(|&(first, ..)| first < at);
            break;
        }
        let same = |&(b, len, _): &(usize, usize, Option<Motion>)| {
            at + len <= items.len() && shapes[b..b + len] == shapes[at..at + len]
        };
        let (end, exact) = match next[at + offset] {
            // The last: a body's length of what is left.
            usize::MAX => (items.len(), bodies.iter().position(same)),
            n => (n - offset, None),
        };
        let exact =
            exact.or_else(|| (bodies.iter()).position(|body| body.1 == end - at && same(body)));
        let body = match exact {
            Some(b) => b,
            None if bodies.len() < BODIES && (2..=rules.period).contains(&(end - at)) => {
                bodies.push((at, end - at, None));
                bodies.len() - 1
            }
            None => match bodies.iter().position(same) {
                Some(b) => b,
                None => break,
            },
        };
        let (first, len, motion) = &mut bodies[body];
        if at != *first {
            let instance = (&items[*first..*first + *len], &items[at..at + *len]);
            match motion {
                None => match motion_of(instance) {
                    Some(found) => *motion = Some(found),
                    None => break,
                },
                Some(motion) => {
                    if distances(instance, motion).is_none() {
                        break;
                    }
                }
            }
        }
        run = match pieces.last() {
            Some(&(_, last)) if last == body => run + 1,
            _ => 1,
        };
        pieces.push((at, body));
        at += bodies[body].1;
    }
    // Bodies are numbered in the order of their first instances.
    loop {
        let instances = instances(&pieces, bodies.len());
        let Some(p) = pieces.iter().position(|&(_, b)| instances[b] == 1) else {
            break;
        };
        let at = pieces[p].0;
        pieces.truncate(p);
        bodies.retain(|&(first, ..)| first < at);
    }
    Cut { pieces, bodies }
}

/// How many of `pieces` (`(start, body)`) are of each of `bodies` bodies.
fn instances(pieces: &[(usize, usize)], bodies: usize) -> Vec<usize> {
    let mut instances = vec![0; bodies];
    pieces.iter().for_each(|&(_, b)| instances[b] += 1);
    instances
}

/// Whether two items compare: the same shape and as many fields.
fn alike<S: Eq, F>(x: &Item<S, F>, y: &Item<S, F>) -> bool {
    x.shape == y.shape
        && x.indices.len() == y.indices.len()
        && x.spaces == y.spaces
        && x.constants.len() == y.constants.len()
}

/// A body's first instance and another, item by item.
type Instances<'i, S, F> = (&'i [Item<S, F>], &'i [Item<S, F>]);

/// How the fields move from a body's first instance to its second
/// (`(first, second)`): a space's distance is the greatest common divisor
/// of its fields' moves, signed as its first field that moves.
fn motion_of<S: Eq, F>((first, second): Instances<'_, S, F>) -> Option<Motion> {
    if !first.iter().zip(second).all(|(x, y)| alike(x, y)) {
        return None;
    }
    let moves = |j: usize| {
        (first[j].indices.iter().zip(&second[j].indices))
            .map(|(&u, &v)| v as isize - u as isize)
            .collect::<Vec<_>>()
    };
    let moves: Vec<Vec<isize>> = (0..first.len()).map(moves).collect();
    let mut units: Vec<(Space, usize, usize)> = Vec::new();
    let mut divisors: Vec<isize> = Vec::new();
    for (j, item) in moves.iter().enumerate() {
        for (f, &d) in item.iter().enumerate().filter(|&(_, &d)| d != 0) {
            match unit_of(&units, first[j].spaces[f]) {
                Some(u) => divisors[u] = gcd(divisors[u], d),
                None => {
                    units.push((first[j].spaces[f], j, f));
                    divisors.push(d);
                }
            }
        }
    }
    // Signed as the first field that moves.
    for (u, &(_, j, f)) in units.iter().enumerate() {
        divisors[u] = divisors[u].abs() * moves[j][f].signum();
    }
    let steps = (moves.iter().enumerate())
        .map(|(j, item)| {
            (item.iter().enumerate())
                .map(|(f, &d)| unit_of(&units, first[j].spaces[f]).map_or(0, |u| d / divisors[u]))
                .collect()
        })
        .collect();
    Some(Motion { steps, units })
}

/// Which of `units` (`(space, item, field)`) is `space`'s, if it moves.
fn unit_of(units: &[(Space, usize, usize)], space: Space) -> Option<usize> {
    units.iter().position(|&(s, ..)| s == space)
}

fn gcd(a: isize, b: isize) -> isize {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Each moving space's distance from a body's first instance to another
/// (`(first, other)`), if every field moves by its step times it.
fn distances<S: Eq, F>((first, other): Instances<'_, S, F>, motion: &Motion) -> Option<Vec<isize>> {
    if !first.iter().zip(other).all(|(x, y)| alike(x, y)) {
        return None;
    }
    let moved = |j: usize, f: usize| other[j].indices[f] as isize - first[j].indices[f] as isize;
    let mut found = Vec::with_capacity(motion.units.len());
    for &(_, j, f) in &motion.units {
        let (d, step) = (moved(j, f), motion.steps[j][f]);
        if d % step != 0 {
            return None;
        }
        found.push(d / step);
    }
    let unit = |space: Space| unit_of(&motion.units, space).map_or(0, |u| found[u]);
    let fits = (0..first.len()).all(|j| {
        (0..first[j].indices.len())
            .all(|f| moved(j, f) == motion.steps[j][f] * unit(first[j].spaces[f]))
    });
    fits.then_some(found)
}

/// The loop of variants of `cut`'s iterations: each body named by its
/// first instance, its steps, its constants' tables in the order its
/// instances run, each space's distances; none if a field or a constant
/// is not named by its value there, or two places kept apart meet.
fn tabulate_variants<S: Eq, F: Real>(
    items: &[Item<S, F>],
    Cut { pieces, bodies }: &Cut,
) -> Option<Variants<F>> {
    let mut loops = Vec::with_capacity(bodies.len());
    let mut spaces: Vec<Space> = Vec::new();
    for (b, (base, period, motion)) in bodies.iter().enumerate() {
        let (base, period) = (*base, *period);
        let motion = motion.as_ref()?;
        let instances: Vec<usize> = (pieces.iter())
            .filter(|&&(_, body)| body == b)
            .map(|&(at, _)| at)
            .collect();
        for &(space, ..) in &motion.units {
            if !spaces.contains(&space) {
                spaces.push(space);
            }
        }
        let (mut steps, mut tables) = (Vec::with_capacity(period), Vec::with_capacity(period));
        for j in 0..period {
            let item = &items[base + j];
            // Each field's step, by its value: one a value.
            let mut by_value: HashMap<usize, isize> = HashMap::new();
            for (&v, &step) in item.indices.iter().zip(&motion.steps[j]) {
                if *by_value.entry(v).or_insert(step) != step {
                    return None;
                }
            }
            // Places kept apart stay apart, and the same stay the same.
            let pattern = |it: &Item<S, F>| -> Vec<usize> {
                let mut firsts: HashMap<usize, usize> = HashMap::new();
                (it.indices[..it.distinct].iter().enumerate())
                    .map(|(p, &v)| *firsts.entry(v).or_insert(p))
                    .collect()
            };
            if item.distinct > 1 {
                let own = pattern(item);
                if instances.iter().any(|&at| pattern(&items[at + j]) != own) {
                    return None;
                }
            }
            by_value.retain(|_, step| *step != 0);
            steps.push(by_value);
            tables.push(tables_of(item.constants.len(), |c| {
                instances
                    .iter()
                    .map(|&at| items[at + j].constants[c])
                    .collect()
            })?);
        }
        loops.push(Loop {
            start: base,
            period,
            count: instances.len(),
            steps,
            tables,
        });
    }
    // Each space's distance in each iteration (0 where its body's do not
    // move it).
    let mut columns: Vec<(Space, Vec<isize>)> =
        spaces.iter().map(|&space| (space, Vec::new())).collect();
    for &(at, b) in pieces.iter() {
        let (first, len, motion) = &bodies[b];
        let instance = (&items[*first..*first + *len], &items[at..at + *len]);
        let motion = motion.as_ref()?;
        let found = distances(instance, motion)?;
        for (space, column) in &mut columns {
            column.push(unit_of(&motion.units, *space).map_or(0, |u| found[u]));
        }
    }
    let (last, body) = *pieces.last()?;
    Some(Variants {
        tags: pieces.iter().map(|&(_, b)| b as u8).collect(),
        distances: (columns.into_iter())
            .map(|(space, column)| (space, column.into_boxed_slice()))
            .collect(),
        starts: pieces.iter().map(|&(at, _)| at).collect(),
        end: last + loops[body].period,
        bodies: loops,
    })
}

/// The tables of an item's `count` constants, each's column given by
/// `column(c)`: keyed by its bits in the first, none where it is the same
/// in every iteration; none at all if two constants of the same bits there
/// differ later.
fn tables_of<F: Real>(
    count: usize,
    column: impl Fn(usize) -> Vec<F>,
) -> Option<HashMap<u64, Box<[F]>>> {
    let mut columns: HashMap<u64, Vec<F>> = HashMap::new();
    for c in 0..count {
        let column = column(c);
        match columns.get(&bits(column[0])) {
            Some(other) if !same_bits(other, &column) => return None,
            Some(_) => {}
            None => drop(columns.insert(bits(column[0]), column)),
        }
    }
    let varying = (columns.into_iter())
        .filter(|(_, column)| !column.iter().all(|&v| bits(v) == bits(column[0])))
        .map(|(key, column)| (key, column.into_boxed_slice()));
    Some(varying.collect())
}

/// A constant's bits, the key of its column.
pub(crate) fn bits<F: Real>(value: F) -> u64 {
    value.to_f64().expect("f32 and f64 convert").to_bits()
}

fn same_bits<F: Real>(a: &[F], b: &[F]) -> bool {
    a.iter().zip(b).all(|(&x, &y)| bits(x) == bits(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(shape: u32, indices: &[usize], constants: &[f64]) -> Item<u32, f64> {
        Item {
            shape,
            spaces: vec![Space::Ir; indices.len()],
            indices: indices.to_vec(),
            distinct: indices.len(),
            constants: constants.to_vec(),
        }
    }

    const RULES: Rules = Rules {
        count: 2,
        items: 2,
        period: 64,
    };

    #[test]
    fn a_repeated_body_with_moving_indices_is_one_loop() {
        // Rosenbrock's body: x[k]·x[k], x[k+1] − that, 1 − x[k].
        let mut items = vec![item(9, &[], &[])];
        for k in 0..10 {
            let at = 100 + 3 * k;
            items.push(item(1, &[k, k], &[]));
            items.push(item(2, &[k + 1, at], &[]));
            items.push(item(3, &[k], &[1.0]));
        }
        items.push(item(9, &[], &[]));
        let segments = roll(&items, RULES);
        assert_eq!(segments.len(), 3);
        let Segment::Loop(l) = &segments[1] else {
            panic!("a loop")
        };
        assert_eq!((l.start, l.period, l.count), (1, 3, 10));
        assert_eq!(l.steps[1][&1], 1);
        assert_eq!(l.steps[1][&100], 3);
        assert!(l.tables[2].is_empty(), "1 is the same in every iteration");
    }

    /// Whether `l` says what `items` hold: each field of iteration `k`
    /// is its value in iteration 0 moved `k` steps, each constant the
    /// same or its table's entry `k`.
    fn describes(l: &Loop<f64>, items: &[Item<u32, f64>]) -> bool {
        (0..l.count).all(|k| {
            (0..l.period).all(|j| {
                let (base, item) = (&items[l.start + j], &items[l.start + k * l.period + j]);
                let fields = base.indices.iter().zip(&item.indices);
                let constants = base.constants.iter().zip(&item.constants);
                fields.into_iter().all(|(&v, &w)| {
                    w as isize == v as isize + l.steps[j].get(&v).unwrap_or(&0) * k as isize
                }) && constants
                    .into_iter()
                    .all(|(&c, &d)| l.tables[j].get(&bits(c)).map_or(c, |t| t[k]) == d)
            })
        })
    }

    #[test]
    fn a_loop_from_any_iteration_on_holds_its_items() {
        // A body of a moving and a fixed index, a constant that changes
        // and one that does not.
        let items: Vec<_> = (0..8)
            .flat_map(|k| {
                [
                    item(1, &[2 * k, 40], &[k as f64, 0.5]),
                    item(2, &[2 * k + 1], &[]),
                ]
            })
            .collect();
        let Segment::Loop(l) = &roll(&items, RULES)[0] else {
            panic!("a loop")
        };
        assert!(describes(l, &items));
        for k0 in 0..l.count {
            let rest = l.skip(k0, &items).expect("fields stay apart");
            assert_eq!((rest.start, rest.count), (2 * k0, l.count - k0));
            assert!(describes(&rest, &items), "from iteration {k0}");
            assert!(describes(&rest.take(3), &items));
            assert_eq!(rest.take(3).count, 3.min(rest.count));
        }
        assert!(l.skip(l.count, &items).is_none(), "no iteration left");
    }

    #[test]
    fn a_loop_from_where_two_fields_meet_is_none() {
        // Fields k and 4 (fixed, no places kept apart) meet at k = 4;
        // constants k and 2 at k = 2.
        let fields = |k| Item {
            distinct: 0,
            ..item(1, &[k, 4], &[])
        };
        let items: Vec<_> = (0..8).map(fields).collect();
        let Segment::Loop(l) = &roll(&items, RULES)[0] else {
            panic!("a loop")
        };
        assert_eq!(l.count, 8);
        assert!(l.skip(3, &items).is_some());
        assert!(l.skip(4, &items).is_none());
        let items: Vec<_> = (0..8).map(|k| item(1, &[], &[k as f64, 2.0])).collect();
        let Segment::Loop(l) = &roll(&items, RULES)[0] else {
            panic!("a loop")
        };
        assert_eq!(l.count, 8);
        assert!(l.skip(1, &items).is_some());
        assert!(l.skip(2, &items).is_none());
    }

    #[test]
    fn constants_that_differ_get_a_table() {
        let items: Vec<_> = (0..5).map(|k| item(1, &[7], &[k as f64])).collect();
        let Segment::Loop(l) = &roll(&items, RULES)[0] else {
            panic!("a loop")
        };
        assert_eq!(*l.tables[0][&bits(0.0)], [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert!(l.steps[0].is_empty(), "node 7 stays put");
    }

    #[test]
    fn fields_equal_in_the_first_iteration_that_move_apart_are_no_loop() {
        // x[0]·x[k]: both 0 at first, one stays and one moves.
        let items: Vec<_> = (0..5).map(|k| item(1, &[0, k], &[])).collect();
        assert!(matches!(roll(&items, RULES)[0], Segment::One(0)));
        let items: Vec<_> = (0..5)
            .map(|k| item(1, &[], &[1.0, k as f64 + 1.0]))
            .collect();
        assert!(matches!(roll(&items, RULES)[0], Segment::One(0)));
    }

    #[test]
    fn indices_that_do_not_move_by_a_step_end_the_loop() {
        let at = [0, 1, 2, 3, 10, 11];
        let items: Vec<_> = at.iter().map(|&k| item(1, &[k], &[])).collect();
        let segments = roll(&items, RULES);
        let Segment::Loop(l) = &segments[0] else {
            panic!("a loop")
        };
        assert_eq!((l.period, l.count), (1, 4));
        assert!(matches!(&segments[1], Segment::Loop(l) if l.start == 4));
    }

    #[test]
    fn a_loop_ends_before_two_places_kept_apart_meet() {
        // Places k and 6 − k, apart until k = 3.
        let items: Vec<_> = (0..6).map(|k| item(1, &[k, 6 - k], &[])).collect();
        let Segment::Loop(l) = &roll(&items, RULES)[0] else {
            panic!("a loop")
        };
        assert_eq!(l.count, 3);
    }

    #[test]
    fn the_period_that_saves_most_wins() {
        // Two points of three neurons each: period 2 inside a point, 7 over
        // points.
        let mut items = Vec::new();
        for p in 0..4 {
            for n in 0..3 {
                items.push(item(1, &[n, 100 + p], &[]));
                items.push(item(2, &[7 * p + 2 * n], &[]));
            }
            items.push(item(3, &[7 * p], &[]));
        }
        let Segment::Loop(l) = &roll(&items, RULES)[0] else {
            panic!("a loop")
        };
        assert_eq!((l.period, l.count), (7, 4));
    }

    /// Iterations of body 0 (three items) and body 1 (two) in `pattern`'s
    /// order, between items of their own: both start with an item of
    /// the same shape (what the branch is taken on), then go their ways.
    /// An item's first field is its node, the second a fixed one (a
    /// parameter), its constant the iteration's.
    fn branching(pattern: &[usize]) -> Vec<Item<u32, f64>> {
        let mut items = vec![item(9, &[0], &[])];
        let mut node = 1;
        for (k, &body) in pattern.iter().enumerate() {
            let shapes: &[u32] = if body == 0 { &[1, 2, 3] } else { &[1, 5] };
            for (j, &shape) in shapes.iter().enumerate() {
                items.push(item(shape, &[node, 100 + j], &[k as f64, 0.5]));
                node += 1;
            }
        }
        items.push(item(9, &[0], &[]));
        items
    }

    #[test]
    fn iterations_of_two_bodies_in_any_order_are_one_loop_of_variants() {
        let pattern = [0, 1, 1, 0, 1, 0, 0, 1, 0];
        let items = branching(&pattern);
        for segments in [
            roll_variants(&items, RULES),
            roll_variants(&items, super::RULES),
        ] {
            assert_eq!(segments.len(), 3, "{segments:?}");
            let Segment::Variants(v) = &segments[1] else {
                panic!("a loop of variants: {segments:?}")
            };
            let tags: Vec<usize> = v.tags.iter().map(|&t| usize::from(t)).collect();
            assert_eq!(tags, pattern);
            assert_eq!((v.starts[0], v.end), (1, items.len() - 1));
            assert!(describes_variants(v, &items));
            let [a, b] = &v.bodies[..] else {
                panic!("two bodies")
            };
            assert_eq!((a.start, a.period, a.count), (1, 3, 5));
            assert_eq!((b.start, b.period, b.count), (4, 2, 4));
            assert_eq!(a.steps[0][&1], 1, "the node moves with the distance");
            assert!(!a.steps[0].contains_key(&100), "the parameter stays");
            // Each body's table, in the order its instances run.
            assert_eq!(*a.tables[1][&bits(0.0)], [0.0, 3.0, 5.0, 6.0, 8.0]);
            assert_eq!(*b.tables[1][&bits(1.0)], [1.0, 2.0, 4.0, 7.0]);
            assert!(!a.tables[1].contains_key(&bits(0.5)), "the same every time");
            // Each iteration's distance from its body's first instance.
            let [(Space::Ir, distances)] = &v.distances[..] else {
                panic!("the IR's nodes move")
            };
            let starts: Vec<isize> = (v.starts.iter())
                .map(|&at| items[at].indices[0] as isize)
                .collect();
            for (m, &tag) in tags.iter().enumerate() {
                let first = items[v.bodies[tag].start].indices[0] as isize;
                assert_eq!(distances[m], starts[m] - first, "iteration {m}");
            }
        }
        // One body alone is a loop's, not one of variants.
        assert!(
            (roll_variants(&branching(&[0; 6]), RULES).iter())
                .all(|segment| !matches!(segment, Segment::Variants(_)))
        );
    }

    #[test]
    fn a_long_run_of_one_body_is_a_loop_after_the_loop_of_variants() {
        // Nine iterations of two bodies, then seventy of a third.
        let mut pattern = vec![0, 1, 1, 0, 1, 0, 0, 1, 0];
        pattern.extend([2; 70]);
        let mut items = vec![item(9, &[0], &[])];
        let mut node = 1;
        for (k, &body) in pattern.iter().enumerate() {
            let shapes: &[u32] = [&[1, 2, 3][..], &[1, 5], &[1, 6]][body];
            for (j, &shape) in shapes.iter().enumerate() {
                items.push(item(shape, &[node, 100 + j], &[k as f64, 0.5]));
                node += 1;
            }
        }
        let segments = roll_variants(&items, RULES);
        let [Segment::One(0), Segment::Variants(v), Segment::Loop(l), ..] = &segments[..] else {
            panic!("a loop of variants, then a loop: {segments:?}")
        };
        assert_eq!(v.tags.len(), 9);
        assert_eq!(v.bodies.len(), 2);
        assert!(describes_variants(v, &items));
        assert_eq!((l.start, l.period), (v.end, 2));
    }

    #[test]
    fn a_body_met_once_ends_the_loop_of_variants() {
        // A third body (the shared item and another) once, then more of
        // the first two: the loop ends before it.
        let mut items = branching(&[0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0]);
        let end = items.len() - 1;
        items.pop();
        for (node, shape) in (items.len()..).zip([1, 8, 1, 2, 3, 1, 5]) {
            items.push(item(shape, &[node, 100], &[7.0, 0.5]));
        }
        let segments = roll_variants(&items, RULES);
        let Segment::Variants(v) = &segments[1] else {
            panic!("a loop of variants: {segments:?}")
        };
        assert_eq!(v.end, end, "{segments:?}");
        assert_eq!(v.bodies.len(), 2);
        assert!(describes_variants(v, &items));
    }

    /// Whether `v` says what `items` hold: each iteration's fields are
    /// its body's moved by their steps times their spaces' distances, its
    /// constants the same or its body's tables' next entries.
    fn describes_variants(v: &Variants<f64>, items: &[Item<u32, f64>]) -> bool {
        let mut ordinals = vec![0; v.bodies.len()];
        (v.tags.iter().enumerate()).all(|(m, &tag)| {
            let body = &v.bodies[usize::from(tag)];
            let ordinal = ordinals[usize::from(tag)];
            ordinals[usize::from(tag)] += 1;
            (0..body.period).all(|j| {
                let (base, item) = (&items[body.start + j], &items[v.starts[m] + j]);
                let distance = |space: Space| {
                    (v.distances.iter())
                        .find(|&&(s, _)| s == space)
                        .map_or(0, |(_, d)| d[m])
                };
                let fields = (base.indices.iter().zip(&base.spaces)).zip(&item.indices);
                let constants = base.constants.iter().zip(&item.constants);
                fields.into_iter().all(|((&u, &space), &w)| {
                    let step = body.steps[j].get(&u).copied().unwrap_or(0);
                    w as isize == u as isize + step * distance(space)
                }) && constants
                    .into_iter()
                    .all(|(&c, &d)| body.tables[j].get(&bits(c)).map_or(c, |t| t[ordinal]) == d)
            })
        })
    }

    #[test]
    fn each_space_moves_by_a_distance_of_its_own() {
        // Each iteration reads input k (a window moving one a time) and
        // its own nodes (moving a body's length).
        let pattern = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0];
        let mut items = vec![item(9, &[0], &[])];
        let mut node = 1;
        for (k, &body) in pattern.iter().enumerate() {
            for j in 0..2 + body {
                let shape = if j == 0 {
                    1
                } else {
                    1 + body as u32 * 10 + j as u32
                };
                items.push(item(shape, &[node, k], &[k as f64]));
                node += 1;
            }
        }
        // In one space, the two motions fit one distance only by chance:
        // what is found is exact.
        for segment in roll_variants(&items, RULES) {
            if let Segment::Variants(v) = segment {
                assert!(describes_variants(&v, &items), "{v:?}");
            }
        }
        // In spaces of their own, each moves by its own distance: one loop
        // of variants over every iteration.
        for item in &mut items {
            item.spaces = [Space::Sweep, Space::Ir][..item.indices.len()].to_vec();
        }
        let segments = roll_variants(&items, RULES);
        let [Segment::One(0), Segment::Variants(v)] = &segments[..] else {
            panic!("a loop of variants: {segments:?}")
        };
        assert!(describes_variants(v, &items));
        assert_eq!(v.tags.len(), pattern.len());
        let spaces: Vec<Space> = v.distances.iter().map(|&(space, _)| space).collect();
        assert_eq!(spaces, [Space::Sweep, Space::Ir]);
    }
}
