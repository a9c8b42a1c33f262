//! One chain's walk, for [`Chains::new`](super::Chains::new): its edges in
//! the order the sweep reaches them and its links, a nested chain's too.

use num_traits::Float;

use super::{Summand, Term};
use crate::replay::{Arg, Op, Route};

/// An edge of the chain's node: its parent, and its constant partial or its
/// place in a dynamic term (the term, which of its edges, whether a
/// product the sum computes).
pub(super) type Edge<F> = (u32, F, Option<(usize, usize, bool)>);

/// A link as the walk finds it: whether it takes its summand away, the
/// summand, and a product's index among the walk's products.
pub(super) type Found<F> = (bool, Summand<F>, Option<usize>);

/// One chain's walk from its last link back to its first: the edges in the
/// order the chain's own sweep reaches them (a link's term, then its
/// running sum; a term's own edges last to first), each with its constant
/// partial or its place in a dynamic term; and the links, last to first.
pub(super) struct Walk<'a, F, S, L, R> {
    pub(super) op: &'a S,
    pub(super) link_of: &'a L,
    pub(super) resolve: &'a R,
    pub(super) chained: &'a [bool],
    pub(super) nested: &'a [bool],
    pub(super) dynamic: &'a [bool],
    pub(super) parents: &'a [[u32; 2]],
    pub(super) edges: Vec<Edge<F>>,
    /// The products the sum computes, whose slots come last.
    pub(super) products: Vec<Term<F>>,
    /// Any other dynamic term's.
    pub(super) terms: &'a mut Vec<Term<F>>,
    pub(super) index: &'a mut [Route],
    pub(super) inlined: &'a mut [bool],
    /// The nested chains' last links and links, as each was finished
    /// (innermost first).
    pub(super) inner: Vec<(u32, Vec<Found<F>>)>,
}

impl<F, S, L, R> Walk<'_, F, S, L, R>
where
    F: Float,
    S: Fn(u32) -> Op<F>,
    L: Fn(u32) -> Option<(u32, Arg<F>, bool)>,
    R: Fn(u32) -> (u32, F),
{
    /// The links of the chain whose last link is `last`, its edges' partials
    /// times `sign`; a nested chain's in `inner`, its sum a summand of this
    /// one's.
    pub(super) fn links(&mut self, last: u32, sign: F) -> Vec<Found<F>> {
        let (mut acc, mut summand, mut minus) = (self.link_of)(last).expect("a last link");
        let mut chain = Vec::new();
        loop {
            let signed = if minus { -sign } else { sign };
            let (own, term) = match summand {
                Arg::Node(t) if self.nested[t as usize] => {
                    let links = self.links(t, signed);
                    self.inner.push((t, links));
                    (Summand::Node(t), None)
                }
                Arg::Node(t) => self.push(t, signed),
                Arg::Const(c) => (Summand::Const(c), None),
            };
            chain.push((minus, own, term));
            if !self.chained[acc as usize] {
                let (first, term) = self.push(acc, sign);
                chain.push((false, first, term));
                return chain;
            }
            (acc, summand, minus) = (self.link_of)(acc).expect("an absorbed link");
        }
    }

    /// The summand of term `t`, and the index of its `Term` among
    /// `products` if it is a product the sum computes.
    fn push(&mut self, t: u32, sign: F) -> (Summand<F>, Option<usize>) {
        let (p, factor) = (self.resolve)(t);
        if !self.dynamic[p as usize] {
            self.edges.push((p, sign * factor, None));
            return (Summand::Node(t), None);
        }
        let product = match (self.op)(t) {
            Op::Mul(a, b) if p == t => Some([a, b]),
            _ => None,
        };
        let kept = match product {
            Some(_) => &mut self.products,
            None => &mut *self.terms,
        };
        let j = kept.len();
        kept.push(Term {
            slots: [0; 2],
            factors: [F::zero(); 2],
            count: 0,
        });
        let own = self.parents[p as usize];
        for k in (0..2).rev().filter(|&k| own[k] != 0) {
            let (q, f) = (self.resolve)(own[k]);
            kept[j].factors[k] = sign * factor * f;
            kept[j].count += 1;
            self.edges
                .push((q, F::zero(), Some((j, k, product.is_some()))));
        }
        match product {
            Some(operands) => {
                self.inlined[t as usize] = true;
                let factors = kept[j].factors;
                let slot = 0; // set once the table is laid out
                let summand = Summand::Product {
                    operands,
                    slot,
                    factors,
                };
                (summand, Some(j))
            }
            None => {
                self.index[p as usize] = Route::Term(j as u32);
                (Summand::Node(t), None)
            }
        }
    }
}
