//! A recorded function's IR as Cranelift IR, in pieces: the forward pass,
//! node by node with the op table's arithmetic (the four operations
//! inline, every other op a call of the table's own `eval`), each value
//! and computed partial stored for the pieces after it; the guards and the
//! outputs; and the reverse sweep the interpreter runs
//! ([`Function::reverse_sweep`](tapegrad::replay::Function::reverse_sweep)),
//! edge by edge in its order, so that the bits are its (in `sweep`). A
//! stretch that repeats a body (see `roll`) is one loop over it.

use std::collections::HashMap;
use std::hash::Hash;
use std::mem::Discriminant;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, AliasRegion, AliasRegionData, BlockArg, FuncRef, InstBuilder,
    MemFlagsData as MemFlags, Signature, StackSlot, StackSlotData, StackSlotKind, Type, Value,
    types,
};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::{Linkage, Module};
use tapegrad::replay::ir::{Arg, Binary, Ir, Op, ReverseSweep, Summand, Term, Test, Unary};

use crate::native::Tables;
use crate::roll::{Item, Loop, Segment, bits};
use crate::sweep::Form;
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
pub(crate) enum D<F> {
    Const(F),
    Value(Value),
}

/// Where the forward pass left a node's partial for the sweep: a
/// constant, an operand's value, or the buffer of partials.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kept<F> {
    Const(F),
    /// The value of this node (a product's partial is the other factor).
    Operand(u32),
    Stored,
}

/// The pointers every piece of code gets: `x`, `params`, the buffers of
/// values (one a node), partials (two a node; a select's first says
/// whether it took its first branch) and adjoints (one a node of the
/// sweep), and `out`.
pub(crate) struct Buffers {
    x: Value,
    params: Value,
    pub(crate) values: Value,
    pub(crate) partials: Value,
    pub(crate) adjoints: Value,
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

/// What a piece of code computes: a stretch of the forward pass (segments
/// of the IR's ops, by their indices), the guards and outputs, or a
/// stretch of the reverse sweep (segments of its nodes in the order it
/// visits them, by their places in [`Plan::visits`]). In pieces, the
/// compile time grows with the length of the recording, not faster: each
/// piece's values live in registers only within it. A piece holds the
/// tables of its loops, so the code that reads them lives as long.
#[derive(Clone, Debug)]
pub(crate) enum Piece<F> {
    Forward(Vec<Segment<F>>),
    Finish,
    Reverse(Vec<Segment<F>>),
}

/// What every piece reads: the IR, the tables of ops, the sweep's edges
/// by node (their partials as the forward pass leaves them), and the
/// sweep's nodes in the order it visits them.
pub(crate) struct Plan<'a, F> {
    pub(crate) ir: Ir<'a, F>,
    pub(crate) tables: &'a Tables<F>,
    pub(crate) edges: Vec<Vec<(usize, Form<F>)>>,
    pub(crate) visits: Vec<usize>,
    /// A long sum's terms after the first, by its op, in segments.
    pub(crate) sums: HashMap<usize, Vec<Segment<F>>>,
    /// A node's many edges, by the node, in segments.
    pub(crate) wide: HashMap<usize, Vec<Segment<F>>>,
}

impl<'a, F: Real> Plan<'a, F> {
    pub(crate) fn new(
        ir: Ir<'a, F>,
        sweep: &ReverseSweep<F>,
        tables: &'a Tables<F>,
        visits: Vec<usize>,
    ) -> Self {
        let mut kept = vec![[Kept::Const(F::zero()); 2]; ir.ops.len() + 1];
        for (i, op) in ir.ops.iter().enumerate() {
            kept[i + 1] = kept_of(op);
        }
        let edges = (sweep.nodes.iter())
            .map(|node| {
                (node.edges.iter().rev())
                    .map(|&(p, partial)| (p as usize, Form::of(partial, &ir, &kept)))
                    .collect()
            })
            .collect();
        Plan {
            ir,
            tables,
            edges,
            visits,
            sums: HashMap::new(),
            wide: HashMap::new(),
        }
    }
}

/// A sum's term as the roller compares it.
pub(crate) fn term_item<F: Real>(term: &Term<F>) -> Item<[u8; 2], F> {
    let (kind, indices, constants) = match term.value {
        Summand::Const(c) => (0, vec![], vec![c]),
        Summand::Node(n) => (1, vec![n as usize], vec![]),
        Summand::Product(a, b) => (2, vec![a as usize, b as usize], vec![]),
    };
    Item {
        shape: [kind, u8::from(term.minus)],
        indices,
        distinct: 0,
        constants,
    }
}

/// What an op leaves for the sweep: each partial a constant, an operand's
/// value (nothing to store), or computed and stored. [`Emit::op`]
/// computes those this says are stored.
fn kept_of<F: Real>(op: &Op<F>) -> [Kept<F>; 2] {
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
pub(crate) fn op_item<F: Real>(ir: &Ir<'_, F>, i: usize) -> Item<Shape<F>, F> {
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
        Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) => {
            arg(n(a), &mut flags);
            arg(n(b), &mut flags);
        }
        Op::AddConst(a, c) | Op::SubConst(a, c) | Op::MulConst(a, c) | Op::DivConst(a, c) => {
            arg(n(a), &mut flags);
            arg(k(c), &mut flags);
        }
        Op::ConstSub(c, b) | Op::ConstDiv(c, b) => {
            arg(k(c), &mut flags);
            arg(n(b), &mut flags);
        }
        Op::Neg(a) => arg(n(a), &mut flags),
        Op::Unary(u, a) => {
            shape.unary = Some(u);
            arg(n(a), &mut flags);
        }
        Op::Binary(op, a, b) => {
            shape.binary = Some(op);
            arg(n(a), &mut flags);
            arg(n(b), &mut flags);
        }
        Op::BinaryConst(op, a, c) => {
            shape.binary = Some(op);
            arg(n(a), &mut flags);
            arg(k(c), &mut flags);
        }
        Op::ConstBinary(op, c, b) => {
            shape.binary = Some(op);
            arg(k(c), &mut flags);
            arg(n(b), &mut flags);
        }
        Op::LnSigmoid { z, negated } => {
            flags.push(u8::from(negated));
            arg(n(z), &mut flags);
        }
        Op::Complement { sigmoid, z } => {
            arg(n(sigmoid), &mut flags);
            arg(n(z), &mut flags);
        }
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
                    Summand::Node(a) => arg(n(a), &mut flags),
                    Summand::Product(a, b) => {
                        arg(n(a), &mut flags);
                        arg(n(b), &mut flags);
                    }
                }
            }
        }
        _ => flags.push(u8::MAX),
    }
    shape.flags = flags;
    item
}

/// Builds `piece` in `b` from `plan`.
pub(crate) fn piece<'a, F: Real>(
    b: &'a mut FunctionBuilder<'_>,
    piece: &'a Piece<F>,
    plan: &'a Plan<'_, F>,
    shims: &'a Shims,
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
        frame: None,
        buffers: Buffers {
            x,
            params,
            values,
            partials,
            adjoints,
            out,
        },
    };
    match piece {
        Piece::Forward(segments) => e.forward(segments, plan),
        Piece::Finish => e.finish(plan),
        Piece::Reverse(segments) => e.sweep(segments, plan),
    }
    let ok = e.b.ins().iconst(types::I32, 0);
    e.b.ins().return_(&[ok]);
}

/// Inside a loop: the iteration, and how the fields of the body item being
/// built move with it (see [`Loop`]).
pub(crate) struct Frame<'a, F> {
    pub(crate) k: Value,
    pub(crate) steps: &'a HashMap<usize, isize>,
    pub(crate) tables: &'a HashMap<u64, Box<[F]>>,
}

/// The builder and what every op's code needs.
pub(crate) struct Emit<'a, 'b, F> {
    pub(crate) b: &'a mut FunctionBuilder<'b>,
    shims: &'a Shims,
    ptr: Type,
    /// Where a shim writes its partials.
    slot: StackSlot,
    size: i32,
    /// Each buffer's alias region.
    regions: Vec<(Value, AliasRegion)>,
    /// The loop being built, if any.
    pub(crate) frame: Option<Frame<'a, F>>,
    pub(crate) buffers: Buffers,
}

impl<'a, F: Real> Emit<'a, '_, F> {
    /// The address of `item`, a constant of the code: the tables outlive it.
    fn pointer<T>(&mut self, item: &T) -> Value {
        let address = item as *const T as usize as i64;
        self.b.ins().iconst(self.ptr, address)
    }

    /// How the index or node `index` of the item being built moves each
    /// iteration: 0 outside loops.
    pub(crate) fn step(&self, index: usize) -> isize {
        (self.frame.as_ref())
            .and_then(|frame| frame.steps.get(&index).copied())
            .unwrap_or(0)
    }

    /// The constant `c` of the item being built: its table's entry for
    /// the iteration if it has one.
    pub(crate) fn constant(&mut self, c: F) -> Value {
        let frame = self.frame.as_ref();
        match frame.and_then(|frame| frame.tables.get(&bits(c)).map(|t| (frame.k, t))) {
            Some((k, table)) => {
                let base = self.pointer(&table[0]);
                let at = self.moved(base, k, 1);
                self.b
                    .ins()
                    .load(F::TYPE, MemFlags::trusted().with_readonly(), at, 0)
            }
            None => F::constant(self.b, c),
        }
    }

    /// A constant field as a partial: a constant, or its table's entry.
    pub(crate) fn field(&mut self, c: F) -> D<F> {
        let varies = (self.frame.as_ref()).is_some_and(|frame| frame.tables.contains_key(&bits(c)));
        match varies {
            true => D::Value(self.constant(c)),
            false => D::Const(c),
        }
    }

    /// `base + k·step` elements.
    fn moved(&mut self, base: Value, k: Value, step: isize) -> Value {
        let bytes = self
            .b
            .ins()
            .imul_imm_s(k, step as i64 * i64::from(self.size));
        self.b.ins().iadd(base, bytes)
    }

    /// The address of `buffer` moved `step` elements each iteration.
    fn base(&mut self, buffer: Value, step: isize) -> Value {
        match &self.frame {
            Some(frame) if step != 0 => {
                let k = frame.k;
                self.moved(buffer, k, step)
            }
            _ => buffer,
        }
    }

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
            Op::Input(k) => (self.load(F::TYPE, self.buffers.x, k as usize), [None; 2]),
            Op::Param(k) => (
                self.load(F::TYPE, self.buffers.params, k as usize),
                [None; 2],
            ),
            Op::Fixed(k) => (self.constant(k), [None; 2]),
            Op::Add(x, y) => {
                let [x, y] = [self.value(x, local), self.value(y, local)];
                (self.b.ins().fadd(x, y), [None; 2])
            }
            Op::AddConst(x, k) => {
                let [x, k] = [self.value(x, local), self.constant(k)];
                (self.b.ins().fadd(x, k), [None; 2])
            }
            Op::Sub(x, y) => {
                let [x, y] = [self.value(x, local), self.value(y, local)];
                (self.b.ins().fsub(x, y), [None; 2])
            }
            Op::SubConst(x, k) => {
                let [x, k] = [self.value(x, local), self.constant(k)];
                (self.b.ins().fsub(x, k), [None; 2])
            }
            Op::ConstSub(k, y) => {
                let [k, y] = [self.constant(k), self.value(y, local)];
                (self.b.ins().fsub(k, y), [None; 2])
            }
            Op::Mul(x, y) => {
                let [x, y] = [self.value(x, local), self.value(y, local)];
                (self.b.ins().fmul(x, y), [None; 2])
            }
            Op::MulConst(x, k) => {
                let [x, k] = [self.value(x, local), self.constant(k)];
                (self.b.ins().fmul(x, k), [None; 2])
            }
            Op::Div(x, y) => {
                let [x, y] = [self.value(x, local), self.value(y, local)];
                let (q, [dx, dy]) = self.div(x, y);
                (q, [Some(dx), Some(dy)])
            }
            Op::DivConst(x, k) => {
                let [x, k] = [self.value(x, local), self.constant(k)];
                (self.b.ins().fdiv(x, k), [None; 2])
            }
            Op::ConstDiv(k, y) => {
                let [k, y] = [self.constant(k), self.value(y, local)];
                let (q, [_, dy]) = self.div(k, y);
                (q, [Some(dy), None])
            }
            Op::Neg(x) => {
                let x = self.value(x, local);
                (self.b.ins().fneg(x), [None; 2])
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
                let at = self.pointer(&tables.selects[k as usize]);
                let call = self.b.ins().call(self.shims.select, &[at, p, q]);
                let first = self.b.inst_results(call)[0];
                let [b0, b1] = select.branches.map(|a| arg(self, a, local));
                return (self.b.ins().select(first, b0, b1), [None; 2], Some(first));
            }
            Op::Sum { first, count } => {
                let terms = &ir.terms[first as usize..(first + count) as usize];
                let rolled = plan.sums.get(&i).filter(|_| self.frame.is_none());
                (self.sum(terms, rolled, local), [None; 2])
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
        rolled: Option<&'a Vec<Segment<F>>>,
        local: &mut HashMap<(u32, isize), Value>,
    ) -> Value {
        let mut acc = self.term(&terms[0], local);
        let Some(segments) = rolled else {
            for term in &terms[1..] {
                let value = self.term(term, local);
                acc = self.accumulate(acc, term.minus, value);
            }
            return acc;
        };
        for segment in segments {
            acc = match segment {
                Segment::One(t) => {
                    let value = self.term(&terms[1 + t], local);
                    self.accumulate(acc, terms[1 + t].minus, value)
                }
                Segment::Loop(l) => {
                    let each = |e: &mut Self, j: usize, acc: &mut Vec<Value>| {
                        let term = &terms[1 + l.start + j];
                        let value = e.term(term, &mut HashMap::new());
                        acc[0] = e.accumulate(acc[0], term.minus, value);
                    };
                    self.repeat(l, vec![acc], each)[0]
                }
            };
        }
        acc
    }

    /// A sum's term's value.
    fn term(&mut self, term: &Term<F>, local: &mut HashMap<(u32, isize), Value>) -> Value {
        match term.value {
            Summand::Const(k) => self.constant(k),
            Summand::Node(n) => self.value(n, local),
            Summand::Product(x, y) => {
                let [x, y] = [self.value(x, local), self.value(y, local)];
                self.b.ins().fmul(x, y)
            }
        }
    }

    /// `acc + value`, or `acc − value` if `minus`.
    fn accumulate(&mut self, acc: Value, minus: bool, value: Value) -> Value {
        match minus {
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

    /// The table's `op(x)` and its partial, by a call of `Unary::eval`.
    fn unary(&mut self, op: &Unary, x: Value) -> (Value, Value) {
        let at = self.pointer(op);
        let out = self.b.ins().stack_addr(self.ptr, self.slot, 0);
        let call = self.b.ins().call(self.shims.unary, &[at, x, out]);
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
        tables: &Tables<F>,
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

    /// The value in `buffer` at `index`, a field of the item being built.
    pub(crate) fn load(&mut self, ty: Type, buffer: Value, index: usize) -> Value {
        let step = self.step(index);
        self.load_at(ty, buffer, index, step)
    }

    /// The value in `buffer` at `index`, moved `step` each iteration.
    pub(crate) fn load_at(&mut self, ty: Type, buffer: Value, index: usize, step: isize) -> Value {
        let flags = self.flags(buffer);
        let base = self.base(buffer, step);
        self.b.ins().load(ty, flags, base, index as i32 * self.size)
    }

    /// Stores `value` in `buffer` at `index`, a field of the item being
    /// built.
    pub(crate) fn store(&mut self, value: Value, buffer: Value, index: usize) {
        let step = self.step(index);
        self.store_at(value, buffer, index, step);
    }

    /// Stores `value` in `buffer` at `index`, moved `step` each iteration.
    fn store_at(&mut self, value: Value, buffer: Value, index: usize, step: isize) {
        let flags = self.flags(buffer);
        let base = self.base(buffer, step);
        self.b
            .ins()
            .store(flags, value, base, index as i32 * self.size);
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
    fn forward(&mut self, segments: &'a [Segment<F>], plan: &'a Plan<'_, F>) {
        // The values computed or loaded in this piece: in registers.
        let mut local = HashMap::new();
        for segment in segments {
            match segment {
                Segment::One(i) => self.forward_op(*i, plan, &mut local),
                Segment::Loop(l) => self.forward_loop(l, plan, &mut local),
            }
        }
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
        let (first, period) = (l.start + 1, l.period);
        let step = period as isize;
        // The nodes of the iteration before that the body reads.
        let mut before: Vec<u32> = (0..period)
            .filter(|&j| !matches!(plan.ir.ops[l.start + j], Op::Input(_) | Op::Param(_)))
            .flat_map(|j| {
                let item = op_item(&plan.ir, l.start + j);
                (item.indices.into_iter().skip(1)).filter(move |&n| {
                    n + period >= first && n < first && l.steps[j].get(&n) == Some(&step)
                })
            })
            .map(|n| n as u32)
            .collect();
        before.sort_unstable();
        before.dedup();
        let carry = before.iter().map(|&n| self.value(n, outer)).collect();
        let mut local = HashMap::new();
        self.repeat(l, carry, |e, j, carried| {
            if j == 0 {
                local.extend(
                    before
                        .iter()
                        .zip(carried.iter())
                        .map(|(&n, &v)| ((n, step), v)),
                );
            }
            e.forward_op(l.start + j, plan, &mut local);
            if j + 1 == period {
                for (&n, value) in before.iter().zip(carried.iter_mut()) {
                    *value = local[&(n + period as u32, step)];
                }
            }
        });
    }

    /// Op `i`'s value and computed partials, stored.
    fn forward_op(
        &mut self,
        i: usize,
        plan: &'a Plan<'_, F>,
        local: &mut HashMap<(u32, isize), Value>,
    ) {
        let node = i + 1;
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

    /// The loop `l`: `body(self, j, carried)` builds body item `j` once,
    /// in a loop over the iterations. `carried` are numbers an iteration
    /// passes to the next in registers (a partial sum, an adjoint, a value
    /// the next iteration reads): `carry` on entry, as the body leaves
    /// them at the end of each iteration, and returned.
    pub(crate) fn repeat(
        &mut self,
        l: &'a Loop<F>,
        carry: Vec<Value>,
        mut body: impl FnMut(&mut Self, usize, &mut Vec<Value>),
    ) -> Vec<Value> {
        let header = self.b.create_block();
        let k = self.b.append_block_param(header, self.ptr);
        let mut carried: Vec<_> = (carry.iter())
            .map(|_| self.b.append_block_param(header, F::TYPE))
            .collect();
        let zero = self.b.ins().iconst(self.ptr, 0);
        let args: Vec<_> = Some(zero)
            .into_iter()
            .chain(carry)
            .map(BlockArg::Value)
            .collect();
        self.b.ins().jump(header, &args);
        self.b.switch_to_block(header);
        for j in 0..l.period {
            self.frame = Some(Frame {
                k,
                steps: &l.steps[j],
                tables: &l.tables[j],
            });
            body(self, j, &mut carried);
        }
        self.frame = None;
        let next = self.b.ins().iadd_imm_s(k, 1);
        let more = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, next, l.count as i64);
        let exit = self.b.create_block();
        let results = (carried.iter())
            .map(|_| self.b.append_block_param(exit, F::TYPE))
            .collect();
        let again: Vec<_> = Some(next)
            .into_iter()
            .chain(carried.iter().copied())
            .map(BlockArg::Value)
            .collect();
        let out: Vec<_> = carried.into_iter().map(BlockArg::Value).collect();
        self.b.ins().brif(more, header, &again, exit, &out);
        self.b.seal_block(header);
        self.b.switch_to_block(exit);
        self.b.seal_block(exit);
        results
    }

    /// The guards, each returning `k + 1` where guard `k` fails, then the
    /// outputs.
    fn finish(&mut self, plan: &'a Plan<'_, F>) {
        let buffers = &self.buffers;
        let (values, out) = (buffers.values, buffers.out);
        let arg = |e: &mut Self, a: Arg<F>| match a {
            Arg::Node(n) => e.load(F::TYPE, values, n as usize),
            Arg::Const(c) => F::constant(e.b, c),
        };
        for (k, guard) in plan.ir.guards.iter().enumerate() {
            let [p, q] = guard.operands.map(|a| arg(self, a));
            let at = self.pointer(&plan.tables.guards[k]);
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
        for (k, &y) in plan.ir.outputs.iter().enumerate() {
            let value = arg(self, y);
            self.store(value, out, k);
        }
    }
}
