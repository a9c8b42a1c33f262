//! The reverse sweep of a recorded function as its evaluation runs it,
//! read from outside ([`Function::reverse_sweep`]): after `optimize`, the
//! lowering folds nodes into their users' edges and sums into one node, so
//! the adjoints reach a node in an order of the lowering's; a compiler that
//! gives the interpreter's bits adds them in this one.

use super::{Arg, Op, Summand};
use crate::active::Scalar;
use crate::replay::{Function, Route};
use crate::tape::{Kind, kind_of};

/// The reverse sweep of a function: its nodes, the sink first, then the
/// leading inputs and parameters (as the IR numbers them), then the nodes
/// the lowering kept, each with its edges; and the outputs, as nodes of it.
///
/// The sweep seeds each output node's adjoint (`0 + weight`, a weight for
/// each output, added in order), then visits the nodes from the last
/// seeded one down to the first after the leading ones; a node adds
/// `partial × adjoint` to each parent's adjoint, its edges last to first,
/// except that a node whose adjoint is zero adds nothing through a partial
/// that is not finite (`0 · ∞` would be NaN where the true contribution is
/// 0). The leading nodes' adjoints are the gradient.
///
/// ```
/// use tapegrad::{Active, replay::{Function, ir::Partial}};
///
/// let mut f = Function::record(&[1.0, 2.0], |x: &[Active]| x[0] * x[1] + x[1] * 3.0)?;
/// f.optimize();
/// let reverse = f.reverse_sweep();
/// // One sum node, x₀·x₁ + x₁·3: the product's two edges, then x₁'s.
/// let sum = reverse.nodes.last().expect("a node");
/// assert_eq!(sum.edges.len(), 3);
/// assert!(matches!(sum.edges[0], (1, Partial::Product { side: 0, .. })));
/// assert_eq!(sum.edges[2], (2, Partial::Const(3.0)));
/// # Ok::<(), tapegrad::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ReverseSweep<F> {
    /// The sweep's nodes, by their index.
    pub nodes: Vec<Swept<F>>,
    /// The outputs, as nodes of the sweep.
    pub outputs: Vec<Arg<F>>,
}

/// A node of the reverse sweep: its edges, each a parent (a node of the
/// sweep) and the partial it multiplies the node's adjoint by.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Swept<F> {
    /// The edges, in order.
    pub edges: Vec<(u32, Partial<F>)>,
}

/// An edge's partial, as the forward pass computes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Partial<F> {
    /// This constant.
    Const(F),
    /// The partial of node `node`'s op with respect to its `k`-th operand
    /// (as the op table's `eval` gives it), times `factor` if there is one
    /// (`d · factor`).
    Op {
        /// The IR node.
        node: u32,
        /// Its operand.
        k: u8,
        /// A constant the lowering folded in.
        factor: Option<F>,
    },
    /// Of the sum term `term` (an index of [`Ir::terms`](super::Ir::terms)),
    /// the product `a·b`: for `side` 0 (the edge to `a`) `b`'s value times
    /// `factor`, for side 1 `a`'s.
    Product {
        /// The term.
        term: u32,
        /// Which operand's edge.
        side: u8,
        /// The term's sign, and constants the lowering folded in.
        factor: F,
    },
    /// Of the select of IR node `node`: `partial` if it takes its branch
    /// `branch`, else no edge at all.
    Chosen {
        /// The IR node.
        node: u32,
        /// The branch.
        branch: u8,
        /// The partial.
        partial: F,
    },
}

impl<F: Scalar> Function<F> {
    /// The reverse sweep its evaluations run (see [`ReverseSweep`]).
    pub fn reverse_sweep(&self) -> ReverseSweep<F> {
        let sweep = &self.sweep;
        let mut nodes = vec![Vec::new(); sweep.layout.len()];
        let mut slots: Vec<Partial<F>> =
            sweep.partials.iter().map(|&p| Partial::Const(p)).collect();
        for visit in &sweep.program {
            let node = visit.node;
            match visit.route {
                Route::Node(at) | Route::Scaled(at) => {
                    let at = at as usize;
                    let factor = |k: usize| match visit.route {
                        Route::Scaled(_) => Some(sweep.scales[at][k]),
                        _ => None,
                    };
                    let parents = sweep.layout[at];
                    // The parents the tape's node adds into, by its decoder.
                    let count = match kind_of(parents) {
                        Kind::One(_) => 1,
                        _ => 2,
                    };
                    nodes[at] = match visit.op {
                        Op::Select(k) => (self.selects[k as usize].branches.iter().enumerate())
                            .filter(|(_, b)| matches!(b, Arg::Node(_)))
                            .map(|(j, _)| {
                                let partial = factor(j).unwrap_or(F::one());
                                (
                                    parents[j],
                                    Partial::Chosen {
                                        node,
                                        branch: j as u8,
                                        partial,
                                    },
                                )
                            })
                            .collect(),
                        _ => (0..count)
                            .map(|k| {
                                (
                                    parents[k],
                                    Partial::Op {
                                        node,
                                        k: k as u8,
                                        factor: factor(k),
                                    },
                                )
                            })
                            .collect(),
                    };
                }
                Route::Sum(slot) => {
                    let Op::Sum { first, count } = visit.op else {
                        unreachable!("a sum's route")
                    };
                    let products = (first..first + count)
                        .filter(|&j| matches!(self.terms[j as usize].value, Summand::Product(..)));
                    for (p, term) in products.enumerate() {
                        for (side, &factor) in sweep.factors[term as usize].iter().enumerate() {
                            let at = slot as usize + 2 * p + side;
                            slots[at] = Partial::Product {
                                term,
                                side: side as u8,
                                factor,
                            };
                        }
                    }
                }
                Route::Table(k) => {
                    let lent = &sweep.lent[k as usize];
                    for e in 0..lent.count as usize {
                        let factor = Some(lent.factors[e]);
                        slots[lent.slots[e] as usize] = Partial::Op {
                            node,
                            k: e as u8,
                            factor,
                        };
                    }
                }
                Route::Absorbed => {}
            }
        }
        for (at, &parents) in sweep.layout.iter().enumerate() {
            if let Kind::Wide(range) = kind_of(parents) {
                let table = sweep.table[range.clone()].iter().copied();
                nodes[at] = table.zip(slots[range].iter().copied()).collect();
            }
        }
        ReverseSweep {
            nodes: nodes.into_iter().map(|edges| Swept { edges }).collect(),
            outputs: sweep.outputs.clone(),
        }
    }
}
