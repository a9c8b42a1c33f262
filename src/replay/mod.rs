//! Record once, evaluate many times: a [`Function`] keeps each node's op
//! code and constants, and evaluates them again at new inputs, without
//! calling the code that recorded them, then runs the same reverse sweep.
//! Every comparison made while recording is kept with its outcome and
//! line; an evaluation where one comes out otherwise is an error, never the
//! other branch's numbers.
//!
//! The pipeline, a file a stage: `record` (the closure run once, each
//! node's op kept), `ir` (the ops, typed; `print` writes them as text),
//! `optimize` (passes over the IR: constants, repeats, dead code) and
//! `fuse` (a sum written term by term one op of many terms), `lower` (the
//! IR lowered for evaluation: where each node's partials go, and the
//! sweep's tape, fewer nodes after `optimize`), `forward` (the forward
//! pass into a [`Workspace`]) and `evaluate` (values, gradients,
//! Jacobians, Hessians: the forward pass, then the tape's sweep); then
//! `sparsity`, `graph` and `coloring` (sparse Jacobians and Hessians) and
//! `retape` (recording again where a branch changes).
mod coloring;
mod evaluate;
mod forward;
mod fuse;
mod graph;
pub mod ir;
mod lower;
mod optimize;
mod print;
mod record;
mod retape;
mod sparsity;

use crate::active::Scalar;
pub use crate::table::Comparison;
pub(crate) use crate::table::{Arg, Code, Guard, Select};
use crate::tape::Caller;
pub use coloring::Sparse;
pub use evaluate::Vjp;
pub use forward::Workspace;
use ir::Ir;
pub(crate) use ir::{Op, Summand, Term};
pub(crate) use lower::{Route, Sweep, Visit};
pub use record::Outputs;
pub use retape::Retaping;

/// A computation recorded once at a point, evaluated again at any other:
/// its value, gradient, Jacobian, directional derivatives, Hessian–vector
/// products and Hessian, each node computed from its op code and
/// constants, without calling the recorded closure.
///
/// Record with [`Function::record`] (or [`record_with_params`](Function::record_with_params)
/// for data that changes between evaluations), evaluate with a
/// [`Workspace`]: the function is `Send + Sync`, so threads evaluate it at
/// once, each with its own workspace. What it computes, its IR, prints
/// with `{}`: a line a node, `%3 = mul %1 %2` (see its `Display`).
///
/// ```
/// use tapegrad::{Active, replay::Function};
///
/// // f(x, y) = x·y + sin x, recorded once at (1, 2)...
/// let f = Function::record(&[1.0, 2.0], |x: &[Active]| x[0] * x[1] + x[0].sin())?;
/// // ...and evaluated at (3, 4) without running the closure again.
/// let mut ws = f.workspace();
/// let (value, gradient) = f.value_and_gradient(&mut ws, &[3.0, 4.0])?;
/// assert_eq!(value, 3.0 * 4.0 + 3.0_f64.sin());
/// assert_eq!(gradient, [4.0 + 3.0_f64.cos(), 3.0]);
/// # Ok::<(), tapegrad::Error>(())
/// ```
///
/// # Branches: the rule that keeps a recording right
///
/// A function evaluated at a point gives what a fresh recording there
/// gives, or an error; never another branch's numbers. The rule behind it:
/// every op whose value or partials depend on a comparison of values is
/// either computed again by each evaluation or guarded.
///
/// - **Computed again**: the op table's kinks and steps (`abs`, `max`,
///   `min`, `relu`, `signum`, `floor`, `copysign`, …), [`Active::select`](crate::Active::select),
///   and `clamp`, recorded as two selects, so that it replays on every side
///   of its bounds.
/// - **Guarded**: every comparison of variables made while recording (`<`,
///   `<=`, `>`, `>=`, `==`, `!=`, `partial_cmp`, `is_nan` and the other
///   `Float` predicates, `is_zero`, `Signed::is_positive`, and with
///   nalgebra `try_sqrt`, `is_finite`, `argument`, `is_sign_positive`) is
///   kept with its outcome and line; an evaluation where one comes out
///   otherwise returns [`Error::BranchChanged`](crate::Error::BranchChanged). So is the order of
///   `clamp`'s bounds, where a fresh recording would panic.
///
/// What the recording recognizes (the stable `ln` of a sigmoid) is found
/// from what was recorded, never from a value. A value that leaves the
/// recording any other way makes it refuse: reading one inside the closure
/// ([`Active::value`](crate::Active::value), `to_f64`, approx's comparisons) makes every
/// evaluation return [`Error::ValueRead`](crate::Error::ValueRead), and a gradient of the function's
/// own variables taken inside it ([`Active::backward`](crate::Active::backward)) makes
/// [`Function::record`] return [`Error::GradientWhileRecording`](crate::Error::GradientWhileRecording).
/// Formatting a variable there shows its node, not a number (see
/// [`Active`](crate::Active)'s `Display`).
///
/// ```
/// use tapegrad::{Active, Error, replay::Function};
///
/// let relu = |x: &[Active]| if x[0] > 0.0 { x[0] } else { x[0] * 0.0 };
/// let f = Function::record(&[1.0], relu)?;
/// let mut ws = f.workspace();
/// assert_eq!(f.gradient(&mut ws, &[2.0])?, [1.0]);
/// assert!(matches!(f.gradient(&mut ws, &[-2.0]), Err(Error::BranchChanged { .. })));
///
/// // clamp replays on both sides of its bounds.
/// let f = Function::record(&[0.5], |x: &[Active]| x[0].clamp(0.0, 1.0))?;
/// let mut ws = f.workspace();
/// assert_eq!(f.value_and_gradient(&mut ws, &[2.0])?, (1.0, vec![0.0]));
/// assert_eq!(f.value_and_gradient(&mut ws, &[0.25])?, (0.25, vec![1.0]));
/// # Ok::<(), tapegrad::Error>(())
/// ```
///
/// # What can be recorded
///
/// The ops of [`Active`](crate::Active) from the op table (every method
/// and operator of one or two arguments, and so `Sum` and `Product` of
/// iterators), [`Active::select`](crate::Active::select), the stable `ln`
/// of a sigmoid, and ndarray's `dot` (recorded as its products and sums).
/// Ops that record a node of many parents whose value is not such a sum
/// (`mul_add`, rounded once; the losses) are refused by
/// [`Function::record`] with
/// [`Error::NotReplayable`](crate::Error::NotReplayable), naming the op and
/// the line. A [`block`](crate::custom::block) op of `Active` variables is recorded by
/// its forward function, op by op, which an evaluation computes again (its
/// `vjp` is then unused: the sweep differentiates the recorded ops, and a
/// branch inside `forward` is guarded as any other). `Var`'s own ops
/// (`custom`, `fused`, `sum_windows`) take `Var`, which a recorded closure
/// does not see.
#[derive(Clone, Debug)]
pub struct Function<F: Scalar = f64> {
    /// The IR: node `i`'s op at `i − 1`.
    ops: Vec<Op<F>>,
    /// The sums' terms, each sum's in order.
    terms: Vec<Term<F>>,
    selects: Vec<Select<F>>,
    guards: Vec<Guard<F>>,
    /// The IR lowered for evaluation: the program and the sweep's tape.
    sweep: Sweep<F>,
    /// The identity of this layout of nodes, which a workspace must match.
    layout: u64,
    inputs: usize,
    params: Vec<F>,
    outputs: Vec<Arg<F>>,
    /// The first line that read a value while recording.
    read: Option<Caller>,
}

/// A new identity for a function's layout of nodes.
fn fresh_layout() -> u64 {
    use core::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<F: Scalar> Function<F> {
    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The leading nodes, which are set, not computed: the sink, the
    /// inputs, the parameters.
    fn lead(&self) -> usize {
        1 + self.inputs + self.params.len()
    }

    /// The number of dynamic parameters.
    pub fn params(&self) -> usize {
        self.params.len()
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs.len()
    }

    /// The number of nodes: inputs, parameters and operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the function has no nodes (no inputs, no operations).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The bytes the function's buffers hold: per node its op and its
    /// parents, and per node computed (not an input) its place in the
    /// evaluation (56 bytes an op in `f64`, 24 an input), the selects and
    /// guards, and after [`optimize`](Function::optimize) the layout of its
    /// sums. Its [`Workspace`] holds 32 more a node (a value, the
    /// partials and the parents the sweep reads) and 8 for the adjoints.
    ///
    /// ```
    /// use tapegrad::{Active, replay::Function};
    ///
    /// let f = Function::record(&[1.0; 100], |x: &[Active]| x.iter().map(|v| v.sin()).sum::<Active>())?;
    /// assert_eq!(f.len(), 300); // 100 inputs, 100 sines, 100 additions (from 0)
    /// assert!(f.allocated_bytes() >= 300 * 45);
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    pub fn allocated_bytes(&self) -> usize {
        use core::mem::size_of;
        let sweep = &self.sweep;
        self.ops.capacity() * size_of::<Op<F>>()
            + self.terms.capacity() * size_of::<Term<F>>()
            + sweep.program.capacity() * size_of::<Visit<F>>()
            + sweep.layout.capacity() * size_of::<[u32; 2]>()
            + sweep.scales.capacity() * size_of::<[F; 2]>()
            + sweep.table.capacity() * size_of::<u32>()
            + sweep.partials.capacity() * size_of::<F>()
            + sweep.lent.capacity() * size_of::<lower::Lent<F>>()
            + sweep.factors.capacity() * size_of::<[F; 2]>()
            + self.selects.capacity() * size_of::<Select<F>>()
            + self.guards.capacity() * size_of::<Guard<F>>()
            + (self.params.capacity() + self.outputs.capacity() + sweep.outputs.capacity())
                * size_of::<Arg<F>>()
    }

    /// Its IR, to read: each node's op, the sums' terms, the selects, the
    /// guards and the outputs (see [`ir`]).
    pub fn ir(&self) -> Ir<'_, F> {
        Ir {
            ops: &self.ops,
            terms: &self.terms,
            selects: &self.selects,
            guards: &self.guards,
            outputs: &self.outputs,
        }
    }

    /// The number of comparisons kept as guards.
    pub fn guards(&self) -> usize {
        self.guards.len()
    }

    /// A workspace for evaluating this function, with the parameters it
    /// was recorded with.
    pub fn workspace(&self) -> Workspace<F> {
        Workspace {
            layout: self.layout,
            values: vec![F::zero(); self.ops.len() + 1],
            tape: self.tape(),
            adjoints: Vec::new(),
            params: self.params.clone(),
            second: None,
        }
    }
}
