//! Colorings of a sparsity pattern's graph, a vertex a column: distance-2
//! for a Jacobian's columns, star for a Hessian's (in smallest-last order),
//! and the lists of indices both read.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Columns share a color when no row has an entry in two of them: each
/// entry is then read directly from its column's product.
pub(super) fn distance_two_coloring(by_row: &Lists, by_column: &Lists) -> Vec<usize> {
    let mut color = vec![usize::MAX; by_column.len()];
    let mut taken = Vec::new();
    for j in 0..by_column.len() {
        taken.clear();
        for &i in by_column.of(j) {
            taken.extend(
                by_row
                    .of(i)
                    .iter()
                    .map(|&k| color[k])
                    .filter(|&c| c != usize::MAX),
            );
        }
        color[j] = (0..).find(|c| !taken.contains(c)).expect("a free color");
    }
    color
}

/// The vertices of a graph in smallest-last order (Matula and Beck, 1983):
/// a vertex of the smallest degree is taken out, again and again, and the
/// order is the reverse of the taking. A vertex many others hang on (an
/// arrow's shared variable) comes first, however the variables are
/// numbered. The vertices of each degree are a doubly linked list in two
/// arrays, so the order takes time linear in the edges.
fn smallest_last(graph: &Lists) -> Vec<usize> {
    let n = graph.len();
    let mut degree: Vec<usize> = (0..n).map(|v| graph.neighbours(v).count()).collect();
    let mut buckets = Buckets::new(n, degree.iter().max().map_or(0, |&d| d + 1));
    (0..n).rev().for_each(|v| buckets.put(v, degree[v]));
    let (mut taken, mut order, mut low) = (vec![false; n], Vec::with_capacity(n), 0);
    while order.len() < n {
        while buckets.head[low] == Buckets::END {
            low += 1;
        }
        let v = buckets.head[low];
        buckets.take(v, low);
        taken[v] = true;
        order.push(v);
        for w in graph.neighbours(v).filter(|&w| !taken[w]) {
            buckets.take(w, degree[w]);
            degree[w] -= 1;
            buckets.put(w, degree[w]);
            low = low.min(degree[w]);
        }
    }
    order.reverse();
    order
}

/// The vertices of each degree, a doubly linked list in two arrays.
struct Buckets {
    head: Vec<usize>,
    next: Vec<usize>,
    prev: Vec<usize>,
}

impl Buckets {
    const END: usize = usize::MAX;

    fn new(vertices: usize, degrees: usize) -> Self {
        let end = vec![Self::END; vertices];
        Buckets {
            head: vec![Self::END; degrees],
            next: end.clone(),
            prev: end,
        }
    }

    /// Puts `v` first in the list of degree `d`.
    fn put(&mut self, v: usize, d: usize) {
        (self.next[v], self.prev[v]) = (self.head[d], Self::END);
        if self.head[d] != Self::END {
            self.prev[self.head[d]] = v;
        }
        self.head[d] = v;
    }

    /// Takes `v` out of the list of degree `d`.
    fn take(&mut self, v: usize, d: usize) {
        let (next, prev) = (self.next[v], self.prev[v]);
        match prev {
            Self::END => self.head[d] = next,
            p => self.next[p] = next,
        }
        if next != Self::END {
            self.prev[next] = prev;
        }
    }
}

/// A star coloring of a symmetric pattern's graph (a vertex a column, its
/// rows the neighbours, the diagonal aside): neighbours differ, and every
/// path of four vertices has three colors; then each off-diagonal entry is
/// alone in its color in its row or in its column. The greedy algorithm
/// that keeps the two-colored stars it has made (Gebremedhin, Tarafdar,
/// Manne and Pothen, 2007, Algorithm 4.1), in smallest-last order. Where a
/// vertex is a spoke of a star, the star's hub is kept beside it, so that
/// coloring a vertex never scans a hub's whole neighbourhood.
pub(super) fn star_coloring(graph: &Lists) -> Vec<usize> {
    const NONE: usize = usize::MAX;
    // A vertex of at most this many neighbours is scanned for one of a
    // color; one of more keeps them in a map.
    const SCAN: usize = 16;
    let n = graph.len();
    let mut color = vec![NONE; n];
    // Per color: the vertex being colored that last forbade it; the first
    // neighbour of it that vertex met, and that edge's place.
    let mut forbidden = vec![NONE; n + 1];
    let mut first = vec![(NONE, NONE, NONE); n + 1];
    let mut treated = vec![NONE; n];
    // Each edge's star (at both of its places in the lists), each star's
    // hub once it has three vertices, each vertex's hubs (of the stars it
    // is a spoke of), and, for a vertex of many neighbours, one of each
    // color with its edge's place.
    let twin = graph.twins();
    let mut star = vec![NONE; twin.len()];
    let mut hub: Vec<Option<usize>> = Vec::new();
    let mut hubs = Chained::new(n);
    let (mut of_color, mut last_color) = (Pairs::default(), vec![NONE; n]);
    let key = |w: usize, c: usize| (c as u64) << 32 | w as u64;
    let many = |w: usize| graph.of(w).len() > SCAN;
    for v in smallest_last(graph) {
        for (at, w) in graph.neighbours_at(v).filter(|&(_, w)| color[w] != NONE) {
            forbidden[color[w]] = v;
            let (p, q, _) = first[color[w]];
            if p == v {
                // Two neighbours of one color: theirs are forbidden too.
                for u in [q, w] {
                    if treated[u] != v {
                        for x in graph.neighbours(u).filter(|x| color[*x] != NONE) {
                            forbidden[color[x]] = v;
                        }
                        treated[u] = v;
                    }
                }
            } else {
                first[color[w]] = (v, w, at);
                // The color of a hub `w` is a spoke of would make a
                // two-colored path of four.
                for x in hubs.of(w).filter(|&x| x != v) {
                    forbidden[color[x]] = v;
                }
            }
        }
        let c = (0..).find(|&c| forbidden[c] != v).expect("a free color");
        color[v] = c;
        // The stars `v` joins: `w`'s, if `w` has another neighbour of
        // `v`'s color (then `w` is their hub); `v`'s own, if `v` has another
        // neighbour of `w`'s color; else a star of the edge alone.
        for (at, w) in graph.neighbours_at(v).filter(|&(_, w)| color[w] != NONE) {
            let other = match many(w) {
                true => of_color.get(&key(w, c)).copied(),
                false => graph
                    .neighbours_at(w)
                    .find(|&(_, x)| x != v && color[x] == c)
                    .map(|(place, x)| (x, twin[place])),
            };
            let (p, q, q_at) = first[color[w]];
            // The star joined (by an edge's place), its hub and the spoke it had.
            let joined = match other {
                Some((x, x_at)) => Some((star[x_at], w, x)),
                None if p == v && q != w => Some((star[q_at], v, q)),
                None => None,
            };
            let s = match joined {
                Some((s, center, spoke)) => {
                    if hub[s].is_none() {
                        hub[s] = Some(center);
                        hubs.push(spoke, center);
                    }
                    hubs.push(if center == w { v } else { w }, center);
                    s
                }
                None => {
                    hub.push(None);
                    hub.len() - 1
                }
            };
            (star[at], star[twin[at]]) = (s, s);
        }
        for (at, w) in graph.neighbours_at(v) {
            // A hub's neighbours of one color in a row need one entry.
            if many(w) && last_color[w] != c {
                of_color.entry(key(w, c)).or_insert((v, at));
                last_color[w] = c;
            }
        }
    }
    color
}

/// A list per vertex in one buffer, each a chain from its newest entry:
/// no allocation a vertex.
struct Chained {
    newest: Vec<usize>,
    entries: Vec<(usize, usize)>,
}

impl Chained {
    const END: usize = usize::MAX;

    fn new(n: usize) -> Self {
        Chained {
            newest: vec![Self::END; n],
            entries: Vec::new(),
        }
    }

    fn push(&mut self, k: usize, value: usize) {
        self.entries.push((value, self.newest[k]));
        self.newest[k] = self.entries.len() - 1;
    }

    fn of(&self, k: usize) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.newest[k];
        core::iter::from_fn(move || {
            let (value, next) = *self.entries.get(at)?;
            at = next;
            Some(value)
        })
    }
}

/// A map keyed by a vertex and a color, hashed by a multiply and a rotate:
/// the keys are small integers no adversary chooses, and std's SipHash
/// took most of a coloring's time.
type Pairs = HashMap<u64, (usize, usize), BuildHasherDefault<PairHasher>>;

/// The hasher of [`Pairs`] (the multiply-rotate of rustc's `FxHasher`).
#[derive(Default)]
struct PairHasher(u64);

impl Hasher for PairHasher {
    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_u64(u64::from(b)));
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    /// The product's high bits, which every bit of the key reaches, moved
    /// to where the table looks first.
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// Lists of indices in one buffer, the list of `k` at
/// `index[start[k]..start[k + 1]]`: a sparse matrix's rows or columns
/// without an allocation each.
pub(super) struct Lists {
    start: Vec<usize>,
    index: Vec<usize>,
}

impl Lists {
    /// The `(key, value)` pairs grouped by key (each below `keys`), in
    /// their order within a key.
    pub(super) fn group(keys: usize, pairs: impl Iterator<Item = (usize, usize)> + Clone) -> Self {
        let mut start = vec![0; keys + 1];
        pairs.clone().for_each(|(k, _)| start[k + 1] += 1);
        (0..keys).for_each(|k| start[k + 1] += start[k]);
        let mut next = start.clone();
        let mut index = vec![0; start[keys]];
        for (k, v) in pairs {
            index[next[k]] = v;
            next[k] += 1;
        }
        Lists { start, index }
    }

    /// The list of `k`.
    pub(super) fn of(&self, k: usize) -> &[usize] {
        &self.index[self.start[k]..self.start[k + 1]]
    }

    /// Each list, sorted and without repeats, as `(key, value)` pairs.
    pub(super) fn into_sorted_pairs(mut self) -> Vec<(usize, usize)> {
        let mut pairs = Vec::with_capacity(self.index.len());
        for k in 0..self.len() {
            let list = &mut self.index[self.start[k]..self.start[k + 1]];
            list.sort_unstable();
            let mut last = None;
            for &v in list.iter() {
                if last != Some(v) {
                    pairs.push((k, v));
                    last = Some(v);
                }
            }
        }
        pairs
    }

    fn len(&self) -> usize {
        self.start.len() - 1
    }

    /// [`neighbours`](Lists::neighbours) with each one's place in the
    /// lists' buffer.
    fn neighbours_at(&self, k: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let start = self.start[k];
        let places = self.of(k).iter().enumerate();
        places
            .filter(move |&(_, &w)| w != k)
            .map(move |(i, &w)| (start + i, w))
    }

    /// For each place in the buffer, the place of the same edge in the
    /// other vertex's list: `k` in the list of `w` for `w` in the list of
    /// `k`. The lists must be a symmetric pattern's, each sorted (as
    /// [`into_sorted_pairs`](Lists::into_sorted_pairs) gives): visiting `k`
    /// in order, each list is met in its own order.
    fn twins(&self) -> Vec<usize> {
        let mut next = self.start[..self.len()].to_vec();
        let mut twin = vec![0; self.index.len()];
        for k in 0..self.len() {
            for (at, &w) in (self.start[k]..).zip(self.of(k)) {
                debug_assert_eq!(self.index[next[w]], k, "a symmetric, sorted pattern");
                twin[at] = next[w];
                next[w] += 1;
            }
        }
        twin
    }

    /// The list of `k` without `k` itself: a vertex's neighbours, where the
    /// lists are a graph's (a pattern's diagonal aside).
    fn neighbours(&self, k: usize) -> impl Iterator<Item = usize> + Clone + '_ {
        self.of(k).iter().copied().filter(move |&w| w != k)
    }
}
