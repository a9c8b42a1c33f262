//! Tape-based reverse-mode automatic differentiation: write a computation
//! with variables that read like floats, call [`backward`](Var::backward),
//! and get the gradient with respect to every input, exact to rounding, in
//! one reverse sweep.
//!
//! ```
//! use tapegrad::Tape;
//!
//! let tape = Tape::new();
//! let w = tape.var(0.5);
//! let x = tape.var(2.0);
//! let b = tape.var(-1.0);
//!
//! // One neuron: ŷ = σ(w·x + b).
//! let z = w * x + b;
//! let y_hat = z.sigmoid();
//! assert_eq!(y_hat.value(), 0.5);
//!
//! // ∂ŷ/∂w = σ′(z)·x = 0.25·2,  ∂ŷ/∂x = σ′(z)·w,  ∂ŷ/∂b = σ′(z).
//! let grads = y_hat.backward();
//! assert_eq!(grads.wrt(&w), 0.5);
//! assert_eq!(grads.wrt(&x), 0.125);
//! assert_eq!(grads.wrt(&b), 0.25);
//! ```
//!
//! # How the tape works
//!
//! A [`Tape`] is a *Wengert list*: every operation on a [`Var`] appends a
//! node. When a node is recorded it computes its value and stores, for each
//! of its parents, its *local derivative* `∂node/∂parent`: `z = w·x + b`
//! records a product with partials `x` and `w`, then a sum with partials `1`
//! and `1`.
//!
//! The chain rule says the derivative of the output `y` with respect to a
//! node is the sum, over the node's children, of `∂y/∂child · ∂child/∂node`.
//! [`Var::backward`] evaluates exactly that, once, in reverse: it seeds the
//! output with `∂y/∂y = 1`, then walks the tape from the output back to the
//! first node, and every node multiplies the gradient it received by its own
//! local derivatives and adds the products into its parents. Multiply what
//! you receive by your own derivative and pass it on. When the sweep reaches
//! the inputs they hold `∂y/∂input`: one sweep, every input, at a cost of a
//! small constant times the cost of computing `y`.
//!
//! The result is [`Gradients`], which live apart from the tape: query it with
//! [`wrt`](Gradients::wrt) ("with respect to"), [`get`](Gradients::get) or
//! `grads[&x]`.
//!
//! # The operations
//!
//! `+ - * /` with variables and floats on either side, unary `-`, `+=` and
//! friends; comparisons of values the same way (`x < 0.5`, `1.0 == x`); the
//! elementary functions under their `f64` names (`ln`, `exp`, `powf`, `sqrt`,
//! `sin`, `tanh`, `atan2`, `hypot`, `max`, …); the classifier's `sigmoid`, with
//! the stable [`ln_sigmoid`](Var::ln_sigmoid), [`softplus`](Var::softplus) and
//! [`bce_with_logits`](Var::bce_with_logits); [`sum`], [`dot`] and
//! [`nn::affine`] (`w·x + b`), which record one node however many parents they
//! have; [`nn::layer`], a layer of a network over a whole batch of samples as
//! one node, and [`nn::dense`], a layer of `affine` units for one sample; and
//! [`Var::custom`] and [`custom::block`] for your own. Each method's
//! documentation states the derivative it records, including the conventions at
//! kinks (`relu′(0) = 0`, `abs′(0) = 0`, a tie of `max` splits the gradient).
//!
//! The textbook loss `y·ln ŷ + (1 − y)·ln(1 − ŷ)` with `ŷ = z.sigmoid()`
//! does not overflow to `−∞` or NaN for large `|z|`: `ŷ.ln()` and
//! `(1.0 - ŷ).ln()` are recognized when they are recorded and computed in
//! the stable form, value and gradient.
//!
//! # Building a model
//!
//! Keep the parameters as plain floats; each training step records them on a
//! cleared tape, sweeps, and hands the gradient to an optimizer of [`optim`]
//! ([`optim::Sgd`] with a learning rate per group of parameters,
//! [`optim::Momentum`], [`optim::Adam`]). The losses of [`loss`] record a
//! whole batch as one node. [`Tape::traced`] with [`Tape::to_svg`] (a
//! picture, each node with its value and gradient) or [`Tape::to_dot`] draws
//! what was recorded. The example programs (`examples/`) train a classifier on
//! real data this way.
//!
//! # Your own ops
//!
//! [`Var::custom`] records any function from its value and its partial
//! derivatives, as one node; [`check::check_gradient`] holds the partials you
//! declare to central finite differences:
//!
//! ```
//! use tapegrad::{check::check_gradient, Tape, Var};
//!
//! /// softsign(x) = x / (1 + |x|), with d/dx = 1 / (1 + |x|)².
//! fn softsign<'t>(x: Var<'t>) -> Var<'t> {
//!     Var::custom("softsign", [x], |[x]| {
//!         let d = 1.0 + x.abs();
//!         (x / d, [1.0 / (d * d)])
//!     })
//! }
//!
//! let tape = Tape::new();
//! let x = tape.var(3.0);
//! assert_eq!(softsign(x).backward().wrt(&x), 1.0 / 16.0);
//! check_gradient(|x| softsign(x[0]), &[-2.0])?;
//! # Ok::<(), tapegrad::Error>(())
//! ```
//!
//! An op of many outputs whose backward pass is cheaper written by hand
//! than recorded (a matrix product, softmax, a layer over a batch)
//! implements [`BlockOp`]: its forward function and its vector–Jacobian
//! product, both generic over the scalar so that second derivatives flow
//! through it. [`custom::block`] records it as one node, and its outputs are
//! ordinary variables; [`nn::layer`] is one.
//!
//! The two differ in what the tape keeps: [`Var::custom`], [`Var::fused`] and
//! [`custom::sum_windows`] compute their partials while recording and are thin
//! sugar over one plain node of many parents, like [`sum`] and [`dot`]; a block
//! op keeps the op and its inputs, and runs its vector–Jacobian product during
//! the backward sweep.
//!
//! # Generic code, and derivatives of any order
//!
//! `Var` implements [`num_traits::Float`]: write a function once for
//! `T: Float` and it runs on floats and on the tape, with the same value bit
//! for bit. A tape whose values are themselves variables of an outer tape,
//! `Tape<Var<'o, f64>>`, records its backward sweep on the outer tape, so the
//! gradient can be differentiated again: [`hessian`] and [`hvp`] do this for
//! a closure, [`grad`] and [`jacobian`] give first derivatives.
//!
//! ```
//! use num_traits::Float;
//!
//! fn rosenbrock<T: Float>(x: &[T]) -> T {
//!     let hundred = T::from(100.0).unwrap();
//!     (T::one() - x[0]).powi(2) + hundred * (x[1] - x[0] * x[0]).powi(2)
//! }
//!
//! assert_eq!(rosenbrock(&[1.5, 2.0]), 6.5); // on f64
//! assert_eq!(tapegrad::grad(|x| rosenbrock(x), &[1.0, 1.0]), [0.0, 0.0]);
//! let h = tapegrad::hessian(|x| rosenbrock(x), &[1.0, 1.0]);
//! assert_eq!(h, [[802.0, -400.0], [-400.0, 200.0]]);
//! ```
//!
//! The tape differentiates the formula as written: `|z|` or `max(z, 0)`
//! inside a formula for a smooth function puts a kink into its derivatives
//! where the branch switches. The crate's own ops are written with analytic
//! branches so that their derivatives of every order are exact.
//!
//! # A variable without a lifetime: `Active`, for nalgebra, ndarray and argmin
//!
//! A `Var<'t>` borrows its tape, so code that needs `'static` scalars
//! (nalgebra's and ndarray's element types, an optimizer's parameters)
//! cannot hold one. [`Active`] is the same variable without the borrow:
//! [`Tape::record`] lends the tape to the thread for the scope of a closure,
//! the `Active` variables made there record on it, and the gradients are
//! taken inside the scope or with [`Tape::backward`] afterwards. The ops,
//! derivatives and `Float` impl are `Var`'s, from the same table.
//!
//! ```
//! use tapegrad::{Active, Tape};
//!
//! fn norm<T: num_traits::Float + std::iter::Sum>(x: &[T]) -> T {
//!     x.iter().map(|&v| v * v).sum::<T>().sqrt()
//! }
//!
//! let mut tape = Tape::new();
//! let (x, y) = tape.record(|| {
//!     let x = Active::vars(&[3.0, 4.0]);
//!     let y = norm(&x);
//!     (x, y)
//! });
//! let grads = tape.backward(&y)?; // ∂|x|/∂x = x/|x|
//! approx::assert_relative_eq!(grads.wrt(&x[0]), 0.6);
//! approx::assert_relative_eq!(grads.wrt(&x[1]), 0.8);
//! # Ok::<(), tapegrad::Error>(())
//! ```
//!
//! The compiler no longer sees which tape a variable belongs to, so every op
//! checks it: an `Active` used outside its recording, after a clear, on
//! another thread or with a variable of another recording panics with a
//! message that names the fix, and gradients refuse it with
//! [`Error::OtherRecording`].
//!
//! Which to prefer where nothing needs `'static`: `Var` when the compiler
//! sees and inlines the ops (it is then a few percent faster, and misuse does
//! not compile); `Active` when the ops are called out of line, as in deep
//! generic code or a large program: it is 16 bytes, a value and one integer
//! that a call passes in two registers, where a `Var` (24 bytes) goes through
//! memory, and it records 1.1–1.6× faster there (BENCHMARKS.md).
//!
//! With the `nalgebra` feature (nalgebra 0.35; `nalgebra_v0_34` for 0.34,
//! which argmin builds on), `Active` is nalgebra's `RealField`, so that
//! nalgebra's generic code (`norm`, `cross`, `try_inverse`, rotations)
//! records on the tape; with `ndarray`, arrays of `Active` compute and record
//! element-wise, with a one-node dot product; with `argmin`, a function
//! written once for every scalar type (`T: Float`, or nalgebra's
//! `T: RealField`) becomes argmin's cost, gradient, Hessian
//! and Jacobian. See [`integrations`].
//!
//! # Record once, evaluate many times: `Function`
//!
//! An optimizer evaluates one function thousands of times. [`Function`]
//! records it once, with [`Active`] variables, and evaluates the recording
//! again at new inputs without running its code: each node recomputed from
//! its op code and constants, then the reverse sweep. It gives the value,
//! gradient, Jacobian, directional derivatives, Hessian–vector products and
//! the Hessian; data that changes between evaluations (a mini-batch) is a
//! dynamic parameter; [`Function::optimize`] folds constants, merges
//! repeated subexpressions, drops dead code and makes each sum written term
//! by term one node of the sweep and one step of the evaluation (a replayed
//! gradient then costs 0.35–0.65 of recording afresh on the benchmarks); a
//! `Function` is `Send + Sync`, and each thread evaluates it with its own
//! [`Workspace`].
//!
//! ```
//! use tapegrad::{Active, Error, replay::Function};
//!
//! let f = Function::record(&[1.0, 2.0], |x: &[Active]| (x[0] * x[1]).sin())?;
//! let mut ws = f.workspace();
//! assert_eq!(f.gradient(&mut ws, &[0.5, 3.0])?, [3.0 * 1.5_f64.cos(), 0.5 * 1.5_f64.cos()]);
//!
//! // A recording holds the branch it took, and says so rather than replay it.
//! let relu = Function::record(&[1.0], |x: &[Active]| if x[0] > 0.0 { x[0] } else { x[0] * 0.0 })?;
//! assert!(matches!(relu.gradient(&mut relu.workspace(), &[-1.0]), Err(Error::BranchChanged { .. })));
//! # Ok::<(), tapegrad::Error>(())
//! ```
//!
//! A recorded function gives what a fresh recording at the same point gives, or
//! an error: every op whose result depends on a comparison is computed again
//! (`abs`, `max`, `clamp`, …) or guarded. Every comparison of variables made
//! while recording is kept as a guard; an evaluation where one comes out
//! otherwise returns [`Error::BranchChanged`] with the line, never the other
//! branch's numbers (see [the
//! rule](replay::Function#branches-the-rule-that-keeps-a-recording-right)).
//! [`Active::select`] writes a branch that replays, [`Retaping`] records again
//! where one changes, and [`Function::sparse_hessian`] gives a sparse Hessian
//! in one Hessian–vector product per color of its columns (with `faer`, as
//! faer's sparse matrix). Reading a value inside the closure
//! ([`Active::value`]) makes the recording refuse to evaluate
//! ([`Error::ValueRead`]); ops of many parents (the losses, `mul_add`) and a
//! gradient taken inside the closure are refused when recorded
//! ([`Error::NotReplayable`], [`Error::GradientWhileRecording`]).
//!
//! # Fewer nodes: fused ops and forward mode
//!
//! A tape pays per node. A small function that is evaluated many times, such as
//! a term of a long sum, can be recorded as one node instead: [`Var::fused`]
//! runs it once on [`forward::Dual`] numbers (forward mode: each carries its
//! derivatives with respect to the function's arguments) and records the result
//! with those partials; [`custom::sum_windows`] does the same for every window
//! of neighbours in a slice and records the whole sum as one node. The
//! derivatives are those of the same formula on the tape.
//!
//! ```
//! use tapegrad::{Tape, custom::sum_windows};
//!
//! let tape = Tape::new();
//! let x = tape.vars(&[-1.2_f64, 1.0, 0.5]);
//! let f = sum_windows(&x, |[a, b]| 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2));
//! assert_eq!(tape.len(), 4); // three inputs and one node, not 3 + 2 × 7 + 1
//! assert_eq!(f.backward().wrt(&x[2]), 200.0 * (0.5 - 1.0));
//! ```
//!
//! # `f32` or `f64`
//!
//! `Tape<F>` and `Var<'t, F>` are generic over [`num_traits::Float`], with
//! `f64` as the default. Everything the backward sweep does is `F`'s own
//! arithmetic. [`Tape::new()`] is a tape of `f64`, as `HashMap::new()` is a
//! map with the default hasher; `Tape::<f32>::default()` is a tape of `f32`,
//! and `Tape::<F>::default()` one of `F` in generic code.
//!
//! # Training loops, threads and limits
//!
//! A variable borrows its tape, so it cannot outlive it, and
//! [`Tape::clear`] (which keeps the allocation) takes `&mut self`, so no
//! variable survives it: a training step records, sweeps, reads the
//! gradients and clears. A tape that is not cleared grows by every step's
//! graph; [`Tape::len`], [`Tape::allocated_bytes`] and the tape's `Debug`
//! output (`Tape { len: 4138, capacity: 8192, allocated_bytes: 372736 }`)
//! show it: log or assert them once per epoch if in doubt; in a healthy
//! loop they stay the same from one step to the next.
//!
//! A tape is [`Send`] but not [`Sync`]: use one tape per thread. For a loss
//! that is a sum over samples, the `parallel` feature's
//! `parallel::sum_over_samples` records chunks of samples on a tape per
//! worker thread and adds their gradients in a fixed order, so the result
//! has the same bits on any number of threads; `parallel::Workers` keeps
//! those tapes from one training step to the next. Combining variables of two
//! tapes panics (see the `# Panics` sections); checked queries return
//! [`Error`]. A tape holds up to 2³¹ − 1 nodes.
//!
//! To verify the derivatives of your own ops, use [`check::check_gradient`].
//!
//! # Performance
//!
//! Every node costs a record on the tape and a visit in the sweep (a node
//! of one or two parents takes 24 bytes in `f64`), so the fast way to write
//! a model is to record fewer, larger nodes:
//!
//! - Record fewer nodes: [`dot`] and [`sum`] are one node however long,
//!   [`nn::affine`] is `dot(w, x) + b` in one, [`loss`] records a whole batch
//!   as one, [`Var::sigmoid`] and [`Var::bce_with_logits`] are one node
//!   each, and [`Var::fused`] and [`custom::sum_windows`] make one of a small
//!   function.
//! - Write a layer of a network over a batch of samples as one [`nn::layer`]:
//!   one node, whose backward pass is two matrix products, where the units
//!   of every sample would each be a node.
//! - For one sample, [`nn::dense`] records a layer as one `affine` node a unit.
//! - Reuse the tape and the gradients: [`Tape::clear`] keeps the memory, and
//!   [`Var::backward_into`] sweeps into a [`Gradients`] kept from step to
//!   step. A warm training step then allocates only the `Vec`s of
//!   variables it collects ([`Tape::vars`]'s and your own), and each block
//!   op's own buffers (a [`nn::layer`]'s inputs, outputs and gradients).
//! - Trace and check ([`Tape::checked`]) while you debug, not in
//!   production: it costs a few times the plain tape's time.
//!
//! ```
//! use tapegrad::{Gradients, Tape, nn::affine, loss};
//!
//! let (x, y) = ([[0.5, -1.0], [1.5, 0.25]], [1.0, 0.0]);
//! let mut theta = [0.0, 0.0, 0.0]; // two weights and a bias
//! let (mut tape, mut grads) = (Tape::new(), Gradients::new());
//! for _ in 0..100 {
//!     tape.clear();
//!     let params = tape.vars(&theta);
//!     let (w, b) = params.split_at(2);
//!     let logits: Vec<_> = x.iter().map(|row| affine(w, row, b[0])).collect();
//!     loss::mean_bce_with_logits(&logits, &y).backward_into(&mut grads);
//!     for (t, g) in theta.iter_mut().zip(grads.wrt_all(&params)) {
//!         *t -= 0.5 * g;
//!     }
//! }
//! // Both samples on the right side of the boundary.
//! let logit = |row: [f64; 2]| theta[0] * row[0] + theta[1] * row[1] + theta[2];
//! assert!(logit(x[0]) > 0.0 && logit(x[1]) < 0.0);
//! ```
//!
//! `BENCHMARKS.md` in the repository measures what a node costs and compares
//! tapegrad with the plain function, a hand-written gradient, the other Rust
//! autodiff crates and two tensor crates, as ratios timed in slices interleaved
//! with the plain function (`cargo run --release -p tapegrad-benchmarks`).
//!
//! # When a loss turns into NaN
//!
//! Record on [`Tape::checked`] and sweep with [`Var::backward_checked`]: it
//! names the first op whose value or local derivative is not finite, the line
//! that recorded it, and the ops that led there; custom ops have their
//! declared derivatives checked against finite differences too. A plain tape
//! does none of this and pays nothing for it.
//!
//! [`BlockOp`]: custom::BlockOp
//! [`Function`]: replay::Function
//! [`Function::optimize`]: replay::Function::optimize
//! [`Function::sparse_hessian`]: replay::Function::sparse_hessian
//! [`Retaping`]: replay::Retaping
//! [`Workspace`]: replay::Workspace

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// No unsafe operation anywhere; `deny`, not `forbid`, only so that simba's
// trait, which declares two methods `unsafe`, can be implemented (nalgebra).
#![deny(unsafe_code)]

#[macro_use]
mod docs;

mod active;
pub mod check;
pub mod custom;
mod debug;
mod derivatives;
mod difference;
mod error;
mod float;
pub mod forward;
mod gradients;
pub mod integrations;
pub mod loss;
pub mod nn;
mod ops;
pub mod optim;
#[cfg(feature = "parallel")]
#[cfg_attr(docsrs, doc(cfg(feature = "parallel")))]
pub mod parallel;
mod recording;
pub mod replay;
mod table;
mod tape;
mod var;

pub use active::{Active, Scalar};
pub use derivatives::{grad, hessian, hvp, jacobian};
pub use error::{Error, Quantity, Result};
pub use gradients::{Gradients, Variable};
pub use ops::{dot, sum};
pub use tape::Tape;
pub use var::Var;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
