//! The sum-fusion pass: a sum written term by term becomes one op of many
//! terms, [`Op::Sum`], whose evaluation adds them in the order written (so
//! the same bits), and a product only that sum reads one of its terms.

use num_traits::Float;

use super::{Arg, Function, Op, Summand, Term};
use crate::active::Scalar;

/// The running sum of a link of a sum written term by term, its summand,
/// and whether the summand is taken away: `acc + t`, `acc − t`, `acc ± c`.
fn link<F: Float>(op: Op<F>) -> Option<(u32, Arg<F>, bool)> {
    match op {
        Op::Add(a, b) => Some((a, Arg::Node(b), false)),
        Op::Sub(a, b) => Some((a, Arg::Node(b), true)),
        Op::AddConst(a, c) => Some((a, Arg::Const(c), false)),
        Op::SubConst(a, c) => Some((a, Arg::Const(c), true)),
        _ => None,
    }
}

impl<F: Scalar> Function<F> {
    /// The sum-fusion pass: each sum written term by term (`acc + t`,
    /// `acc − t`, `acc ± c`, each running sum read by the next link alone)
    /// becomes one [`Op::Sum`] of its terms in the order written, at its
    /// last link; a product that only the sum reads (`acc + w·x`) becomes a
    /// product term. A lone link is a sum if its running sum or its summand
    /// is such a product (`y − x·x`). The running sums and those products
    /// are then read by none, for `drop_dead`.
    pub(super) fn fuse_sums(&mut self) {
        let (lead, total) = (self.lead(), self.ops.len() + 1);
        let uses = self.uses();
        let ops = &self.ops;
        let once = |n: u32| n as usize >= lead && uses[n as usize] == 1;
        let link_of = |n: u32| {
            (n as usize >= lead)
                .then(|| link(ops[n as usize - 1]))
                .flatten()
        };
        let product = |n: u32| once(n) && matches!(ops[n as usize - 1], Op::Mul(..));
        // A running sum is the sum's if it is a link read by the next alone.
        let mut chained = vec![false; total];
        for node in lead..total {
            if let Some((acc, ..)) = link_of(node as u32) {
                chained[acc as usize] = link_of(acc).is_some() && once(acc);
            }
        }
        let summand = |arg: Arg<F>| match arg {
            Arg::Const(c) => Summand::Const(c),
            Arg::Node(n) => match ops[n as usize - 1] {
                Op::Mul(a, b) if product(n) => Summand::Product(a, b),
                _ => Summand::Node(n),
            },
        };
        // The new terms, after the function's.
        let base = self.terms.len();
        let (mut sums, mut terms) = (Vec::new(), Vec::new());
        for node in (lead..total).filter(|&n| !chained[n]) {
            let Some((acc, last, _)) = link_of(node as u32) else {
                continue;
            };
            if !(chained[acc as usize] || product(acc) || last.node().is_some_and(product)) {
                continue;
            }
            // From the last link back to the first, whose running sum is the
            // first term.
            let start = terms.len();
            let mut n = node as u32;
            loop {
                let (acc, t, minus) = link_of(n).expect("a link of the sum");
                terms.push(Term {
                    minus,
                    value: summand(t),
                });
                if !chained[acc as usize] {
                    let value = summand(Arg::Node(acc));
                    terms.push(Term {
                        minus: false,
                        value,
                    });
                    break;
                }
                n = acc;
            }
            terms[start..].reverse();
            let (first, count) = ((base + start) as u32, (terms.len() - start) as u32);
            sums.push((node, Op::Sum { first, count }));
        }
        self.terms.extend(terms);
        for (node, sum) in sums {
            self.ops[node - 1] = sum;
        }
    }
}
