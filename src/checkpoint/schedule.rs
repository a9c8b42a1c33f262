//! Binomial checkpointing's numbers: how many steps a number of snapshots
//! reverses, the fewest steps run forward, and where the first snapshot
//! goes.

/// `C(s + r, s)`, saturating: the most steps `s` snapshots reverse with
/// each step run again at most `r` times.
fn beta(s: u64, r: u64) -> u64 {
    // C(n + k, k) over the smaller k: the schedule asks for it at every
    // split, with s in the thousands and r a few.
    let (n, k) = (u128::from(s.max(r)), u128::from(s.min(r)));
    let mut b: u128 = 1;
    for i in 1..=k {
        // C(n + i, i) from C(n + i − 1, i − 1): an integer at each step,
        // and b < 2⁶⁴ before it, so the product fits.
        b = b * (n + i) / i;
        if b > u128::from(u64::MAX) {
            return u64::MAX;
        }
    }
    b as u64
}

/// The least `r` with `C(s + r, s) ≥ l`.
fn repetitions(l: u64, s: u64) -> u64 {
    let mut r = 0;
    while beta(s, r) < l {
        r += 1;
    }
    r
}

/// The fewest steps run forward to reverse `l` steps with `s ≥ 1`
/// snapshots (the initial state's included), besides the `l` steps
/// differentiated: `r·l − C(s + r, s + 1)`.
pub fn optimum(l: u64, s: u64) -> u64 {
    assert!(s >= 1, "at least one snapshot: the initial state's");
    match repetitions(l, s) {
        0 => 0,
        r => r * l - beta(s + 1, r - 1),
    }
}

/// Where the first snapshot goes, from the start, when `l ≥ 2` steps are
/// reversed with `s ≥ 2` snapshots: a split with the fewest steps run
/// forward (checked against all splits by a search in the tests).
pub(super) fn split(l: u64, s: u64) -> u64 {
    let r = repetitions(l, s);
    let m = beta(s, r - 1).min(l - beta(s - 1, r - 1).min(l));
    m.clamp(1, l - 1)
}

/// Where an online schedule keeps snapshots while the number of steps is
/// unknown: revolve's layout for `C(s + r, s)` steps, the most `s`
/// snapshots reverse with `r` repetitions, with `r` raised (and every
/// snapshot but the initial state's dropped) each time the loop outgrows
/// it. The layout's first snapshot falls on the step where it is raised,
/// so no step is run twice in the forward pass; the reverse pass then
/// reverses each segment binomially.
#[derive(Clone, Copy, Debug)]
pub(super) struct Online {
    s: u64,
    r: u64,
    /// `C(s + r, s)`: the steps the layout covers.
    capacity: u64,
    /// The step of the next snapshot, and the snapshots held.
    next: u64,
    held: u64,
}

impl Online {
    pub(super) fn new(s: u64) -> Self {
        assert!(s >= 1, "at least one snapshot: the initial state's");
        Online {
            s,
            r: 0,
            capacity: 1,
            next: u64::MAX,
            held: 1,
        }
    }

    /// Before step `i` is run: `Some(k)` to keep the state as snapshot `k`
    /// (the snapshots from `k` on dropped), `None` to keep nothing.
    pub(super) fn before(&mut self, i: u64) -> Option<usize> {
        if i == self.capacity {
            self.r += 1;
            self.capacity = beta(self.s, self.r);
            (self.held, self.next) = (1, i);
        }
        if self.held == self.s || i != self.next {
            return None;
        }
        // Snapshot k is followed by `C(s − k + r − 1, s − k)` steps, the
        // most its segment's `s − k` snapshots reverse with `r − 1` repetitions.
        self.next = i + beta(self.s - self.held, self.r - 1);
        self.held += 1;
        Some(self.held as usize - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fewest steps run forward to reverse `l` steps with `free`
    /// snapshots besides the initial state's, over every split.
    fn search(l: usize, free: usize, memo: &mut Vec<Vec<Option<u64>>>) -> u64 {
        if l <= 1 {
            return 0;
        }
        if free == 0 {
            return (l * (l - 1) / 2) as u64;
        }
        if let Some(best) = memo[l][free] {
            return best;
        }
        let best = (1..l)
            .map(|m| m as u64 + search(l - m, free - 1, memo) + search(m, free, memo))
            .min()
            .expect("a split");
        memo[l][free] = Some(best);
        best
    }

    #[test]
    fn the_split_runs_the_fewest_steps_and_the_optimum_is_revolves() {
        let mut memo = vec![vec![None; 8]; 300];
        for free in 0..8 {
            for l in 1..300 {
                let best = search(l, free, &mut memo);
                assert_eq!(
                    optimum(l as u64, free as u64 + 1),
                    best,
                    "l = {l}, free = {free}"
                );
                if free > 0 && l > 1 {
                    let m = split(l as u64, free as u64 + 1) as usize;
                    let ours =
                        m as u64 + search(l - m, free - 1, &mut memo) + search(m, free, &mut memo);
                    assert_eq!(ours, best, "l = {l}, free = {free}, split {m}");
                }
            }
        }
    }

    #[test]
    fn binomials_at_their_edges() {
        assert_eq!(beta(0, 7), 1);
        assert_eq!(beta(7, 0), 1);
        assert_eq!(beta(2, 3), 10);
        assert_eq!(beta(40, 40), u64::MAX); // C(80, 40) ≈ 1.1·10²³
        assert_eq!(repetitions(1, 1), 0);
        assert_eq!(repetitions(10_000_000, 40), 7);
        assert_eq!(optimum(10_000_000, 40), 59_262_427);
        assert_eq!(optimum(1, 1), 0);
        assert_eq!(optimum(4, 1), 6); // one snapshot: 0 + 1 + 2 + 3
    }

    /// The steps an online run of `l` steps with `s` snapshots runs
    /// forward: all `l` once, then each segment between the snapshots kept
    /// reversed binomially with the snapshots the segments before it leave.
    fn online_cost(l: u64, s: u64) -> (u64, usize) {
        let (mut online, mut kept, mut most) = (Online::new(s), vec![0], 1);
        for i in 0..l {
            if let Some(k) = online.before(i) {
                kept.truncate(k);
                kept.push(i);
                most = most.max(kept.len());
            }
        }
        let (mut cost, mut end) = (l, l);
        while let Some(a) = kept.pop() {
            cost += optimum(end - a, s - kept.len() as u64);
            end = a;
        }
        (cost, most)
    }

    #[test]
    fn the_online_schedule_runs_fewer_steps_than_counting_first() {
        for s in 1..9 {
            for l in 0..400 {
                let (cost, most) = online_cost(l, s);
                let best = optimum(l, s);
                assert!(most as u64 <= s, "l = {l}, s = {s}: {most} snapshots");
                assert!(best <= cost && cost <= best + l, "l = {l}, s = {s}");
            }
        }
        // At loops of the module's table: at most 11 % above revolve's optimum.
        for (l, s) in [(100_000, 10), (1_000_000, 20), (100_000, 100)] {
            let (cost, best) = (online_cost(l, s).0, optimum(l, s));
            assert!(
                cost * 100 <= best * 111,
                "l = {l}, s = {s}: {cost} against {best}"
            );
        }
    }
}
