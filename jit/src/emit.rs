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
        Piece::Finish => {
            if let Some(code) = e.finish(ir, tables, &buffers) {
                e.b.ins().return_(&[code]);
                return;
            }
        }
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
    /// it took its first branch.
    #[allow(clippy::too_many_arguments)]
    fn op<F: Real>(
        &mut self,
        op: Op<F>,
        i: usize,
        v: &dyn Fn(u32) -> Value,
        ir: &Ir<'_, F>,
        tables: &Tables<F>,
        x: Value,
        params: Value,
    ) -> (Value, [D<F>; 2], Option<Value>) {
        let (one, minus, none) = (D::Const(F::one()), D::Const(-F::one()), D::Const(F::zero()));
        let c = |e: &mut Self, k: F| F::constant(e.b, k);
        let load = |e: &mut Self, base: Value, k: u32| {
            let offset = k as i32 * e.size;
            e.b.ins().load(F::TYPE, MemFlags::trusted(), base, offset)
        };
        let (value, partials) = match op {
            Op::Input(k) => (load(self, x, k), [none; 2]),
            Op::Param(k) => (load(self, params, k), [none; 2]),
            Op::Fixed(k) => (c(self, k), [none; 2]),
            Op::Add(a, b) => (self.b.ins().fadd(v(a), v(b)), [one, one]),
            Op::AddConst(a, k) => {
                let k = c(self, k);
                (self.b.ins().fadd(v(a), k), [one, none])
            }
            Op::Sub(a, b) => (self.b.ins().fsub(v(a), v(b)), [one, minus]),
            Op::SubConst(a, k) => {
                let k = c(self, k);
                (self.b.ins().fsub(v(a), k), [one, none])
            }
            // The table's `c − b`: the partial of its node operand second.
            Op::ConstSub(k, b) => {
                let k = c(self, k);
                (self.b.ins().fsub(k, v(b)), [minus, none])
            }
            Op::Mul(a, b) => (
                self.b.ins().fmul(v(a), v(b)),
                [D::Value(v(b)), D::Value(v(a))],
            ),
            Op::MulConst(a, k) => {
                let kv = c(self, k);
                (self.b.ins().fmul(v(a), kv), [D::Const(k), none])
            }
            Op::Div(a, b) => {
                let (q, [da, db]) = self.div(v(a), v(b));
                (q, [D::Value(da), D::Value(db)])
            }
            // The table's 1/b, at a constant b: the same bits once.
            Op::DivConst(a, k) => {
                let kv = c(self, k);
                (self.b.ins().fdiv(v(a), kv), [D::Const(k.recip()), none])
            }
            Op::ConstDiv(k, b) => {
                let kv = c(self, k);
                let (q, [_, db]) = self.div(kv, v(b));
                (q, [D::Value(db), none])
            }
            Op::Neg(a) => (self.b.ins().fneg(v(a)), [minus, none]),
            Op::Unary(_, a) => {
                let Some(at) = tables.unary_at(i) else {
                    unreachable!("a unary op's entry")
                };
                let (value, d) = self.unary(at, v(a));
                (value, [D::Value(d), none])
            }
            Op::Binary(_, a, b) => {
                let (value, [da, db]) = self.binary(tables, i, v(a), v(b));
                (value, [D::Value(da), D::Value(db)])
            }
            Op::BinaryConst(_, a, k) => {
                let kv = c(self, k);
                let (value, [da, _]) = self.binary(tables, i, v(a), kv);
                (value, [D::Value(da), none])
            }
            Op::ConstBinary(_, k, b) => {
                let kv = c(self, k);
                let (value, [_, db]) = self.binary(tables, i, kv, v(b));
                (value, [D::Value(db), none])
            }
            Op::LnSigmoid { z, negated } => {
                let z_value = match negated {
                    true => self.b.ins().fneg(v(z)),
                    false => v(z),
                };
                let (value, d) = self.unary(&tables.ln_sigmoid, z_value);
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
                let minus_z = self.b.ins().fneg(v(z));
                let (value, _) = self.unary(&tables.sigmoid, minus_z);
                (value, [minus, none])
            }
            Op::Select(k) => {
                let select = &ir.selects[k as usize];
                let [p, q] = select.operands.map(|a| self.arg(a, v));
                let at = self.pointer(&tables.selects[k as usize]);
                let call = self.b.ins().call(self.shims.select, &[at, p, q]);
                let first = self.b.inst_results(call)[0];
                let [b0, b1] = select.branches.map(|a| self.arg(a, v));
                return (self.b.ins().select(first, b0, b1), [none; 2], Some(first));
            }
            Op::Sum { first, count } => {
                let terms = &ir.terms[first as usize..(first + count) as usize];
                let mut acc = None;
                for term in terms {
                    let value = match term.value {
                        Summand::Const(k) => c(self, k),
                        Summand::Node(n) => v(n),
                        Summand::Product(a, b) => self.b.ins().fmul(v(a), v(b)),
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

    /// An operand's value.
    fn arg<F: Real>(&mut self, a: Arg<F>, v: &dyn Fn(u32) -> Value) -> Value {
        match a {
            Arg::Node(n) => v(n),
            Arg::Const(c) => F::constant(self.b, c),
        }
    }

    /// The table's `a / b`: `q = a/b`, partials `1/b` and `−q/b`.
    fn div(&mut self, a: Value, b: Value) -> (Value, [Value; 2]) {
        let ty = self.b.func.dfg.value_type(a);
        let one = match ty {
            types::F32 => self.b.ins().f32const(1.0),
            _ => self.b.ins().f64const(1.0),
        };
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
        let ty = self.b.func.dfg.value_type(value);
        (value, self.b.ins().stack_load(self.ptr, ty, self.slot, 0))
    }

    /// The table's op of node `i + 1`, of two operands, and its partials.
    fn binary<F: Real>(
        &mut self,
        tables: &Tables<F>,
        i: usize,
        a: Value,
        b: Value,
    ) -> (Value, [Value; 2]) {
        let op = tables.binary_at(i).expect("a binary op's entry");
        let at = self.pointer(op);
        let out = self.b.ins().stack_addr(self.ptr, self.slot, 0);
        let call = self.b.ins().call(self.shims.binary, &[at, a, b, out]);
        let value = self.b.inst_results(call)[0];
        let da = self.b.ins().stack_load(self.ptr, F::TYPE, self.slot, 0);
        let db = self
            .b
            .ins()
            .stack_load(self.ptr, F::TYPE, self.slot, self.size);
        (value, [da, db])
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
            let op = ir.ops[i];
            let node = i + 1;
            if let Op::Sum { first, count } = op {
                // Term by term, each operand loaded where it is added.
                let mut acc = None;
                for term in &ir.terms[first as usize..(first + count) as usize] {
                    let value = match term.value {
                        Summand::Const(k) => F::constant(self.b, k),
                        Summand::Node(n) => self.value(n, &mut local, buffers),
                        Summand::Product(a, b) => {
                            let (a, b) = (
                                self.value(a, &mut local, buffers),
                                self.value(b, &mut local, buffers),
                            );
                            self.b.ins().fmul(a, b)
                        }
                    };
                    acc = Some(match (acc, term.minus) {
                        (None, _) => value,
                        (Some(acc), false) => self.b.ins().fadd(acc, value),
                        (Some(acc), true) => self.b.ins().fsub(acc, value),
                    });
                }
                let value = acc.expect("a sum has a term");
                self.store(value, buffers.values, node);
                local.insert(node as u32, value);
                kept[node] = [Kept::Const(F::zero()); 2];
                continue;
            }
            let operands: Vec<(u32, Value)> = operands(op, ir)
                .into_iter()
                .map(|n| (n, self.value(n, &mut local, buffers)))
                .collect();
            let v = |n: u32| {
                let at = operands.iter().find(|(m, _)| *m == n);
                at.expect("an operand loaded").1
            };
            let (x, params) = (buffers.x, buffers.params);
            let (value, partials, first) = self.op(op, i, &v, ir, tables, x, params);
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

    /// The guards, then the outputs: the code to return where a guard
    /// fails.
    fn finish<F: Real>(
        &mut self,
        ir: &Ir<'_, F>,
        tables: &Tables<F>,
        buffers: &Buffers,
    ) -> Option<Value> {
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
        None
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
                let d = match partial {
                    Partial::Const(c) => D::Const(c),
                    Partial::Op { node, k, factor } => {
                        let d = match kept[node as usize][k as usize] {
                            Kept::Const(c) => D::Const(c),
                            Kept::Stored => {
                                let at = 2 * node as usize + k as usize;
                                D::Value(self.load(F::TYPE, buffers.partials, at))
                            }
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
                    Partial::Product { term, side, factor } => {
                        let Summand::Product(a, b) = ir.terms[term as usize].value else {
                            unreachable!("a product term")
                        };
                        let at = if side == 0 { b } else { a } as usize;
                        let other = self.load(F::TYPE, buffers.values, at);
                        D::Value(match factor == F::one() {
                            true => other,
                            false => {
                                let f = F::constant(self.b, factor);
                                self.b.ins().fmul(other, f)
                            }
                        })
                    }
                    Partial::Chosen {
                        node,
                        branch,
                        partial,
                    } => {
                        let flag = self.load(F::TYPE, buffers.partials, 2 * node as usize);
                        let first = self.b.ins().fcmp(FloatCC::NotEqual, flag, zero);
                        let sum = self.add(old, D::Const(partial), incoming, &mut nonzero, zero);
                        let (taken, other) = if branch == 0 { (sum, old) } else { (old, sum) };
                        let new = self.b.ins().select(first, taken, other);
                        pending.insert(p, new);
                        if pending.len() > PENDING {
                            self.flush(&mut pending, buffers);
                        }
                        continue;
                    }
                };
                let new = self.add(old, d, incoming, &mut nonzero, zero);
                pending.insert(p, new);
                if pending.len() > PENDING {
                    self.flush(&mut pending, buffers);
                }
            }
        }
        self.flush(&mut pending, buffers);
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

/// The nodes `op` reads.
fn operands<F: Real>(op: Op<F>, ir: &Ir<'_, F>) -> Vec<u32> {
    let node = |a: &Arg<F>| match *a {
        Arg::Node(n) => Some(n),
        Arg::Const(_) => None,
    };
    match op {
        Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) | Op::Binary(_, a, b) => {
            vec![a, b]
        }
        Op::AddConst(a, _)
        | Op::SubConst(a, _)
        | Op::ConstSub(_, a)
        | Op::MulConst(a, _)
        | Op::DivConst(a, _)
        | Op::ConstDiv(_, a)
        | Op::Neg(a)
        | Op::Unary(_, a)
        | Op::BinaryConst(_, a, _)
        | Op::ConstBinary(_, _, a) => vec![a],
        Op::LnSigmoid { z, .. } => vec![z],
        Op::Complement { z, .. } => vec![z],
        Op::Select(k) => {
            let select = &ir.selects[k as usize];
            select
                .operands
                .iter()
                .chain(&select.branches)
                .filter_map(node)
                .collect()
        }
        Op::Sum { first, count } => ir.terms[first as usize..(first + count) as usize]
            .iter()
            .flat_map(|t| match t.value {
                Summand::Const(_) => vec![],
                Summand::Node(n) => vec![n],
                Summand::Product(a, b) => vec![a, b],
            })
            .collect(),
        _ => vec![],
    }
}
