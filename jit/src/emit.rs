//! A recorded function's IR as Cranelift IR, in pieces: what every piece
//! shares (its signature, the buffers it reads and writes and their
//! addressing inside a loop, the shims it calls, a loop over a body), and
//! the piece of the guards and the outputs. The forward pass is built in
//! `forward`, the reverse sweep the interpreter runs in `sweep`, the loops
//! found in `roll`.

use std::collections::HashMap;
use std::ops::Range;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, AliasRegion, AliasRegionData, Block, BlockArg, FuncRef, InstBuilder,
    MemFlagsData as MemFlags, SigRef, Signature, StackSlot, StackSlotData, StackSlotKind, Type,
    Value, types,
};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::{Linkage, Module};
use tapegrad::replay::ir::{Arg, Comparison, Ir, Outcome, ReverseSweep, Test};

use crate::forward::{self, kept_of};
use crate::fuse::Fusions;
use crate::known::Known;
use crate::native::Tables;
use crate::roll::{Loop, Rolled, Segment, Space, Variants, bits};
use crate::sweep::{Edge, Form};
use crate::{CompileError, Real};

/// The shims the code calls, as the function being built names them.
pub(crate) struct Shims {
    pub(crate) unary: FuncRef,
    /// The signature of a unary op's own shim
    /// ([`unary_of`](crate::native::unary_of)).
    pub(crate) unary_of: SigRef,
    pub(crate) binary: FuncRef,
    pub(crate) select: FuncRef,
    pub(crate) guard: FuncRef,
    pub(crate) dual_op: FuncRef,
    pub(crate) dual_select: FuncRef,
    pub(crate) dual_guard: FuncRef,
}

/// Declares the shims (registered with the module's builder under these
/// names) and returns their signatures' ids in `func`.
pub(crate) fn declare_shims<F: Real>(
    module: &mut impl Module,
    func: &mut cranelift_codegen::ir::Function,
) -> Result<Shims, CompileError> {
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(F::TYPE));
    sig.params.push(AbiParam::new(ptr));
    sig.returns.push(AbiParam::new(F::TYPE));
    let unary_of = func.import_signature(sig);
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
        unary_of,
        binary: import("tapegrad_binary", 2, true, F::TYPE)?,
        select: import("tapegrad_select", 2, false, types::I32)?,
        guard: import("tapegrad_guard", 2, false, types::I32)?,
        dual_op: import("tapegrad_dual_op", 4, true, F::TYPE)?,
        dual_select: import("tapegrad_dual_select", 4, false, types::I32)?,
        dual_guard: import("tapegrad_dual_guard", 4, false, types::I32)?,
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

/// The pointers every piece of code gets: the buffers of values (one a
/// node, the inputs' and parameters' copied in by the caller), partials
/// (two a node; a select's first says whether it took its first branch)
/// and adjoints (one a node of the sweep), and `out`.
pub(crate) struct Buffers {
    pub(crate) values: Value,
    pub(crate) partials: Value,
    pub(crate) adjoints: Value,
    pub(crate) out: Value,
}

/// The signature of every piece: the four pointers of [`Buffers`], and 0,
/// or `k + 1` where guard `k` failed.
pub(crate) fn signature(module: &impl Module) -> Signature {
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.extend((0..4).map(|_| AbiParam::new(ptr)));
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
/// sweep's nodes in the order it visits them; whether the code computes
/// in `Dual` numbers (forward mode, [`crate::dual`]).
pub(crate) struct Plan<'a, F> {
    pub(crate) dual: bool,
    /// Per node, whether a sum computes it ([`forward::inlined`]).
    pub(crate) inlined: Vec<bool>,
    pub(crate) ir: Ir<'a, F>,
    pub(crate) tables: &'a Tables<F>,
    pub(crate) edges: Vec<Vec<Edge<F>>>,
    pub(crate) visits: Vec<usize>,
    /// A long sum's terms after the first, by its op, in segments.
    pub(crate) sums: HashMap<usize, Vec<Rolled<F>>>,
    /// A node's many edges, by the node, in segments.
    pub(crate) wide: HashMap<usize, Vec<Rolled<F>>>,
    /// Loops fused with what comes after them.
    pub(crate) fused: Fusions<F>,
}

impl<'a, F: Real> Plan<'a, F> {
    /// An edge of a loop's body (of the sweep's `segments`, or of a wide
    /// node's edges) is first into its parent only if it is in every
    /// iteration: the code is one for all.
    pub(crate) fn first_in_every_iteration<'s>(
        &mut self,
        segments: impl IntoIterator<Item = &'s Segment<F>>,
    ) where
        F: 's,
    {
        // The edges each edge of a body stands for, by node and place: a
        // body's item `j` is at these places of the visits.
        let mut groups: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut bodies: Vec<(usize, Vec<usize>)> = Vec::new();
        for segment in segments {
            match segment {
                Segment::One(_) => {}
                Segment::Loop(l) => bodies.push((
                    l.period,
                    (0..l.count).map(|k| l.start + k * l.period).collect(),
                )),
                Segment::Variants(v) => {
                    for (b, l) in v.bodies.iter().enumerate() {
                        let instances = (v.starts.iter().zip(&v.tags))
                            .filter(|&(_, &tag)| usize::from(tag) == b)
                            .map(|(&at, _)| at);
                        bodies.push((l.period, instances.collect()));
                    }
                }
            }
        }
        for (period, instances) in bodies {
            for j in 0..period {
                let visit = |at: usize| self.visits[at + j];
                for e in 0..self.edges[visit(instances[0])].len() {
                    groups.push(instances.iter().map(|&at| (visit(at), e)).collect());
                }
            }
        }
        for (&v, segments) in &self.wide {
            for segment in segments {
                if let Segment::Loop(l) = segment {
                    for j in 0..l.period {
                        groups.push(
                            (0..l.count)
                                .map(|k| (v, l.start + k * l.period + j))
                                .collect(),
                        );
                    }
                }
            }
        }
        // An edge may be in two groups (a wide node's loop of edges, and a
        // loop of visits): until every group agrees.
        let mut changed = true;
        while changed {
            changed = false;
            for group in &groups {
                let first = group.iter().all(|&(v, e)| self.edges[v][e].first);
                for &(v, e) in group {
                    changed |= std::mem::replace(&mut self.edges[v][e].first, first) != first;
                }
            }
        }
    }

    /// The adjoints the sweep's code may read before it writes them, in
    /// runs: every place but those a first edge writes (the code adds
    /// that edge to zero). The caller clears them before each sweep.
    pub(crate) fn cleared(&self) -> Vec<Range<usize>> {
        let mut written = vec![false; self.edges.len()];
        for edge in self.edges.iter().flatten().filter(|edge| edge.first) {
            written[edge.parent] = true;
        }
        runs(written.iter().map(|w| !w))
    }

    /// Whether every op of `l`'s body is one a sum computes: the loop is
    /// no code of its own.
    pub(crate) fn sums_compute(&self, l: &Loop<F>) -> bool {
        (l.start..l.start + l.period).all(|i| self.inlined[i + 1])
    }

    /// The plan of `ir`'s code and of `sweep`'s, which visits `visits` in
    /// this order and starts from the adjoints of `seeded` (the caller
    /// adds the outputs' weights into them).
    pub(crate) fn new(
        ir: Ir<'a, F>,
        sweep: &ReverseSweep<F>,
        tables: &'a Tables<F>,
        visits: Vec<usize>,
        seeded: impl IntoIterator<Item = usize>,
        dual: bool,
    ) -> Self {
        // Forward mode stores every partial an op computes (see `dual`).
        let mut kept = vec![[Kept::Const(F::zero()); 2]; ir.ops.len() + 1];
        for (i, op) in ir.ops.iter().enumerate() {
            kept[i + 1] = match dual {
                false => kept_of(op),
                true => [Kept::Stored; 2],
            };
        }
        let mut edges: Vec<Vec<_>> = (sweep.nodes.iter())
            .map(|node| {
                (node.edges.iter().rev())
                    .map(|&(p, partial)| Edge {
                        parent: p as usize,
                        form: Form::of(partial, &ir, &kept, dual),
                        first: false,
                    })
                    .collect()
            })
            .collect();
        // In the order the code adds them (fusion and loops keep each
        // adjoint's order: `crate::fuse`), the first edge into each adjoint.
        let mut reached = vec![false; edges.len()];
        for v in seeded {
            reached[v] = true;
        }
        for &v in &visits {
            for edge in &mut edges[v] {
                edge.first = !std::mem::replace(&mut reached[edge.parent], true);
            }
        }
        Plan {
            dual,
            inlined: match dual {
                false => forward::inlined(&ir),
                true => vec![false; ir.ops.len() + 1],
            },
            ir,
            tables,
            edges,
            visits,
            sums: HashMap::new(),
            wide: HashMap::new(),
            fused: Fusions::default(),
        }
    }
}

/// The runs of places where `flags` is true.
fn runs(flags: impl IntoIterator<Item = bool>) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (at, _) in flags.into_iter().enumerate().filter(|&(_, flag)| flag) {
        match runs.last_mut() {
            Some(run) if run.end == at => run.end += 1,
            _ => runs.push(at..at + 1),
        }
    }
    runs
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
    let [values, partials, adjoints, out] =
        <[Value; 4]>::try_from(b.block_params(entry)).expect("the signature's four pointers");
    let size = F::TYPE.bytes() as i32;
    // Two partials, or forward mode's value and two partials of two lanes.
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        6 * size as u32,
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
        known: Known::default(),
        buffers: Buffers {
            values,
            partials,
            adjoints,
            out,
        },
    };
    match (piece, plan.dual) {
        (Piece::Forward(segments), false) => e.forward(segments, plan),
        (Piece::Finish, false) => e.finish(plan),
        (Piece::Reverse(segments), false) => e.sweep(segments, plan),
        (Piece::Forward(segments), true) => e.dual_forward(segments, plan),
        (Piece::Finish, true) => e.dual_finish(plan),
        (Piece::Reverse(segments), true) => e.dual_sweep(segments, plan),
    }
    let ok = e.b.ins().iconst(types::I32, 0);
    e.b.ins().return_(&[ok]);
}

/// The most items a loop's body may have to be built twice an iteration:
/// a small body's loop costs its own instructions again for each (a dot
/// product's, one term an iteration, doubles its term); four times was no
/// faster (BENCHMARKS.md).
const UNROLL: usize = 4;

/// Inside a loop: the iteration, and how the fields of the body item being
/// built move with it (see [`Loop`]).
pub(crate) struct Frame<'a, F> {
    /// How far the fields move, in steps.
    pub(crate) k: Moves,
    /// The iteration built is `k + shift` (a loop built twice an
    /// iteration).
    pub(crate) shift: isize,
    /// The `k`s of the adjoints' places (iterations `0..count` of a loop).
    pub(crate) range: Range<isize>,
    pub(crate) steps: &'a HashMap<usize, isize>,
    pub(crate) tables: &'a HashMap<u64, Box<[F]>>,
    /// The address of iteration `k`'s entry of the loop's first table (in
    /// memory), in a register the loop moves, and that table's address:
    /// an entry of any table is at an offset from it (see
    /// [`Emit::repeat_parts`]).
    pub(crate) row: Option<(Value, usize)>,
}

/// How far a loop moves the fields of the iteration it builds, in steps.
#[derive(Clone, Copy)]
pub(crate) enum Moves {
    /// The iteration: every field moves its step times it.
    Iteration(Value),
    /// A loop of variants: a field moves its step times its space's
    /// distance (by [`Space`], where the space moves).
    Spaces([Option<Value>; 2]),
}

/// The builder and what every op's code needs.
pub(crate) struct Emit<'a, 'b, F> {
    pub(crate) b: &'a mut FunctionBuilder<'b>,
    pub(crate) shims: &'a Shims,
    pub(crate) ptr: Type,
    /// Where a shim writes its partials.
    pub(crate) slot: StackSlot,
    pub(crate) size: i32,
    /// Each buffer's alias region.
    regions: Vec<(Value, AliasRegion)>,
    /// The loop being built, if any.
    pub(crate) frame: Option<Frame<'a, F>>,
    pub(crate) buffers: Buffers,
    /// The adjoints the block being built knows.
    pub(crate) known: Known,
}

impl<'a, F: Real> Emit<'a, '_, F> {
    /// The address of `item`, a constant of the code: `'a`, the plan's and
    /// the tables' lifetime, which outlive the code, so a temporary cannot
    /// be pointed at.
    pub(crate) fn pointer<T>(&mut self, item: &'a T) -> Value {
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
        let entry = frame.and_then(|frame| {
            let table = frame.tables.get(&bits(c))?;
            Some(&table[frame.shift as usize])
        });
        let Some(entry) = entry else {
            return F::constant(self.b, c);
        };
        let at = self.in_row(entry);
        let flags = MemFlags::trusted().with_readonly();
        self.b.ins().load(F::TYPE, flags, at, 0)
    }

    /// The address of `entry`'s iteration (the loop being built's),
    /// `entry` a table's: an offset from the loop's row, or where that
    /// does not fit 32 bits, the row's distance from its table added to
    /// `entry`.
    fn in_row(&mut self, entry: &'a F) -> Value {
        let (row, first) = (self.frame.as_ref())
            .and_then(|frame| frame.row)
            .expect("a loop with tables has a row");
        let offset = (entry as *const F as usize) as i128 - first as i128;
        if let Ok(offset) = i32::try_from(offset) {
            return self.b.ins().iadd_imm_s(row, i64::from(offset));
        }
        let from = self.b.ins().iadd_imm_s(row, -(first as i64));
        let entry = self.pointer(entry);
        self.b.ins().iadd(entry, from)
    }

    /// Whether the constant field `c` differs between the iterations of
    /// the loop being built (it has a table).
    pub(crate) fn varies(&self, c: F) -> bool {
        (self.frame.as_ref()).is_some_and(|frame| frame.tables.contains_key(&bits(c)))
    }

    /// A constant field as a partial: a constant, or its table's entry.
    pub(crate) fn field(&mut self, c: F) -> D<F> {
        match self.varies(c) {
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
    pub(crate) fn base(&mut self, buffer: Value, step: isize) -> Value {
        let k = match &self.frame {
            Some(frame) if step != 0 => frame.k,
            _ => return buffer,
        };
        let k = match k {
            Moves::Iteration(k) => k,
            Moves::Spaces(moves) => {
                let space = self.space(buffer);
                moves[space as usize].expect("a field that moves is of a space that moves")
            }
        };
        self.moved(buffer, k, step)
    }

    /// What the places of `buffer` number.
    fn space(&self, buffer: Value) -> Space {
        let b = &self.buffers;
        match buffer {
            _ if buffer == b.values || buffer == b.partials => Space::Ir,
            _ if buffer == b.adjoints => Space::Sweep,
            _ => unreachable!("the outputs are not read in a loop"),
        }
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

    /// The value in `buffer` at `index`, moved `step` each iteration (an
    /// adjoint the block knows, without a load).
    pub(crate) fn load_at(&mut self, ty: Type, buffer: Value, index: usize, step: isize) -> Value {
        let index = self.shifted(index, step);
        let (block, iterations) = self.here();
        let adjoints = buffer == self.buffers.adjoints;
        if adjoints && let Some(value) = self.known.get(block, (index, step)) {
            return value;
        }
        let flags = self.flags(buffer);
        let base = self.base(buffer, step);
        let value = self.b.ins().load(ty, flags, base, index as i32 * self.size);
        if adjoints {
            self.known.loaded(block, (index, step), value, iterations);
        }
        value
    }

    /// The block being built, and the iterations of the loop being built
    /// (`None` outside loops): what [`Known`] is told of a place.
    fn here(&self) -> (Block, Option<Range<isize>>) {
        let block = self.b.current_block().expect("code in a block");
        (block, self.frame.as_ref().map(|frame| frame.range.clone()))
    }

    /// Where `index`, moved `step` each iteration, is in the iteration the
    /// frame's copy builds: `shift` steps on from `k`'s.
    fn shifted(&self, index: usize, step: isize) -> usize {
        let shift = self.frame.as_ref().map_or(0, |frame| frame.shift);
        (index as isize + step * shift) as usize
    }

    /// Node `node`'s adjoint, if the block being built knows it.
    pub(crate) fn known_adjoint(&mut self, node: usize) -> Option<Value> {
        let step = self.step(node);
        let (block, _) = self.here();
        self.known.get(block, (self.shifted(node, step), step))
    }

    /// Node `node`'s adjoint, moved `step` each iteration, read for the
    /// last time: a store to it that nothing read is removed.
    pub(crate) fn last_read(&mut self, node: usize, step: isize) {
        let node = self.shifted(node, step);
        let (block, _) = self.here();
        if let Some(dead) = self.known.last_read(block, (node, step)) {
            self.b.func.layout.remove_inst(dead);
        }
    }

    /// Stores `value` in `buffer` at `index`, a field of the item being
    /// built.
    pub(crate) fn store(&mut self, value: Value, buffer: Value, index: usize) {
        let step = self.step(index);
        self.store_at(value, buffer, index, step);
    }

    /// Stores `value` in `buffer` at `index`, moved `step` each iteration.
    pub(crate) fn store_at(&mut self, value: Value, buffer: Value, index: usize, step: isize) {
        let index = self.shifted(index, step);
        let flags = self.flags(buffer);
        let base = self.base(buffer, step);
        let store = self
            .b
            .ins()
            .store(flags, value, base, index as i32 * self.size);
        if buffer == self.buffers.adjoints {
            let (block, iterations) = self.here();
            if let Some(dead) = self
                .known
                .stored(block, (index, step), value, store, iterations)
            {
                self.b.func.layout.remove_inst(dead);
            }
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
        self.repeat_parts(&[l], carry, |e, _, j, carried| body(e, j, carried))
    }

    /// Loops of as many iterations as one: each iteration builds the body
    /// of `parts[0]`, then of `parts[1]`, …, `body(self, part, j,
    /// carried)` building item `j` of part `part`; `carried` as
    /// [`repeat`](Emit::repeat)'s.
    pub(crate) fn repeat_parts(
        &mut self,
        parts: &[&'a Loop<F>],
        carry: Vec<Value>,
        mut body: impl FnMut(&mut Self, usize, usize, &mut Vec<Value>),
    ) -> Vec<Value> {
        let count = parts[0].count;
        debug_assert!(parts.iter().all(|l| l.count == count), "as many iterations");
        // A small body is built twice an iteration, the second copy's
        // places one step on: half the loop's own instructions an item.
        let items: usize = parts.iter().map(|l| l.period).sum();
        let unroll = if items <= UNROLL && count >= 4 { 2 } else { 1 };
        let header = self.b.create_block();
        let k = self.b.append_block_param(header, self.ptr);
        // A constant address is made again in every block that reads it
        // (Cranelift's rematerialization: an instruction a table an
        // iteration); an address the loop moves is a register, each
        // table's entry at an offset from it.
        let first_table = parts.iter().filter_map(|l| l.first_table()).min();
        let row = first_table.map(|at| (self.b.append_block_param(header, self.ptr), at));
        let mut carried: Vec<_> = (carry.iter())
            .map(|_| self.b.append_block_param(header, F::TYPE))
            .collect();
        let zero = self.b.ins().iconst(self.ptr, 0);
        let first_row = first_table.map(|at| self.b.ins().iconst(self.ptr, at as i64));
        let args: Vec<_> = Some(zero)
            .into_iter()
            .chain(first_row)
            .chain(carry)
            .map(BlockArg::Value)
            .collect();
        self.b.ins().jump(header, &args);
        self.b.switch_to_block(header);
        for shift in 0..unroll {
            self.bodies(parts, (k, shift, count), row, &mut carried, &mut body);
        }
        let next = self.b.ins().iadd_imm_s(k, unroll as i64);
        let next_row = row.map(|(row, at)| {
            let by = unroll as i64 * i64::from(self.size);
            (self.b.ins().iadd_imm_s(row, by), at)
        });
        let whole = (count - count % unroll) as i64;
        let more = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, next, whole);
        let exit = self.b.create_block();
        let mut results: Vec<_> = (carried.iter())
            .map(|_| self.b.append_block_param(exit, F::TYPE))
            .collect();
        let again: Vec<_> = Some(next)
            .into_iter()
            .chain(next_row.map(|(row, _)| row))
            .chain(carried.iter().copied())
            .map(BlockArg::Value)
            .collect();
        let out: Vec<_> = carried.into_iter().map(BlockArg::Value).collect();
        self.b.ins().brif(more, header, &again, exit, &out);
        self.b.seal_block(header);
        self.b.switch_to_block(exit);
        self.b.seal_block(exit);
        if count % unroll == 1 {
            // The last iteration, in a block of its own (what a block
            // knows of the adjoints is named by one iteration's places).
            let last = self.b.create_block();
            self.b.ins().jump(last, &[]);
            self.b.switch_to_block(last);
            self.b.seal_block(last);
            let k = self.b.ins().iconst(self.ptr, count as i64 - 1);
            self.bodies(parts, (k, 0, count), next_row, &mut results, &mut body);
        }
        results
    }

    /// One iteration of `parts` at iteration `k + shift` (`(k, shift,
    /// count)`), as [`repeat_parts`](Emit::repeat_parts) builds it.
    fn bodies(
        &mut self,
        parts: &[&'a Loop<F>],
        (k, shift, count): (Value, usize, usize),
        row: Option<(Value, usize)>,
        carried: &mut Vec<Value>,
        body: &mut impl FnMut(&mut Self, usize, usize, &mut Vec<Value>),
    ) {
        for (part, l) in parts.iter().enumerate() {
            for j in 0..l.period {
                self.frame = Some(Frame {
                    k: Moves::Iteration(k),
                    shift: shift as isize,
                    range: 0..count as isize,
                    steps: &l.steps[j],
                    tables: &l.tables[j],
                    row,
                });
                body(self, part, j, carried);
            }
        }
        self.frame = None;
    }

    /// The loop of variants `v`: each iteration branches on its tag to its
    /// body, built once, `body(self, b, j)` building item `j` of body `b`.
    /// An iteration reads each space's distance from a table; each body's
    /// row moves in that body's iterations alone.
    pub(crate) fn repeat_variants(
        &mut self,
        v: &'a Variants<F>,
        mut body: impl FnMut(&mut Self, usize, usize),
    ) {
        // What `Known` is told: the adjoints' distances.
        let sweep = (v.distances.iter()).find(|&&(space, _)| space == Space::Sweep);
        let range = sweep.map_or(0..1, |(_, d)| {
            let (low, high) = (d.iter().min(), d.iter().max());
            *low.unwrap_or(&0)..high.unwrap_or(&0) + 1
        });
        let firsts: Vec<Option<usize>> = v.bodies.iter().map(Loop::first_table).collect();
        let header = self.b.create_block();
        let m = self.b.append_block_param(header, self.ptr);
        let rows: Vec<Option<Value>> = (firsts.iter())
            .map(|first| first.map(|_| self.b.append_block_param(header, self.ptr)))
            .collect();
        let mut args = vec![BlockArg::Value(self.b.ins().iconst(self.ptr, 0))];
        for &first in firsts.iter().flatten() {
            args.push(BlockArg::Value(self.b.ins().iconst(self.ptr, first as i64)));
        }
        self.b.ins().jump(header, &args);
        self.b.switch_to_block(header);
        let flags = MemFlags::trusted().with_readonly();
        let tags = self.pointer(&v.tags[0]);
        let at = self.b.ins().iadd(tags, m);
        let tag = self.b.ins().uload8(types::I32, flags, at, 0);
        let offset = self.b.ins().imul_imm_s(m, size_of::<isize>() as i64);
        let mut moves = [None; 2];
        for (space, column) in &v.distances {
            let column = self.pointer(&column[0]);
            let at = self.b.ins().iadd(column, offset);
            moves[*space as usize] = Some(self.b.ins().load(self.ptr, flags, at, 0));
        }
        let blocks: Vec<Block> = v.bodies.iter().map(|_| self.b.create_block()).collect();
        // Body `b` where the tag is `b`; the last where it is none before.
        let last = blocks.len() - 1;
        for (b, &block) in blocks[..last].iter().enumerate() {
            let is = self.b.ins().icmp_imm_u(IntCC::Equal, tag, b as i64);
            let otherwise = match b + 1 == last {
                true => blocks[last],
                false => self.b.create_block(),
            };
            self.b.ins().brif(is, block, &[], otherwise, &[]);
            if b + 1 < last {
                self.b.switch_to_block(otherwise);
                self.b.seal_block(otherwise);
            }
        }
        let latch = self.b.create_block();
        let moved: Vec<Value> = (rows.iter().flatten())
            .map(|_| self.b.append_block_param(latch, self.ptr))
            .collect();
        for (b, l) in v.bodies.iter().enumerate() {
            self.b.switch_to_block(blocks[b]);
            self.b.seal_block(blocks[b]);
            for j in 0..l.period {
                self.frame = Some(Frame {
                    k: Moves::Spaces(moves),
                    shift: 0,
                    range: range.clone(),
                    steps: &l.steps[j],
                    tables: &l.tables[j],
                    row: rows[b].zip(firsts[b]),
                });
                body(self, b, j);
            }
            self.frame = None;
            let mut args = Vec::new();
            for (c, row) in rows.iter().enumerate() {
                if let Some(row) = *row {
                    let row = match c == b {
                        true => self.b.ins().iadd_imm_s(row, i64::from(self.size)),
                        false => row,
                    };
                    args.push(BlockArg::Value(row));
                }
            }
            self.b.ins().jump(latch, &args);
        }
        self.b.switch_to_block(latch);
        self.b.seal_block(latch);
        let next = self.b.ins().iadd_imm_s(m, 1);
        let count = v.tags.len() as i64;
        let more = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, next, count);
        let exit = self.b.create_block();
        let again: Vec<_> = (Some(next).into_iter().chain(moved))
            .map(BlockArg::Value)
            .collect();
        self.b.ins().brif(more, header, &again, exit, &[]);
        self.b.seal_block(header);
        self.b.switch_to_block(exit);
        self.b.seal_block(exit);
    }

    /// Whether `a` and `b` pass `test`, inline (1 or 0), for a comparison:
    /// Cranelift's ordered comparisons and its `≠` (true where unordered)
    /// are Rust's operators on floats. `None` for the other tests, which
    /// the table's shims answer.
    pub(crate) fn compare(&mut self, test: Test, a: Value, b: Value) -> Option<Value> {
        let Test::Compare(comparison) = test else {
            return None;
        };
        let cc = match comparison {
            Comparison::Lt => FloatCC::LessThan,
            Comparison::Le => FloatCC::LessThanOrEqual,
            Comparison::Gt => FloatCC::GreaterThan,
            Comparison::Ge => FloatCC::GreaterThanOrEqual,
            Comparison::Eq => FloatCC::Equal,
            Comparison::Ne => FloatCC::NotEqual,
        };
        Some(self.b.ins().fcmp(cc, a, b))
    }

    /// Returns `k + 1` unless `holds`: guard `k` failed.
    pub(crate) fn return_unless(&mut self, holds: Value, k: usize) {
        let (fail, next) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(holds, next, &[], fail, &[]);
        self.b.switch_to_block(fail);
        self.b.seal_block(fail);
        let code = self.b.ins().iconst(types::I32, k as i64 + 1);
        self.b.ins().return_(&[code]);
        self.b.switch_to_block(next);
        self.b.seal_block(next);
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
            let holds = match (self.compare(guard.test, p, q), guard.outcome) {
                (Some(holds), Outcome::Bool(true)) => holds,
                (Some(holds), Outcome::Bool(false)) => self.b.ins().bxor_imm_u(holds, 1),
                _ => {
                    let at = self.pointer(&plan.tables.guards[k]);
                    let call = self.b.ins().call(self.shims.guard, &[at, p, q]);
                    self.b.inst_results(call)[0]
                }
            };
            self.return_unless(holds, k);
        }
        for (k, &y) in plan.ir.outputs.iter().enumerate() {
            let value = arg(self, y);
            self.store(value, out, k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn runs_start_and_end_where_the_flags_do() {
        let t = |s: &str| -> Vec<(usize, usize)> {
            let runs = runs(s.chars().map(|c| c == '1'));
            runs.into_iter().map(|r| (r.start, r.end)).collect()
        };
        assert_eq!(t(""), []);
        assert_eq!(t("000"), []);
        assert_eq!(t("111"), [(0, 3)]);
        assert_eq!(t("1"), [(0, 1)]);
        assert_eq!(t("10011"), [(0, 1), (3, 5)]);
        assert_eq!(t("0110"), [(1, 3)]);
    }
}
