//! Forward mode compiled: the code of `jvp` and `hvp`, every number a
//! `Dual<F, 1>` (a value and a tangent, two lanes side by side in every
//! buffer). `+`, `−`, `×` and `−x` are inline, written as `Dual`'s rules
//! are (a partial that is not finite passes nothing from a zero tangent);
//! every other op is a call of the interpreter's own arithmetic for it
//! ([`Op::value_and_partials`] over `Dual`, the op rewritten to read nodes
//! 1 and 2: [`general`]). The sweep adds `partial × adjoint` as the tape's
//! does in `Dual` numbers. So the bits are the interpreter's. The loops
//! are the plain code's; nothing passes between iterations in registers
//! but a sum's partial sum.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{InstBuilder, Value};
use tapegrad::forward::Dual;
use tapegrad::replay::ir::{Arg, Op, Summand, Term};

use crate::Real;
use crate::emit::{Emit, Plan};
use crate::roll::{Rolled, Segment};
use crate::sweep::{Edge, Form};

/// A `Dual` number in the code: its value's lane and its tangent's.
type Num = [Value; 2];

/// An op as forward mode evaluates it: the same op of nodes 1 and 2 (an
/// op of a constant as the op of two nodes, the constant a `Dual` of zero
/// tangent, as the interpreter lifts it), what it reads there, and which
/// of its partials is the node's partial 0 and 1 (`None`: the node has no
/// such edge).
pub(crate) struct General<F> {
    pub(crate) op: Op<F>,
    args: [Option<Arg<F>>; 2],
    slots: [Option<usize>; 2],
}

/// `op` in general form; `None` for the ops the code evaluates itself
/// (inputs, parameters, constants, selects and sums, which read none of
/// [`Op::operands`]). The node's partial `k` is the op's with respect to
/// its `k`-th operand that is a node.
pub(crate) fn general<F: Real>(op: &Op<F>) -> Option<General<F>> {
    let args = op.operands();
    args[0]?;
    let nodes = [Some(Arg::Node(1)), args[1].map(|_| Arg::Node(2))];
    let mut slots = [None; 2];
    let node_operands = (0..2).filter(|&p| matches!(args[p], Some(Arg::Node(_))));
    for (slot, p) in slots.iter_mut().zip(node_operands) {
        *slot = Some(p);
    }
    Some(General {
        op: op.with_operands(nodes),
        args,
        slots,
    })
}

/// The partials of `Add`, `Sub` and `Neg` in `Dual` numbers, the same at
/// every point: computed here by the interpreter's own arithmetic.
fn constant_partials<F: Real>(op: &Op<F>) -> Option<[Dual<F, 1>; 2]> {
    let one = Dual::new(F::one(), [F::zero()]);
    let values = [Dual::constant(F::zero()), one, one];
    match op {
        Op::Add(..) | Op::Sub(..) | Op::Neg(_) => Some(op.value_and_partials(&values).1),
        _ => None,
    }
}

impl<'a, F: Real> Emit<'a, '_, F> {
    /// The number at `index` of `buffer` (in numbers), a field of the item
    /// being built, moved `step` numbers each iteration if given.
    fn load_num(&mut self, buffer: Value, index: usize, step: Option<isize>) -> Num {
        let step = 2 * step.unwrap_or_else(|| self.step(index));
        [0, 1].map(|lane| self.load_at(F::TYPE, buffer, 2 * index + lane, step))
    }

    /// Stores `num` at `index` of `buffer`, as [`load_num`](Emit::load_num).
    fn store_num(&mut self, num: Num, buffer: Value, index: usize, step: Option<isize>) {
        let step = 2 * step.unwrap_or_else(|| self.step(index));
        for (lane, value) in num.into_iter().enumerate() {
            self.store_at(value, buffer, 2 * index + lane, step);
        }
    }

    /// The constant `c` as the interpreter lifts it: a tangent of zero.
    fn const_num(&mut self, c: F) -> Num {
        [self.constant(c), F::constant(self.b, F::zero())]
    }

    fn arg_num(&mut self, a: Arg<F>) -> Num {
        match a {
            Arg::Node(n) => self.load_num(self.buffers.values, n as usize, None),
            Arg::Const(c) => self.const_num(c),
        }
    }

    /// `op` (of nodes 1 and 2) of `a` and `b` by the interpreter: the
    /// value and the two partials. `Add`, `Sub`, `Mul` and `Neg` inline
    /// (see [`Emit::mul_num`]), the others a call.
    fn call_op(&mut self, op: &'a Op<F>, a: Num, b: Num) -> [Num; 3] {
        if let Some(partials) = constant_partials(op) {
            let [d0, d1] =
                partials.map(|d| [d.value(), d.tangent()[0]].map(|c| F::constant(self.b, c)));
            let value = match op {
                Op::Add(..) => self.add_num(a, b, F::one()),
                Op::Sub(..) => self.add_num(a, b, -F::one()),
                _ => {
                    // `-a` by the table's `Neg`: `Dual`'s unary rule of
                    // the finite partial −1.
                    let minus = F::constant(self.b, -F::one());
                    [self.b.ins().fneg(a[0]), self.b.ins().fmul(a[1], minus)]
                }
            };
            return [value, d0, d1];
        }
        if let Op::Mul(..) = op {
            return [self.mul_num(a, b), b, a];
        }
        let at = self.pointer(op);
        let out = self.b.ins().stack_addr(self.ptr, self.slot, 0);
        let args = [at, a[0], a[1], b[0], b[1], out];
        let call = self.b.ins().call(self.shims.dual_op, &args);
        let value = self.b.inst_results(call)[0];
        let lane =
            |e: &mut Self, k: i32| (e.b.ins()).stack_load(e.ptr, F::TYPE, e.slot, k * e.size);
        [
            [value, lane(self, 1)],
            [lane(self, 2), lane(self, 3)],
            [lane(self, 4), lane(self, 5)],
        ]
    }

    /// `a ± b` in `Dual` numbers (`sign` 1 or −1, `∂/∂b`): the value, and
    /// the tangent `a′·1 + b′·sign`, as `Dual`'s rule of finite partials
    /// writes it.
    fn add_num(&mut self, a: Num, b: Num, sign: F) -> Num {
        let value = match sign == F::one() {
            true => self.b.ins().fadd(a[0], b[0]),
            false => self.b.ins().fsub(a[0], b[0]),
        };
        let (one, sign) = (F::constant(self.b, F::one()), F::constant(self.b, sign));
        let (t, u) = (self.b.ins().fmul(a[1], one), self.b.ins().fmul(b[1], sign));
        [value, self.b.ins().fadd(t, u)]
    }

    /// `a · b` in `Dual` numbers: `ab`, and `a′·b + b′·a` by `Dual`'s rule
    /// (a partial that is not finite passes nothing from a zero tangent).
    fn mul_num(&mut self, a: Num, b: Num) -> Num {
        let value = self.b.ins().fmul(a[0], b[0]);
        let t = self.scaled(a[1], b[0]);
        let u = self.scaled(b[1], a[0]);
        [value, self.b.ins().fadd(t, u)]
    }

    /// `t · d`, or `t` where `d` is not finite and `t` is zero (`Dual`'s
    /// `scaled`; where both partials are finite, the product alone, as
    /// `Dual` computes it).
    fn scaled(&mut self, t: Value, d: Value) -> Value {
        let product = self.b.ins().fmul(t, d);
        let finite = self.finite(d);
        let zero = F::constant(self.b, F::zero());
        let nonzero = self.b.ins().fcmp(FloatCC::NotEqual, t, zero);
        let keep = self.b.ins().bor(finite, nonzero);
        self.b.ins().select(keep, product, t)
    }

    /// Whether `x` is finite: `|x| < ∞` (false for a NaN).
    fn finite(&mut self, x: Value) -> Value {
        let magnitude = self.b.ins().fabs(x);
        let infinity = F::constant(self.b, F::infinity());
        self.b.ins().fcmp(FloatCC::LessThan, magnitude, infinity)
    }

    /// The forward pass of `segments` in `Dual` numbers: each node's
    /// value to the values, its partials to the partials.
    pub(crate) fn dual_forward(&mut self, segments: &'a [Segment<F>], plan: &'a Plan<'_, F>) {
        for segment in segments {
            match segment {
                Segment::One(i) => self.dual_op(*i, plan),
                Segment::Loop(l) => {
                    self.repeat(l, Vec::new(), |e, j, _| e.dual_op(l.start + j, plan));
                }
                Segment::Variants(v) => {
                    self.repeat_variants(v, |e, b, j| e.dual_op(v.bodies[b].start + j, plan));
                }
            }
        }
    }

    /// Node `i + 1`'s value and partials, stored.
    fn dual_op(&mut self, i: usize, plan: &'a Plan<'_, F>) {
        let (node, ir, tables) = (i + 1, &plan.ir, plan.tables);
        let buffers = &self.buffers;
        let (values, partials) = (buffers.values, buffers.partials);
        let step = self.step(node);
        let value = match ir.ops[i] {
            Op::Input(_) | Op::Param(_) => unreachable!("`Code::run` copies the inputs in"),
            Op::Fixed(c) => self.const_num(c),
            Op::Select(k) => {
                let select = &ir.selects[k as usize];
                let [p, q] = select.operands.map(|a| self.arg_num(a));
                let at = self.pointer(&tables.selects[k as usize]);
                let call =
                    (self.b.ins()).call(self.shims.dual_select, &[at, p[0], p[1], q[0], q[1]]);
                let first = self.b.inst_results(call)[0];
                let [b0, b1] = select.branches.map(|a| self.arg_num(a));
                let value = [0, 1].map(|lane| self.b.ins().select(first, b0[lane], b1[lane]));
                // Whether it took its first branch, in partial 0's value.
                let flag = self.b.ins().fcvt_from_uint(F::TYPE, first);
                self.store_at(flag, partials, 2 * (2 * node), 2 * (2 * step));
                value
            }
            Op::Sum { first, count } => {
                let terms = &ir.terms[first as usize..(first + count) as usize];
                let rolled = plan.sums.get(&i).filter(|_| self.frame.is_none());
                self.dual_sum(terms, rolled)
            }
            _ => {
                let general = general(&ir.ops[i]).expect("an op of nodes");
                let [a, b] = general.args.map(|a| match a {
                    Some(a) => self.arg_num(a),
                    None => self.const_num(F::zero()),
                });
                let [value, d0, d1] = self.call_op(&tables.general[i], a, b);
                for (k, slot) in general.slots.into_iter().enumerate() {
                    if let Some(slot) = slot {
                        let d = [d0, d1][slot];
                        self.store_num(d, partials, 2 * node + k, Some(2 * step));
                    }
                }
                value
            }
        };
        self.store_num(value, values, node, None);
    }

    /// The sum of `terms` as the interpreter adds them in `Dual` numbers,
    /// the terms after the first in `rolled`'s segments if given.
    fn dual_sum(&mut self, terms: &'a [Term<F>], rolled: Option<&'a Vec<Rolled<F>>>) -> Num {
        let mut acc = self.dual_term(&terms[0]);
        let add = |e: &mut Self, acc: Num, term: &Term<F>| {
            let value = e.dual_term(term);
            let sign = if term.minus { -F::one() } else { F::one() };
            e.add_num(acc, value, sign)
        };
        let Some(segments) = rolled else {
            for term in &terms[1..] {
                acc = add(self, acc, term);
            }
            return acc;
        };
        for segment in segments {
            acc = match segment {
                Segment::One(t) => add(self, acc, &terms[1 + t]),
                Segment::Loop(l) => {
                    let out = self.repeat(l, acc.to_vec(), |e, j, acc| {
                        let sum = add(e, [acc[0], acc[1]], &terms[1 + l.start + j]);
                        acc.copy_from_slice(&sum);
                    });
                    [out[0], out[1]]
                }
                Segment::Variants(never) => match *never {},
            };
        }
        acc
    }

    fn dual_term(&mut self, term: &Term<F>) -> Num {
        match term.value {
            Summand::Const(c) => self.const_num(c),
            Summand::Node(n) => self.arg_num(Arg::Node(n)),
            Summand::Product(a, b) => {
                let [a, b] = [a, b].map(|n| self.arg_num(Arg::Node(n)));
                self.mul_num(a, b)
            }
        }
    }

    /// The guards in `Dual` numbers, then the outputs.
    pub(crate) fn dual_finish(&mut self, plan: &'a Plan<'_, F>) {
        for (k, guard) in plan.ir.guards.iter().enumerate() {
            let [p, q] = guard.operands.map(|a| self.arg_num(a));
            let at = self.pointer(&plan.tables.guards[k]);
            let call = (self.b.ins()).call(self.shims.dual_guard, &[at, p[0], p[1], q[0], q[1]]);
            let holds = self.b.inst_results(call)[0];
            self.return_unless(holds, k);
        }
        for (k, &y) in plan.ir.outputs.iter().enumerate() {
            let value = self.arg_num(y);
            self.store_num(value, self.buffers.out, k, Some(0));
        }
    }

    /// The sweep over `segments` of its visits in `Dual` numbers, every
    /// adjoint loaded and stored.
    pub(crate) fn dual_sweep(&mut self, segments: &'a [Segment<F>], plan: &'a Plan<'_, F>) {
        for segment in segments {
            match segment {
                Segment::One(at) => self.dual_visit(plan.visits[*at], plan),
                Segment::Loop(l) => {
                    self.repeat(l, Vec::new(), |e, j, _| {
                        e.dual_visit(plan.visits[l.start + j], plan);
                    });
                }
                Segment::Variants(v) => {
                    self.repeat_variants(v, |e, b, j| {
                        e.dual_visit(plan.visits[v.bodies[b].start + j], plan);
                    });
                }
            }
        }
    }

    /// Node `v`'s edges, in order.
    fn dual_visit(&mut self, v: usize, plan: &'a Plan<'_, F>) {
        let incoming = self.load_num(self.buffers.adjoints, v, None);
        self.each_edge(v, plan, |e, edge| e.dual_edge(edge, incoming));
    }

    /// Adds the edge's `partial × incoming` into its parent's adjoint (the
    /// first edge into it, to zero).
    fn dual_edge(
        &mut self,
        Edge {
            parent: p,
            form,
            first,
        }: Edge<F>,
        incoming: Num,
    ) {
        let buffers = &self.buffers;
        let (values, partials, adjoints) = (buffers.values, buffers.partials, buffers.adjoints);
        let (d, chosen) = match form {
            Form::Const(c) => (self.const_num(c), None),
            Form::Stored { at, factor } | Form::Value { at, factor } => {
                let buffer = if matches!(form, Form::Stored { .. }) {
                    partials
                } else {
                    values
                };
                let d = self.load_num(buffer, at, None);
                match factor {
                    Some(f) => {
                        let f = self.const_num(f);
                        (self.mul_num(d, f), None)
                    }
                    None => (d, None),
                }
            }
            Form::Chosen {
                flag,
                branch,
                partial,
            } => {
                let step = self.step(flag);
                let flag = self.load_at(F::TYPE, partials, 2 * flag, 2 * step);
                let zero = F::constant(self.b, F::zero());
                let first = self.b.ins().fcmp(FloatCC::NotEqual, flag, zero);
                (self.const_num(partial), Some((first, branch)))
            }
        };
        let old = match first {
            true => [F::constant(self.b, F::zero()); 2],
            false => self.load_num(adjoints, p, None),
        };
        // As the tape's sweep in `Dual` numbers: `old + d·incoming`, but
        // nothing through a partial that is not finite at a zero adjoint.
        let product = self.mul_num(d, incoming);
        let sum = self.add_num(old, product, F::one());
        let zero = F::constant(self.b, F::zero());
        let nonzero = self.b.ins().fcmp(FloatCC::NotEqual, incoming[0], zero);
        let finite = self.finite(d[0]);
        let adds = self.b.ins().bor(nonzero, finite);
        let mut new = [0, 1].map(|lane| self.b.ins().select(adds, sum[lane], old[lane]));
        // `partial` to the branch the select took, nothing to the other.
        if let Some((first, branch)) = chosen {
            new = [0, 1].map(|lane| {
                let (taken, other) = (new[lane], old[lane]);
                match branch {
                    0 => self.b.ins().select(first, taken, other),
                    _ => self.b.ins().select(first, other, taken),
                }
            });
        }
        self.store_num(new, adjoints, p, None);
    }
}
