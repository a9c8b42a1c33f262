//! The one module with `unsafe`: the machine code Cranelift made, the
//! calls into it, the functions it calls back, and the tables whose
//! addresses it holds.

#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;

use cranelift_jit::JITModule;
use tapegrad::forward::Dual;
use tapegrad::replay::ir::{Binary, Guard, Ir, Op, Outcome, Select, Unary};

use crate::Real;
use crate::emit::Piece;
use crate::fuse::Fusions;
use crate::roll::{Rolled, Segment};

/// What the code points at: the IR's ops (each unary and binary op's entry
/// of the table), its selects and guards, and the two ops the stable
/// sigmoid rewrites call. Boxed, so their addresses stay put while the
/// owner moves.
pub(crate) struct Tables<F> {
    ops: Box<[Op<F>]>,
    pub(crate) selects: Box<[Select<F>]>,
    pub(crate) guards: Box<[Guard<F>]>,
    pub(crate) ln_sigmoid: Box<Unary>,
    pub(crate) sigmoid: Box<Unary>,
    /// Forward mode's: each op of the IR as it reads its operands from
    /// nodes 1 and 2 (`dual::general`).
    pub(crate) general: Box<[Op<F>]>,
}

impl<F: Real> Tables<F> {
    pub(crate) fn new(ir: &Ir<'_, F>) -> Self {
        Tables {
            ops: ir.ops.into(),
            selects: ir.selects.into(),
            guards: ir.guards.into(),
            ln_sigmoid: Box::new(Unary::LnSigmoid),
            sigmoid: Box::new(Unary::Sigmoid),
            general: (ir.ops.iter())
                .map(|op| crate::dual::general(op).map_or(Op::Fixed(F::zero()), |g| g.op))
                .collect(),
        }
    }

    /// The unary op of node `i + 1`.
    pub(crate) fn unary_at(&self, i: usize) -> Option<&Unary> {
        match &self.ops[i] {
            Op::Unary(op, _) => Some(op),
            _ => None,
        }
    }

    /// The binary op of node `i + 1`.
    pub(crate) fn binary_at(&self, i: usize) -> Option<&Binary> {
        match &self.ops[i] {
            Op::Binary(op, ..) | Op::BinaryConst(op, ..) | Op::ConstBinary(op, ..) => Some(op),
            _ => None,
        }
    }
}

/// `op(x)` by the table, its partial written to `d`.
pub(crate) extern "C" fn unary<F: Real>(op: *const Unary, x: F, d: *mut F) -> F {
    // SAFETY: the code passes the address of a `Unary` of its `Tables`,
    // alive while the code is, and of its own stack slot of two `F`s.
    let (value, partial) = unsafe { (*op).eval(x) };
    unsafe { d.write(partial) };
    value
}

/// The shim of `op` alone: its arm of the table's `eval` (as
/// [`unary`]'s, without the dispatch on the op), if it has one.
pub(crate) fn unary_of<F: Real>(op: Unary) -> Option<*const u8> {
    macro_rules! each {
        ($($op:ident)*) => {
            match op {
                $(Unary::$op => {
                    extern "C" fn shim<F: Real>(x: F, d: *mut F) -> F {
                        let (value, partial) = Unary::$op.eval(x);
                        // SAFETY: the code passes its own stack slot of two `F`s.
                        unsafe { d.write(partial) };
                        value
                    }
                    Some(shim::<F> as *const u8)
                })*
                _ => None,
            }
        };
    }
    each!(Floor Ceil Round Trunc Fract Signum Abs Recip Sqrt Cbrt Exp Exp2 ExpM1 Ln Ln1p Log2
        Log10 Sin Cos Tan Asin Acos Atan Sinh Cosh Tanh Asinh Acosh Atanh ToDegrees ToRadians
        Sigmoid LnSigmoid Softplus Relu Neg)
}

/// `op(a, b)` by the table, its partials written to `d[0]`, `d[1]`.
pub(crate) extern "C" fn binary<F: Real>(op: *const Binary, a: F, b: F, d: *mut F) -> F {
    // SAFETY: as `unary`'s: a `Binary` of the tables, a slot of two `F`s.
    let (value, [da, db]) = unsafe { (*op).eval(a, b) };
    unsafe {
        d.write(da);
        d.add(1).write(db);
    }
    value
}

/// 1 if the select's test of `a` and `b` takes its first branch.
pub(crate) extern "C" fn select<F: Real>(select: *const Select<F>, a: F, b: F) -> u32 {
    // SAFETY: the address of a `Select` of the tables.
    let test = unsafe { (*select).test };
    u32::from(test.outcome(a, b) == Outcome::Bool(true))
}

/// 1 if the guard's test of `a` and `b` comes out as recorded.
pub(crate) extern "C" fn guard<F: Real>(guard: *const Guard<F>, a: F, b: F) -> u32 {
    // SAFETY: the address of a `Guard` of the tables.
    let guard = unsafe { &*guard };
    u32::from(guard.test.outcome(a, b) == guard.outcome)
}

/// `op` of nodes 1 and 2 at `(a, a′)` and `(b, b′)` in `Dual` numbers, by
/// the interpreter's arithmetic: the value returned, its tangent and the
/// two partials' lanes written to `out[1..6]`.
pub(crate) extern "C" fn dual_op<F: Real>(
    op: *const Op<F>,
    a: F,
    da: F,
    b: F,
    db: F,
    out: *mut F,
) -> F {
    // SAFETY: an `Op` of the tables (of nodes 1 and 2).
    let op = unsafe { *op };
    // Each kind of op its own code, its nodes constants, so the numbers
    // stay in registers (one evaluation of any op indexed them at run
    // time, through the stack: 6 times the interpreter's time).
    // SAFETY (every arm): a stack slot of six `F`s.
    unsafe {
        match op {
            Op::Div(..) => dual_lanes(Op::Div(1, 2), a, da, b, db, out),
            Op::Unary(u, _) => dual_lanes(Op::Unary(u, 1), a, da, b, db, out),
            Op::Binary(o, ..) => dual_lanes(Op::Binary(o, 1, 2), a, da, b, db, out),
            Op::LnSigmoid { negated, .. } => {
                dual_lanes(Op::LnSigmoid { z: 1, negated }, a, da, b, db, out)
            }
            op => dual_lanes(op, a, da, b, db, out),
        }
    }
}

/// `op`'s value and partials at the two `Dual`s, in lanes.
///
/// # Safety
///
/// `out` must be valid for six writes.
#[inline(always)]
unsafe fn dual_lanes<F: Real>(op: Op<F>, a: F, da: F, b: F, db: F, out: *mut F) -> F {
    let values = [
        Dual::constant(F::zero()),
        Dual::new(a, [da]),
        Dual::new(b, [db]),
    ];
    let (value, [d0, d1]) = op.value_and_partials(&values);
    let lanes = [
        value.tangent()[0],
        d0.value(),
        d0.tangent()[0],
        d1.value(),
        d1.tangent()[0],
    ];
    for (k, lane) in lanes.into_iter().enumerate() {
        // SAFETY: as the caller promised.
        unsafe { out.add(k + 1).write(lane) };
    }
    value.value()
}

/// [`select`] of `Dual` operands.
pub(crate) extern "C" fn dual_select<F: Real>(
    select: *const Select<F>,
    a: F,
    da: F,
    b: F,
    db: F,
) -> u32 {
    // SAFETY: the address of a `Select` of the tables.
    let test = unsafe { (*select).test };
    u32::from(test.outcome(Dual::new(a, [da]), Dual::new(b, [db])) == Outcome::Bool(true))
}

/// [`guard`] of `Dual` operands.
pub(crate) extern "C" fn dual_guard<F: Real>(
    guard: *const Guard<F>,
    a: F,
    da: F,
    b: F,
    db: F,
) -> u32 {
    // SAFETY: the address of a `Guard` of the tables.
    let guard = unsafe { &*guard };
    u32::from(guard.test.outcome(Dual::new(a, [da]), Dual::new(b, [db])) == guard.outcome)
}

/// The pieces, the long sums' segments, the wide nodes' and the fused
/// loops: what holds the tables of the loops.
pub(crate) type Loops<F> = (
    Vec<Piece<F>>,
    HashMap<usize, Vec<Rolled<F>>>,
    HashMap<usize, Vec<Rolled<F>>>,
    Fusions<F>,
);

/// A piece of compiled code: the buffers of values (the inputs' and
/// parameters' copied in), partials and adjoints, `out`; 0, or `k + 1`
/// where guard `k` failed.
type Entry<F> = unsafe extern "C" fn(*mut F, *mut F, *mut F, *mut F) -> u32;

/// What the pieces need to be called with: the lengths of what they read
/// and write, where the sweep is seeded and where the gradient is read.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    pub(crate) inputs: usize,
    pub(crate) params: usize,
    pub(crate) outputs: usize,
    /// Nodes of the IR, the sink's included; nodes of the sweep.
    pub(crate) nodes: usize,
    pub(crate) swept: usize,
    /// `(output, node of the sweep)`, for each output that is a node.
    pub(crate) seeds: Vec<(usize, usize)>,
}

/// The buffers one call writes, kept for the next.
struct Scratch<F> {
    values: Vec<F>,
    partials: Vec<F>,
    adjoints: Vec<F>,
}

/// The code of a function, in pieces: the forward pass, the guards and
/// outputs, the reverse sweep; the module that holds it, the tables it
/// reads, and buffers to lend the calls.
pub(crate) struct Code<F: Real> {
    module: Option<JITModule>,
    forward: Vec<Entry<F>>,
    finish: Entry<F>,
    reverse: Vec<Entry<F>>,
    _tables: Tables<F>,
    /// What the code was built from: the loops' tables it reads.
    loops: Loops<F>,
    shape: Shape,
    /// The adjoints the sweep may read before it writes them, cleared
    /// before it ([`Plan::cleared`](crate::emit::Plan::cleared)).
    cleared: Vec<Range<usize>>,
    /// Numbers a value: 1, or 2 in forward mode (a `Dual`'s value and
    /// tangent, side by side in every buffer and slice).
    lanes: usize,
    scratch: Mutex<Vec<Scratch<F>>>,
}

// SAFETY: after `finalize_definitions` the code and the tables are never
// written; the module is touched again only by `drop`, which has the code
// alone. A call writes to its own stack, its own buffers (taken from the
// mutex) and the slices it is given.
unsafe impl<F: Real> Send for Code<F> {}
unsafe impl<F: Real> Sync for Code<F> {}

impl<F: Real> Code<F> {
    /// The code at `forward`, `finish` and `reverse`, finalized functions
    /// of `module` of `emit::signature`, reading `tables`; its sweep reads
    /// the adjoints `cleared` before it writes them.
    pub(crate) fn new(
        module: JITModule,
        [forward, finish, reverse]: [Vec<*const u8>; 3],
        tables: Tables<F>,
        shape: Shape,
        cleared: Vec<Range<usize>>,
        loops: Loops<F>,
        lanes: usize,
    ) -> Self {
        // SAFETY: each is a function the module finalized, of the
        // signature `Entry` spells: four pointers in, a `u32` out.
        let entry = |f: *const u8| unsafe { core::mem::transmute::<*const u8, Entry<F>>(f) };
        Code {
            module: Some(module),
            forward: forward.into_iter().map(entry).collect(),
            finish: entry(finish[0]),
            reverse: reverse.into_iter().map(entry).collect(),
            _tables: tables,
            loops,
            shape,
            cleared,
            lanes,
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// Runs the forward pass into `out` (and the sweep, if `weights` are
    /// given, adding the inputs' cotangents, then the parameters', to the
    /// end of `grad`): 0, or `k + 1` where guard `k` failed. Each slice
    /// holds `lanes` numbers a value; the weights seed adjoints that are
    /// zero.
    ///
    /// # Panics
    ///
    /// If a slice is not as long as the function's shape says (the caller
    /// checks and reports lengths first).
    pub(crate) fn run(
        &self,
        x: &[F],
        params: &[F],
        out: &mut [F],
        reverse: Option<(&[F], &mut Vec<F>)>,
    ) -> u32 {
        let (shape, lanes) = (&self.shape, self.lanes);
        let lengths = [x.len(), params.len(), out.len()];
        assert!(
            lengths == [shape.inputs, shape.params, shape.outputs].map(|n| n * lanes),
            "lengths checked by the caller"
        );
        let pool = self.scratch.lock().map(|mut pool| pool.pop());
        let mut s = pool.ok().flatten().unwrap_or_else(|| Scratch {
            values: vec![F::zero(); lanes * shape.nodes],
            partials: vec![F::zero(); lanes * 2 * shape.nodes],
            adjoints: vec![F::zero(); lanes * shape.swept],
        });
        let call = |f: Entry<F>, s: &mut Scratch<F>, out: &mut [F]| {
            // SAFETY: the pieces read and write `values[..nodes]`,
            // `partials[..2·nodes]`, `adjoints[..swept]` and
            // `out[..outputs]`, each times `lanes`
            // (emit's loads and stores, at the IR's and the sweep's
            // indices, the code built for as many lanes); the lengths are
            // asserted above and the buffers made to the shape.
            unsafe {
                f(
                    s.values.as_mut_ptr(),
                    s.partials.as_mut_ptr(),
                    s.adjoints.as_mut_ptr(),
                    out.as_mut_ptr(),
                )
            }
        };
        // The IR's first nodes, which no code computes (`pieces`).
        let (n, p) = (lanes * shape.inputs, lanes * shape.params);
        s.values[lanes..lanes + n].copy_from_slice(x);
        s.values[lanes + n..lanes + n + p].copy_from_slice(params);
        for &f in &self.forward {
            call(f, &mut s, out);
        }
        let mut code = call(self.finish, &mut s, out);
        if let (0, Some((weights, grad))) = (code, reverse) {
            assert!(
                weights.len() == shape.outputs * lanes,
                "lengths checked by the caller"
            );
            for run in &self.cleared {
                s.adjoints[lanes * run.start..lanes * run.end].fill(F::zero());
            }
            for &(k, node) in &shape.seeds {
                for lane in 0..lanes {
                    let at = lanes * node + lane;
                    s.adjoints[at] = s.adjoints[at] + weights[lanes * k + lane];
                }
            }
            for &f in &self.reverse {
                code = call(f, &mut s, out);
            }
            // The leading nodes, inputs then parameters, follow the sink.
            let leading = lanes * (shape.inputs + shape.params);
            grad.extend_from_slice(&s.adjoints[lanes..lanes + leading]);
        }
        if let Ok(mut pool) = self.scratch.lock() {
            pool.push(s);
        }
        code
    }
}

impl<F: Real> Code<F> {
    /// The loops over ops, terms, nodes of the sweep and edges; the fused
    /// loops of ops and sums, of edges and nodes; the loops of variants
    /// (over ops and nodes, also counted there).
    pub(crate) fn loops(&self) -> [usize; 7] {
        fn count<F, V>(segments: &[Segment<F, V>]) -> usize {
            let looped = |s: &&Segment<F, V>| !matches!(s, Segment::One(_));
            segments.iter().filter(looped).count()
        }
        let (pieces, sums, wide, fused) = &self.loops;
        let mut loops = [0; 7];
        for piece in pieces {
            let (at, segments) = match piece {
                Piece::Forward(segments) => (0, segments),
                Piece::Reverse(segments) => (2, segments),
                Piece::Finish => continue,
            };
            loops[at] += count(segments);
            let variants = |s: &&Segment<F>| matches!(s, Segment::Variants(_));
            loops[6] += segments.iter().filter(variants).count();
        }
        loops[1] = sums.values().map(|s| count(s)).sum();
        loops[3] = wide.values().map(|s| count(s)).sum();
        loops[4] = fused.sums.len();
        loops[5] = fused.sweeps.len();
        loops
    }
}

impl<F: Real> Drop for Code<F> {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the code's only entries are this value's fields, gone
            // with it; nothing else points into the module's memory.
            unsafe { module.free_memory() };
        }
    }
}
