//! The one module with `unsafe`: the machine code Cranelift made, the
//! calls into it, the functions it calls back, and the tables whose
//! addresses it holds.

#![allow(unsafe_code)]

use cranelift_jit::JITModule;
use tapegrad::replay::ir::{Binary, Guard, Ir, Op, Outcome, Select, Unary};

use crate::Real;

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
}

impl<F: Real> Tables<F> {
    pub(crate) fn new(ir: &Ir<'_, F>) -> Self {
        Tables {
            ops: ir.ops.into(),
            selects: ir.selects.into(),
            guards: ir.guards.into(),
            ln_sigmoid: Box::new(Unary::LnSigmoid),
            sigmoid: Box::new(Unary::Sigmoid),
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

/// A compiled function's entry: `x`, `params`, `weights`, `out`, `grad`;
/// 0, or `k + 1` where guard `k` failed.
type Entry<F> = unsafe extern "C" fn(*const F, *const F, *const F, *mut F, *mut F) -> u32;

/// The code of a function: its forward pass and its vector–Jacobian
/// product, the module that holds them, the tables they read.
pub(crate) struct Code<F: Real> {
    module: Option<JITModule>,
    value: Entry<F>,
    vjp: Entry<F>,
    _tables: Tables<F>,
    /// Inputs, dynamic parameters, outputs.
    shape: [usize; 3],
}

// SAFETY: after `finalize_definitions` the code and the tables are never
// written; the module is touched again only by `drop`, which has the code
// alone. A call writes to its own stack and to the slices it is given.
unsafe impl<F: Real> Send for Code<F> {}
unsafe impl<F: Real> Sync for Code<F> {}

impl<F: Real> Code<F> {
    /// The code at `value` and `vjp`, finalized functions of `module`
    /// of `emit::signature`, reading `tables`.
    pub(crate) fn new(
        module: JITModule,
        [value, vjp]: [*const u8; 2],
        tables: Tables<F>,
        shape: [usize; 3],
    ) -> Self {
        // SAFETY: both are functions the module finalized, of the
        // signature `Entry` spells: five pointers in, a `u32` out.
        let (value, vjp) = unsafe {
            (
                core::mem::transmute::<*const u8, Entry<F>>(value),
                core::mem::transmute::<*const u8, Entry<F>>(vjp),
            )
        };
        Code {
            module: Some(module),
            value,
            vjp,
            _tables: tables,
            shape,
        }
    }

    /// Runs the forward pass (and the sweep, if `weights` and `grad` are
    /// given): 0, or `k + 1` where guard `k` failed.
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
        reverse: Option<(&[F], &mut [F])>,
    ) -> u32 {
        let [n, p, m] = self.shape;
        assert!(
            x.len() == n && params.len() == p && out.len() == m,
            "lengths checked by the caller"
        );
        let (entry, weights, grad) = match reverse {
            Some((weights, grad)) => {
                assert!(
                    weights.len() == m && grad.len() == n + p,
                    "lengths checked by the caller"
                );
                (self.vjp, weights.as_ptr(), grad.as_mut_ptr())
            }
            None => (self.value, core::ptr::null(), core::ptr::null_mut()),
        };
        // SAFETY: the code reads `x[..n]`, `params[..p]`, `weights[..m]`
        // and writes `out[..m]`, `grad[..n + p]` (emit's loads and stores,
        // at those indices), their lengths asserted above; the forward
        // pass alone touches neither `weights` nor `grad`.
        unsafe { entry(x.as_ptr(), params.as_ptr(), weights, out.as_mut_ptr(), grad) }
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
