//! The IR lowered for evaluation: the nodes the evaluation computes, each
//! with where its partials go ([`Route`]), and the tape the reverse sweep
//! runs over ([`Sweep`]).
//!
//! A tape of the IR as it is, a node an op, is the plain lowering. After
//! `optimize` the sweep visits fewer nodes. A [`Op::Sum`] is one node whose
//! edges go to its terms, with constant partials (±1), or, for a product
//! term, the partials its evaluation writes. A node of one constant partial
//! (`−x`, `x·k`, `x ± c`) read by one other node alone is folded into that
//! node's edge, which goes to its parent times the partial: a partial of ±1
//! anywhere, where it changes no product; another only as a sum's term,
//! where the edge multiplies the adjoint by it alone, as the unfolded sweep
//! does; never an infinite one (behind a zero adjoint, a product would make
//! NaN where the unfolded sweep passes nothing). A node whose partials
//! change (`sin x`) read by a sum alone lends the sum its edges, whose
//! partials each evaluation writes in the sum's table. And a sum read by
//! another as a term alone (`Σ (a·a + c·c)`) is evaluated as its own step,
//! as written, but swept as part of the other: the sweep visits one node
//! however the sum was parenthesized.

use num_traits::Float;

use super::{Arg, Function, Op, Summand};
use crate::active::Scalar;

/// Where an evaluation puts a node's partials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// The sweep's node of this index.
    Node(u32),
    /// The sweep's node of this index, its partials times its scales (a
    /// node of one constant partial was folded into its edge).
    Scaled(u32),
    /// The sweep's table, where [`Sweep::lent`] of this index says: a node
    /// that lends its edges to the sum that reads it.
    Table(u32),
    /// A sum's: its product terms' partials go to the sweep's table from
    /// this index on, two a product, in order.
    Sum(u32),
    /// Nowhere: a node folded into its user's edge.
    Absorbed,
}

impl Route {
    /// The sweep's node, for a route to one.
    pub(crate) fn node(self) -> Option<u32> {
        match self {
            Route::Node(n) | Route::Scaled(n) => Some(n),
            _ => None,
        }
    }
}

/// A node the evaluation computes: its op, and where its partials go.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Visit<F> {
    pub(crate) op: Op<F>,
    pub(crate) node: u32,
    pub(crate) route: Route,
}

/// Where a node that lends its edges to a sum writes its partials, times
/// their factors: `count` of them, to the table at `slots`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lent<F> {
    pub(crate) slots: [u32; 2],
    pub(crate) factors: [F; 2],
    pub(crate) count: u8,
}

/// The evaluation's program and the sweep's tape of a function.
#[derive(Clone, Debug)]
pub(crate) struct Sweep<F> {
    /// Every node after the leading ones, in order, with its route.
    pub(crate) program: Vec<Visit<F>>,
    /// The sweep's nodes: the sink, the leading inputs, then the kept
    /// nodes in order, a sum as a node of many parents.
    pub(crate) layout: Vec<[u32; 2]>,
    /// Per node of the sweep, what its partials are multiplied by (for
    /// the nodes routed [`Route::Scaled`]; empty in the plain lowering).
    pub(crate) scales: Vec<[F; 2]>,
    /// The sums' edges, in the tape's n-ary table, and their partials.
    pub(crate) table: Vec<u32>,
    pub(crate) partials: Vec<F>,
    pub(crate) lent: Vec<Lent<F>>,
    /// Per term of the function's sums, a product's partials' factors.
    pub(crate) factors: Vec<[F; 2]>,
    /// The function's outputs, as nodes of the sweep.
    pub(crate) outputs: Vec<Arg<F>>,
}

impl<F> Sweep<F> {
    /// A sweep of nothing, until a function is lowered.
    pub(crate) fn empty() -> Self {
        Sweep {
            program: Vec::new(),
            layout: Vec::new(),
            scales: Vec::new(),
            table: Vec::new(),
            partials: Vec::new(),
            lent: Vec::new(),
            factors: Vec::new(),
            outputs: Vec::new(),
        }
    }
}

/// The parent and constant partial of an op of one parent whose partial
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

/// An edge of a sum's node as the lowering finds it: its parent (a node
/// of the IR) and its partial, constant or written by an evaluation.
#[derive(Clone, Copy)]
enum Edge<F> {
    Const(u32, F),
    /// The `k`-th partial of what `lent` says.
    Lent(u32, usize, usize),
}

impl<F: Scalar> Function<F> {
    /// The function's sweep: plain (a node an op), or, if `fold`, with the
    /// sums, folds and loans of the module's docs.
    pub(super) fn lower(&self, fold: bool) -> Sweep<F> {
        let (lead, total) = (self.lead(), self.ops.len() + 1);
        let op = |n: u32| self.ops[n as usize - 1];
        let uses = self.uses();
        let once = |n: u32| fold && n as usize >= lead && uses[n as usize] == 1;
        // The nodes a sum reads as a term (not a product's operand).
        let mut term = vec![false; total];
        for &o in &self.ops {
            for t in self.terms_of(o) {
                if let Summand::Node(n) = t.value {
                    term[n as usize] = true;
                }
            }
        }
        let folded: Vec<bool> = (0..total as u32)
            .map(|n| match (once(n), n as usize >= lead) {
                (true, true) => linear(op(n)).is_some_and(|(_, d)| {
                    d.abs() == F::one() || (term[n as usize] && d.is_finite())
                }),
                _ => false,
            })
            .collect();
        let sum = |n: u32| matches!(op(n), Op::Sum { .. });
        let nested: Vec<bool> = (0..total as u32)
            .map(|n| once(n) && term[n as usize] && sum(n))
            .collect();
        let lends: Vec<bool> = (0..total as u32)
            .map(|n| {
                let k = n as usize;
                once(n)
                    && term[k]
                    && !folded[k]
                    && !sum(n)
                    // A select's edge is chosen at each evaluation.
                    && !matches!(op(n), Op::Select(_))
                    && op(n).parents(&self.selects)[0] != 0
            })
            .collect();
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
        let mut sweep = Sweep {
            program: Vec::with_capacity(total - lead),
            layout: Vec::new(),
            scales: Vec::new(),
            table: Vec::new(),
            partials: Vec::new(),
            lent: Vec::new(),
            factors: vec![[F::one(); 2]; self.terms.len()],
            outputs: Vec::new(),
        };
        let mut index = vec![None; total];
        let mut routes = vec![Route::Absorbed; total];
        for node in 0..total as u32 {
            let k = node as usize;
            if folded[k] || nested[k] || lends[k] {
                continue;
            }
            let at = sweep.layout.len() as u32;
            index[k] = Some(at);
            if k < lead || sum(node) {
                // A sum's node is laid out below, once its edges are.
                sweep.layout.push([0; 2]);
                sweep.scales.push([F::one(); 2]);
                continue;
            }
            let parents = op(node).parents(&self.selects);
            let [(a, sa), (b, sb)] = parents.map(|p| match p {
                0 => (0, F::one()),
                p => resolve(p),
            });
            let kept = |p: u32| index[p as usize].expect("a kept parent");
            sweep.layout.push([kept(a), kept(b)]);
            sweep.scales.push([sa, sb]);
            routes[k] = match sa == F::one() && sb == F::one() {
                true => Route::Node(at),
                false => Route::Scaled(at),
            };
        }
        for node in (lead..total).filter(|&n| sum(n as u32) && index[n].is_some()) {
            self.lay_out_sum(
                node as u32,
                &resolve,
                &nested,
                &lends,
                &index,
                &mut routes,
                &mut sweep,
            );
        }
        if !fold {
            sweep.scales = Vec::new();
        }
        sweep.layout.shrink_to_fit();
        sweep.scales.shrink_to_fit();
        sweep.table.shrink_to_fit();
        sweep.partials.shrink_to_fit();
        sweep.lent.shrink_to_fit();
        sweep.program = (lead..total)
            .map(|n| Visit {
                op: op(n as u32),
                node: n as u32,
                route: routes[n],
            })
            .collect();
        let kept = |n: u32| Arg::Node(index[n as usize].expect("an output is kept"));
        sweep.outputs = self.outputs.iter().map(|y| y.map_node(kept)).collect();
        sweep
    }

    /// Lays out the kept sum `node`'s edges in the table: its products'
    /// partials first, each sum's (its own, then its nested sums') in
    /// order, then the other edges; and routes the sums and the nodes that
    /// lend it their edges.
    #[allow(clippy::too_many_arguments)]
    fn lay_out_sum(
        &self,
        node: u32,
        resolve: &impl Fn(u32) -> (u32, F),
        nested: &[bool],
        lends: &[bool],
        index: &[Option<u32>],
        routes: &mut [Route],
        sweep: &mut Sweep<F>,
    ) {
        let start = sweep.table.len() as u32;
        let (mut products, mut others) = (Vec::new(), Vec::new());
        let mut sums = vec![(node, F::one())];
        let mut k = 0;
        while k < sums.len() {
            let (sum, sign) = sums[k];
            k += 1;
            routes[sum as usize] = Route::Sum(start + products.len() as u32);
            let Op::Sum { first, .. } = self.ops[sum as usize - 1] else {
                unreachable!("a sum")
            };
            for (j, t) in self.terms_of(self.ops[sum as usize - 1]).iter().enumerate() {
                let s = if t.minus { -sign } else { sign };
                match t.value {
                    Summand::Const(_) => {}
                    Summand::Product(a, b) => {
                        let [(pa, fa), (pb, fb)] = [a, b].map(resolve);
                        sweep.factors[first as usize + j] = [s * fa, s * fb];
                        products.extend([pa, pb]);
                    }
                    Summand::Node(t) if nested[t as usize] => sums.push((t, s)),
                    Summand::Node(t) if lends[t as usize] => {
                        let at = sweep.lent.len();
                        let mut lent = Lent {
                            slots: [0; 2],
                            factors: [F::zero(); 2],
                            count: 0,
                        };
                        let parents = self.ops[t as usize - 1].parents(&self.selects);
                        for (e, &p) in parents.iter().enumerate().filter(|(_, p)| **p != 0) {
                            let (q, f) = resolve(p);
                            lent.factors[e] = s * f;
                            lent.count += 1;
                            others.push(Edge::Lent(q, at, e));
                        }
                        sweep.lent.push(lent);
                        routes[t as usize] = Route::Table(at as u32);
                    }
                    Summand::Node(t) => {
                        let (p, f) = resolve(t);
                        others.push(Edge::Const(p, s * f));
                    }
                }
            }
        }
        let kept = |p: u32| index[p as usize].expect("a kept parent");
        for p in products {
            sweep.table.push(kept(p));
            sweep.partials.push(F::zero());
        }
        for edge in others {
            let slot = sweep.table.len() as u32;
            let (p, partial) = match edge {
                Edge::Const(p, partial) => (p, partial),
                Edge::Lent(p, at, e) => {
                    sweep.lent[at].slots[e] = slot;
                    (p, F::zero())
                }
            };
            sweep.table.push(kept(p));
            sweep.partials.push(partial);
        }
        let count = sweep.table.len() as u32 - start;
        let at = kept(node) as usize;
        sweep.layout[at] = crate::tape::wide(start, count);
    }
}

#[cfg(test)]
mod tests {
    use crate::Active;
    use crate::replay::{Function, Route};

    #[test]
    fn a_sums_products_keep_their_slots_around_a_nested_sum() {
        // The outer sum's products come before and after the nested one's:
        // each sum's own products take adjacent slots.
        let f = |x: &[Active]| x[0] * x[1] + (x[2] * x[3] + x[4] * x[0]) + x[1] * x[2];
        let x = [0.5, -1.25, 2.0, 0.75, 3.0];
        let plain = Function::record(&x, f).expect("replayable");
        let mut g = plain.clone();
        g.optimize();
        // The sink, five inputs, and one node for both sums.
        assert_eq!(g.sweep.layout.len(), 7);
        let routes: Vec<Route> = g.sweep.program.iter().map(|v| v.route).collect();
        assert_eq!(routes, [Route::Sum(4), Route::Sum(0)]);
        let at = [1.5, 0.25, -2.0, 1.0, 0.5];
        let (mut ws, mut fresh) = (g.workspace(), plain.workspace());
        let (value, gradient) = g.value_and_gradient(&mut ws, &at).unwrap();
        let (v0, g0) = plain.value_and_gradient(&mut fresh, &at).unwrap();
        assert_eq!(value.to_bits(), v0.to_bits());
        assert_eq!(gradient, g0);
    }

    #[test]
    fn a_plain_lowering_keeps_every_node() {
        let f = Function::record(&[0.5, 2.0], |x: &[Active]| (-x[0]).sin() * 3.0 + x[1])
            .expect("replayable");
        let sweep = f.lower(false);
        assert_eq!(sweep.layout.len(), f.len() + 1);
        assert!(sweep.scales.is_empty() && sweep.table.is_empty());
        let node = |v: &crate::replay::Visit<f64>| Route::Node(v.node);
        assert!(sweep.program.iter().all(|v| v.route == node(v)));
        // Optimized: `−x` folded into the edge of the sine, scaled by −1;
        // `· 3`, read by an addition that is no sum's term, kept.
        let mut g = f.clone();
        g.optimize();
        let routes: Vec<Route> = g.sweep.program.iter().map(|v| v.route).collect();
        let [neg, sin, mul, add] = [
            Route::Absorbed,
            Route::Scaled(3),
            Route::Node(4),
            Route::Node(5),
        ];
        assert_eq!(routes, [neg, sin, mul, add]);
        assert_eq!(g.sweep.scales[3], [-1.0, 1.0]);
        let at = [-0.75, 1.0];
        let gradient = g.gradient(&mut g.workspace(), &at).unwrap();
        assert_eq!(gradient, f.gradient(&mut f.workspace(), &at).unwrap());
    }
}
