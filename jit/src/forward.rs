//! The forward pass as Cranelift IR: node by node with the op table's
//! arithmetic (the four operations inline, every other op a call of the
//! table's own `eval`), each value and computed partial stored for the
//! pieces after it; a stretch of ops that repeats a body as one loop over
//! it, what an iteration passes to the next in registers. And what the
//! roller compares of an op, and what an op leaves for the sweep.

use std::collections::HashMap;
use std::hash::Hash;
use std::mem::Discriminant;

use cranelift_codegen::ir::{InstBuilder, Value};
use tapegrad::replay::ir::{Arg, Binary, Ir, Op, Summand, Term, Test, Unary};

use crate::Real;
use crate::emit::{Emit, Kept, Plan};
use crate::fuse::{Fused, sum_after};
use crate::native::{self, Tables};
use crate::roll::{Item, Loop, Rolled, Segment, Space, Variants};

/// A sum's term as the roller compares it: an op computed where the sum
/// adds it ([`inlined`]) by its kind, what it reads and its constants.
pub(crate) fn term_item<F: Real>(
    term: &Term<F>,
    ir: &Ir<'_, F>,
    inlined: &[bool],
) -> Item<[u8; 2], F> {
    let (kind, indices, constants) = match term.value {
        Summand::Const(c) => (0, vec![], vec![c]),
        Summand::Node(n) if inlined[n as usize] => {
            let (code, operands) = inlined_op(ir, n);
            let (mut indices, mut constants) = (vec![], vec![]);
            for a in operands.into_iter().flatten() {
                match a {
                    Arg::Node(a) => indices.push(a as usize),
                    Arg::Const(k) => constants.push(k),
                }
            }
            (3 + code, indices, constants)
        }
        Summand::Node(n) => (1, vec![n as usize], vec![]),
        Summand::Product(a, b) => (2, vec![a as usize, b as usize], vec![]),
    };
    Item {
        shape: [kind, u8::from(term.minus)],
        spaces: vec![Space::Ir; indices.len()],
        indices,
        distinct: 0,
        constants,
    }
}

/// The ops a sum may compute where it adds them, each a number, and
/// their operands: those of no partial the forward pass stores (the sweep
/// reads constants or the operands' values).
fn inline_code<F: Real>(op: &Op<F>) -> Option<(u8, [Option<Arg<F>>; 2])> {
    let code = match op {
        Op::Add(..) => 0,
        Op::AddConst(..) => 1,
        Op::Sub(..) => 2,
        Op::SubConst(..) => 3,
        Op::ConstSub(..) => 4,
        Op::Mul(..) => 5,
        Op::MulConst(..) => 6,
        Op::DivConst(..) => 7,
        Op::Neg(_) => 8,
        _ => return None,
    };
    Some((code, op.operands()))
}

/// Node `n`'s op, which a sum computes ([`inlined`]): its code and
/// operands.
fn inlined_op<F: Real>(ir: &Ir<'_, F>, n: u32) -> (u8, [Option<Arg<F>>; 2]) {
    inline_code(&ir.ops[n as usize - 1]).expect("an op a sum computes")
}

/// Per node, whether a sum computes it where it adds it instead of the
/// forward pass in its place: an op of [`inline_code`] whose value only
/// that sum reads, as a term (the sweep reads no value but those the IR's
/// ops read: a product's partials are its operands). Its value is never
/// stored; the numbers are the same, an op being a function of its
/// operands alone. A dot product with constant data (`Σ θⱼ·xⱼ`) is one
/// loop, where it was a loop of products stored and one that read them.
pub(crate) fn inlined<F: Real>(ir: &Ir<'_, F>) -> Vec<bool> {
    let nodes = ir.ops.len() + 1;
    let (mut reads, mut by_sum) = (vec![0u32; nodes], vec![false; nodes]);
    let mut read = |a: Arg<F>| {
        if let Arg::Node(n) = a {
            reads[n as usize] += 1;
        }
    };
    for op in ir.ops {
        match *op {
            Op::Select(k) => {
                let select = &ir.selects[k as usize];
                (select.operands.into_iter().chain(select.branches)).for_each(&mut read);
            }
            Op::Sum { first, count } => {
                for term in &ir.terms[first as usize..(first + count) as usize] {
                    match term.value {
                        Summand::Const(_) => {}
                        Summand::Node(n) => {
                            read(Arg::Node(n));
                            by_sum[n as usize] = true;
                        }
                        Summand::Product(a, b) => {
                            read(Arg::Node(a));
                            read(Arg::Node(b));
                        }
                    }
                }
            }
            op => op.operands().into_iter().flatten().for_each(&mut read),
        }
    }
    for guard in ir.guards {
        guard.operands.into_iter().for_each(&mut read);
    }
    ir.outputs.iter().copied().for_each(&mut read);
    (0..nodes)
        .map(|n| n > 0 && reads[n] == 1 && by_sum[n] && inline_code(&ir.ops[n - 1]).is_some())
        .collect()
}

/// What an op leaves for the sweep: each partial a constant, an operand's
/// value (nothing to store), or computed and stored. [`Emit::op`]
/// computes those this says are stored.
pub(crate) fn kept_of<F: Real>(op: &Op<F>) -> [Kept<F>; 2] {
    let (c, stored) = (Kept::Const, Kept::Stored);
    let (one, minus, none) = (c(F::one()), c(-F::one()), c(F::zero()));
    match *op {
        Op::Add(..) => [one, one],
        Op::AddConst(..) | Op::SubConst(..) => [one, none],
        Op::Sub(..) => [one, minus],
        Op::ConstSub(..) | Op::Neg(_) | Op::Complement { .. } => [minus, none],
        Op::MulConst(_, k) => [c(k), none],
        // The table's 1/b, at a constant b: the same bits once.
        Op::DivConst(_, k) => [c(k.recip()), none],
        Op::Mul(a, b) => [Kept::Operand(b), Kept::Operand(a)],
        Op::Div(..) | Op::Binary(..) => [stored, stored],
        Op::ConstDiv(..)
        | Op::Unary(..)
        | Op::BinaryConst(..)
        | Op::ConstBinary(..)
        | Op::LnSigmoid { .. } => [stored, none],
        _ => [none, none],
    }
}

/// What must be the same of an op in every iteration of a loop: its kind
/// and everything else that is not a node or a constant.
#[derive(Clone, Debug)]
pub(crate) struct Shape<F> {
    op: Discriminant<Op<F>>,
    unary: Option<Unary>,
    binary: Option<Binary>,
    test: Option<Test>,
    /// Flags: `negated`; a select's and a sum's operands' kinds, a term's sign.
    flags: Vec<u8>,
}

impl<F> PartialEq for Shape<F> {
    fn eq(&self, other: &Self) -> bool {
        let fields = |s: &Self| (s.op, s.unary, s.binary, s.test);
        fields(self) == fields(other) && self.flags == other.flags
    }
}

impl<F> Eq for Shape<F> {}

impl<F> Hash for Shape<F> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.op, self.unary, self.binary, self.test, &self.flags).hash(state);
    }
}

/// Op `i` as the roller compares it: its own node and every node and
/// input it reads, every constant in it.
pub(crate) fn op_item<F: Real>(ir: &Ir<'_, F>, i: usize, inlined: &[bool]) -> Item<Shape<F>, F> {
    let op = &ir.ops[i];
    let mut item = Item {
        shape: Shape {
            op: std::mem::discriminant(op),
            unary: None,
            binary: None,
            test: None,
            flags: Vec::new(),
        },
        indices: vec![i + 1],
        // The code loads every operand (or reuses what it computed in the
        // iteration): it keeps track of no place by its value.
        distinct: 0,
        spaces: Vec::new(),
        constants: Vec::new(),
    };
    let (shape, indices, constants) = (&mut item.shape, &mut item.indices, &mut item.constants);
    let mut arg = |a: Arg<F>, flags: &mut Vec<u8>| match a {
        Arg::Node(n) => {
            flags.push(0);
            indices.push(n as usize)
        }
        Arg::Const(k) => {
            flags.push(1);
            constants.push(k)
        }
    };
    let (n, k) = (Arg::Node, Arg::Const);
    let mut flags = Vec::new();
    match *op {
        Op::Input(j) | Op::Param(j) => arg(n(j), &mut flags),
        Op::Fixed(c) => arg(k(c), &mut flags),
        Op::Select(j) => {
            let select = &ir.selects[j as usize];
            shape.test = Some(select.test);
            for a in select.operands.into_iter().chain(select.branches) {
                arg(a, &mut flags);
            }
        }
        Op::Sum { first, count } => {
            for term in &ir.terms[first as usize..(first + count) as usize] {
                let kind = match term.value {
                    Summand::Const(_) => 0,
                    Summand::Node(_) => 2,
                    Summand::Product(..) => 4,
                };
                flags.push(kind | u8::from(term.minus));
                match term.value {
                    Summand::Const(c) => arg(k(c), &mut flags),
                    Summand::Node(a) if inlined[a as usize] => {
                        let (code, operands) = inlined_op(ir, a);
                        flags.push(16 + code);
                        operands
                            .into_iter()
                            .flatten()
                            .for_each(|a| arg(a, &mut flags));
                    }
                    Summand::Node(a) => arg(n(a), &mut flags),
                    Summand::Product(a, b) => {
                        arg(n(a), &mut flags);
                        arg(n(b), &mut flags);
                    }
                }
            }
        }
        op => {
            match op {
                Op::Unary(u, _) => shape.unary = Some(u),
                Op::Binary(o, ..) | Op::BinaryConst(o, ..) | Op::ConstBinary(o, ..) => {
                    shape.binary = Some(o)
                }
                Op::LnSigmoid { negated, .. } => flags.push(u8::from(negated)),
                _ => {}
            }
            (op.operands().into_iter().flatten()).for_each(|a| arg(a, &mut flags));
        }
    }
    // An op its sum computes is no code here: never in a loop with one
    // that is.
    flags.push(u8::from(inlined[i + 1]));
    shape.flags = flags;
    item.spaces = vec![Space::Ir; item.indices.len()];
    item
}

impl<'a, F: Real> Emit<'a, '_, F> {
    /// Node `i + 1`'s value, its op's computed partials (those
    /// [`kept_of`] says are stored), and for a select whether it took its
    /// first branch; its operands as [`value`](Emit::value) finds them, its
    /// constants as [`constant`](Emit::constant) does.
    fn op(
        &mut self,
        i: usize,
        plan: &'a Plan<'_, F>,
        local: &mut HashMap<(u32, isize), Value>,
    ) -> (Value, [Option<Value>; 2], Option<Value>) {
        let (ir, tables) = (&plan.ir, plan.tables);
        let arg = |e: &mut Self, a: Arg<F>, local: &mut HashMap<_, _>| match a {
            Arg::Node(n) => e.value(n, local),
            Arg::Const(k) => e.constant(k),
        };
        let (value, partials) = match ir.ops[i] {
            Op::Input(_) | Op::Param(_) => unreachable!("`Code::run` copies the inputs in"),
            Op::Fixed(k) => (self.constant(k), [None; 2]),
            op if inline_code(&op).is_some() => {
                let [a, b] = (op.operands()).map(|a| a.map(|a| arg(self, a, local)));
                let (a, ins) = (a.expect("an operand"), self.b.ins());
                let value = match (op, b) {
                    (Op::Add(..) | Op::AddConst(..), Some(b)) => ins.fadd(a, b),
                    (Op::Sub(..) | Op::SubConst(..) | Op::ConstSub(..), Some(b)) => ins.fsub(a, b),
                    (Op::Mul(..) | Op::MulConst(..), Some(b)) => ins.fmul(a, b),
                    (Op::DivConst(..), Some(b)) => ins.fdiv(a, b),
                    _ => ins.fneg(a),
                };
                (value, [None; 2])
            }
            Op::Div(x, y) => {
                let [x, y] = [self.value(x, local), self.value(y, local)];
                let (q, [dx, dy]) = self.div(x, y);
                (q, [Some(dx), Some(dy)])
            }
            Op::ConstDiv(k, y) => {
                let [k, y] = [self.constant(k), self.value(y, local)];
                let (q, [_, dy]) = self.div(k, y);
                (q, [Some(dy), None])
            }
            Op::Unary(_, x) => {
                let x = self.value(x, local);
                let op = tables.unary_at(i).expect("a unary op's entry");
                let (value, d) = self.unary(op, x);
                (value, [Some(d), None])
            }
            Op::Binary(_, x, y) => {
                let xy = [self.value(x, local), self.value(y, local)];
                self.binary(tables, i, xy, [true, true])
            }
            Op::BinaryConst(_, x, k) => {
                let xk = [self.value(x, local), self.constant(k)];
                self.binary(tables, i, xk, [true, false])
            }
            Op::ConstBinary(_, k, y) => {
                let ky = [self.constant(k), self.value(y, local)];
                self.binary(tables, i, ky, [false, true])
            }
            Op::LnSigmoid { z, negated } => {
                let z = self.value(z, local);
                let z = if negated { self.b.ins().fneg(z) } else { z };
                let (value, d) = self.unary(&tables.ln_sigmoid, z);
                let d = match negated {
                    true => {
                        let m = F::constant(self.b, -F::one());
                        self.b.ins().fmul(m, d)
                    }
                    false => d,
                };
                (value, [Some(d), None])
            }
            Op::Complement { z, .. } => {
                let z = self.value(z, local);
                let minus_z = self.b.ins().fneg(z);
                let (value, _) = self.unary(&tables.sigmoid, minus_z);
                (value, [None; 2])
            }
            Op::Select(k) => {
                let select = &ir.selects[k as usize];
                let [p, q] = select.operands.map(|a| arg(self, a, local));
                let first = match self.compare(select.test, p, q) {
                    Some(first) => first,
                    None => {
                        let at = self.pointer(&tables.selects[k as usize]);
                        let call = self.b.ins().call(self.shims.select, &[at, p, q]);
                        self.b.inst_results(call)[0]
                    }
                };
                let [b0, b1] = select.branches.map(|a| arg(self, a, local));
                return (self.b.ins().select(first, b0, b1), [None; 2], Some(first));
            }
            Op::Sum { first, count } => {
                let terms = &ir.terms[first as usize..(first + count) as usize];
                let rolled = plan.sums.get(&i).filter(|_| self.frame.is_none());
                (self.sum(terms, rolled, plan, local), [None; 2])
            }
            _ => unreachable!("an op this compiler does not know"),
        };
        (value, partials, None)
    }

    /// The sum of `terms`, term by term, each operand loaded where it is
    /// added; the terms after the first in `rolled`'s segments if given
    /// (a long sum's repeated terms in loops).
    fn sum(
        &mut self,
        terms: &[Term<F>],
        rolled: Option<&'a Vec<Rolled<F>>>,
        plan: &'a Plan<'_, F>,
        local: &mut HashMap<(u32, isize), Value>,
    ) -> Value {
        let mut acc = self.term(&terms[0], plan, local);
        let Some(segments) = rolled else {
            // Cranelift computes a pure value where it is first used, so a
            // sum's additions all came at its end, after every load of its
            // terms, which spilled where they outnumbered the 16 float
            // registers of x86-64 (a logistic regression's dot product in
            // a loop over samples): stored (to the scratch slot, never
            // read), each partial sum is used in its place.
            let pinned = self.loads(terms, plan, local) > 16;
            for term in &terms[1..] {
                acc = self.add_term(acc, term, plan, local);
                if pinned {
                    self.b.ins().stack_store(self.ptr, acc, self.slot, 0);
                }
            }
            return acc;
        };
        for segment in segments {
            acc = match segment {
                Segment::One(t) => self.add_term(acc, &terms[1 + t], plan, local),
                Segment::Loop(l) => {
                    let each = |e: &mut Self, j: usize, acc: &mut Vec<Value>| {
                        let term = &terms[1 + l.start + j];
                        acc[0] = e.add_term(acc[0], term, plan, &mut HashMap::new());
                    };
                    self.repeat(l, vec![acc], each)[0]
                }
                Segment::Variants(never) => match *never {},
            };
        }
        acc
    }

    /// How many numbers the terms load (those not in registers).
    fn loads(
        &self,
        terms: &[Term<F>],
        plan: &Plan<'_, F>,
        local: &HashMap<(u32, isize), Value>,
    ) -> usize {
        let loaded = |n: u32| !local.contains_key(&(n, self.step(n as usize)));
        let mut nodes = Vec::new();
        for term in terms {
            match term.value {
                Summand::Const(_) => {}
                Summand::Node(n) if plan.inlined[n as usize] => {
                    let (_, operands) = inlined_op(&plan.ir, n);
                    nodes.extend(operands.into_iter().flatten().filter_map(|a| a.node()));
                }
                Summand::Node(n) => nodes.push(n),
                Summand::Product(a, b) => nodes.extend([a, b]),
            }
        }
        nodes.into_iter().filter(|&n| loaded(n)).count()
    }

    /// A sum's term's value.
    fn term(
        &mut self,
        term: &Term<F>,
        plan: &'a Plan<'_, F>,
        local: &mut HashMap<(u32, isize), Value>,
    ) -> Value {
        match term.value {
            Summand::Const(k) => self.constant(k),
            Summand::Node(n) if plan.inlined[n as usize] => self.op(n as usize - 1, plan, local).0,
            Summand::Node(n) => self.value(n, local),
            Summand::Product(x, y) => {
                let [x, y] = [self.value(x, local), self.value(y, local)];
                self.b.ins().fmul(x, y)
            }
        }
    }

    /// `acc + term`, or `acc − term` if the term is subtracted.
    fn add_term(
        &mut self,
        acc: Value,
        term: &Term<F>,
        plan: &'a Plan<'_, F>,
        local: &mut HashMap<(u32, isize), Value>,
    ) -> Value {
        let value = self.term(term, plan, local);
        match term.minus {
            false => self.b.ins().fadd(acc, value),
            true => self.b.ins().fsub(acc, value),
        }
    }

    /// The table's `a / b`: `q = a/b`, partials `1/b` and `−q/b`.
    fn div(&mut self, a: Value, b: Value) -> (Value, [Value; 2]) {
        let one = F::constant(self.b, F::one());
        let q = self.b.ins().fdiv(a, b);
        let recip = self.b.ins().fdiv(one, b);
        let minus_q = self.b.ins().fneg(q);
        (q, [recip, self.b.ins().fdiv(minus_q, b)])
    }

    /// The table's `op(x)` and its partial, by a call of `Unary::eval`:
    /// of the op's own shim if it has one.
    fn unary(&mut self, op: &'a Unary, x: Value) -> (Value, Value) {
        let out = self.b.ins().stack_addr(self.ptr, self.slot, 0);
        let call = match native::unary_of::<F>(*op) {
            Some(shim) => {
                let shim = self.b.ins().iconst(self.ptr, shim as i64);
                (self.b.ins()).call_indirect(self.shims.unary_of, shim, &[x, out])
            }
            None => {
                let at = self.pointer(op);
                self.b.ins().call(self.shims.unary, &[at, x, out])
            }
        };
        let value = self.b.inst_results(call)[0];
        (
            value,
            self.b.ins().stack_load(self.ptr, F::TYPE, self.slot, 0),
        )
    }

    /// The table's op of node `i + 1` of the operands `[a, b]`, and its
    /// partials with respect to those that are nodes (`nodes`), first.
    fn binary(
        &mut self,
        tables: &'a Tables<F>,
        i: usize,
        [a, b]: [Value; 2],
        nodes: [bool; 2],
    ) -> (Value, [Option<Value>; 2]) {
        let op = tables.binary_at(i).expect("a binary op's entry");
        let at = self.pointer(op);
        let out = self.b.ins().stack_addr(self.ptr, self.slot, 0);
        let call = self.b.ins().call(self.shims.binary, &[at, a, b, out]);
        let value = self.b.inst_results(call)[0];
        let mut partials = [None; 2];
        let kept = (0..2).filter(|&k| nodes[k]);
        for (slot, k) in kept.enumerate() {
            let offset = k as i32 * self.size;
            partials[slot] = Some(
                self.b
                    .ins()
                    .stack_load(self.ptr, F::TYPE, self.slot, offset),
            );
        }
        (value, partials)
    }

    /// Node `n`'s value: computed or loaded in this piece (or iteration),
    /// or loaded now.
    fn value(&mut self, n: u32, local: &mut HashMap<(u32, isize), Value>) -> Value {
        let key = (n, self.step(n as usize));
        if let Some(&value) = local.get(&key) {
            return value;
        }
        let value = self.load(F::TYPE, self.buffers.values, n as usize);
        local.insert(key, value);
        value
    }

    /// The forward pass of `segments`: each node's value to the values,
    /// its computed partials to the partials.
    pub(crate) fn forward(&mut self, segments: &'a [Segment<F>], plan: &'a Plan<'_, F>) {
        // The values computed or loaded in this piece: in registers.
        let mut local = HashMap::new();
        let mut s = 0;
        while s < segments.len() {
            match &segments[s] {
                Segment::One(i) => self.forward_op(*i, plan, &mut local),
                // A loop of ops its sums compute is no code.
                Segment::Loop(l) if plan.sums_compute(l) => {}
                // Fused with the sum after it, which it is built with.
                Segment::Loop(l)
                    if let Some(fused) = plan.fused.sums.get(&l.start)
                        && let Some((at, i, _)) = sum_after(segments, s, plan)
                        && i == fused.sum =>
                {
                    self.forward_fused(fused, plan, &mut local);
                    s = at;
                }
                Segment::Loop(l) => self.forward_loop(l, plan, &mut local),
                Segment::Variants(v) => self.forward_variants(v, plan),
            }
            s += 1;
        }
    }

    /// A loop of ops and the sum after it, fused (see [`crate::fuse`]).
    fn forward_fused(
        &mut self,
        fused: &'a Fused<F>,
        plan: &'a Plan<'_, F>,
        outer: &mut HashMap<(u32, isize), Value>,
    ) {
        let Op::Sum { first, count } = plan.ir.ops[fused.sum] else {
            unreachable!("fused with a sum")
        };
        let terms = &plan.ir.terms[first as usize..(first + count) as usize];
        let segments = &plan.sums[&fused.sum];
        if let Some(l) = &fused.before {
            self.forward_loop(l, plan, outer);
        }
        for &i in &fused.between {
            self.forward_op(i, plan, outer);
        }
        let mut acc = self.term(&terms[0], plan, outer);
        // Term `t` of those after the first, added.
        let add = |e: &mut Self, t: usize, acc: Value, local: &mut HashMap<_, _>| {
            e.add_term(acc, &terms[1 + t], plan, local)
        };
        for segment in &segments[..fused.prologue] {
            let Segment::One(t) = segment else {
                unreachable!("the sum's one loop comes after")
            };
            acc = add(self, *t, acc, outer);
        }
        // The ops' values of the iteration before, then the partial sum.
        let before = self.before(&fused.ops, plan);
        let carry = (before.iter().map(|&n| self.value(n, outer)))
            .chain(Some(acc))
            .collect();
        let mut local = HashMap::new();
        let parts = [&fused.ops, &fused.terms];
        let out = self.repeat_parts(&parts, carry, |e, part, j, carried| match part {
            0 => e.forward_item(&fused.ops, j, plan, &before, &mut local, carried),
            _ => {
                let last = carried.len() - 1;
                carried[last] = add(e, fused.terms.start + j, carried[last], &mut local);
            }
        });
        acc = out[out.len() - 1];
        if let Some(l) = &fused.rest_ops {
            self.forward_loop(l, plan, outer);
        }
        if let Some(l) = &fused.rest_terms {
            acc = self.repeat(l, vec![acc], |e, j, acc| {
                acc[0] = add(e, l.start + j, acc[0], &mut HashMap::new());
            })[0];
        }
        for segment in &segments[fused.prologue + 1..] {
            let Segment::One(t) = segment else {
                unreachable!("the sum's one loop came before")
            };
            acc = add(self, *t, acc, outer);
        }
        let node = fused.sum + 1;
        self.store(acc, self.buffers.values, node);
        outer.insert((node as u32, 0), acc);
    }

    /// The loop `l` of ops. The values an iteration reads of the one
    /// before pass in registers; those it computes or loads stay in them
    /// for the rest of the iteration.
    fn forward_loop(
        &mut self,
        l: &'a Loop<F>,
        plan: &'a Plan<'_, F>,
        outer: &mut HashMap<(u32, isize), Value>,
    ) {
        let before = self.before(l, plan);
        let carry = before.iter().map(|&n| self.value(n, outer)).collect();
        let mut local = HashMap::new();
        self.repeat(l, carry, |e, j, carried| {
            e.forward_item(l, j, plan, &before, &mut local, carried);
        });
    }

    /// The loop of variants `v` of ops. An iteration loads what it reads
    /// of the iterations before.
    fn forward_variants(&mut self, v: &'a Variants<F>, plan: &'a Plan<'_, F>) {
        let mut local = HashMap::new();
        self.repeat_variants(v, |e, b, j| {
            if j == 0 {
                local.clear();
            }
            e.forward_op(v.bodies[b].start + j, plan, &mut local);
        });
    }

    /// The nodes of the iteration before that the body of loop `l` of ops
    /// reads.
    fn before(&self, l: &Loop<F>, plan: &Plan<'_, F>) -> Vec<u32> {
        let (first, period) = (l.start + 1, l.period);
        let step = period as isize;
        let mut before: Vec<u32> = (0..period)
            .filter(|&j| !plan.inlined[l.start + j + 1])
            .flat_map(|j| {
                let item = op_item(&plan.ir, l.start + j, &plan.inlined);
                (item.indices.into_iter().skip(1)).filter(move |&n| {
                    n + period >= first && n < first && l.steps[j].get(&n) == Some(&step)
                })
            })
            .map(|n| n as u32)
            .collect();
        before.sort_unstable();
        before.dedup();
        before
    }

    /// Item `j` of loop `l` of ops: `carried` starts with the values of
    /// the nodes `before`, of the iteration before, and leaves this one's.
    fn forward_item(
        &mut self,
        l: &'a Loop<F>,
        j: usize,
        plan: &'a Plan<'_, F>,
        before: &[u32],
        local: &mut HashMap<(u32, isize), Value>,
        carried: &mut [Value],
    ) {
        let (period, step) = (l.period, l.period as isize);
        if j == 0 {
            // What the last copy of the body computed is of another
            // iteration (a loop built twice an iteration).
            local.clear();
            local.extend((before.iter().zip(carried.iter())).map(|(&n, &v)| ((n, step), v)));
        }
        self.forward_op(l.start + j, plan, local);
        if j + 1 == period {
            for (&n, value) in before.iter().zip(carried.iter_mut()) {
                *value = local[&(n + period as u32, step)];
            }
        }
    }

    /// Op `i`'s value and computed partials, stored.
    fn forward_op(
        &mut self,
        i: usize,
        plan: &'a Plan<'_, F>,
        local: &mut HashMap<(u32, isize), Value>,
    ) {
        let node = i + 1;
        if plan.inlined[node] {
            return; // computed where its sum adds it
        }
        let (value, partials, first) = self.op(i, plan, local);
        let (values, stored) = (self.buffers.values, self.buffers.partials);
        self.store(value, values, node);
        let step = self.step(node);
        local.insert((node as u32, step), value);
        for (k, d) in partials.into_iter().enumerate() {
            if let Some(d) = d {
                self.store_at(d, stored, 2 * node + k, 2 * step);
            }
        }
        if let Some(first) = first {
            let flag = self.b.ins().fcvt_from_uint(F::TYPE, first);
            self.store_at(flag, stored, 2 * node, 2 * step);
        }
    }
}
