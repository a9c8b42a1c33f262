//! Sums as one node: the reverse sweep of an optimized
//! [`Function`](super::Function) over fewer nodes.
//!
//! A sum written term by term, `((a + b) − c·k) + d`, records a node per
//! term, each passing its adjoint on unchanged (a partial of ±1). When each
//! partial sum is used by the next alone, the chain is one linear node whose
//! edges go to the terms with constant partials (±1, or ±k for a term
//! `x·k` used there alone): set once per workspace, and the sweep visits
//! one node. The same products as the chain's, so the same numbers.

use num_traits::Float;

use super::Step;

/// The sweep of a function whose sums are linear nodes.
#[derive(Clone, Debug)]
pub(crate) struct Chains<F> {
    /// Each node's index in the sweep's tape, `u32::MAX` for a node a chain
    /// absorbed (its value is still computed; it has no adjoint).
    pub(crate) index: Vec<u32>,
    /// The sweep tape's nodes: the sink, the leading inputs, then the kept
    /// nodes in order, a chain as a node of many parents.
    pub(crate) layout: Vec<[u32; 2]>,
    /// The chains' edges, in the tape's n-ary table, and their partials.
    pub(crate) table: Vec<u32>,
    pub(crate) partials: Vec<F>,
}

/// The running sum of a step and its term with the term's sign, if the
/// step is a link of a chain: `acc + t`, `acc − t`, `acc ± c`.
fn link<F: Float>(step: Step<F>) -> Option<(u32, Option<(u32, F)>)> {
    match step {
        Step::Add(a, b) => Some((a, Some((b, F::one())))),
        Step::Sub(a, b) => Some((a, Some((b, -F::one())))),
        Step::AddConst(a, _) | Step::SubConst(a, _) => Some((a, None)),
        _ => None,
    }
}

impl<F: Float> Chains<F> {
    /// The chains of a function of these `steps` and `parents` (the sink's
    /// first), whose first `lead` nodes are the sink and the inputs, and
    /// whose adjoints are asked at `outputs`; `None` if it has none.
    pub(crate) fn new(
        steps: &[Step<F>],
        parents: &[[u32; 2]],
        lead: usize,
        outputs: &[u32],
    ) -> Option<Self> {
        let total = parents.len();
        let mut uses = vec![0usize; total];
        for &[a, b] in &parents[lead..] {
            uses[a as usize] += 1;
            uses[b as usize] += usize::from(b != 0);
        }
        outputs.iter().for_each(|&o| uses[o as usize] = usize::MAX);
        let step = |n: u32| steps[n as usize - 1];
        let once = |n: u32| n as usize >= lead && uses[n as usize] == 1;
        let links = |n: u32| (n as usize >= lead).then(|| link(step(n))).flatten();
        // A link's running sum is absorbed if it is a link used there alone.
        let mut absorbed = vec![false; total];
        for node in lead..total {
            if let Some((acc, _)) = links(node as u32) {
                absorbed[acc as usize] = links(acc).is_some() && once(acc);
            }
        }
        // In a chain, a term `x·k` used there alone is absorbed too.
        let scaled = |n: u32| once(n) && matches!(step(n), Step::MulConst(..));
        for node in lead..total {
            let Some((acc, term)) = links(node as u32) else {
                continue;
            };
            if absorbed[node] || absorbed[acc as usize] {
                if let Some((t, _)) = term.filter(|&(t, _)| scaled(t)) {
                    absorbed[t as usize] = true;
                }
                if !absorbed[acc as usize] && scaled(acc) {
                    absorbed[acc as usize] = true; // the chain's first term
                }
            }
        }
        if !absorbed.iter().any(|&a| a) {
            return None;
        }
        let mut index = vec![u32::MAX; total];
        let mut layout = Vec::new();
        for node in (0..total).filter(|&n| !absorbed[n]) {
            index[node] = layout.len() as u32;
            layout.push(parents[node].map(|p| index[p as usize]));
        }
        let chained = |n: u32| absorbed[n as usize] && links(n).is_some();
        let (mut table, mut partials) = (Vec::new(), Vec::new());
        for root in (lead..total).filter(|&n| !absorbed[n]) {
            let Some((mut acc, mut term)) = links(root as u32).filter(|&(a, _)| chained(a)) else {
                continue; // not a chain's last link
            };
            // The edges in the order the chain's own sweep reaches them:
            // a link's term, then its running sum.
            let mut edges = Vec::new();
            let mut push = |t: u32, sign: F| match step(t) {
                Step::MulConst(x, k) if absorbed[t as usize] => edges.push((x, sign * k)),
                _ => edges.push((t, sign)),
            };
            loop {
                if let Some((t, sign)) = term {
                    push(t, sign);
                }
                if !chained(acc) {
                    push(acc, F::one());
                    break;
                }
                (acc, term) = links(acc).expect("an absorbed link");
            }
            // The tape sweeps a node's edges last to first.
            let start = table.len() as u32;
            for &(parent, partial) in edges.iter().rev() {
                table.push(index[parent as usize]);
                partials.push(partial);
            }
            layout[index[root] as usize] = crate::tape::wide(start, edges.len() as u32);
        }
        Some(Chains {
            index,
            layout,
            table,
            partials,
        })
    }
}
