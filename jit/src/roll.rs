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
//! the one that saves the most code wins.

use std::collections::HashMap;
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
    pub(crate) constants: Vec<F>,
}

/// How the sequence runs: items one by one, or a loop.
#[derive(Clone, Debug)]
pub(crate) enum Segment<F> {
    One(usize),
    Loop(Loop<F>),
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

/// `items` as segments, in order.
pub(crate) fn roll<S: Eq + Hash, F: Real>(items: &[Item<S, F>], rules: Rules) -> Vec<Segment<F>> {
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
        // Each constant's values, by its bits in iteration 0.
        let mut columns: HashMap<u64, Vec<F>> = HashMap::new();
        for c in 0..item.constants.len() {
            let column: Vec<F> = (0..count)
                .map(|k| items[start + k * period + j].constants[c])
                .collect();
            match columns.get(&bits(column[0])) {
                Some(other) if !same_bits(other, &column) => return None,
                Some(_) => {}
                None => drop(columns.insert(bits(column[0]), column)),
            }
        }
        let varying = columns
            .into_iter()
            .filter(|(_, column)| !column.iter().all(|&v| bits(v) == bits(column[0])))
            .map(|(key, column)| (key, column.into_boxed_slice()));
        tables.push(varying.collect());
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
}
