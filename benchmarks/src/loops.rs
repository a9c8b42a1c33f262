//! A long loop: 10⁵ RK4 steps of `dx/dt = tanh(W·x) − x/10`, 10 states
//! and the 100 weights of `W`, with the squared misfit of `x₀` to an
//! observation every step; its gradient in `W` and the initial state by a
//! checkpointed loop (100 and 10 snapshots; 100 by the online schedule;
//! 100 with the step compiled to machine code),
//! by a tape of the whole loop, and by forward mode (a tangent for each of
//! the 110 inputs, no tape).

use num_traits::Float;
use std::sync::OnceLock;
use tapegrad::checkpoint::Loop;
use tapegrad::forward::Dual;
use tapegrad::replay::Function;
use tapegrad::{Active, Tape, Var};

use crate::Row;

/// The workload's name in tables and targets.
pub const NAME: &str = "loop";

/// The states.
const N: usize = 10;
/// The step size.
const DT: f64 = 0.01;

/// `dx/dt` at `x` with the weights `w` (row by row), over any number type.
fn field<T>(x: &[T], w: &[T], zero: T) -> Vec<T>
where
    T: Copy + std::ops::Add<Output = T> + std::ops::Mul<Output = T> + std::ops::Sub<Output = T>,
    T: Tanh,
{
    (0..N)
        .map(|i| {
            let s = (0..N).fold(zero, |acc, j| acc + w[i * N + j] * x[j]);
            s.tanh() - x[i] * T::tenth()
        })
        .collect()
}

/// `tanh` and `1/10`, for `f64` and the variables.
trait Tanh {
    fn tanh(self) -> Self;
    fn tenth() -> Self;
}

impl Tanh for f64 {
    fn tanh(self) -> f64 {
        f64::tanh(self)
    }
    fn tenth() -> f64 {
        0.1
    }
}

impl Tanh for Active {
    fn tanh(self) -> Active {
        Active::tanh(self)
    }
    fn tenth() -> Active {
        Active::constant(0.1)
    }
}

impl Tanh for Var<'_> {
    fn tanh(self) -> Self {
        Var::tanh(self)
    }
    fn tenth() -> Self {
        Var::constant(0.1)
    }
}

impl<const M: usize> Tanh for Dual<f64, M> {
    fn tanh(self) -> Self {
        Float::tanh(self)
    }
    fn tenth() -> Self {
        Dual::constant(0.1)
    }
}

/// One RK4 step of `x`, and the squared misfit of its first state to
/// `seen`.
fn rk4<T>(x: &[T], w: &[T], seen: T, zero: T, dt: T) -> Vec<T>
where
    T: Copy + std::ops::Add<Output = T> + std::ops::Mul<Output = T> + std::ops::Sub<Output = T>,
    T: Tanh + From<f64>,
{
    let half = dt * T::from(0.5);
    let at = |k: &[T], h: T| {
        x.iter()
            .zip(k)
            .map(|(&x, &k)| x + k * h)
            .collect::<Vec<T>>()
    };
    let k1 = field(x, w, zero);
    let k2 = field(&at(&k1, half), w, zero);
    let k3 = field(&at(&k2, half), w, zero);
    let k4 = field(&at(&k3, dt), w, zero);
    let sixth = dt * T::from(1.0 / 6.0);
    let two = T::from(2.0);
    let mut next: Vec<T> = (0..N)
        .map(|i| x[i] + (k1[i] + two * k2[i] + two * k3[i] + k4[i]) * sixth)
        .collect();
    let miss = next[0] - seen;
    next.push(miss * miss);
    next
}

/// The observation after step `i`.
fn seen(i: usize) -> f64 {
    (DT * (i + 1) as f64).sin()
}

/// The loop, its starting point and weights, and its step recorded.
pub struct Looped {
    steps: usize,
    x0: Vec<f64>,
    w: Vec<f64>,
    step: Function,
    /// The step compiled to machine code, when a row first asks for it.
    compiled: OnceLock<tapegrad_jit::Compiled<f64>>,
}

impl Looped {
    pub fn new(steps: usize) -> Self {
        let x0: Vec<f64> = (0..N).map(|i| 0.1 * i as f64 - 0.4).collect();
        let w: Vec<f64> = (0..N * N)
            .map(|k| ((k * 7 % 13) as f64 - 6.0) * 0.05)
            .collect();
        let params = [w.clone(), vec![0.0]].concat();
        let mut step = Function::record_with_params(&x0, &params, |x: &[Active], p: &[Active]| {
            rk4(
                x,
                &p[..N * N],
                p[N * N],
                Active::constant(0.0),
                Active::constant(DT),
            )
        })
        .expect("table ops");
        step.optimize();
        Looped {
            steps,
            x0,
            w,
            step,
            compiled: OnceLock::new(),
        }
    }

    /// The loss itself, in `f64`: the baseline of every ratio.
    pub fn plain(&self) -> f64 {
        let (mut x, mut loss) = (self.x0.clone(), 0.0);
        for i in 0..self.steps {
            let mut next = rk4(&x, &self.w, seen(i), 0.0, DT);
            loss += next.pop().expect("the misfit");
            x = next;
        }
        loss
    }

    /// The gradient in the initial state and the weights, by a checkpointed
    /// loop of `snapshots`.
    /// `online`: by the online schedule, the loop stopping itself.
    /// `compiled`: the step's compiled code, else the interpreter.
    fn checkpointed(&self, snapshots: usize, online: bool, compiled: bool) -> Vec<f64> {
        let mut looped = if compiled {
            let compile = || tapegrad_jit::compile(&self.step).expect("compiles");
            Loop::new(self.compiled.get_or_init(compile), snapshots)
        } else {
            Loop::new(&self.step, snapshots)
        };
        let fill = |i: usize, rest: &mut [f64]| rest[0] = seen(i);
        let (x0, w, steps, last) = (&self.x0, &self.w, self.steps, &[0.0; N]);
        let r = if online {
            looped.gradient_until(x0, w, |i, _| i == steps, usize::MAX, fill, last)
        } else {
            looped.gradient(x0, w, steps, fill, last)
        };
        let r = r.expect("the step's branches do not change");
        [r.d_state, r.d_params].concat()
    }

    /// The same by a tape of the whole loop.
    fn whole(&self) -> Vec<f64> {
        let tape = Tape::new();
        let (x0, w) = (tape.vars(&self.x0), tape.vars(&self.w));
        let (mut x, mut loss) = (x0.clone(), Var::constant(0.0));
        for i in 0..self.steps {
            let mut next = rk4(
                &x,
                &w,
                Var::constant(seen(i)),
                Var::constant(0.0),
                Var::constant(DT),
            );
            loss += next.pop().expect("the misfit");
            x = next;
        }
        let grads = loss.backward();
        x0.iter().chain(&w).map(|v| grads.wrt(v)).collect()
    }

    /// The same by forward mode: one pass over the loop, a tangent for each
    /// input.
    fn forward(&self) -> Vec<f64> {
        const M: usize = N + N * N;
        let seed = |k: usize, v: f64| {
            let mut t = [0.0; M];
            t[k] = 1.0;
            Dual::new(v, t)
        };
        let x0 = self.x0.iter().enumerate().map(|(k, &v)| seed(k, v));
        let w: Vec<Dual<f64, M>> = self
            .w
            .iter()
            .enumerate()
            .map(|(k, &v)| seed(N + k, v))
            .collect();
        let (mut x, mut loss): (Vec<Dual<f64, M>>, _) = (x0.collect(), Dual::constant(0.0));
        let c = Dual::constant;
        for i in 0..self.steps {
            let mut next = rk4(&x, &w, c(seen(i)), c(0.0), c(DT));
            loss += next.pop().expect("the misfit");
            x = next;
        }
        loss.tangent().to_vec()
    }

    pub fn rows(&self) -> Vec<Row<'_>> {
        vec![
            Row::new("tapegrad checkpointed, 100 snapshots", || {
                self.checkpointed(100, false, false)
            }),
            Row::new("tapegrad checkpointed, 10 snapshots", || {
                self.checkpointed(10, false, false)
            }),
            Row::new("tapegrad checkpointed online, 100 snapshots", || {
                self.checkpointed(100, true, false)
            }),
            Row::new("tapegrad checkpointed compiled, 100 snapshots", || {
                self.checkpointed(100, false, true)
            }),
            Row::new("tapegrad whole tape", || self.whole()),
            Row::new("tapegrad forward mode", || self.forward()),
        ]
    }

    /// Checks the rows against each other.
    ///
    /// # Panics
    ///
    /// If a gradient differs from the whole tape's by more than 1e-9,
    /// relative.
    pub fn verify(&self) {
        let expected = self.whole();
        for mut row in self.rows() {
            let got = (row.gradient)();
            for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                let scale = g.abs().max(e.abs()).max(1e-12);
                assert!(
                    (g - e).abs() <= 1e-9 * scale,
                    "{NAME}/{}: [{i}] {g} against {e}",
                    row.name
                );
            }
        }
    }
}
