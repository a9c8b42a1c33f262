//! A recorded function's IR as Cranelift IR: the forward pass, node by
//! node with the op table's arithmetic (the four operations inline, every
//! other op a call of the table's own `eval`), the guards, the outputs,
//! and for a vector–Jacobian product the reverse sweep the interpreter
//! runs ([`Function::reverse_sweep`](tapegrad::replay::Function::reverse_sweep)), edge
//! by edge in its order, so that the bits are its.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{
    AbiParam, FuncRef, InstBuilder, MemFlagsData as MemFlags, Signature, StackSlot, StackSlotData,
    StackSlotKind, Type, Value, types,
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

/// The signature of a compiled function: `x`, `params`, `weights`, `out`,
/// `grad` (pointers), returning 0, or `k + 1` where guard `k` fails.
pub(crate) fn signature(module: &impl Module) -> Signature {
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.extend((0..5).map(|_| AbiParam::new(ptr)));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// An op's partial with respect to one operand, as its `eval` gives it:
/// a constant (the same at every point) or computed.
#[derive(Clone, Copy)]
enum D<F> {
    Const(F),
    Value(Value),
}

/// What the forward pass leaves for the sweep: each node's value, its
/// op's partials, and for a select whether it took its first branch.
struct Forward<F> {
    values: Vec<Value>,
    partials: Vec<[D<F>; 2]>,
    first: Vec<Option<Value>>,
}

/// Builds the body of one compiled function in `b`: the forward pass,
/// the guards, the outputs, and the `sweep` if given, seeded with the
/// weights.
pub(crate) fn body<F: Real>(
    b: &mut FunctionBuilder<'_>,
    ir: &Ir<'_, F>,
    sweep: Option<&ReverseSweep<F>>,
    tables: &Tables<F>,
    shims: &Shims,
    ptr: Type,
) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let [x, params, weights, out, grad] =
        <[Value; 5]>::try_from(b.block_params(entry)).expect("the signature's five pointers");
    let size = F::TYPE.bytes() as i32;
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        2 * size as u32,
        3,
    ));
    let mut e = Emit {
        b,
        shims,
        ptr,
        slot,
        size,
    };
    let zero = F::constant(e.b, F::zero());
    let mut forward = Forward {
        values: vec![zero],
        partials: vec![[D::Const(F::zero()); 2]],
        first: vec![None],
    };
    for (i, &op) in ir.ops.iter().enumerate() {
        let (value, partials, first) = e.op(op, i, &forward.values, ir, tables, x, params);
        forward.values.push(value);
        forward.partials.push(partials);
        forward.first.push(first);
    }
    let values = &forward.values;
    let arg = |e: &mut Emit<'_, '_>, a: Arg<F>| match a {
        Arg::Node(n) => values[n as usize],
        Arg::Const(c) => F::constant(e.b, c),
    };
    for (k, guard) in ir.guards.iter().enumerate() {
        let [p, q] = guard.operands.map(|a| arg(&mut e, a));
        let at = e.pointer(&tables.guards[k]);
        let call = e.b.ins().call(e.shims.guard, &[at, p, q]);
        let holds = e.b.inst_results(call)[0];
        let (fail, next) = (e.b.create_block(), e.b.create_block());
        e.b.ins().brif(holds, next, &[], fail, &[]);
        e.b.switch_to_block(fail);
        e.b.seal_block(fail);
        let code = e.b.ins().iconst(types::I32, k as i64 + 1);
        e.b.ins().return_(&[code]);
        e.b.switch_to_block(next);
        e.b.seal_block(next);
    }
    for (k, &y) in ir.outputs.iter().enumerate() {
        let value = arg(&mut e, y);
        e.b.ins()
            .store(MemFlags::trusted(), value, out, k as i32 * size);
    }
    if let Some(sweep) = sweep {
        e.sweep(ir, sweep, &forward, weights, grad, zero);
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
        values: &[Value],
        ir: &Ir<'_, F>,
        tables: &Tables<F>,
        x: Value,
        params: Value,
    ) -> (Value, [D<F>; 2], Option<Value>) {
        let v = |n: u32| values[n as usize];
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
                let [p, q] = select.operands.map(|a| self.arg(a, &v));
                let at = self.pointer(&tables.selects[k as usize]);
                let call = self.b.ins().call(self.shims.select, &[at, p, q]);
                let first = self.b.inst_results(call)[0];
                let [b0, b1] = select.branches.map(|a| self.arg(a, &v));
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
    fn arg<F: Real>(&mut self, a: Arg<F>, v: &impl Fn(u32) -> Value) -> Value {
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

    /// The interpreter's reverse sweep (see [`ReverseSweep`]): the outputs
    /// seeded with the weights, then every node from the last output down
    /// to the leading ones adds `partial × adjoint` into its parents, its
    /// edges last to first; a node whose adjoint is zero passes nothing
    /// through a partial that is not finite. The leading nodes' adjoints go
    /// to `grad`, inputs then parameters.
    fn sweep<F: Real>(
        &mut self,
        ir: &Ir<'_, F>,
        sweep: &ReverseSweep<F>,
        forward: &Forward<F>,
        weights: Value,
        grad: Value,
        zero: Value,
    ) {
        let mut adjoints = vec![zero; sweep.nodes.len()];
        let mut last = None;
        for (k, y) in sweep.outputs.iter().enumerate() {
            if let Arg::Node(n) = *y {
                let offset = k as i32 * self.size;
                let w = self
                    .b
                    .ins()
                    .load(F::TYPE, MemFlags::trusted(), weights, offset);
                adjoints[n as usize] = self.b.ins().fadd(adjoints[n as usize], w);
                last = last.max(Some(n as usize));
            }
        }
        let leading = |op: &&Op<F>| matches!(op, Op::Input(_) | Op::Param(_));
        let lead = 1 + ir.ops.iter().take_while(leading).count();
        let inf = F::constant(self.b, F::infinity());
        for node in (lead..=last.unwrap_or(0)).rev() {
            let incoming = adjoints[node];
            let mut nonzero = None;
            for &(p, partial) in sweep.nodes[node].edges.iter().rev() {
                let p = p as usize;
                let old = adjoints[p];
                let d = match partial {
                    Partial::Const(c) => D::Const(c),
                    Partial::Op { node, k, factor } => {
                        match (forward.partials[node as usize][k as usize], factor) {
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
                        let other = forward.values[if side == 0 { b } else { a } as usize];
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
                        let first = forward.first[node as usize].expect("a select's test");
                        let sum =
                            self.add(old, D::Const(partial), incoming, &mut nonzero, inf, zero);
                        let (taken, other) = if branch == 0 { (sum, old) } else { (old, sum) };
                        adjoints[p] = self.b.ins().select(first, taken, other);
                        continue;
                    }
                };
                adjoints[p] = self.add(old, d, incoming, &mut nonzero, inf, zero);
            }
        }
        let inputs = ir
            .ops
            .iter()
            .filter(|op| matches!(op, Op::Input(_)))
            .count();
        for (i, op) in ir.ops.iter().enumerate() {
            let at = match *op {
                Op::Input(k) => k as usize,
                Op::Param(k) => inputs + k as usize,
                _ => continue,
            };
            let offset = at as i32 * self.size;
            self.b
                .ins()
                .store(MemFlags::trusted(), adjoints[i + 1], grad, offset);
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
        inf: Value,
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
                self.guarded(old, c, incoming, nonzero, inf, zero)
            }
            D::Value(d) => self.guarded(old, d, incoming, nonzero, inf, zero),
        }
    }

    /// `old + d·incoming`, unless `incoming` is zero and `d` not finite.
    fn guarded(
        &mut self,
        old: Value,
        d: Value,
        incoming: Value,
        nonzero: &mut Option<Value>,
        inf: Value,
        zero: Value,
    ) -> Value {
        let product = self.b.ins().fmul(d, incoming);
        let sum = self.b.ins().fadd(old, product);
        // `NotEqual` is unordered: a NaN adjoint is not zero, as `is_zero` says.
        let nonzero =
            *nonzero.get_or_insert_with(|| self.b.ins().fcmp(FloatCC::NotEqual, incoming, zero));
        let magnitude = self.b.ins().fabs(d);
        let finite = self.b.ins().fcmp(FloatCC::LessThan, magnitude, inf);
        let pass = self.b.ins().bor(finite, nonzero);
        self.b.ins().select(pass, sum, old)
    }
}
