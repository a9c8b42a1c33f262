//! A recorded [`Function`] compiled to machine code by Cranelift.
//!
//! [`compile`] reads a function's IR ([`Function::ir`]) and emits one
//! function for its forward pass and one for its forward pass and reverse
//! sweep (a vector–Jacobian product), each a straight line of machine code:
//! no dispatch per node, every value and partial in a register or a spill
//! slot. The numbers are the interpreter's to the bit: the same operations
//! in the same order, the four arithmetic operations inline and every other
//! op a call of the op table's own `eval` (so `exp`, `ln`, `powi`, `max`, …
//! are Rust's), the adjoints added edge by edge in the order the
//! interpreter's tape adds them, and a node whose adjoint is zero passing
//! nothing through a partial that is not finite, as the tape's sweep does.
//! An op whose value only a sum reads is computed where the sum adds it
//! (a dot product with constant data is one loop), and a guard's or a
//! select's comparison is one instruction. A guard that comes out
//! otherwise returns the interpreter's [`Error::BranchChanged`], found by
//! the interpreter itself.
//!
//! ```
//! use tapegrad::{Active, replay::Function};
//!
//! let mut f = Function::record(&[1.0, 2.0], |x: &[Active]| (x[0] * x[1]).sin() + x[1].exp())?;
//! f.optimize();
//! let compiled = tapegrad_jit::compile(&f)?;
//! let mut ws = f.workspace();
//! let x = [0.3, -1.2];
//! assert_eq!(compiled.value_and_gradient(&mut ws, &x)?, f.value_and_gradient(&mut ws, &x)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A stretch of the recording that repeats a body (a loop the user's code
//! ran, a sum over data, a layer applied to each point) compiles as one
//! loop over the body: the roller compares the ops, a long sum's terms,
//! the nodes of the sweep and a node's edges at the distances to the next
//! of the same shape, and makes a loop where the indices move by a fixed
//! step each time and the constants are the same or read from a table.
//! It is found by comparing, so it holds for any program that repeats
//! itself, however the user wrote it; the loop performs the same
//! operations in the same order, so the bits stay the interpreter's.
//! Where the body differs between iterations by a branch each took
//! (logistic regression's stable loss, whose branch follows the sign of
//! each sample's `z`), the iterations are one loop of variants: each
//! branches on a table of which body it is to that body's code, its
//! places moved by distances read from tables (the IR's nodes and the
//! sweep's each by their own), its constants its body's tables' next
//! entries.
//! What an iteration passes to the next (a fold's value, a partial sum,
//! an adjoint) stays in registers. A loop of ops followed by a long sum of
//! what it computes (Rosenbrock's elements, then the sum of their squares)
//! is one loop that computes an iteration's ops and adds its terms, the
//! sum's additions in their order; in the sweep, the sum's edges are added
//! where those ops' nodes are visited, where no adjoint is then reached in
//! another order. The rest is compiled in pieces of 256
//! ops (and nodes of the sweep), each a function that reads its operands
//! from and writes its results to buffers the call lends it, so the
//! compile time grows with the length of the code, not faster: about
//! 1 µs an op of Rosenbrock's function, 50–85 ms at 60,000 ops, against
//! 40–60 µs an op straight (BENCHMARKS.md).
//!
//! The forward-mode products, [`Compiled::jvp`] and [`Compiled::hvp`]
//! (and through them a sparse Hessian or Jacobian,
//! [`Sparse::values_with`](tapegrad::replay::Sparse::values_with)), run
//! code of their own, compiled on first use: every number a `Dual` (a
//! value and a tangent), `+`, `−`, `×` and `−x` inline with `Dual`'s rules
//! for partials that are not finite, every other op a call of the
//! interpreter's arithmetic for it ([`Op::value_and_partials`] over
//! `Dual`), so again the interpreter's bits.
//!
//! A closure whose branches change with the point compiles each branch
//! once: [`Retaping`] keeps a compiled recording for each branch it met
//! and runs the one that holds. A compiled function is a
//! [`checkpoint::Step`](tapegrad::checkpoint::Step): a checkpointed loop
//! of it runs the compiled value and vector–Jacobian product, and a loop
//! that records its step again compiles each branch once ([`compiled`]).
//!
//! Not yet: loops inside loops, and a loop of variants whose places of one
//! space move two ways (an iteration that reads a window of the inputs
//! moving one a time and its own nodes, moving a body's length: it rolls
//! only where the two happen to agree). The interpreter stays the
//! reference.

#![warn(missing_docs, missing_debug_implementations)]
#![deny(unsafe_code)]

mod dual;
mod emit;
mod forward;
mod fuse;
mod known;
mod native;
mod retape;
mod roll;
mod sweep;

pub use retape::Retaping;

use cranelift_codegen::ir::{InstBuilder, Type, Value, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use tapegrad::replay::{Function, Vjp, Workspace};
use tapegrad::{Error, Result, Scalar};

use std::hash::Hash;
use std::sync::OnceLock;

use emit::{Piece, Plan};
use native::{Code, Shape, Tables};
use roll::{Item, Rules, Segment};
use tapegrad::replay::ir::{Op, ReverseSweep};

/// The scalars a recording compiles for: `f32` and `f64`.
pub trait Real: Scalar + private::Sealed {
    /// Cranelift's type of it.
    #[doc(hidden)]
    const TYPE: Type;
    /// A constant of it in the function being built.
    #[doc(hidden)]
    fn constant(b: &mut FunctionBuilder<'_>, value: Self) -> Value;
}

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

impl Real for f64 {
    const TYPE: Type = types::F64;
    fn constant(b: &mut FunctionBuilder<'_>, value: f64) -> Value {
        b.ins().f64const(value)
    }
}

impl Real for f32 {
    const TYPE: Type = types::F32;
    fn constant(b: &mut FunctionBuilder<'_>, value: f32) -> Value {
        b.ins().f32const(value)
    }
}

/// Why a function did not compile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// Cranelift refused the code (a bug of this crate, or a target it
    /// does not support).
    #[error("Cranelift could not compile the function: {0}")]
    Cranelift(String),
    /// The function's own error: it cannot be evaluated at all (it read a
    /// variable's value while it was recorded: [`Error::ValueRead`]), or,
    /// from a [`Retaping`], its recording or evaluation failed.
    #[error(transparent)]
    Function(#[from] Error),
}

/// A [`Function`] compiled to machine code: its interface, its numbers.
/// Dropping it frees the code.
pub struct Compiled<F: Real> {
    code: Code<F>,
    /// The code of `jvp` and `hvp`, in `Dual` numbers: compiled when one
    /// is first asked for, as the code above was.
    forward_mode: OnceLock<Code<F>>,
    options: Options,
    /// The interpreter, for the errors of a guard that fails.
    function: Function<F>,
}

impl<F: Real> core::fmt::Debug for Compiled<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Compiled")
            .field("ops", &self.function.len())
            .finish_non_exhaustive()
    }
}

/// Compiles `function` (best after [`Function::optimize`]).
///
/// # Errors
///
/// [`CompileError::Function`] with [`Error::ValueRead`] where every
/// evaluation of the function is that error; [`CompileError::Cranelift`]
/// where Cranelift refuses the code.
pub fn compile<F: Real>(function: &Function<F>) -> core::result::Result<Compiled<F>, CompileError> {
    // Cranelift's verifier checks the code this crate emits in debug
    // builds and in the tests' compiles (`compile_in_pieces`), not in a
    // release build's, where it took a seventh of the time.
    let options = Options {
        piece: PIECE,
        rules: Some(roll::RULES),
        verify: cfg!(debug_assertions),
    };
    compile_with(function, options)
}

/// `function` optimized and compiled: what [`Retaping`] keeps of each
/// branch, and what a checkpointed loop that records its step again runs
/// of each ([`Loop::recorded_with`](tapegrad::checkpoint::Loop::recorded_with)).
///
/// ```
/// use tapegrad::{Active, checkpoint::Loop};
///
/// // Halves a positive state, doubles a negative one: each branch compiled once.
/// let step = |x: &[Active], _: &[Active]| [if x[0] > 0.0 { x[0] * 0.5 } else { x[0] * 2.0 }];
/// let mut fast = Loop::recorded_with(&[1.0], &[], step, 3, tapegrad_jit::compiled)?;
/// let optimized = |mut f: tapegrad::replay::Function| {
///     f.optimize();
///     Ok(f)
/// };
/// let mut slow = Loop::recorded_with(&[1.0], &[], step, 3, optimized)?;
/// for x0 in [1.0, -1.0, 3.0] {
///     let mut run = |l: &mut Loop| l.gradient(&[x0], &[], 10, |_, _| {}, &[1.0]);
///     assert_eq!(run(&mut fast)?, run(&mut slow)?);
/// }
/// assert_eq!(fast.recordings(), 2);
/// # Ok::<(), tapegrad::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ValueRead`] where every evaluation of the function is that
/// error (as [`compile`]).
///
/// # Panics
///
/// Where Cranelift refuses the code, which [`compile`] returns as
/// [`CompileError::Cranelift`] (a bug of this crate, or a target it does
/// not support): a loop's step has no error of its own for it.
pub fn compiled<F: Real>(mut function: Function<F>) -> Result<Compiled<F>> {
    function.optimize();
    compile(&function).map_err(|e| match e {
        CompileError::Function(e) => e,
        CompileError::Cranelift(why) => {
            panic!("tapegrad-jit: Cranelift could not compile a recording: {why}")
        }
    })
}

/// How a function is compiled: in pieces of `piece` ops, rolled by
/// `rules` or not at all, checked by Cranelift's verifier or not.
#[derive(Clone, Copy, Debug)]
struct Options {
    piece: usize,
    rules: Option<Rules>,
    verify: bool,
}

/// As [`compile`], in pieces of `piece` ops (and nodes of the sweep), and
/// a stretch that repeats a body twice a loop (`rolled`) or none, every
/// function checked by Cranelift's verifier: for the tests, which cut
/// small recordings at every place and roll every repetition they can.
#[doc(hidden)]
pub fn compile_in_pieces<F: Real>(
    function: &Function<F>,
    piece: usize,
    rolled: bool,
) -> core::result::Result<Compiled<F>, CompileError> {
    let rules = roll::Rules {
        count: 2,
        items: 2,
        period: 64,
    };
    let options = Options {
        piece,
        rules: rolled.then_some(rules),
        verify: true,
    };
    compile_with(function, options)
}

fn compile_with<F: Real>(
    function: &Function<F>,
    options: Options,
) -> core::result::Result<Compiled<F>, CompileError> {
    assert!(options.piece > 0, "a piece of one op at least");
    let probe = vec![F::zero(); function.inputs()];
    if let Err(e @ Error::ValueRead { .. }) = function.value(&mut function.workspace(), &probe) {
        return Err(e.into());
    }
    Ok(Compiled {
        code: code(function, options, false)?,
        forward_mode: OnceLock::new(),
        options,
        function: function.clone(),
    })
}

/// The code of `function`, in `Dual` numbers if `dual`.
fn code<F: Real>(
    function: &Function<F>,
    Options {
        piece,
        rules,
        verify,
    }: Options,
    dual: bool,
) -> core::result::Result<Code<F>, CompileError> {
    let cranelift = |e: &dyn core::fmt::Display| CompileError::Cranelift(e.to_string());
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").map_err(|e| cranelift(&e))?;
    let verify = if verify { "true" } else { "false" };
    flags
        .set("enable_verifier", verify)
        .map_err(|e| cranelift(&e))?;
    let isa = cranelift_native::builder()
        .map_err(|e| cranelift(&e))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| cranelift(&e))?;
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    builder.symbol("tapegrad_unary", native::unary::<F> as *const u8);
    builder.symbol("tapegrad_binary", native::binary::<F> as *const u8);
    builder.symbol("tapegrad_select", native::select::<F> as *const u8);
    builder.symbol("tapegrad_guard", native::guard::<F> as *const u8);
    builder.symbol("tapegrad_dual_op", native::dual_op::<F> as *const u8);
    builder.symbol(
        "tapegrad_dual_select",
        native::dual_select::<F> as *const u8,
    );
    builder.symbol("tapegrad_dual_guard", native::dual_guard::<F> as *const u8);
    let mut module = JITModule::new(builder);
    let (ir, sweep) = (function.ir(), function.reverse_sweep());
    let tables = Tables::new(&ir);
    let shape = shape(function, &sweep);
    let ptr = module.target_config().pointer_type();
    let mut context = module.make_context();
    let mut builder_context = FunctionBuilderContext::new();
    // The sink, then the inputs and the parameters; the sweep visits the
    // nodes from the last output down to the first after them.
    let lead = 1 + shape.inputs + shape.params;
    let top = shape.seeds.iter().map(|&(_, n)| n + 1).max().unwrap_or(0);
    let visits = (lead..top).rev().collect();
    let seeded = shape.seeds.iter().map(|&(_, n)| n);
    let mut plan = Plan::new(ir, &sweep, &tables, visits, seeded, dual);
    let pieces = pieces(&mut plan, piece, rules, lead - 1);
    let mut ids: [Vec<_>; 3] = Default::default();
    for (k, piece) in pieces.iter().enumerate() {
        context.func.signature = emit::signature(&module);
        let shims = emit::declare_shims::<F>(&mut module, &mut context.func)?;
        let mut b = FunctionBuilder::new(&mut context.func, &mut builder_context);
        emit::piece(&mut b, piece, &plan, &shims, ptr);
        b.finalize(module.target_config());
        let id = module
            .declare_function(
                &format!("piece{k}"),
                Linkage::Local,
                &context.func.signature,
            )
            .map_err(|e| cranelift(&e))?;
        module
            .define_function(id, &mut context)
            .map_err(|e| cranelift(&e))?;
        module.clear_context(&mut context);
        let stage = match piece {
            Piece::Forward(_) => 0,
            Piece::Finish => 1,
            Piece::Reverse(_) => 2,
        };
        ids[stage].push(id);
    }
    let cleared = plan.cleared();
    let loops = (pieces, plan.sums, plan.wide, plan.fused);
    module.finalize_definitions().map_err(|e| cranelift(&e))?;
    let entries = ids.map(|ids| {
        ids.into_iter()
            .map(|id| module.get_finalized_function(id))
            .collect()
    });
    let lanes = if dual { 2 } else { 1 };
    Ok(Code::new(
        module, entries, tables, shape, cleared, loops, lanes,
    ))
}

/// The ops (or nodes of the sweep) of a piece of code.
const PIECE: usize = 256;

/// The lengths the code reads and writes, and where the sweep is seeded.
fn shape<F: Real>(function: &Function<F>, sweep: &ReverseSweep<F>) -> Shape {
    let seeds = (sweep.outputs.iter().enumerate())
        .filter_map(|(k, y)| y.node().map(|n| (k, n as usize)))
        .collect();
    let (n, ops) = (function.inputs(), function.ir().ops);
    let leading = (0..n + function.params()).all(|k| {
        let op = if k < n {
            Op::Input(k as u32)
        } else {
            Op::Param((k - n) as u32)
        };
        ops.get(k) == Some(&op)
    });
    assert!(
        leading,
        "tapegrad-jit: the IR does not begin with its inputs and parameters, as \
         `tapegrad::replay::ir` says it does (a bug)"
    );
    Shape {
        inputs: n,
        params: function.params(),
        outputs: function.outputs(),
        nodes: function.len() + 1,
        swept: sweep.nodes.len(),
        seeds,
    }
}

/// The pieces of code, in the order they run: the forward pass, the
/// guards and outputs, the sweep; and, in `plan`, the segments of the long
/// sums and of the nodes of many edges.
fn pieces<F: Real>(
    plan: &mut Plan<'_, F>,
    size: usize,
    rules: Option<Rules>,
    leading: usize,
) -> Vec<Piece<F>> {
    let ops: Vec<_> = (0..plan.ir.ops.len())
        .map(|i| forward::op_item(&plan.ir, i, &plan.inlined))
        .collect();
    // The `leading` inputs and parameters, which `run` copies in, are not
    // code.
    let forward = (segments(&ops[leading..], rules).into_iter())
        .map(|segment| segment.shifted(leading))
        .collect();
    let mut pieces: Vec<_> = cut(forward, size).map(Piece::Forward).collect();
    pieces.push(Piece::Finish);
    let nodes: Vec<_> = (plan.visits.iter())
        .map(|&v| sweep::node_item(v, &plan.edges[v]))
        .collect();
    pieces.extend(cut(segments(&nodes, rules), size).map(Piece::Reverse));
    let Some(rules) = rules else {
        return pieces;
    };
    let long = |n: usize| n > rules.items;
    for (i, op) in plan.ir.ops.iter().enumerate() {
        if let tapegrad::replay::ir::Op::Sum { first, count } = *op
            && long(count as usize)
        {
            let terms = &plan.ir.terms[first as usize + 1..(first + count) as usize];
            let items: Vec<_> = (terms.iter())
                .map(|term| forward::term_item(term, &plan.ir, &plan.inlined))
                .collect();
            plan.sums.insert(i, roll::roll(&items, rules));
        }
    }
    if !plan.dual {
        let forward = pieces.iter().filter_map(|piece| match piece {
            Piece::Forward(segments) => Some(&segments[..]),
            _ => None,
        });
        plan.fused.sums = fuse::fusions(forward, &ops, plan);
    }
    for (v, edges) in plan.edges.iter().enumerate() {
        if long(edges.len()) {
            let items: Vec<_> = edges.iter().map(|&edge| sweep::edge_item(edge)).collect();
            plan.wide.insert(v, roll::roll(&items, rules));
        }
    }
    if !plan.dual {
        let reverse = pieces.iter().filter_map(|piece| match piece {
            Piece::Reverse(segments) => Some(&segments[..]),
            _ => None,
        });
        plan.fused.sweeps = fuse::sweep_fusions(reverse, &nodes, plan);
    }
    let visits = pieces.iter().flat_map(|piece| match piece {
        Piece::Reverse(segments) => &segments[..],
        _ => &[],
    });
    plan.first_in_every_iteration(visits);
    pieces
}

/// `items` rolled by `rules` (loops of variants too), or one by one.
fn segments<S: Eq + Hash, F: Real>(items: &[Item<S, F>], rules: Option<Rules>) -> Vec<Segment<F>> {
    match rules {
        Some(rules) => roll::roll_variants(items, rules),
        None => (0..items.len()).map(Segment::One).collect(),
    }
}

/// `segments` in pieces of about `size` items of code each (a loop counts
/// its body).
fn cut<F>(segments: Vec<Segment<F>>, size: usize) -> impl Iterator<Item = Vec<Segment<F>>> {
    let mut pieces = vec![Vec::new()];
    let mut filled = 0;
    for segment in segments {
        let weight = match &segment {
            Segment::One(_) => 1,
            Segment::Loop(l) => l.period,
            Segment::Variants(v) => v.weight(),
        };
        if filled > 0 && filled + weight > size {
            pieces.push(Vec::new());
            filled = 0;
        }
        filled += weight;
        pieces.last_mut().expect("a piece").push(segment);
    }
    pieces.into_iter().filter(|piece| !piece.is_empty())
}

/// A compiled step of a checkpointed loop: the loop runs the compiled
/// code's value and vector–Jacobian product, the interpreter's numbers.
///
/// ```
/// use tapegrad::{Active, checkpoint::Loop, replay::Function};
///
/// // x ← x + dt·(θ − x), 100 steps of dt = 0.1 towards θ = 2 from x = 0.
/// let step = Function::record_with_params(&[0.0], &[1.0, 0.1], |x: &[Active], p: &[Active]| {
///     [x[0] + p[1] * (p[0] - x[0])]
/// })?;
/// let compiled = tapegrad_jit::compile(&step)?;
/// let data = |_: usize, rest: &mut [f64]| rest[0] = 0.1;
/// let fast = Loop::new(&compiled, 3).gradient(&[0.0], &[2.0], 100, data, &[1.0])?;
/// let slow = Loop::new(&step, 3).gradient(&[0.0], &[2.0], 100, data, &[1.0])?;
/// assert_eq!(fast, slow);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl<F: Real> tapegrad::checkpoint::Step<F> for Compiled<F> {
    fn function(&self) -> &Function<F> {
        &self.function
    }
    fn value(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        Compiled::value(self, ws, x)
    }
    fn vjp(&self, ws: &mut Workspace<F>, x: &[F], weights: &[F]) -> Result<Vjp<F>> {
        Compiled::vjp(self, ws, x, weights)
    }
}

impl<F: Real> Compiled<F> {
    /// How many loops its code has: over ops, over a long sum's terms, over
    /// nodes of the sweep, over a node's edges; loops of ops fused with the
    /// sum after them, and a node's edges with the nodes after it; loops of
    /// variants (of ops or nodes, counted there too). For the tests.
    #[doc(hidden)]
    pub fn loops(&self) -> [usize; 7] {
        self.code.loops()
    }

    /// A workspace for it: the function's ([`Function::workspace`]), which
    /// holds the dynamic parameters.
    pub fn workspace(&self) -> Workspace<F> {
        self.function.workspace()
    }

    /// The outputs' values at `x`, as [`Function::value`].
    ///
    /// # Errors
    ///
    /// As [`Function::value`].
    pub fn value(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        match self.attempt(ws, x, None)? {
            Ok(vjp) => Ok(vjp.outputs),
            Err(k) => self.failed(k, ws, x),
        }
    }

    /// The one output's value and gradient at `x`, as
    /// [`Function::value_and_gradient`].
    ///
    /// # Errors
    ///
    /// As [`Function::value_and_gradient`].
    pub fn value_and_gradient(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<(F, Vec<F>)> {
        self.one_output()?;
        let Vjp {
            outputs, inputs, ..
        } = self.vjp(ws, x, &[F::one()])?;
        Ok((outputs[0], inputs))
    }

    /// The one output's gradient at `x`.
    ///
    /// # Errors
    ///
    /// As [`Function::gradient`].
    pub fn gradient(&self, ws: &mut Workspace<F>, x: &[F]) -> Result<Vec<F>> {
        Ok(self.value_and_gradient(ws, x)?.1)
    }

    /// The outputs' values and the vector–Jacobian product at `x`, as
    /// [`Function::vjp`].
    ///
    /// # Errors
    ///
    /// As [`Function::vjp`].
    pub fn vjp(&self, ws: &mut Workspace<F>, x: &[F], weights: &[F]) -> Result<Vjp<F>> {
        match self.attempt(ws, x, Some(weights))? {
            Ok(vjp) => Ok(vjp),
            Err(k) => self.failed(k, ws, x),
        }
    }

    /// The directional derivatives of the outputs at `x` along `v`, as
    /// [`Function::jvp`]: forward mode, in `Dual` numbers.
    ///
    /// The first call compiles the function's forward-mode code (about as
    /// long as [`compile`] took); the calls after it run it.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// let f = Function::record(&[1.0, 2.0], |x: &[Active]| [x[0] * x[1], x[1].sin()])?;
    /// let compiled = tapegrad_jit::compile(&f)?;
    /// let mut ws = f.workspace();
    /// let (x, v) = ([0.5, 3.0], [1.0, -2.0]);
    /// assert_eq!(compiled.jvp(&mut ws, &x, &v)?, f.jvp(&mut ws, &x, &v)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Function::jvp`].
    ///
    /// # Panics
    ///
    /// If Cranelift refuses the forward-mode code, having compiled the
    /// function's other code: a bug of this crate.
    pub fn jvp(&self, ws: &mut Workspace<F>, x: &[F], v: &[F]) -> Result<Vec<F>> {
        self.forward_mode(ws, x, v, false)
    }

    /// The Hessian of the one output at `x` times `v`, as
    /// [`Function::hvp`]: forward mode over the reverse sweep, in `Dual`
    /// numbers.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// let f = Function::record(&[1.0, 2.0], |x: &[Active]| x[0] * x[0] * x[1])?;
    /// let compiled = tapegrad_jit::compile(&f)?;
    /// let mut ws = f.workspace();
    /// // ∇²f = [[2x₁, 2x₀], [2x₀, 0]] at (3, 4), times (1, 1).
    /// assert_eq!(compiled.hvp(&mut ws, &[3.0, 4.0], &[1.0, 1.0])?, [14.0, 6.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Function::hvp`].
    ///
    /// # Panics
    ///
    /// As [`jvp`](Compiled::jvp).
    pub fn hvp(&self, ws: &mut Workspace<F>, x: &[F], v: &[F]) -> Result<Vec<F>> {
        if self.function.outputs() != 1 {
            // The interpreter's error, message and all.
            return self.function.hvp(ws, x, v);
        }
        self.forward_mode(ws, x, v, true)
    }

    /// `jvp`, or `hvp` if `sweep`, with the interpreter's error where a
    /// guard fails.
    fn forward_mode(&self, ws: &mut Workspace<F>, x: &[F], v: &[F], sweep: bool) -> Result<Vec<F>> {
        match self.attempt_forward_mode(ws, x, v, sweep)? {
            Ok(tangents) => Ok(tangents),
            Err(_) if sweep => self.function.hvp(ws, x, v),
            Err(_) => self.function.jvp(ws, x, v),
        }
    }

    /// The forward-mode code at `x` with tangent `v`: the outputs'
    /// tangents (`jvp`) or, `sweep`, the inputs' cotangents' (`hvp`);
    /// `Err(k)` inside where guard `k − 1` came out otherwise.
    pub(crate) fn attempt_forward_mode(
        &self,
        ws: &Workspace<F>,
        x: &[F],
        v: &[F],
        sweep: bool,
    ) -> Result<core::result::Result<Vec<F>, u32>> {
        if v.len() != x.len() {
            return Err(Error::Length {
                what: "direction",
                expected: x.len(),
                found: v.len(),
            });
        }
        self.check(ws, x)?;
        let code = match self.forward_mode.get() {
            Some(code) => code,
            None => {
                let code = code(&self.function, self.options, true);
                let code =
                    code.unwrap_or_else(|e| panic!("tapegrad-jit: {e} (a bug of this crate)"));
                self.forward_mode.get_or_init(|| code)
            }
        };
        let lanes = |v: &[F], t: Option<&[F]>| -> Vec<F> {
            let tangent = |k: usize| t.map_or(F::zero(), |t| t[k]);
            (v.iter().enumerate())
                .flat_map(|(k, &v)| [v, tangent(k)])
                .collect()
        };
        let (xs, params) = (lanes(x, Some(v)), lanes(ws.params(), None));
        let mut out = vec![F::zero(); 2 * self.function.outputs()];
        let mut grad = Vec::new();
        let seed = [F::one(), F::zero()];
        let reverse = sweep.then_some((&seed[..], &mut grad));
        Ok(match code.run(&xs, &params, &mut out, reverse) {
            0 => {
                let tangents = if sweep { &grad[..xs.len()] } else { &out[..] };
                Ok(tangents.iter().skip(1).step_by(2).copied().collect())
            }
            k => Err(k),
        })
    }

    /// The outputs at `x` and, given `weights`, the vector–Jacobian
    /// product (else no cotangents); `Err(k)` inside where guard `k − 1`
    /// came out otherwise, without the interpreter's error.
    pub(crate) fn attempt(
        &self,
        ws: &Workspace<F>,
        x: &[F],
        weights: Option<&[F]>,
    ) -> Result<core::result::Result<Vjp<F>, u32>> {
        self.check(ws, x)?;
        let (n, m) = (self.function.inputs(), self.function.outputs());
        if let Some(weights) = weights
            && weights.len() != m
        {
            return Err(Error::Length {
                what: "output weights",
                expected: m,
                found: weights.len(),
            });
        }
        let mut out = vec![F::zero(); m];
        let mut grad = Vec::new();
        let reverse = weights.map(|w| (w, &mut grad));
        Ok(match self.code.run(x, ws.params(), &mut out, reverse) {
            0 => {
                let params = grad.split_off(n.min(grad.len()));
                Ok(Vjp {
                    outputs: out,
                    inputs: grad,
                    params,
                })
            }
            k => Err(k),
        })
    }

    /// The function it was compiled from.
    pub fn function(&self) -> &Function<F> {
        &self.function
    }

    /// The interpreter's error where a gradient is asked of a function
    /// of more than one output.
    pub(crate) fn one_output(&self) -> Result<()> {
        match self.function.outputs() {
            1 => Ok(()),
            found => Err(Error::Length {
                what: "outputs of a function differentiated by `gradient` (see `vjp`)",
                expected: 1,
                found,
            }),
        }
    }

    /// The length errors the interpreter reports first.
    fn check(&self, ws: &Workspace<F>, x: &[F]) -> Result<()> {
        let lengths = [
            ("inputs", self.function.inputs(), x.len()),
            ("parameters", self.function.params(), ws.params().len()),
        ];
        for (what, expected, found) in lengths {
            if expected != found {
                return Err(Error::Length {
                    what,
                    expected,
                    found,
                });
            }
        }
        Ok(())
    }

    /// The error of guard `k − 1`, which came out otherwise: the
    /// interpreter's own, message and all.
    fn failed<T>(&self, k: u32, ws: &mut Workspace<F>, x: &[F]) -> Result<T> {
        match self.function.value(ws, x) {
            Err(e) => Err(e),
            Ok(_) => unreachable!(
                "guard {} failed in the compiled code and held in the interpreter: a bug of tapegrad-jit",
                k - 1
            ),
        }
    }
}
