//! One recording core for every variable: what recording an op of the
//! table on variables means, written once for [`Var`](crate::Var) and
//! [`Active`](crate::Active), which differ only in where their tape is
//! (borrowed by the variable, or lent to the thread; see [`Recorded`]).
//!
//! - Constants record nothing: an op of constants is a constant, and an
//!   op's edges go to its operands that are variables.
//! - Variables of two recordings never combine: that panics, naming the fix.
//! - The textbook loss is recorded in its stable form: `ln σ(z)` as
//!   `ln_sigmoid(z)` and `1 − σ(z)` as `σ(−z)`, found from what the tape
//!   keeps of its sigmoids, never from a value.

use core::ops::{Add, Deref, Mul};
use core::panic::Location;

use num_traits::{Float, One, Zero};

use crate::table::stable::{sigmoid, softplus};
use crate::table::{Arg, Binary, Code, Instr, Unary};
use crate::tape::{Access, Caller, Sigmoid, Tape};

/// A variable, as the recording core sees it: a value, and a node on a
/// tape it can reach, or a constant.
pub(crate) trait Recorded: Copy {
    type Float: Float;

    /// The tape, held while a node is recorded on it.
    type Tape: Deref<Target = Tape<Self::Float>> + Access<Self::Float>;

    fn constant(value: Self::Float) -> Self;

    fn is_constant(&self) -> bool;

    /// The value, as the core reads it (nothing observes the read).
    fn raw(&self) -> Self::Float;

    /// The node of a variable (not a constant).
    fn node(&self) -> u32;

    /// The tape of a variable, to record on.
    ///
    /// # Panics
    ///
    /// If the variable cannot record there (an `Active` outside its
    /// recording), naming the fix.
    fn tape(&self) -> Self::Tape;

    /// Panics, naming the fix, unless the variables `a` and `b` are of one
    /// recording.
    fn same_recording(a: &Self, b: &Self);

    /// The variable of `node`, of value `value`, on `self`'s recording.
    fn at(&self, node: u32, value: Self::Float) -> Self;

    /// Whether the variable's recording is a function's, which computes
    /// each node again from its instruction: an op of many parents is
    /// recorded there as ops of one or two.
    fn replays(&self) -> bool {
        false
    }
}

/// `op(x)` of value `value` and derivative `d`: one node, or its stable
/// form (`ln σ`), or nothing for a constant. A sigmoid's node is kept as
/// one, for the stable `ln` that may follow.
#[inline(always)]
#[track_caller]
pub(crate) fn unary<V: Recorded>(x: V, op: Unary, value: V::Float, d: V::Float) -> V {
    if x.is_constant() {
        return V::constant(value);
    }
    let caller = Location::caller();
    let mut tape = x.tape();
    match op {
        Unary::Sigmoid => {
            let node = tape.record_sigmoid(value, x.node(), d, x.raw(), caller);
            x.at(node, value)
        }
        Unary::Ln => match stable_ln(&tape, x.node(), caller) {
            Some((node, value)) => x.at(node, value),
            None => of_one(x, &mut tape, op.name(), value, d, caller),
        },
        _ => of_one(x, &mut tape, op.name(), value, d, caller),
    }
}

/// A node of `op` whose one parent is the variable `x`, with `∂/∂x = d`.
#[inline(always)]
fn of_one<V: Recorded>(
    x: V,
    tape: &mut V::Tape,
    op: &'static str,
    value: V::Float,
    d: V::Float,
    caller: Caller,
) -> V {
    let partials = [d, V::Float::zero()];
    let node = tape.record_node(op, value, [Some(x.node()), None], partials, caller);
    x.at(node, value)
}

/// `op(a, b)` of value `value` and `[∂/∂a, ∂/∂b]`: one node whose edges go
/// to the operands that are variables; `1 − σ(z)` as `σ(−z)`.
///
/// # Panics
///
/// If `a` and `b` are variables of different recordings.
#[inline(always)]
#[track_caller]
pub(crate) fn binary<V: Recorded>(
    a: V,
    op: Binary,
    b: V,
    value: V::Float,
    [da, db]: [V::Float; 2],
) -> V {
    let caller = Location::caller();
    match (a.is_constant(), b.is_constant()) {
        (false, false) => {
            V::same_recording(&a, &b);
            let parents = [Some(a.node()), Some(b.node())];
            let node = a
                .tape()
                .record_node(op.name(), value, parents, [da, db], caller);
            a.at(node, value)
        }
        (false, true) => of_one(a, &mut a.tape(), op.name(), value, da, caller),
        (true, false) => {
            let mut tape = b.tape();
            if op == Binary::Sub && a.raw() == V::Float::one() {
                if let Some((node, value)) = complement(&tape, b.node(), caller) {
                    return b.at(node, value);
                }
            }
            of_one(b, &mut tape, op.name(), value, db, caller)
        }
        (true, true) => V::constant(value),
    }
}

/// One node of value `value` whose edges go to the arguments that are
/// variables, each with its partial; a constant if none is.
///
/// # Panics
///
/// If two arguments are variables of different recordings.
#[inline]
#[track_caller]
pub(crate) fn combine<V, I>(op: &'static str, value: V::Float, args: I) -> V
where
    V: Recorded,
    I: IntoIterator<Item = (V, V::Float)>,
    I::IntoIter: Clone,
{
    let caller = Location::caller();
    let args = args.into_iter().filter(|(x, _)| !x.is_constant());
    let mut rest = args.clone();
    let Some((first, _)) = rest.next() else {
        return V::constant(value);
    };
    rest.for_each(|(x, _)| V::same_recording(&first, &x));
    let edges = args.map(|(x, d)| (x.node(), d));
    let node = first.tape().record_at(op, value, edges, caller);
    first.at(node, value)
}

/// `Σ xᵢ`, added in order from `−0` (the value `Iterator::sum` of the
/// floats gives), as one node with `∂/∂xᵢ = 1`; on a function's recording
/// a chain of additions, which `Function::optimize` makes one node again.
///
/// # Panics
///
/// If two of `xs` are variables of different recordings.
#[track_caller]
pub(crate) fn sum<V: Recorded + Add<Output = V>>(xs: &[V]) -> V {
    let zero = V::Float::neg_zero();
    if xs.iter().any(Recorded::replays) {
        return xs.iter().fold(V::constant(zero), |total, &x| total + x);
    }
    let value = xs.iter().fold(zero, |total, x| total + x.raw());
    combine("sum", value, xs.iter().map(|&x| (x, V::Float::one())))
}

/// `Π xᵢ`, multiplied in order from `1`, as one node with
/// `∂/∂xᵢ = Π_{j≠i} xⱼ` (exact where some `xⱼ` is zero); on a function's
/// recording a chain of multiplications.
///
/// # Panics
///
/// If two of `xs` are variables of different recordings.
#[track_caller]
pub(crate) fn product<V: Recorded + Mul<Output = V>>(xs: &[V]) -> V {
    let one = V::Float::one();
    if xs.iter().any(Recorded::replays) {
        return xs.iter().fold(V::constant(one), |total, &x| total * x);
    }
    let value = xs.iter().fold(one, |p, x| p * x.raw());
    let constants = xs.iter().filter(|x| x.is_constant());
    let mut before = constants.fold(one, |p, x| p * x.raw());
    let variables: Vec<V> = xs.iter().copied().filter(|x| !x.is_constant()).collect();
    // ∂/∂xᵢ = (the constants) · (the variables before i) · (those after i):
    // the products after each, then, in place, times those before.
    let mut partials: Vec<V::Float> = variables
        .iter()
        .rev()
        .scan(one, |p, x| {
            let after_x = *p;
            *p = *p * x.raw();
            Some(after_x)
        })
        .collect();
    partials.reverse();
    for (partial, x) in partials.iter_mut().zip(&variables) {
        *partial = before * *partial;
        before = before * x.raw();
    }
    combine("product", value, variables.into_iter().zip(partials))
}

/// `Σ aᵢ·bᵢ`, added in order from `0`, as one node with `∂/∂aᵢ = bᵢ` and
/// `∂/∂bᵢ = aᵢ`; on a function's recording the products and a chain of
/// additions, the same arithmetic, which `Function::optimize` makes one
/// node again.
///
/// # Panics
///
/// If two variables are of different recordings.
#[cfg(feature = "ndarray")]
#[track_caller]
pub(crate) fn dot<V>(pairs: impl Iterator<Item = (V, V)> + Clone) -> V
where
    V: Recorded + Add<Output = V> + Mul<Output = V>,
{
    let zero = V::Float::zero();
    if pairs.clone().any(|(a, b)| a.replays() || b.replays()) {
        return pairs.fold(V::constant(zero), |total, (a, b)| total + a * b);
    }
    let value = pairs.clone().fold(zero, |s, (a, b)| s + a.raw() * b.raw());
    let edges = pairs.flat_map(|(a, b)| [(a, b.raw()), (b, a.raw())]);
    combine("dot", value, edges)
}

/// `(1/n)·Σᵢ tᵢ` as one node named `op`, where `term(i, xᵢ)` gives `tᵢ` and
/// `∂tᵢ/∂xᵢ`: one pass over `xs`; a constant if none is a variable.
///
/// # Panics
///
/// If two of `xs` are variables of different recordings.
#[track_caller]
pub(crate) fn mean<V: Recorded>(
    op: &'static str,
    xs: &[V],
    n: V::Float,
    mut term: impl FnMut(usize, V::Float) -> (V::Float, V::Float),
) -> V {
    let caller = Location::caller();
    let zero = V::Float::zero();
    let mut variables = xs.iter().filter(|x| !x.is_constant());
    let Some(first) = variables.next() else {
        let total = (xs.iter().enumerate()).fold(zero, |s, (i, x)| s + term(i, x.raw()).0);
        return V::constant(total / n);
    };
    variables.for_each(|x| V::same_recording(first, x));
    let wide = first.tape().push_wide(op, caller, |out| {
        let mut total = zero;
        for (i, x) in xs.iter().enumerate() {
            let (t, d) = term(i, x.raw());
            total = total + t;
            if !x.is_constant() {
                out.push(x.node(), d / n);
            }
        }
        Some(total / n)
    });
    let (node, value) = wide.unwrap_or_else(|| unreachable!("the writer always gives a value"));
    first.at(node, value)
}

/// `ln` of `node` in the stable form, if `node` is a sigmoid `σ(u)` with
/// `u = ±z`: `ln σ(u) = −softplus(−u)`, recorded with `z` as its parent and
/// `∂/∂z = ±σ(−u)`; the nodes it goes around are noted as bypassed. The
/// new node and its value.
pub(crate) fn stable_ln<F: Float>(tape: &Tape<F>, node: u32, caller: Caller) -> Option<(u32, F)> {
    let Sigmoid {
        input, at, negated, ..
    } = tape.sigmoid(node)?;
    let sign = if negated { -F::one() } else { F::one() };
    let (value, d) = (-softplus(-at), sign * sigmoid(-at).0);
    tape.expect(Instr::new(
        Code::LnSigmoid { negated },
        [Arg::Node(input); 2],
    ));
    let out = tape.push(
        "ln∘sigmoid",
        value,
        [Some(input), None],
        [d, F::zero()],
        caller,
    );
    // `1 − σ(z)` goes around the sigmoid `σ(z)` too, its one parent.
    let sigmoid_node = negated.then(|| tape.parent(node));
    for bypassed in [Some(node), sigmoid_node].into_iter().flatten() {
        tape.bypass(bypassed, out);
    }
    Some((out, value))
}

/// `1 − node` if `node` is a sigmoid `σ(z)`: recorded as `σ(−z)`, exactly,
/// and kept as a sigmoid of `−z`, so that its `ln` is stable too. The new
/// node and its value.
pub(crate) fn complement<F: Float>(tape: &Tape<F>, node: u32, caller: Caller) -> Option<(u32, F)> {
    let Sigmoid {
        input, at, negated, ..
    } = tape.sigmoid(node)?;
    if negated {
        return None; // 1 − (1 − s) is recorded as it is written
    }
    let value = sigmoid(-at).0;
    tape.expect(Instr::new(
        Code::Complement,
        [Arg::Node(node), Arg::Node(input)],
    ));
    let out = tape.push(
        "1 − sigmoid",
        value,
        [Some(node), None],
        [-F::one(), F::zero()],
        caller,
    );
    tape.keep_sigmoid(Sigmoid {
        node: out,
        input,
        at: -at,
        negated: true,
    });
    Some((out, value))
}
