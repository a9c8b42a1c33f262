//! Sparsity patterns from a recording: which inputs each output depends
//! on, and which pairs of inputs its second derivatives couple.

use super::graph::Lists;
use super::{Arg, Function, Op, Summand};
use crate::Result;
use crate::active::Scalar;
use crate::table::{Binary, Unary};

/// How a node's second derivatives couple its operands.
enum Coupling {
    /// Linear, or piecewise linear: none.
    None,
    /// The two operands' inputs with each other (`a·b`).
    Across,
    /// Every pair of the operands' inputs (`eˣ`, `a/b`, `xʸ`).
    All,
}

impl Unary {
    /// How the op's second derivative couples its operand with itself.
    fn coupling(self) -> Coupling {
        match self {
            Unary::Floor
            | Unary::Ceil
            | Unary::Round
            | Unary::Trunc
            | Unary::Fract
            | Unary::Signum
            | Unary::Abs
            | Unary::Relu
            | Unary::ToDegrees
            | Unary::ToRadians
            | Unary::Neg
            | Unary::Powi(0 | 1) => Coupling::None,
            _ => Coupling::All,
        }
    }
}

impl<F> Op<F> {
    /// How the second derivatives of its node couple its operands.
    fn coupling(self) -> Coupling {
        use Binary::{Copysign, Max, Min, Rem};
        match self {
            Op::Mul(..) => Coupling::Across,
            Op::Unary(op, _) => op.coupling(),
            // Linear in what is a node, or piecewise linear.
            Op::Add(..)
            | Op::AddConst(..)
            | Op::Sub(..)
            | Op::SubConst(..)
            | Op::ConstSub(..)
            | Op::MulConst(..)
            | Op::DivConst(..)
            | Op::Neg(_)
            | Op::Binary(Max | Min | Copysign | Rem, ..)
            | Op::BinaryConst(Max | Min | Copysign | Rem, ..)
            | Op::ConstBinary(Max | Min | Copysign | Rem, ..) => Coupling::None,
            Op::Div(..)
            | Op::ConstDiv(..)
            | Op::Binary(..)
            | Op::BinaryConst(..)
            | Op::ConstBinary(..)
            | Op::LnSigmoid { .. }
            | Op::Complement { .. } => Coupling::All,
            // Inputs, constants, selects.
            Op::Input(_) | Op::Param(_) | Op::Fixed(_) | Op::Select(_) | Op::Sum { .. } => {
                Coupling::None
            }
        }
    }
}

/// Sorted sets of inputs, one a node, in one buffer.
struct Sets {
    /// Node `k`'s set at `pool[span[k].0..span[k].1]`.
    span: Vec<(usize, usize)>,
    pool: Vec<u32>,
}

impl Sets {
    fn of(&self, node: u32) -> &[u32] {
        let (start, end) = self.span[node as usize];
        &self.pool[start..end]
    }

    /// Makes `node`'s set the union of `a`'s and `b`'s.
    fn unite(&mut self, node: usize, a: u32, b: u32) {
        let start = self.pool.len();
        let ((mut i, i_end), (mut j, j_end)) = (self.span[a as usize], self.span[b as usize]);
        while i < i_end && j < j_end {
            let (x, y) = (self.pool[i], self.pool[j]);
            self.pool.push(x.min(y));
            i += usize::from(x <= y);
            j += usize::from(y <= x);
        }
        self.pool.extend_from_within(i..i_end);
        self.pool.extend_from_within(j..j_end);
        self.span[node] = (start, self.pool.len());
    }

    /// Makes `node`'s set the union of those of `parents`.
    fn unite_all(&mut self, node: usize, parents: &[u32]) {
        let mut union = Vec::new();
        for &p in parents {
            union.extend_from_slice(self.of(p));
        }
        union.sort_unstable();
        union.dedup();
        let start = self.pool.len();
        self.pool.extend(union);
        self.span[node] = (start, self.pool.len());
    }
}

impl<F: Scalar> Function<F> {
    /// The nodes node `node`'s partials go to: its op's parents, or a sum's
    /// terms and its products' operands.
    fn parents_of(&self, node: usize) -> Vec<u32> {
        match self.ops[node - 1] {
            op @ Op::Sum { .. } => (self.terms_of(op).iter())
                .flat_map(|t| match t.value {
                    Summand::Const(_) => vec![],
                    Summand::Node(n) => vec![n],
                    Summand::Product(a, b) => vec![a, b],
                })
                .collect(),
            op => op.parents(&self.selects).to_vec(),
        }
    }

    /// The inputs each node marked `needed` depends on through its edges,
    /// sorted (and those of the nodes they depend on; an empty set for the
    /// others): only what is asked, since a long sum's partial sums would
    /// each hold every input before them.
    fn dependencies(&self, mut needed: Vec<bool>) -> Sets {
        let lead = self.lead();
        let total = self.ops.len() + 1;
        for node in (lead..total).rev() {
            if needed[node] {
                (self.parents_of(node).iter()).for_each(|&p| needed[p as usize] = true);
            }
        }
        let mut sets = Sets {
            span: vec![(0, 0); total],
            pool: (0..self.inputs as u32).collect(),
        };
        for k in 0..self.inputs {
            sets.span[k + 1] = (k, k + 1);
        }
        for node in (lead..total).filter(|&n| needed[n]) {
            match self.parents_of(node)[..] {
                [a, b] => sets.unite(node, a, b),
                ref parents => sets.unite_all(node, parents),
            }
        }
        sets
    }

    /// The inputs `output` depends on, sorted: a walk back from it.
    fn inputs_of(&self, output: u32) -> Vec<usize> {
        let mut reached = vec![false; output as usize + 1];
        reached[output as usize] = true;
        let mut inputs = Vec::new();
        for node in (1..=output as usize).rev() {
            if !reached[node] {
                continue;
            }
            match node <= self.inputs {
                true => inputs.push(node - 1),
                false => (self.parents_of(node).iter()).for_each(|&p| reached[p as usize] = true),
            }
        }
        inputs.reverse();
        inputs
    }

    /// The sparsity pattern of the Jacobian: `(output, input)` for every
    /// input an output depends on, output by output, inputs in order. A
    /// pattern of the recording's structure: an entry can be zero at a
    /// point (a `floor`, a cancellation), but no entry outside it is ever
    /// nonzero.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// let f = Function::record(&[1.0; 3], |x: &[Active]| [x[0] * x[1], x[2].sin()])?;
    /// assert_eq!(f.jacobian_pattern(), [(0, 0), (0, 1), (1, 2)]);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    pub fn jacobian_pattern(&self) -> Vec<(usize, usize)> {
        // One output: a walk back from it (its partial sums would each hold
        // every input before them). Several: each one's inputs propagated
        // forward, once for all (a walk each would visit the nodes again).
        let rows: Vec<Vec<usize>> = match &self.outputs[..] {
            [y] => vec![y.node().map_or(Vec::new(), |n| self.inputs_of(n))],
            outputs => {
                let mut needed = vec![false; self.ops.len() + 1];
                outputs
                    .iter()
                    .filter_map(Arg::node)
                    .for_each(|n| needed[n as usize] = true);
                let deps = self.dependencies(needed);
                let row = |y: &Arg<F>| y.node().map_or(&[][..], |n| deps.of(n));
                outputs
                    .iter()
                    .map(|y| row(y).iter().map(|&j| j as usize).collect())
                    .collect()
            }
        };
        let rows = rows.into_iter().enumerate();
        rows.flat_map(|(row, inputs)| inputs.into_iter().map(move |j| (row, j)))
            .collect()
    }

    /// The sparsity pattern of the Hessian of the one output: every pair
    /// `(i, j)` of inputs (both orders, sorted) that a node on the way to
    /// the output couples nonlinearly: a product couples its operands'
    /// inputs with each other, a quotient and a nonlinear function every
    /// pair of their operands' inputs; sums, piecewise-linear ops and
    /// selects none. Structural, as [`jacobian_pattern`](Function::jacobian_pattern).
    /// Where a partial is infinite (`x % y`'s where `x / y` overflows, `∛u`
    /// at `u = 0`), the dense [`hessian`](Function::hessian)'s forward mode
    /// can meet `0 · ∞` and hold NaN outside the pattern, and is not
    /// symmetric where the function is not twice differentiable; a
    /// [`Sparse`](crate::replay::Sparse) Hessian gives the structure's zero
    /// there, and reads each entry from its row's product or its column's.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// // Σ (x[i+1] − x[i]²)²: a tridiagonal Hessian.
    /// let f = Function::record(&[0.5; 4], |x: &[Active]| {
    ///     x.windows(2).map(|w| (w[1] - w[0] * w[0]).powi(2)).sum::<Active>()
    /// })?;
    /// let pattern = f.hessian_pattern()?;
    /// assert!(pattern.iter().all(|&(i, j)| i.abs_diff(j) <= 1));
    /// assert_eq!(pattern.len(), 4 + 2 * 3);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Length`](crate::Error::Length) if the function has more than one output.
    pub fn hessian_pattern(&self) -> Result<Vec<(usize, usize)>> {
        let Arg::Node(output) = self.scalar_output()? else {
            return Ok(Vec::new());
        };
        // The nodes the output is reached from, through edges, that couple
        // their operands' inputs; their operands' inputs are then needed.
        let lead = self.lead();
        let mut reaches = vec![false; self.ops.len() + 1];
        reaches[output as usize] = true;
        let mut needed = vec![false; self.ops.len() + 1];
        let mut coupling = Vec::new();
        for node in (lead..=output as usize).rev() {
            if !reaches[node] {
                continue;
            }
            let parents = self.parents_of(node);
            parents.iter().for_each(|&p| reaches[p as usize] = true);
            let op = self.ops[node - 1];
            let products = self.terms_of(op).iter().filter_map(|t| match t.value {
                Summand::Product(a, b) => Some(([a, b], Coupling::Across)),
                _ => None,
            });
            let own = match op.coupling() {
                Coupling::None => None,
                kind => Some(([parents[0], parents[1]], kind)),
            };
            for ([a, b], kind) in products.chain(own) {
                needed[a as usize] = true;
                needed[b as usize] = true;
                coupling.push(([a, b], kind));
            }
        }
        let deps = self.dependencies(needed);
        let mut pairs = Vec::new();
        for ([a, b], kind) in coupling {
            let (da, db) = (deps.of(a), deps.of(b));
            match kind {
                Coupling::None => {}
                Coupling::Across => {
                    for &i in da {
                        pairs.extend(db.iter().flat_map(|&j| [(i, j), (j, i)]));
                    }
                }
                Coupling::All => {
                    // Every pair of da ∪ db (repeats go when rows are sorted).
                    let all = || da.iter().chain(db);
                    for &i in all() {
                        pairs.extend(all().map(|&j| (i, j)));
                    }
                }
            }
        }
        // Grouped by row, each row sorted: no sort of all the pairs at once.
        let pairs = pairs.iter().map(|&(i, j)| (i as usize, j as usize));
        Ok(Lists::group(self.inputs, pairs).into_sorted_pairs())
    }
}
