//! Binomial checkpointing's numbers: how many steps a number of snapshots
//! reverses, the fewest steps run forward, and where the first snapshot
//! goes.

/// `C(s + r, s)`, saturating: the most steps `s` snapshots reverse with
/// each step run again at most `r` times.
fn beta(s: u64, r: u64) -> u64 {
    let mut b: u128 = 1;
    for i in 1..=u128::from(s) {
        // C(r + i, i) from C(r + i − 1, i − 1): an integer at each step.
        b = b * (u128::from(r) + i) / i;
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
}
