//! Fused nodes: a small function differentiated in forward mode
//! ([`Dual`]) and recorded as one node with its partials, the
//! "preaccumulation" of the autodiff literature.
//!
//! A term of a sum that records seven nodes of one or two edges each on the
//! tape, and costs a sweep over all of them, becomes one node whose partials
//! were computed in registers while the term was evaluated.

use num_traits::Float;

use crate::var::common_tape;
use crate::{Var, forward::Dual};

impl<'t, F: Float> Var<'t, F> {
    /// Records `f` of `args` as one node, differentiated in forward mode:
    /// `f` runs on [`Dual`] numbers, which carry `∂/∂argsₖ` for every `k`
    /// through each operation, and the node stores those `N` partials.
    ///
    /// Where [`Var::custom`] asks you for the derivatives, `fused` computes
    /// them; where the same formula on variables records a node per
    /// operation, `fused` records one. `name` labels the node in
    /// [`Tape::to_dot`](crate::Tape::to_dot).
    ///
    /// # Panics
    ///
    /// If two arguments are on different tapes.
    ///
    /// ```
    /// use tapegrad::Tape;
    /// use tapegrad::Var;
    ///
    /// let tape = Tape::new();
    /// let (x, y) = (tape.var(2.0), tape.var(0.5));
    /// // x·eʸ + y², one node with two edges.
    /// let f = Var::fused("f", [x, y], |[x, y]| x * y.exp() + y * y);
    /// assert_eq!(tape.len(), 3);
    /// let grads = f.backward();
    /// assert_eq!(grads.wrt(&x), 0.5_f64.exp());
    /// assert_eq!(grads.wrt(&y), 2.0 * 0.5_f64.exp() + 1.0);
    /// ```
    #[track_caller]
    pub fn fused<const N: usize>(
        name: &'static str,
        args: [Self; N],
        f: impl Fn([Dual<F, N>; N]) -> Dual<F, N>,
    ) -> Self {
        let y = f(Dual::inputs(args.map(|a| a.value())));
        Self::combine(name, args, y.value(), y.tangent())
    }
}

/// `Σᵢ term(xs[i], …, xs[i + N − 1])` over every window of `N` neighbours
/// in `xs`, as one node with one edge per variable; each term is
/// differentiated in forward mode ([`Dual`]).
///
/// This is the fast way to write a long sum of small terms over
/// neighbouring variables (Rosenbrock's function, a smoothness penalty, a
/// discretized energy): nothing is recorded per term, and the backward
/// sweep visits each variable once. The value is the sum of the terms in
/// order, as `xs.windows(N).map(term).sum()` would give on floats; fewer
/// than `N` variables make the empty sum, the constant `−0`.
///
/// # Panics
///
/// If `N` is zero, or two variables are on different tapes.
///
/// ```
/// use tapegrad::{Tape, custom::sum_windows};
///
/// let tape = Tape::new();
/// let x = tape.vars(&[1.5_f64, 0.5, -1.0]);
/// // Rosenbrock: Σ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²
/// let f = sum_windows(&x, |[a, b]| 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2));
/// assert_eq!(tape.len(), 4); // three inputs, one node
///
/// let grads = f.backward();
/// let d0 = -400.0 * 1.5 * (0.5 - 1.5 * 1.5) - 2.0 * (1.0 - 1.5);
/// assert_eq!(grads.wrt(&x[0]), d0);
/// assert_eq!(grads.wrt(&x[2]), 200.0 * (-1.0 - 0.5 * 0.5));
/// ```
#[track_caller]
pub fn sum_windows<'t, F: Float, const N: usize>(
    xs: &[Var<'t, F>],
    term: impl Fn([Dual<F, N>; N]) -> Dual<F, N>,
) -> Var<'t, F> {
    assert!(
        N > 0,
        "tapegrad::custom::sum_windows: a window needs at least one variable"
    );
    // The first variable's tape; that every other is on it is checked in
    // the pass that evaluates the terms.
    let Some(tape) = xs.iter().find_map(|x| x.tape()) else {
        return Var::constant(windows_of_values(xs, &term));
    };
    let mut all_on_tape = true;
    let mut check = |x: &Var<'t, F>| all_on_tape &= x.is_on(tape);
    // A buffer the tape keeps between calls; `term` may even record on the
    // tape, since nothing is borrowed while it runs.
    let mut partials = tape.take_scratch();
    partials.clear();
    partials.resize(xs.len(), F::zero());
    let value = windows(xs, &mut partials, &term, &mut check);
    if xs.len() < N {
        tape.return_scratch(partials);
        return Var::constant(value);
    }
    let last = xs.len() + 1 - N;
    xs[last..].iter().for_each(&mut check);
    if !all_on_tape {
        // Constants among them, or another tape (the panic that deserves).
        common_tape(xs.iter().copied());
        // A constant's edge goes to the sink, with a partial of zero.
        for (p, x) in partials.iter_mut().zip(xs) {
            if x.is_constant() {
                *p = F::zero();
            }
        }
    }
    let out = tape.record_with("sum_windows", |edges| {
        edges.extend(xs.iter().map(|x| x.node()), partials.iter().copied());
        value
    });
    tape.return_scratch(partials);
    out
}

/// The pass of [`sum_windows`]: each window's `term` on [`Dual`] inputs
/// made of its values, and `each` of the variables that start a window.
/// Fills `partials`, if there is a window, and returns the sum of the terms.
/// Out of line: inlined into `sum_windows`, the loop ran slower with the
/// same instructions.
#[inline(never)]
fn windows<'t, F: Float, const N: usize, T: Fn([Dual<F, N>; N]) -> Dual<F, N> + ?Sized>(
    xs: &[Var<'t, F>],
    partials: &mut [F],
    term: &T,
    mut each: impl FnMut(&Var<'t, F>),
) -> F {
    // `pending[k]`: what the windows so far contribute to the partial of
    // `xs[i + k]`; `xs[i]` is complete once window `i` has been added.
    let mut pending = [F::zero(); N];
    let mut value = F::neg_zero();
    for (window, partial) in xs.windows(N).zip(partials.iter_mut()) {
        let y = term(Dual::inputs(core::array::from_fn(|k| window[k].value())));
        value = value + y.value();
        let d = y.tangent();
        *partial = pending[0] + d[0];
        for k in 1..N {
            pending[k - 1] = pending[k] + d[k];
        }
        pending[N - 1] = F::zero();
        each(&window[0]);
    }
    if xs.len() >= N {
        // The last `N − 1` variables start no window.
        let last = xs.len() + 1 - N;
        partials[last..].copy_from_slice(&pending[..N - 1]);
    }
    value
}

/// The value of [`sum_windows`] over constants.
fn windows_of_values<F: Float, const N: usize>(
    xs: &[Var<'_, F>],
    term: impl Fn([Dual<F, N>; N]) -> Dual<F, N>,
) -> F {
    xs.windows(N).fold(F::neg_zero(), |value, window| {
        let inputs = Dual::inputs(core::array::from_fn(|k| window[k].value()));
        value + term(inputs).value()
    })
}
