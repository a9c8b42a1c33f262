//! Weighted sums: `dot`, `affine` (a neuron's `w·x + b`) and `dense` (a
//! layer for one sample), over variables or floats on either side.

use num_traits::Float;

use crate::tape::Edges;
use crate::var::{TWO_TAPES, common_tape, one_tape};
use crate::{Tape, Var};

/// `Σ aᵢ·bᵢ` as one node: `∂/∂aᵢ = bᵢ`, `∂/∂bᵢ = aᵢ`.
///
/// Either slice may hold variables or floats; the weights of a linear model
/// times its data, `dot(&w, &x)`, record one edge per weight. For
/// `dot(&w, &x) + b`, [`affine`] records one node fewer.
///
/// # Panics
///
/// If the slices differ in length, or two variables are on different tapes.
///
/// ```
/// let tape = tapegrad::Tape::new();
/// let w = [tape.var(0.5), tape.var(-1.0)];
/// let x = [2.0, 3.0];
/// let z = tapegrad::dot(&w, &x);
/// assert_eq!(z.value(), -2.0);
/// assert_eq!(z.backward().wrt(&w[1]), 3.0);
/// ```
#[track_caller]
pub fn dot<'t, F, A, B>(a: &[A], b: &[B]) -> Var<'t, F>
where
    F: Float,
    A: Operand<'t, F>,
    B: Operand<'t, F>,
{
    weighted_sum("dot", a, b, None, None)
}

/// `w·x + b` as one node: `dot(w, x) + b` with the same value and
/// gradients, one node fewer. The weighted sum of a neuron or of a linear
/// model's logit, `z = w·x + b`.
///
/// Any of `w`, `x` and `b` may be variables or floats.
///
/// # Panics
///
/// If `w` and `x` differ in length, or two variables are on different
/// tapes.
///
/// ```
/// let tape = tapegrad::Tape::new();
/// let theta = tape.vars(&[0.5, -1.0, 0.25]);
/// let (w, b) = theta.split_at(2);
/// let z = tapegrad::nn::affine(w, &[2.0, 3.0], b[0]);
/// assert_eq!(z.value(), -1.75);
/// let grad = z.backward();
/// assert_eq!(grad.wrt_all(&theta), [2.0, 3.0, 1.0]);
/// ```
#[track_caller]
pub fn affine<'t, F, A, B, C>(w: &[A], x: &[B], b: C) -> Var<'t, F>
where
    F: Float,
    A: Operand<'t, F>,
    B: Operand<'t, F>,
    C: Operand<'t, F>,
{
    weighted_sum("affine", w, x, Some(b.into_var()), None)
}

/// The public path of the function that records `op`, for its messages.
fn path(op: &'static str) -> &'static str {
    match op {
        "affine" => "nn::affine",
        "dense" => "nn::dense",
        op => op,
    }
}

/// `Σ aᵢ·bᵢ (+ c)` as one node named `op`; `c`'s edge, if it has one, last.
/// Variables on two tapes panic, naming `called_at` (for an iterator,
/// whose own line is not the user's) if it is given.
#[inline(always)]
#[track_caller]
fn weighted_sum<'t, F, A, B>(
    op: &'static str,
    a: &[A],
    b: &[B],
    c: Option<Var<'t, F>>,
    called_at: Option<&'static core::panic::Location<'static>>,
) -> Var<'t, F>
where
    F: Float,
    A: Operand<'t, F>,
    B: Operand<'t, F>,
{
    assert_eq!(
        a.len(),
        b.len(),
        "tapegrad::{}: the slices must have the same length",
        path(op)
    );
    let pairs = || a.iter().zip(b).map(|(&a, &b)| (a.into_var(), b.into_var()));
    let sum = || pairs().fold(F::zero(), |acc, (a, b)| acc + a.value() * b.value());
    // The value is the same sum, in the same order, as `dot(a, b) + c`.
    let plus_c = |sum: F| c.map_or(sum, |c| sum + c.value());
    let c = c.filter(|c| !c.is_constant());
    // `c`'s edge, after the others.
    let push_c = |edges: &mut Edges<'_, F>| {
        if let Some(c) = c {
            edges.push(c.node(), F::one());
        }
    };
    // Usually the first pair's (a loop costs more than the lookup).
    let tape_of = |(x, y): (Var<'t, F>, Var<'t, F>)| x.tape().or(y.tape());
    let first = pairs().next().and_then(tape_of);
    let Some(tape) = first
        .or_else(|| pairs().find_map(tape_of))
        .or(c.and_then(|c| c.tape()))
    else {
        return Var::constant(plus_c(sum()));
    };
    let on_tape = |x: Var<'t, F>| x.is_on(tape);
    let c_ok = c.is_none_or(on_tape);
    if A::FLOAT == B::FLOAT {
        // Variables times variables (a layer's weights times the
        // activations before it): the edges are written in the pass that
        // sums and checks the tapes, and taken back if a check fails.
        let recorded = tape.try_record_with(op, |edges| {
            let (value, ok) = edges.fill(2 * a.len(), |parents, partials| {
                let slots = parents
                    .chunks_exact_mut(2)
                    .zip(partials.chunks_exact_mut(2));
                slots.zip(pairs()).fold(
                    (F::zero(), c_ok),
                    |(acc, ok), ((parent, partial), (a, b))| {
                        parent.copy_from_slice(&[a.node(), b.node()]);
                        partial.copy_from_slice(&[b.value(), a.value()]);
                        (acc + a.value() * b.value(), ok & on_tape(a) & on_tape(b))
                    },
                )
            });
            push_c(edges);
            ok.then(|| plus_c(value))
        });
        if let Some(z) = recorded {
            return z;
        }
    } else {
        // Variables and floats, either way round (a model's weights and its
        // data): the variables' tape is checked in the pass that sums, where
        // the check fills the time the dependent additions wait anyway.
        let split = |(a, b): (Var<'t, F>, Var<'t, F>)| {
            if A::FLOAT {
                (b, a.value())
            } else {
                (a, b.value())
            }
        };
        let (value, ok) = sum_on_tape(pairs().map(split), tape, c_ok);
        if ok {
            return tape.record_with(op, |edges| {
                if B::FLOAT {
                    variables_times_floats(edges, a, b);
                } else {
                    variables_times_floats(edges, b, a);
                }
                push_c(edges);
                plus_c(value)
            });
        }
    }
    // Constants among them (one edge per variable), or another tape (the
    // panic that deserves).
    let all = pairs().flat_map(|(x, y)| [x, y]).chain(c);
    let tape = match (one_tape(all), called_at) {
        (Ok(found), _) => found.unwrap_or(tape),
        (Err(_), Some(line)) => panic!("tapegrad::{}, called at {line}: {TWO_TAPES}", path(op)),
        (Err(_), None) => panic!("tapegrad: {TWO_TAPES}"),
    };
    let value = sum();
    tape.record_with(op, |edges| {
        for (a, b) in pairs() {
            if !a.is_constant() {
                edges.push(a.node(), b.value());
            }
            if !b.is_constant() {
                edges.push(b.node(), a.value());
            }
        }
        push_c(edges);
        plus_c(value)
    })
}

/// `Σ vᵢ·cᵢ` over pairs of a variable and a float, from zero and in order,
/// and whether every variable is on `tape` (and `ok` holds).
#[inline(always)]
fn sum_on_tape<'t, F: Float + 't>(
    pairs: impl Iterator<Item = (Var<'t, F>, F)>,
    tape: &Tape<F>,
    ok: bool,
) -> (F, bool) {
    pairs.fold((F::zero(), ok), |(acc, ok), (v, c)| {
        (acc + v.value() * c, ok & v.is_on(tape))
    })
}

/// The edges of `dot` of variables and floats: the variables' nodes, and
/// the floats copied in bulk as the partials.
#[inline(always)]
fn variables_times_floats<'t, F: Float + 't, V: Operand<'t, F>, C: Operand<'t, F>>(
    edges: &mut Edges<'_, F>,
    variables: &[V],
    floats: &[C],
) {
    let nodes = variables.iter().map(|&x| x.into_var().node());
    edges.extend(nodes, floats.iter().map(|&x| x.into_var().value()));
}

/// A variable or a float: an operand of [`dot`] and [`affine`].
///
/// Implemented for `Var<'t, F>` of any float type `F`, and for `f32` and
/// `f64` themselves, which become constants.
pub trait Operand<'t, F: Float>: Copy + sealed::Sealed {
    /// Whether the operand is always a float, never a variable.
    const FLOAT: bool;

    /// The operand as a variable; a float becomes a constant.
    fn into_var(self) -> Var<'t, F>;
}

impl<'t, F: Float> Operand<'t, F> for Var<'t, F> {
    const FLOAT: bool = false;

    fn into_var(self) -> Var<'t, F> {
        self
    }
}

// Only the primitive floats: with every `F: Float` here, a slice of `Var`s
// would also read as constants of a nested tape, and `dot(&w, &a)` would be
// ambiguous.
macro_rules! float_operand {
    ($($f:ident)*) => {$(
        impl<'t> Operand<'t, $f> for $f {
            const FLOAT: bool = true;

            fn into_var(self) -> Var<'t, $f> {
                Var::constant(self)
            }
        }
        impl sealed::Sealed for $f {}
    )*};
}

float_operand!(f32 f64);

mod sealed {
    /// Keeps [`Operand`](super::Operand) to the crate's own implementations.
    pub trait Sealed {}

    impl<F: num_traits::Float> Sealed for crate::Var<'_, F> {}
}

/// A dense layer, `W·x + b`, for one sample: for each row `[w₀ … wₙ₋₁, b]`
/// of `params` (rows of `x.len() + 1`), the unit
/// `affine(&row[..n], x, row[n])`, recorded as the iterator reaches it.
/// For a batch of samples, [`layer`](crate::nn::layer) records the whole layer
/// as one node.
///
/// `x` may hold variables (the activations of the layer before) or floats
/// (the data). A traced tape names the line that called `dense` for every
/// unit.
///
/// # Panics
///
/// If `params`' length is not a multiple of `x.len() + 1`, or two variables
/// are on different tapes: the inputs when `dense` is called, a row's
/// parameters when the iterator reaches it (the message names the line that
/// called `dense`).
///
/// ```
/// use tapegrad::{Tape, Var, nn::dense};
///
/// let tape = Tape::new();
/// // Two units of two inputs: the rows [w₀, w₁, b].
/// let params = tape.vars(&[0.5, -1.0, 0.25, 2.0, 1.0, -0.5]);
/// let x = [1.0, 2.0];
/// let a: Vec<Var> = dense(&params, &x).map(Var::tanh).collect();
/// assert_eq!(a[0].value(), (0.5 - 2.0 + 0.25_f64).tanh());
/// assert_eq!(a[1].value(), (2.0 + 2.0 - 0.5_f64).tanh());
///
/// let grads = (a[0] + a[1]).backward();
/// let d0 = 1.0 - a[0].value().powi(2); // tanh′ of the first unit
/// assert_eq!(grads.wrt(&params[1]), d0 * 2.0);
/// assert_eq!(grads.wrt(&params[2]), d0);
/// ```
#[track_caller]
pub fn dense<'a, 't, F, B>(params: &'a [Var<'t, F>], x: &'a [B]) -> Dense<'a, 't, F, B>
where
    F: Float,
    B: Operand<'t, F>,
{
    let n = x.len();
    assert!(
        params.len() % (n + 1) == 0,
        "tapegrad::nn::dense: the parameters must be rows of {n} weights (one per input) and a bias, \
         but there are {} of them",
        params.len()
    );
    // The inputs against a parameter's tape, once for the layer.
    let on_it = params.iter().find(|p| !p.is_constant()).copied();
    common_tape(x.iter().map(|x| x.into_var()).chain(on_it));
    Dense {
        rows: params.chunks_exact(n + 1),
        x,
        // The line every unit names, since `next` cannot be `#[track_caller]`.
        caller: core::panic::Location::caller(),
    }
}

/// The iterator of [`dense`]: each unit's node, recorded as it is reached.
#[derive(Debug)]
pub struct Dense<'a, 't, F: Float, B> {
    rows: core::slice::ChunksExact<'a, Var<'t, F>>,
    x: &'a [B],
    /// The line that called [`dense`].
    caller: &'static core::panic::Location<'static>,
}

/// Names a line for what a traced tape records while it lives.
struct TraceAs<'t, F: Float>(&'t Tape<F>);

impl<'t, F: Float> TraceAs<'t, F> {
    fn new(tape: &'t Tape<F>, caller: &'static core::panic::Location<'static>) -> Self {
        tape.trace_as(Some(caller));
        TraceAs(tape)
    }
}

impl<F: Float> Drop for TraceAs<'_, F> {
    fn drop(&mut self) {
        self.0.trace_as(None);
    }
}

impl<'t, F: Float, B: Operand<'t, F>> Iterator for Dense<'_, 't, F, B> {
    type Item = Var<'t, F>;

    /// Records the next row's unit as [`affine`] records it, naming the line
    /// that called [`dense`] on a traced tape and in the panic if its
    /// variables are on two tapes (the panic's own line is in here).
    #[inline]
    fn next(&mut self) -> Option<Var<'t, F>> {
        let (w, b) = self.rows.next()?.split_at(self.x.len());
        let b = b[0];
        // The tapes are checked while the unit records; a traced tape is
        // told whose line it is first.
        let tape = w.iter().chain([&b]).find_map(|p| p.tape());
        let tape = tape.or_else(|| self.x.iter().find_map(|x| x.into_var().tape()));
        let _named = tape
            .filter(|t| t.is_traced())
            .map(|t| TraceAs::new(t, self.caller));
        Some(weighted_sum("dense", w, self.x, Some(b), Some(self.caller)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl<'t, F: Float, B: Operand<'t, F>> ExactSizeIterator for Dense<'_, 't, F, B> {}

impl<'t, F: Float, B: Operand<'t, F>> core::iter::FusedIterator for Dense<'_, 't, F, B> {}
