//! [`Function::optimize`]: fewer nodes, the same numbers.

use std::collections::HashMap;

use num_traits::Float;

use super::chains::Chains;
use super::{Arg, Code, Function, Instr, Select, Side, Step, Visit, fresh_layout};
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
    /// Makes the function smaller, with the same values and derivatives:
    /// folds the ops whose operands are all constants (a variable made
    /// inside the recorded closure is one), merges ops of the same code and
    /// operands (common subexpressions), and drops the nodes no output,
    /// guard or `select` depends on. Compare [`len`](Function::len) before
    /// and after. Then each sum written term by term (`acc + t`, `acc − t·k`,
    /// `acc + c`, where each partial sum is used by the next alone) is swept
    /// as one node whose edges go to the terms, with their constant partials,
    /// and evaluated as one step that computes the products only it reads:
    /// a logit `b + Σ wᵢ·xᵢ` is one node, not `2n`; and a node of one
    /// constant partial (`−x`, `x·k`, `x + c`) used by one other alone is
    /// folded into that node's edge: a partial of ±1 anywhere, another only
    /// as a sum's term, where the edge multiplies the adjoint by it alone as
    /// the unfolded sweep does, so that a fold never turns a finite
    /// derivative infinite.
    ///
    /// Values are the same to the bit. A merged node's adjoint is the sum of
    /// its copies', added in another order, and a term reached by a sum and
    /// by other nodes gets their contributions in another order, so
    /// derivatives can differ in the last bits. A [`Workspace`](crate::replay::Workspace) made before
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
    /// assert_eq!(f.len(), 5); // two inputs, sin, mul, add
    /// let g = f.gradient(&mut f.workspace(), &[1.0, 2.0])?;
    /// assert_eq!(g, [1.0_f64.cos() * 3.0, 1.0_f64.sin()]);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    pub fn optimize(&mut self) {
        let lead = self.lead();
        let total = self.instrs.len() + 1;
        // What each node is now: itself, an earlier equal node, or a constant.
        let mut now: Vec<Arg<F>> = (0..total as u32).map(Arg::Node).collect();
        let mut seen = HashMap::new();
        for node in lead..total {
            let instr = self.rename(node - 1, |arg| arg.map_node(|n| now[n as usize]));
            let operands = self.reads(&instr);
            if instr.code == Code::Fixed || operands.iter().all(|a| a.node().is_none()) {
                now[node] = Arg::Const(instr.eval::<F>(&[], &self.selects).0);
                continue;
            }
            // A select is keyed by its test and operands, not its index.
            let (code, test) = match instr.code {
                Code::Select(k) => (Code::Select(0), Some(self.selects[k as usize].test)),
                code => (code, None),
            };
            let operands: Vec<Key> = operands.into_iter().map(key).collect();
            let first = seen.entry((code, test, operands)).or_insert(node as u32);
            now[node] = Arg::Node(*first);
        }
        self.rename_ends(|arg| arg.map_node(|n| now[n as usize]));
        // A guard of constants always comes out as it did.
        self.guards
            .retain(|g| g.operands.iter().any(|a| a.node().is_some()));
        self.compact(lead, &now);
    }

    /// Keeps the leading inputs and the nodes that an output, a guard or a
    /// kept node reads (each standing for itself in `now`), renumbered in
    /// order; rebuilds the layout and the program.
    fn compact(&mut self, lead: usize, now: &[Arg<F>]) {
        let total = self.instrs.len() + 1;
        let mut live = vec![false; total];
        live[..lead].iter_mut().for_each(|l| *l = true);
        self.ends().for_each(|n| live[n as usize] = true);
        for node in (lead..total).rev() {
            let standing = now[node] == Arg::Node(node as u32);
            if !(live[node] && standing) {
                live[node] = false;
                continue;
            }
            let reads = self.reads(&self.instrs[node - 1]);
            reads
                .iter()
                .filter_map(Arg::node)
                .for_each(|n| live[n as usize] = true);
        }
        let mut index = vec![0u32; total];
        let mut kept = 0;
        for node in 0..total {
            if live[node] {
                index[node] = kept;
                kept += 1;
            }
        }
        let renumber = |arg: Arg<F>| arg.map_node(|n| Arg::Node(index[n as usize]));
        let kept_nodes = (1..total).filter(|&node| live[node]);
        let instrs = kept_nodes
            .map(|node| self.rename(node - 1, renumber))
            .collect();
        self.instrs = instrs;
        self.rename_ends(renumber);
        self.parents = std::iter::once([0; 2])
            .chain(self.instrs.iter().map(|i| parents(i, &self.selects)))
            .collect();
        let steps = Step::all(&self.instrs);
        // How often each node's value is read: by the nodes after it, and
        // (for ever) by an output or a guard.
        let mut uses = vec![0usize; self.instrs.len() + 1];
        for instr in &self.instrs {
            let reads = self.reads(instr);
            reads
                .iter()
                .filter_map(Arg::node)
                .for_each(|n| uses[n as usize] += 1);
        }
        self.ends().for_each(|n| uses[n as usize] = usize::MAX);
        (self.chains, self.program) = match Chains::new(&steps, &self.parents, lead, &uses) {
            Some((chains, program)) => (Some(chains), program),
            None => (None, Visit::all(&steps, lead)),
        };
        self.layout = fresh_layout();
    }

    /// Applies `f` to the operands of the `k`-th instruction (its select's
    /// included), sets a binary op's constant side anew, and returns it.
    fn rename(&mut self, k: usize, f: impl Fn(Arg<F>) -> Arg<F>) -> Instr<F> {
        let instr = &mut self.instrs[k];
        instr.args = instr.args.map(&f);
        match instr.code {
            Code::Select(s) => {
                let select = &mut self.selects[s as usize];
                select.operands = select.operands.map(&f);
                select.branches = select.branches.map(&f);
            }
            Code::Binary(op, _) => instr.code = Code::Binary(op, side(instr.args)),
            _ => {}
        }
        *instr
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

    /// The operands `instr` reads, a select's included.
    fn reads(&self, instr: &Instr<F>) -> Vec<Arg<F>> {
        match instr.code {
            Code::Select(k) => {
                let select = &self.selects[k as usize];
                [select.operands, select.branches].concat()
            }
            // The second operand is the first again.
            Code::Unary(_) | Code::LnSigmoid { .. } => vec![instr.args[0]],
            _ => instr.args.to_vec(),
        }
    }
}

/// Which operand of two is a constant.
fn side<F>(args: [Arg<F>; 2]) -> Side {
    match args {
        [Arg::Const(_), _] => Side::Left,
        [_, Arg::Const(_)] => Side::Right,
        _ => Side::Neither,
    }
}

/// The parents a node of `instr` records, as the op that recorded it did.
fn parents<F: Float>(instr: &Instr<F>, selects: &[Select<F>]) -> [u32; 2] {
    let [a, b] = instr.args.map(|arg| arg.node());
    match instr.code {
        Code::Input(_) | Code::Param(_) | Code::Fixed => [0; 2],
        Code::Binary(_, Side::Left) => [b.unwrap_or(0), 0],
        Code::Binary(_, Side::Neither) => [a.unwrap_or(0), b.unwrap_or(0)],
        Code::Select(k) => selects[k as usize].parents(),
        _ => [a.unwrap_or(0), 0],
    }
}
