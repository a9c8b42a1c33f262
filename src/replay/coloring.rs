//! [`Sparse`]: a sparse Jacobian or Hessian of a recorded function, its
//! columns colored once, its values in one product per color.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::{Function, Workspace};
use crate::Result;
use crate::active::Scalar;

/// A sparse Jacobian or Hessian of a recorded function: the pattern, a
/// coloring of its columns, and the values at any point in one forward
/// pass (Jacobian) or Hessian–vector product (Hessian) per color.
///
/// A Jacobian's columns share a color when no row has an entry in two of
/// them (a distance-2 coloring): one product with the sum of a color's unit
/// vectors gives each of its columns' entries directly. A Hessian's are
/// star-colored, using its symmetry: each entry is read from its column's
/// product or from its row's. Both greedy: the Jacobian's in column order,
/// the Hessian's in smallest-last order, so that its count does not depend
/// on how the variables are numbered. A greedy coloring is not always the
/// fewest colors; on the shapes of the tests, numbered in order, reversed
/// or shuffled, it is: a tridiagonal Hessian takes 3 colors however large,
/// a band of half-width `b` takes `2b + 1`, an arrow (every variable
/// coupled to one shared variable, wherever it is) 2, and a bordered block
/// diagonal a block's size plus the border's.
#[derive(Clone, Debug)]
pub struct Sparse<F: Scalar = f64> {
    function: Function<F>,
    pattern: Vec<(usize, usize)>,
    /// Each input's color.
    color: Vec<usize>,
    /// Where each entry of the pattern is read: a color's product, and the
    /// index in it.
    read: Vec<(usize, usize)>,
    colors: usize,
    hessian: bool,
}

impl<F: Scalar> Function<F> {
    /// The Jacobian as a [`Sparse`]: its pattern and coloring, computed once.
    pub fn sparse_jacobian(&self) -> Sparse<F> {
        Sparse::new(self.clone(), self.jacobian_pattern(), false)
    }

    /// The Hessian of the one output as a [`Sparse`].
    ///
    /// ```
    /// use tapegrad::{Active, Function};
    ///
    /// let f = Function::record(&[0.5; 100], |x: &[Active]| {
    ///     x.windows(2).map(|w| (w[1] - w[0] * w[0]).powi(2)).sum::<Active>()
    /// })?;
    /// let h = f.sparse_hessian()?;
    /// assert_eq!(h.colors(), 3); // three Hessian–vector products, not 100
    /// let values = h.values(&mut f.workspace(), &[0.7; 100])?;
    /// let dense = f.hessian(&mut f.workspace(), &[0.7; 100])?;
    /// for (&(i, j), v) in h.pattern().iter().zip(values) {
    ///     assert!((v - dense[i][j]).abs() <= 1e-12 * v.abs().max(1.0));
    /// }
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Length`](crate::Error::Length) if the function has more than one output.
    pub fn sparse_hessian(&self) -> Result<Sparse<F>> {
        Ok(Sparse::new(self.clone(), self.hessian_pattern()?, true))
    }
}

impl<F: Scalar> Sparse<F> {
    fn new(function: Function<F>, pattern: Vec<(usize, usize)>, hessian: bool) -> Self {
        let (rows, columns) = shape(&function, hessian);
        let by_row = Lists::group(rows, pattern.iter().copied());
        let color = match hessian {
            // A Hessian's pattern is symmetric: its rows are its columns.
            true => star_coloring(&by_row),
            false => {
                let by_column = Lists::group(columns, pattern.iter().map(|&(i, j)| (j, i)));
                distance_two_coloring(&by_row, &by_column)
            }
        };
        let colors = color.iter().map(|&c| c + 1).max().unwrap_or(0);
        // Where each entry is read: its column's product at its row; for a
        // Hessian, where another column of that color meets the row, the
        // row's product at its column instead (the star coloring promises
        // that one of the two is alone). Each row's colors counted once.
        let mut count = vec![0u32; colors];
        let mut row = None;
        let mut read = Vec::with_capacity(pattern.len());
        for &(i, j) in &pattern {
            if hessian && row != Some(i) {
                row.inspect(|&r| by_row.of(r).iter().for_each(|&k| count[color[k]] = 0));
                by_row.of(i).iter().for_each(|&k| count[color[k]] += 1);
                row = Some(i);
            }
            read.push(match !hessian || i == j || count[color[j]] == 1 {
                true => (color[j], i),
                false => (color[i], j),
            });
        }
        Sparse {
            function,
            pattern,
            color,
            read,
            colors,
            hessian,
        }
    }

    /// The entries that can be nonzero, `(row, column)` in row order.
    pub fn pattern(&self) -> &[(usize, usize)] {
        &self.pattern
    }

    /// The matrix's `(rows, columns)`: a Jacobian's are the function's
    /// outputs and inputs, a Hessian's its inputs twice.
    pub fn shape(&self) -> (usize, usize) {
        shape(&self.function, self.hessian)
    }

    /// The entries as `(row, column, value)` triplets, given their values
    /// from [`values`](Sparse::values); with the `faer` feature,
    /// [`to_faer`](Sparse::to_faer) makes faer's sparse matrix of them.
    pub fn triplets<'a>(&'a self, values: &'a [F]) -> impl Iterator<Item = (usize, usize, F)> + 'a {
        self.pattern
            .iter()
            .zip(values)
            .map(|(&(i, j), &v)| (i, j, v))
    }

    /// The number of colors: the products each evaluation takes.
    pub fn colors(&self) -> usize {
        self.colors
    }

    /// The values of the pattern's entries at `x`, in its order.
    ///
    /// # Errors
    ///
    /// As [`Function::jvp`] (a Jacobian) or [`Function::hvp`] (a Hessian);
    /// `ws` must be a workspace of the function this was made from.
    pub fn values(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        let mut products = Vec::with_capacity(self.colors);
        for c in 0..self.colors {
            let seed: Vec<F> = self
                .color
                .iter()
                .map(|&k| if k == c { F::one() } else { F::zero() })
                .collect();
            products.push(match self.hessian {
                true => self.function.hvp(ws, x, &seed)?,
                false => self.function.jvp(ws, x, &seed)?,
            });
        }
        Ok(self.read.iter().map(|&(c, i)| products[c][i]).collect())
    }
}

/// The shape of `function`'s Hessian or Jacobian.
fn shape<F: Scalar>(function: &Function<F>, hessian: bool) -> (usize, usize) {
    let columns = function.inputs();
    match hessian {
        true => (columns, columns),
        false => (function.outputs(), columns),
    }
}

/// Columns share a color when no row has an entry in two of them: each
/// entry is then read directly from its column's product.
fn distance_two_coloring(by_row: &Lists, by_column: &Lists) -> Vec<usize> {
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
    const NONE: usize = usize::MAX;
    let n = graph.len();
    let mut degree: Vec<usize> = (0..n).map(|v| graph.neighbours(v).count()).collect();
    let mut head = vec![NONE; degree.iter().max().map_or(0, |&d| d + 1)];
    let (mut next, mut prev) = (vec![NONE; n], vec![NONE; n]);
    let link = |v: usize, head: &mut [usize], next: &mut [usize], prev: &mut [usize], d: usize| {
        (next[v], prev[v]) = (head[d], NONE);
        if head[d] != NONE {
            prev[head[d]] = v;
        }
        head[d] = v;
    };
    let unlink =
        |v: usize, head: &mut [usize], next: &mut [usize], prev: &mut [usize], d: usize| {
            match prev[v] {
                NONE => head[d] = next[v],
                p => next[p] = next[v],
            }
            if next[v] != NONE {
                prev[next[v]] = prev[v];
            }
        };
    for v in (0..n).rev() {
        link(v, &mut head, &mut next, &mut prev, degree[v]);
    }
    let (mut taken, mut order, mut low) = (vec![false; n], Vec::with_capacity(n), 0);
    while order.len() < n {
        while head[low] == NONE {
            low += 1;
        }
        let v = head[low];
        unlink(v, &mut head, &mut next, &mut prev, low);
        taken[v] = true;
        order.push(v);
        for w in graph.neighbours(v).filter(|&w| !taken[w]) {
            unlink(w, &mut head, &mut next, &mut prev, degree[w]);
            degree[w] -= 1;
            link(w, &mut head, &mut next, &mut prev, degree[w]);
            low = low.min(degree[w]);
        }
    }
    order.reverse();
    order
}

/// A star coloring of a symmetric pattern's graph (a vertex a column, its
/// rows the neighbours, the diagonal aside): neighbours differ, and every
/// path of four vertices has three colors; then each off-diagonal entry is
/// alone in its color in its row or in its column. The greedy algorithm
/// that keeps the two-colored stars it has made (Gebremedhin, Tarafdar,
/// Manne and Pothen, 2007, Algorithm 4.1), in smallest-last order. Where a
/// vertex is a spoke of a star, the star's hub is kept beside it, so that
/// coloring a vertex never scans a hub's whole neighbourhood.
fn star_coloring(graph: &Lists) -> Vec<usize> {
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
