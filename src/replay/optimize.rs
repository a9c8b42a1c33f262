//! [`Function::optimize`]: fewer nodes, the same numbers.

use std::collections::HashMap;

use num_traits::Float;

use super::{Arg, Code, Function, Op, Summand, Term, fresh_layout};
use crate::active::Scalar;

/// An operand as a key: a node, or a constant's exact bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Node(u32),
    Const(u64, i16, i8),
}

fn key<F: Float>(arg: Arg<F>) -> Key {
    match arg {
        Arg::Node(node) => Key::Node(node),
        Arg::Const(c) => {
            let (mantissa, exponent, sign) = c.integer_decode();
            Key::Const(mantissa, exponent, sign)
        }
    }
}

impl<F: Scalar> Function<F> {
    /// Makes the function smaller, with the same values and derivatives,
    /// in passes over its IR (see its `Display`): folds the ops whose
    /// operands are all constants (a variable made inside the recorded
    /// closure is one), merges ops of the same code and operands (common
    /// subexpressions), and drops the nodes no output, guard or `select`
    /// depends on. Then each sum written term by term (`acc + t`,
    /// `acc − t`, `acc + c`, each partial sum read by the next alone)
    /// becomes one op of many terms, evaluated term by term in the order
    /// written, a product only it reads one of its terms: a logit
    /// `b + Σ wᵢ·xᵢ` is one node, not `2n`. Compare [`len`](Function::len)
    /// before and after.
    ///
    /// The reverse sweep then visits fewer nodes still: a sum whose terms
    /// are sums read there alone (`Σ (a·a + c·c)`, as `Iterator::sum` of
    /// terms writes it) is swept as one node, each inner sum evaluated as it
    /// was written, so that the sweep does not depend on how the sum was
    /// parenthesized; a node of one constant partial (`−x`, `x·k`, `x + c`)
    /// read by one other alone is folded into that node's edge (a partial
    /// of ±1 anywhere, another only as a sum's term, where the edge
    /// multiplies the adjoint by it alone as the unfolded sweep does, so
    /// that a fold never turns a finite derivative infinite).
    ///
    /// Values are the same to the bit. A merged node's adjoint is the sum of
    /// its copies', added in another order, and a term reached by a sum and
    /// by other nodes gets their contributions in another order, so
    /// derivatives can differ in the last bits; and where copies' adjoints
    /// cancel before an infinite partial (`x·y − x·y` at `y = ∞`), the
    /// merged node passes nothing where the copies made `∞ − ∞ = NaN`, so a
    /// derivative NaN before `optimize` can be a number after. A [`Workspace`](crate::replay::Workspace) made before
    /// `optimize` is refused with [`Error::ForeignWorkspace`](crate::Error::ForeignWorkspace):
    /// make a new one.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// let mut f = Function::record(&[1.0, 2.0], |x: &[Active]| {
    ///     let unused = x[0].exp(); // nothing depends on it
    ///     let _ = unused;
    ///     x[0].sin() * x[1] + x[0].sin() // `x[0].sin()` twice
    /// })?;
    /// assert_eq!(f.len(), 7);
    /// f.optimize();
    /// assert_eq!(f.len(), 4); // two inputs, sin, and sin·x[1] + sin as one sum
    /// let g = f.gradient(&mut f.workspace(), &[1.0, 2.0])?;
    /// assert_eq!(g, [1.0_f64.cos() * 3.0, 1.0_f64.sin()]);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    pub fn optimize(&mut self) {
        let constants = self.fold_constants();
        self.rename_all(&constants);
        let repeats = self.merge_repeats();
        self.rename_all(&repeats);
        self.drop_dead();
        self.fuse_sums();
        self.drop_dead(); // the running sums and the products a sum computes
        self.sweep = self.lower(true);
        self.layout = fresh_layout();
    }

    /// The constant-folding pass: what each node is once every op whose
    /// operands are all constants is computed (a variable made inside the
    /// recorded closure is one): itself, or its constant value.
    fn fold_constants(&self) -> Vec<Arg<F>> {
        let (lead, total) = (self.lead(), self.ops.len() + 1);
        let mut now: Vec<Arg<F>> = (0..total as u32).map(Arg::Node).collect();
        // The constants found so far, at their nodes, for the ops that read them.
        let mut values = vec![F::zero(); total];
        for node in lead..total {
            let op = self.ops[node - 1];
            let folded = |a: &Arg<F>| a.node().is_none_or(|n| now[n as usize].node().is_none());
            if self.reads(op).iter().all(folded) {
                values[node] = match op {
                    Op::Select(k) => self.selects[k as usize].pick(&values).0,
                    Op::Sum { .. } => self.sum(op, &values, 0, None),
                    op => op.eval(&values, (0, F::zero())).0,
                };
                now[node] = Arg::Const(values[node]);
            }
        }
        now
    }

    /// The common-subexpression pass: what each node is once ops of the
    /// same code and operands (a constant by its exact bits) are one:
    /// itself, or the first node equal to it.
    fn merge_repeats(&mut self) -> Vec<Arg<F>> {
        let (lead, total) = (self.lead(), self.ops.len() + 1);
        let mut now: Vec<Arg<F>> = (0..total as u32).map(Arg::Node).collect();
        let mut seen = HashMap::new();
        for node in lead..total {
            let op = self.rename(node - 1, |n| now[n as usize]);
            if let Op::Sum { .. } = op {
                continue; // made after merging, and of merged terms
            }
            // A select is keyed by its test and operands, not its index.
            let (code, test) = match op.code().0 {
                Code::Select(k) => (Code::Select(0), Some(self.selects[k as usize].test)),
                code => (code, None),
            };
            let operands: Vec<Key> = self.reads(op).into_iter().map(key).collect();
            let first = seen.entry((code, test, operands)).or_insert(node as u32);
            now[node] = Arg::Node(*first);
        }
        now
    }

    /// Every operand, output and guard's operand as `now` says it is now
    /// (the ops of the nodes that are now another, which nothing reads
    /// now, left as they are); a guard of constants, which always comes out
    /// as it did, dropped.
    fn rename_all(&mut self, now: &[Arg<F>]) {
        for node in (1..now.len()).filter(|&n| now[n] == Arg::Node(n as u32)) {
            self.rename(node - 1, |n| now[n as usize]);
        }
        self.rename_ends(|arg| arg.map_node(|n| now[n as usize]));
        self.guards
            .retain(|g| g.operands.iter().any(|a| a.node().is_some()));
    }

    /// The dead-code pass: keeps the leading inputs and the nodes that an
    /// output, a guard or a kept node reads, renumbered in order (a node
    /// another now stands for is read by none). Like every pass it rewrites
    /// the IR alone: `optimize` lowers it once, after the last.
    fn drop_dead(&mut self) {
        let (lead, total) = (self.lead(), self.ops.len() + 1);
        let mut live = vec![false; total];
        live[..lead].iter_mut().for_each(|l| *l = true);
        self.ends().for_each(|n| live[n as usize] = true);
        for node in (lead..total).rev() {
            if live[node] {
                let reads = self.reads(self.ops[node - 1]);
                reads
                    .iter()
                    .filter_map(Arg::node)
                    .for_each(|n| live[n as usize] = true);
            }
        }
        let mut index = vec![0u32; total];
        let mut kept = 0;
        for node in 0..total {
            if live[node] {
                index[node] = kept;
                kept += 1;
            }
        }
        let renumber = |n: u32| Arg::Node(index[n as usize]);
        let kept_nodes = (1..total).filter(|&node| live[node]);
        let ops = kept_nodes.map(|node| self.rename(node - 1, renumber));
        self.ops = ops.collect();
        self.rename_ends(|arg| arg.map_node(renumber));
    }

    /// How often each node's value is read: by the ops after it, and (for
    /// ever) by an output or a guard.
    pub(super) fn uses(&self) -> Vec<usize> {
        let mut uses = vec![0usize; self.ops.len() + 1];
        for &op in &self.ops {
            let reads = self.reads(op);
            reads
                .iter()
                .filter_map(Arg::node)
                .for_each(|n| uses[n as usize] += 1);
        }
        self.ends().for_each(|n| uses[n as usize] = usize::MAX);
        uses
    }

    /// The terms of `op`, if it is a sum.
    pub(super) fn terms_of(&self, op: Op<F>) -> &[Term<F>] {
        match op {
            Op::Sum { first, count } => &self.terms[first as usize..(first + count) as usize],
            _ => &[],
        }
    }

    /// Renames each node operand `n` of the `k`-th op (its select's
    /// included) `f(n)`, and returns the op.
    fn rename(&mut self, k: usize, f: impl Fn(u32) -> Arg<F>) -> Op<F> {
        let op = self.ops[k].renamed(&f);
        if let Op::Select(s) = op {
            let select = &mut self.selects[s as usize];
            select.operands = select.operands.map(|a| a.map_node(&f));
            select.branches = select.branches.map(|a| a.map_node(&f));
        }
        if let Op::Sum { first, count } = op {
            let node = |n: u32| f(n).node().expect("a product's operand stays a node");
            for term in &mut self.terms[first as usize..(first + count) as usize] {
                term.value = match term.value {
                    Summand::Node(n) => match f(n) {
                        Arg::Node(n) => Summand::Node(n),
                        Arg::Const(c) => Summand::Const(c),
                    },
                    Summand::Product(a, b) => Summand::Product(node(a), node(b)),
                    constant => constant,
                };
            }
        }
        self.ops[k] = op;
        op
    }

    /// The nodes the outputs and the guards read.
    fn ends(&self) -> impl Iterator<Item = u32> + '_ {
        let operands = self.guards.iter().flat_map(|g| &g.operands);
        self.outputs.iter().chain(operands).filter_map(Arg::node)
    }

    /// Applies `f` to the outputs and the guards' operands.
    fn rename_ends(&mut self, f: impl Fn(Arg<F>) -> Arg<F>) {
        self.outputs.iter_mut().for_each(|y| *y = f(*y));
        for guard in &mut self.guards {
            guard.operands = guard.operands.map(&f);
        }
    }

    /// The operands `op` reads, a select's included.
    fn reads(&self, op: Op<F>) -> Vec<Arg<F>> {
        match op {
            Op::Select(k) => {
                let select = &self.selects[k as usize];
                [select.operands, select.branches].concat()
            }
            Op::Sum { .. } => (self.terms_of(op).iter())
                .flat_map(|t| match t.value {
                    Summand::Const(c) => [Some(Arg::Const(c)), None],
                    Summand::Node(n) => [Some(Arg::Node(n)), None],
                    Summand::Product(a, b) => [Some(Arg::Node(a)), Some(Arg::Node(b))],
                })
                .flatten()
                .collect(),
            op => op.code().1.into_iter().flatten().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Active;

    fn record(f: impl FnOnce(&[Active]) -> Active) -> Function<f64> {
        Function::record(&[0.5, 2.0], f).expect("replayable")
    }

    #[test]
    fn folding_makes_a_variable_made_inside_the_closure_and_its_ops_constants() {
        let f = record(|x| {
            let c = Active::var(3.0); // a node, fixed at 3
            x[0] * (c * 2.0)
        });
        let now = f.fold_constants();
        let [c, twice, product] = [3, 4, 5];
        assert_eq!(now[c], Arg::Const(3.0));
        assert_eq!(now[twice], Arg::Const(6.0));
        assert_eq!(now[product], Arg::Node(product as u32));
    }

    #[test]
    fn merging_maps_a_repeated_op_to_its_first_and_keeps_the_rest() {
        let mut f = record(|x| x[0].sin() * x[1] + x[0].sin() + x[1].sin());
        let now = f.merge_repeats();
        let [sin0, _mul, sin0_again, _add, sin1] = [3, 4, 5, 6, 7];
        assert_eq!(now[sin0_again], Arg::Node(sin0 as u32));
        assert_eq!(now[sin1], Arg::Node(sin1 as u32));
    }

    #[test]
    fn dropping_dead_code_keeps_what_an_output_or_a_guard_reads() {
        let mut f = record(|x| {
            let _unused = x[0].exp();
            let guarded = x[1] * 2.0;
            if guarded > 0.0 {
                x[0].sin()
            } else {
                x[0].cos()
            }
        });
        assert_eq!(f.len(), 5); // two inputs, exp, mul, sin
        f.drop_dead();
        assert_eq!(f.len(), 4); // the exp dropped; the guard keeps the mul
        f.sweep = f.lower(false);
        let mut ws = f.workspace();
        assert_eq!(f.value(&mut ws, &[1.0, 3.0]).unwrap(), [1.0_f64.sin()]);
    }

    #[test]
    fn fusing_makes_a_sum_written_term_by_term_one_op_of_its_terms_in_order() {
        let mut f = record(|x| x[0].sin() + x[1].exp() - x[0] * x[1] + 2.5);
        let [x0, x1, sin, exp] = [1, 2, 3, 4];
        f.fuse_sums();
        let last = *f.ops.last().expect("ops");
        let terms: Vec<(bool, Summand<f64>)> = (f.terms_of(last).iter())
            .map(|t| (t.minus, t.value))
            .collect();
        let expected = [
            (false, Summand::Node(sin)),
            (false, Summand::Node(exp)),
            (true, Summand::Product(x0, x1)),
            (false, Summand::Const(2.5)),
        ];
        assert_eq!(terms, expected);
        // The running sums and the product are read by dead links alone.
        f.drop_dead();
        assert_eq!(f.len(), 5); // two inputs, sin, exp, the sum
        f.sweep = f.lower(false);
        let mut ws = f.workspace();
        let (x, y) = (0.25_f64, 1.5_f64);
        let (value, gradient) = f.value_and_gradient(&mut ws, &[x, y]).unwrap();
        assert_eq!(value.to_bits(), (x.sin() + y.exp() - x * y + 2.5).to_bits());
        assert_eq!(gradient, [x.cos() - y, y.exp() - x]);
    }

    #[test]
    fn a_sum_of_sums_is_swept_as_one_node_however_it_is_parenthesized() {
        let term = |a: Active, b: Active| a * a + b.sin();
        let nested = |x: &[Active]| -> Active { x.windows(2).map(|w| term(w[0], w[1])).sum() };
        let folded = |x: &[Active]| {
            let mut total = Active::constant(-0.0);
            for w in x.windows(2) {
                total = total + w[0] * w[0] + w[1].sin();
            }
            total
        };
        let x = [0.5, -1.25, 2.0, 0.75, 3.0];
        let mut sweeps = Vec::new();
        for f in [&nested as &dyn Fn(&[Active]) -> Active, &folded] {
            let plain = Function::record(&x, f).expect("replayable");
            let mut g = plain.clone();
            g.optimize();
            sweeps.push(g.sweep.layout.len());
            let at = [1.5, 0.25, -2.0, 1.0, 0.5];
            let (mut ws, mut fresh) = (g.workspace(), plain.workspace());
            let (value, gradient) = g.value_and_gradient(&mut ws, &at).unwrap();
            let (v0, g0) = plain.value_and_gradient(&mut fresh, &at).unwrap();
            assert_eq!(value.to_bits(), v0.to_bits());
            for (a, b) in gradient.iter().zip(&g0) {
                assert!((a - b).abs() <= 1e-15 * b.abs().max(1.0), "{a} against {b}");
            }
        }
        // The sink, five inputs and one node for the whole sum, whose terms
        // the squares and sines are.
        assert_eq!(sweeps, [7, 7]);
    }
}
