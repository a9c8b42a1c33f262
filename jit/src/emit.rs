//! A recorded function's IR as Cranelift IR, in pieces: the forward pass,
//! node by node with the op table's arithmetic (the four operations
//! inline, every other op a call of the table's own `eval`), each value
//! and computed partial stored for the pieces after it; the guards and the
//! outputs; and the reverse sweep the interpreter runs
//! ([`Function::reverse_sweep`](tapegrad::replay::Function::reverse_sweep)),
//! edge by edge in its order, so that the bits are its.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{
    AbiParam, AliasRegion, AliasRegionData, FuncRef, InstBuilder, MemFlagsData as MemFlags,
    Signature, StackSlot, StackSlotData, StackSlotKind, Type, Value, types,
};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::{Linkage, Module};
use tapegrad::replay::ir::{Arg, Ir, Op, Partial, ReverseSweep, Summand, Unary};

use crate::native::Tables;
use crate::{CompileError, Real};

/// The shims the code calls, as the function being built names them.
pub(crate) struct Shims {
    pub(crate) unary: FuncRef,
    pub(crate) binary: FuncRef,
    pub(crate) select: FuncRef,
    pub(crate) guard: FuncRef,
}

/// Declares the shims (registered with the module's builder under these
/// names) and returns their signatures' ids in `func`.
pub(crate) fn declare_shims<F: Real>(
    module: &mut impl Module,
    func: &mut cranelift_codegen::ir::Function,
) -> Result<Shims, CompileError> {
    let ptr = module.target_config().pointer_type();
    let mut import =
        |name: &str, floats: usize, out: bool, ret: Type| -> Result<FuncRef, CompileError> {
            let mut sig = module.make_signature();
            sig.params.push(AbiParam::new(ptr));
            sig.params
                .extend((0..floats).map(|_| AbiParam::new(F::TYPE)));
            if out {
                sig.params.push(AbiParam::new(ptr));
            }
            sig.returns.push(AbiParam::new(ret));
            let id = module
                .declare_function(name, Linkage::Import, &sig)
                .map_err(|e| CompileError::Cranelift(e.to_string()))?;
            Ok(module.declare_func_in_func(id, func))
        };
    Ok(Shims {
        unary: import("tapegrad_unary", 1, true, F::TYPE)?,
        binary: import("tapegrad_binary", 2, true, F::TYPE)?,
        select: import("tapegrad_select", 2, false, types::I32)?,
        guard: import("tapegrad_guard", 2, false, types::I32)?,
    })
}

/// An op's partial with respect to one operand, as its `eval` gives it:
/// a constant (the same at every point) or computed.
#[derive(Clone, Copy)]
enum D<F> {
    Const(F),
    Value(Value),
}

/// Where the forward pass left a node's partial for the sweep: a
/// constant, or the buffer of partials.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kept<F> {
    Const(F),
    Stored,
}

/// The adjoints a piece of the sweep holds in registers at most before it
/// stores them.
const PENDING: usize = 64;

/// The pointers every piece of code gets: `x`, `params`, the buffers of
/// values (one a node), partials (two a node; a select's first says
/// whether it took its first branch) and adjoints (one a node of the
/// sweep), and `out`.
struct Buffers {
    x: Value,
    params: Value,
    values: Value,
    partials: Value,
    adjoints: Value,
    out: Value,
}

/// The signature of every piece: the six pointers of [`Buffers`], and 0,
/// or `k + 1` where guard `k` failed.
pub(crate) fn signature(module: &impl Module) -> Signature {
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.extend((0..6).map(|_| AbiParam::new(ptr)));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// What a piece of code computes: a stretch of the forward pass (the IR's
/// ops at these indices), the guards and outputs, or a stretch of the
/// reverse sweep (its nodes in this range, the last first). In pieces, the
/// compile time grows with the length of the recording, not faster: each
/// piece's values live in registers only within it.
#[derive(Clone, Debug)]
pub(crate) enum Piece {
    Forward(core::ops::Range<usize>),
    Finish,
    Reverse(core::ops::Range<usize>),
}

/// Builds `piece` in `b`; `kept` is each node's partials as the forward
/// pieces leave them (filled by them, read by the reverse ones).
#[allow(clippy::too_many_arguments)]
pub(crate) fn piece<F: Real>(
    b: &mut FunctionBuilder<'_>,
    piece: &Piece,
    ir: &Ir<'_, F>,
    sweep: &ReverseSweep<F>,
    kept: &mut [[Kept<F>; 2]],
    tables: &Tables<F>,
    shims: &Shims,
    ptr: Type,
) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let [x, params, values, partials, adjoints, out] =
        <[Value; 6]>::try_from(b.block_params(entry)).expect("the signature's six pointers");
    let size = F::TYPE.bytes() as i32;
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        2 * size as u32,
        3,
    ));
    let regions = [
        (values, "values"),
        (partials, "partials"),
        (adjoints, "adjoints"),
    ]
    .into_iter()
    .enumerate()
    .map(|(k, (buffer, name))| {
        let data = AliasRegionData {
            user_id: k as u32,
            description: name.into(),
        };
        (buffer, b.func.dfg.alias_regions.insert(data))
    })
    .collect();
    let mut e = Emit {
        b,
        shims,
        ptr,
        slot,
        size,
        regions,
        float: F::TYPE,
    };
    let buffers = Buffers {
        x,
        params,
        values,
        partials,
        adjoints,
        out,
    };
    match piece {
        Piece::Forward(range) => e.forward(range.clone(), ir, kept, tables, &buffers),
        Piece::Finish => e.finish(ir, tables, &buffers),
        Piece::Reverse(range) => e.sweep(range.clone(), ir, sweep, kept, &buffers),
    }
    let ok = e.b.ins().iconst(types::I32, 0);
    e.b.ins().return_(&[ok]);
}

/// The builder and what every op's code needs.
struct Emit<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    shims: &'a Shims,
    ptr: Type,
    /// Where a shim writes its partials.
    slot: StackSlot,
    size: i32,
    /// Each buffer's alias region.
    regions: Vec<(Value, AliasRegion)>,
    /// The type of the numbers.
    float: Type,
}

impl Emit<'_, '_> {
    /// The address of `item`, a constant of the code: the tables outlive it.
    fn pointer<T>(&mut self, item: &T) -> Value {
        let address = item as *const T as usize as i64;
        self.b.ins().iconst(self.ptr, address)
    }

    /// Node `i + 1`'s value, its op's partials, and for a select whether
    /// it took its first branch; its operands as [`value`](Emit::value)
    /// finds them.
    fn op<F: Real>(
        &mut self,
        i: usize,
        ir: &Ir<'_, F>,
        tables: &Tables<F>,
        local: &mut HashMap<u32, Value>,
        buffers: &Buffers,
    ) -> (Value, [D<F>; 2], Option<Value>) {
        let (one, minus, none) = (D::Const(F::one()), D::Const(-F::one()), D::Const(F::zero()));
        let c = |e: &mut Self, k: F| F::constant(e.b, k);
        let mut arg = |e: &mut Self, a: Arg<F>| match a {
            Arg::Node(n) => e.value(n, local, buffers),
            Arg::Const(k) => c(e, k),
        };
        let (a, b) = (Arg::Node, Arg::Const);
        let (value, partials) = match ir.ops[i] {
            Op::Input(k) => (self.load(F::TYPE, buffers.x, k as usize), [none; 2]),
            Op::Param(k) => (self.load(F::TYPE, buffers.params, k as usize), [none; 2]),
            Op::Fixed(k) => (c(self, k), [none; 2]),
            Op::Add(x, y) => {
                let [x, y] = [arg(self, a(x)), arg(self, a(y))];
                (self.b.ins().fadd(x, y), [one, one])
            }
            Op::AddConst(x, k) => {
                let [x, k] = [arg(self, a(x)), arg(self, b(k))];
                (self.b.ins().fadd(x, k), [one, none])
            }
            Op::Sub(x, y) => {
                let [x, y] = [arg(self, a(x)), arg(self, a(y))];
                (self.b.ins().fsub(x, y), [one, minus])
            }
            Op::SubConst(x, k) => {
                let [x, k] = [arg(self, a(x)), arg(self, b(k))];
                (self.b.ins().fsub(x, k), [one, none])
            }
            // The table's `c − b`: the partial of its node operand second.
            Op::ConstSub(k, y) => {
                let [k, y] = [arg(self, b(k)), arg(self, a(y))];
                (self.b.ins().fsub(k, y), [minus, none])
            }
            Op::Mul(x, y) => {
                let [x, y] = [arg(self, a(x)), arg(self, a(y))];
                (self.b.ins().fmul(x, y), [D::Value(y), D::Value(x)])
            }
            Op::MulConst(x, k) => {
                let [xv, kv] = [arg(self, a(x)), arg(self, b(k))];
                (self.b.ins().fmul(xv, kv), [D::Const(k), none])
            }
            Op::Div(x, y) => {
                let [x, y] = [arg(self, a(x)), arg(self, a(y))];
                let (q, [dx, dy]) = self.div::<F>(x, y);
                (q, [D::Value(dx), D::Value(dy)])
            }
            // The table's 1/b, at a constant b: the same bits once.
            Op::DivConst(x, k) => {
                let [xv, kv] = [arg(self, a(x)), arg(self, b(k))];
                (self.b.ins().fdiv(xv, kv), [D::Const(k.recip()), none])
            }
            Op::ConstDiv(k, y) => {
                let [k, y] = [arg(self, b(k)), arg(self, a(y))];
                let (q, [_, dy]) = self.div::<F>(k, y);
                (q, [D::Value(dy), none])
            }
            Op::Neg(x) => {
                let x = arg(self, a(x));
                (self.b.ins().fneg(x), [minus, none])
            }
            Op::Unary(_, x) => {
                let x = arg(self, a(x));
                let op = tables.unary_at(i).expect("a unary op's entry");
                let (value, d) = self.unary(op, x);
                (value, [D::Value(d), none])
            }
            Op::Binary(_, x, y) => {
                let xy = [arg(self, a(x)), arg(self, a(y))];
                self.binary(tables, i, xy, [true, true])
            }
            Op::BinaryConst(_, x, k) => {
                let xk = [arg(self, a(x)), arg(self, b(k))];
                self.binary(tables, i, xk, [true, false])
            }
            Op::ConstBinary(_, k, y) => {
                let ky = [arg(self, b(k)), arg(self, a(y))];
                self.binary(tables, i, ky, [false, true])
            }
            Op::LnSigmoid { z, negated } => {
                let z = arg(self, a(z));
                let z = if negated { self.b.ins().fneg(z) } else { z };
                let (value, d) = self.unary(&tables.ln_sigmoid, z);
                let d = match negated {
                    true => {
                        let m = c(self, -F::one());
                        self.b.ins().fmul(m, d)
                    }
                    false => d,
                };
                (value, [D::Value(d), none])
            }
            Op::Complement { z, .. } => {
                let z = arg(self, a(z));
                let minus_z = self.b.ins().fneg(z);
                let (value, _) = self.unary(&tables.sigmoid, minus_z);
                (value, [minus, none])
            }
            Op::Select(k) => {
                let select = &ir.selects[k as usize];
                let [p, q] = [arg(self, select.operands[0]), arg(self, select.operands[1])];
                let at = self.pointer(&tables.selects[k as usize]);
                let call = self.b.ins().call(self.shims.select, &[at, p, q]);
                let first = self.b.inst_results(call)[0];
                let [b0, b1] = [arg(self, select.branches[0]), arg(self, select.branches[1])];
                return (self.b.ins().select(first, b0, b1), [none; 2], Some(first));
            }
            // Term by term, each operand loaded where it is added.
            Op::Sum { first, count } => {
                let mut acc = None;
                for term in &ir.terms[first as usize..(first + count) as usize] {
                    let value = match term.value {
                        Summand::Const(k) => c(self, k),
                        Summand::Node(n) => arg(self, a(n)),
                        Summand::Product(x, y) => {
                            let [x, y] = [arg(self, a(x)), arg(self, a(y))];
                            self.b.ins().fmul(x, y)
                        }
                    };
                    acc = Some(match (acc, term.minus) {
                        (None, _) => value,
                        (Some(acc), false) => self.b.ins().fadd(acc, value),
                        (Some(acc), true) => self.b.ins().fsub(acc, value),
                    });
                }
                (acc.expect("a sum has a term"), [none; 2])
            }
            _ => unreachable!("an op this compiler does not know"),
        };
        (value, partials, None)
    }

    /// The table's `a / b`: `q = a/b`, partials `1/b` and `−q/b`.
    fn div<F: Real>(&mut self, a: Value, b: Value) -> (Value, [Value; 2]) {
        let one = F::constant(self.b, F::one());
        let q = self.b.ins().fdiv(a, b);
        let recip = self.b.ins().fdiv(one, b);
        let minus_q = self.b.ins().fneg(q);
        (q, [recip, self.b.ins().fdiv(minus_q, b)])
    }

    /// The table's `op(x)` and its partial, by a call of `Unary::eval`.
    fn unary(&mut self, op: &Unary, x: Value) -> (Value, Value) {
        let at = self.pointer(op);
        let out = self.b.ins().stack_addr(self.ptr, self.slot, 0);
        let call = self.b.ins().call(self.shims.unary, &[at, x, out]);
        let value = self.b.inst_results(call)[0];
        (
            value,
            self.b.ins().stack_load(self.ptr, self.float, self.slot, 0),
        )
    }

    /// The table's op of node `i + 1` of the operands `[a, b]`, and its
    /// partials with respect to those that are nodes (`nodes`), the
    /// others none.
    fn binary<F: Real>(
        &mut self,
        tables: &Tables<F>,
        i: usize,
        [a, b]: [Value; 2],
        nodes: [bool; 2],
    ) -> (Value, [D<F>; 2]) {
        let op = tables.binary_at(i).expect("a binary op's entry");
        let at = self.pointer(op);
        let out = self.b.ins().stack_addr(self.ptr, self.slot, 0);
        let call = self.b.ins().call(self.shims.binary, &[at, a, b, out]);
        let value = self.b.inst_results(call)[0];
        let mut partials = [D::Const(F::zero()); 2];
        let kept = (0..2).filter(|&k| nodes[k]);
        for (slot, k) in kept.enumerate() {
            let offset = k as i32 * self.size;
            partials[slot] = D::Value(self.b.ins().stack_load(
                self.ptr,
                F::TYPE,
                self.slot,
                offset,
            ));
        }
        (value, partials)
    }

    /// The flags of an access to `buffer`: trusted, and in its own alias
    /// region, so that Cranelift forwards a stored value to a later load
    /// of it across stores to the other buffers.
    fn flags(&self, buffer: Value) -> MemFlags {
        let region = self
            .regions
            .iter()
            .find(|(b, _)| *b == buffer)
            .map(|&(_, r)| r);
        MemFlags::trusted().with_alias_region(region)
    }

    /// The value in `buffer` at `index`.
    fn load(&mut self, ty: Type, buffer: Value, index: usize) -> Value {
        let offset = index as i32 * self.size;
        let flags = self.flags(buffer);
        self.b.ins().load(ty, flags, buffer, offset)
    }

    /// Stores `value` in `buffer` at `index`.
    fn store(&mut self, value: Value, buffer: Value, index: usize) {
        let offset = index as i32 * self.size;
        let flags = self.flags(buffer);
        self.b.ins().store(flags, value, buffer, offset);
    }

    /// Node `n`'s value: computed or loaded in this piece, or loaded now.
    fn value(&mut self, n: u32, local: &mut HashMap<u32, Value>, buffers: &Buffers) -> Value {
        if let Some(&value) = local.get(&n) {
            return value;
        }
        let value = self.load(self.float, buffers.values, n as usize);
        local.insert(n, value);
        value
    }

    /// The forward pass of the IR's ops at `range`: each node's value to
    /// the values, its computed partials to the partials.
    fn forward<F: Real>(
        &mut self,
        range: core::ops::Range<usize>,
        ir: &Ir<'_, F>,
        kept: &mut [[Kept<F>; 2]],
        tables: &Tables<F>,
        buffers: &Buffers,
    ) {
        // The values computed or loaded in this piece: in registers.
        let mut local: HashMap<u32, Value> = HashMap::new();
        for i in range {
            let node = i + 1;
            let (value, partials, first) = self.op(i, ir, tables, &mut local, buffers);
            self.store(value, buffers.values, node);
            local.insert(node as u32, value);
            let mut at = [Kept::Const(F::zero()); 2];
            for (k, d) in partials.into_iter().enumerate() {
                at[k] = match d {
                    D::Const(c) => Kept::Const(c),
                    D::Value(d) => {
                        self.store(d, buffers.partials, 2 * node + k);
                        Kept::Stored
                    }
                };
            }
            if let Some(first) = first {
                let flag = self.b.ins().fcvt_from_uint(F::TYPE, first);
                self.store(flag, buffers.partials, 2 * node);
            }
            kept[node] = at;
        }
    }

    /// The guards, each returning `k + 1` where guard `k` fails, then the
    /// outputs.
    fn finish<F: Real>(&mut self, ir: &Ir<'_, F>, tables: &Tables<F>, buffers: &Buffers) {
        let arg = |e: &mut Self, a: Arg<F>| match a {
            Arg::Node(n) => e.load(F::TYPE, buffers.values, n as usize),
            Arg::Const(c) => F::constant(e.b, c),
        };
        for (k, guard) in ir.guards.iter().enumerate() {
            let [p, q] = guard.operands.map(|a| arg(self, a));
            let at = self.pointer(&tables.guards[k]);
            let call = self.b.ins().call(self.shims.guard, &[at, p, q]);
            let holds = self.b.inst_results(call)[0];
            let (fail, next) = (self.b.create_block(), self.b.create_block());
            self.b.ins().brif(holds, next, &[], fail, &[]);
            self.b.switch_to_block(fail);
            self.b.seal_block(fail);
            let code = self.b.ins().iconst(types::I32, k as i64 + 1);
            self.b.ins().return_(&[code]);
            self.b.switch_to_block(next);
            self.b.seal_block(next);
        }
        for (k, &y) in ir.outputs.iter().enumerate() {
            let value = arg(self, y);
            self.store(value, buffers.out, k);
        }
    }

    /// The interpreter's reverse sweep (see [`ReverseSweep`]) over its
    /// nodes in `range`, the last first: each adds `partial × adjoint` into
    /// its parents' adjoints, its edges last to first; a node whose adjoint
    /// is zero passes nothing through a partial that is not finite. The
    /// caller seeds the outputs and reads the gradient.
    fn sweep<F: Real>(
        &mut self,
        range: core::ops::Range<usize>,
        ir: &Ir<'_, F>,
        sweep: &ReverseSweep<F>,
        kept: &[[Kept<F>; 2]],
        buffers: &Buffers,
    ) {
        let zero = F::constant(self.b, F::zero());
        // The adjoints this piece changed and has not stored: in registers,
        // stored when there are many and at the end.
        let mut pending: HashMap<usize, Value> = HashMap::new();
        for node in range.rev() {
            let incoming = self.adjoint(node, &mut pending, buffers);
            // Its adjoint is spent: no node below passes it anything.
            pending.remove(&node);
            let mut nonzero = None;
            for &(p, partial) in sweep.nodes[node].edges.iter().rev() {
                let p = p as usize;
                let old = self.adjoint(p, &mut pending, buffers);
                let new = match partial {
                    // 1 to the branch the select took, nothing to the other.
                    Partial::Chosen {
                        node,
                        branch,
                        partial,
                    } => {
                        let flag = self.load(F::TYPE, buffers.partials, 2 * node as usize);
                        let first = self.b.ins().fcmp(FloatCC::NotEqual, flag, zero);
                        let sum = self.add(old, D::Const(partial), incoming, &mut nonzero, zero);
                        let (taken, other) = if branch == 0 { (sum, old) } else { (old, sum) };
                        self.b.ins().select(first, taken, other)
                    }
                    partial => {
                        let d = self.partial(partial, ir, kept, buffers);
                        self.add(old, d, incoming, &mut nonzero, zero)
                    }
                };
                pending.insert(p, new);
                if pending.len() > PENDING {
                    self.flush(&mut pending, buffers);
                }
            }
        }
        self.flush(&mut pending, buffers);
    }

    /// An edge's partial other than a select's: a constant, or loaded from
    /// what the forward pass stored, times the lowering's factor.
    fn partial<F: Real>(
        &mut self,
        partial: Partial<F>,
        ir: &Ir<'_, F>,
        kept: &[[Kept<F>; 2]],
        buffers: &Buffers,
    ) -> D<F> {
        let (d, factor) = match partial {
            Partial::Const(c) => (D::Const(c), None),
            Partial::Op { node, k, factor } => {
                let d = match kept[node as usize][k as usize] {
                    Kept::Const(c) => D::Const(c),
                    Kept::Stored => {
                        let at = 2 * node as usize + k as usize;
                        D::Value(self.load(F::TYPE, buffers.partials, at))
                    }
                };
                (d, factor)
            }
            Partial::Product { term, side, factor } => {
                let Summand::Product(a, b) = ir.terms[term as usize].value else {
                    unreachable!("a product term")
                };
                let at = if side == 0 { b } else { a } as usize;
                let other = self.load(F::TYPE, buffers.values, at);
                // A product by 1 is the value itself.
                (D::Value(other), (factor != F::one()).then_some(factor))
            }
            Partial::Chosen { .. } => unreachable!("a select's edge is taken by the sweep"),
        };
        match (d, factor) {
            (d, None) => d,
            (D::Const(d), Some(f)) => D::Const(d * f),
            (D::Value(d), Some(f)) => {
                let f = F::constant(self.b, f);
                D::Value(self.b.ins().fmul(d, f))
            }
        }
    }

    /// Node `n`'s adjoint: changed in this piece, or loaded.
    fn adjoint(
        &mut self,
        n: usize,
        pending: &mut HashMap<usize, Value>,
        buffers: &Buffers,
    ) -> Value {
        match pending.get(&n) {
            Some(&value) => value,
            None => {
                let value = self.load(self.float, buffers.adjoints, n);
                pending.insert(n, value);
                value
            }
        }
    }

    /// Stores the pending adjoints.
    fn flush(&mut self, pending: &mut HashMap<usize, Value>, buffers: &Buffers) {
        let mut nodes: Vec<_> = pending.drain().collect();
        nodes.sort_unstable_by_key(|&(n, _)| n);
        for (n, value) in nodes {
            self.store(value, buffers.adjoints, n);
        }
    }

    /// `old + d·incoming` as the tape adds it: a product by 1 is the
    /// adjoint itself, and a partial not known finite passes nothing where
    /// `incoming` is zero.
    fn add<F: Real>(
        &mut self,
        old: Value,
        d: D<F>,
        incoming: Value,
        nonzero: &mut Option<Value>,
        zero: Value,
    ) -> Value {
        match d {
            D::Const(c) if c == F::one() => self.b.ins().fadd(old, incoming),
            D::Const(c) if c.is_finite() => {
                let c = F::constant(self.b, c);
                let product = self.b.ins().fmul(c, incoming);
                self.b.ins().fadd(old, product)
            }
            D::Const(c) => {
                let c = F::constant(self.b, c);
                self.guarded(old, c, incoming, nonzero, zero)
            }
            D::Value(d) => self.guarded(old, d, incoming, nonzero, zero),
        }
    }

    /// `old + d·incoming`, unless `incoming` is zero and `d` not finite.
    fn guarded(
        &mut self,
        old: Value,
        d: Value,
        incoming: Value,
        nonzero: &mut Option<Value>,
        zero: Value,
    ) -> Value {
        let product = self.b.ins().fmul(d, incoming);
        let sum = self.b.ins().fadd(old, product);
        // Where the adjoint is zero, the product is NaN exactly where the
        // partial is not finite (0·∞, 0·NaN): skipped there alone.
        let nonzero =
            *nonzero.get_or_insert_with(|| self.b.ins().fcmp(FloatCC::NotEqual, incoming, zero));
        let ordered = self.b.ins().fcmp(FloatCC::Ordered, product, product);
        let pass = self.b.ins().bor(ordered, nonzero);
        self.b.ins().select(pass, sum, old)
    }
}
