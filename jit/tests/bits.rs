//! A compiled function gives the interpreter's numbers to the bit, and its
//! errors: random programs of the op table's ops, kinks, guarded branches,
//! selects, `clamp`, the stable losses, sums of products, recorded at one
//! point and evaluated at another, optimized or not, in f32 and f64,
//! compiled whole or cut into pieces of a few ops.

#[path = "../../tests/common/program.rs"]
mod program;

use program::{Program, coordinate, program_with_sums, run};
use proptest::prelude::*;
use tapegrad::replay::{Function, Workspace};
use tapegrad::{Active, Error, Scalar};
use tapegrad_jit::{CompileError, Compiled, Real, compile, compile_in_pieces};

/// The same bits, a NaN as any NaN (Cranelift may order an addition's
/// operands otherwise, and of two NaNs the processor keeps the first).
fn bits<F: Real>(v: &[F]) -> Vec<Option<u64>> {
    v.iter()
        .map(|v| (!v.is_nan()).then(|| v.to_f64().expect("a float").to_bits()))
        .collect()
}

/// What a case records: programs `p` and `q` of three inputs, or each
/// repeated over a window of the inputs that moves by one each time,
/// which the compiler makes a loop.
#[derive(Clone, Debug)]
struct Case {
    p: Program,
    q: Program,
    repeat: Repeat,
}

#[derive(Clone, Debug)]
enum Repeat {
    Once,
    /// `Σₖ p(xₖ, xₖ₊₁, xₖ₊₂)·cₖ`, each term times a constant of its own if
    /// `scaled`.
    Sum {
        times: usize,
        scaled: bool,
    },
    /// `a ← tanh p(a, xₖ₊₁, xₖ₊₂)` from `a = x₀`: bounded, as the inputs
    /// (a fold of `p` alone overflows to a NaN `clamp` refuses).
    Fold {
        times: usize,
    },
    /// `Σₖ p(x₀, x₁, cₖ·x₂)` or `q(…)`, `cₖ` a constant of the iteration's,
    /// as bit `k` of `pattern` says (the second output the other way
    /// round): iterations of two bodies, which the compiler makes one loop
    /// of variants.
    Choose {
        times: usize,
        pattern: u32,
    },
}

impl Case {
    /// The inputs it reads.
    fn inputs(&self) -> usize {
        match self.repeat {
            Repeat::Once => 3,
            Repeat::Sum { times, .. } | Repeat::Fold { times } => times + 2,
            Repeat::Choose { .. } => 3,
        }
    }

    /// Its first `outputs` outputs (of two).
    fn run<F: Scalar>(&self, x: &[Active<F>], outputs: usize) -> Vec<Active<F>> {
        if let Repeat::Choose { times, pattern } = self.repeat {
            let sum = |flip: bool| {
                (0..times).fold(Active::constant(F::zero()), |sum, k| {
                    let p = match (pattern >> k & 1 == 1) != flip {
                        true => &self.p,
                        false => &self.q,
                    };
                    let c = Active::constant(F::from(1.0 + 0.125 * k as f64).expect("a literal"));
                    sum + run(p, &[x[0], x[1], c * x[2]])
                })
            };
            return [false, true][..outputs]
                .iter()
                .map(|&flip| sum(flip))
                .collect();
        }
        let each = |p: &Program| match self.repeat {
            Repeat::Once => run(p, x),
            Repeat::Sum { times, scaled } => {
                (0..times).fold(Active::constant(F::zero()), |sum, k| {
                    let term = run(p, &x[k..k + 3]);
                    match scaled {
                        true => {
                            sum + term
                                * Active::constant(
                                    F::from(1.0 + 0.125 * k as f64).expect("a literal"),
                                )
                        }
                        false => sum + term,
                    }
                })
            }
            Repeat::Fold { times } => {
                (0..times).fold(x[0], |a, k| run(p, &[a, x[k + 1], x[k + 2]]).tanh())
            }
            Repeat::Choose { .. } => unreachable!("run above"),
        };
        [&self.p, &self.q][..outputs]
            .iter()
            .map(|p| each(p))
            .collect()
    }
}

fn case() -> impl Strategy<Value = Case> {
    let repeat = prop_oneof![
        2 => Just(Repeat::Once),
        1 => (2..17usize, any::<bool>()).prop_map(|(times, scaled)| Repeat::Sum { times, scaled }),
        1 => (2..9usize).prop_map(|times| Repeat::Fold { times }),
        1 => (4..17usize, any::<u32>()).prop_map(|(times, pattern)| Repeat::Choose { times, pattern }),
    ];
    (program_with_sums(), program_with_sums(), repeat).prop_map(|(p, q, repeat)| Case {
        p,
        q,
        repeat,
    })
}

/// A panic's message.
fn message(panic: &(dyn std::any::Any + Send)) -> &str {
    let text = panic.downcast_ref::<String>().map(String::as_str);
    text.or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("")
}

/// `case` recorded at `x0`, optimized or not, compiled in pieces of
/// `piece` ops, its repetitions loops: at `x0` and `x1`, its value,
/// gradient, vector–Jacobian product, Jacobian–vector product and
/// Hessian–vector product, or its error, are the interpreter's.
fn agrees<F: Real>(
    case: &Case,
    x0: &[F],
    x1: &[F],
    w: [F; 2],
    piece: usize,
) -> Result<(), TestCaseError> {
    let (x0, x1) = (&x0[..case.inputs()], &x1[..case.inputs()]);
    // The direction of the forward-mode products.
    let v: Vec<F> = x0.iter().zip(x1).map(|(&a, &b)| b - a).collect();
    for optimize in [false, true] {
        let record = |outputs: usize| {
            let run = || Function::record(x0, |x: &[Active<F>]| case.run(x, outputs));
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
                Ok(recorded) => recorded.ok(),
                // A fold's NaN reaching `clamp`'s bounds: a fresh recording
                // panics too, and there is nothing to compile.
                Err(panic) if message(&*panic).contains("clamp needs min <= max") => None,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        };
        let (Some(mut one), Some(mut two)) = (record(1), record(2)) else {
            return Err(TestCaseError::reject(
                "not replayable, or clamp's bounds NaN",
            ));
        };
        if optimize {
            one.optimize();
            two.optimize();
        }
        let (c1, c2) = (
            compile_in_pieces(&one, piece, true),
            compile_in_pieces(&two, piece, true),
        );
        let (c1, c2) = (
            c1.map_err(|e| TestCaseError::fail(e.to_string()))?,
            c2.map_err(|e| TestCaseError::fail(e.to_string()))?,
        );
        for x in [x0, x1] {
            let mut ws = one.workspace();
            let ours = c1.value_and_gradient(&mut ws, x);
            let theirs = one.value_and_gradient(&mut ws, x);
            match (ours, theirs) {
                (Ok((v, g)), Ok((tv, tg))) => {
                    prop_assert_eq!(bits(&[v]), bits(&[tv]), "value (optimized: {})", optimize);
                    prop_assert_eq!(bits(&g), bits(&tg), "gradient (optimized: {})", optimize);
                }
                (ours, theirs) => prop_assert_eq!(ours.err(), theirs.err()),
            }
            let mut ws = two.workspace();
            match (c2.vjp(&mut ws, x, &w), two.vjp(&mut ws, x, &w)) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(bits(&a.outputs), bits(&b.outputs));
                    prop_assert_eq!(
                        bits(&a.inputs),
                        bits(&b.inputs),
                        "vjp (optimized: {})",
                        optimize
                    );
                }
                (ours, theirs) => prop_assert_eq!(ours.err(), theirs.err()),
            }
            prop_assert_eq!(
                c2.value(&mut ws, x).map(|v| bits(&v)),
                two.value(&mut ws, x).map(|v| bits(&v))
            );
            prop_assert_eq!(
                c2.jvp(&mut ws, x, &v).map(|v| bits(&v)),
                two.jvp(&mut ws, x, &v).map(|v| bits(&v)),
                "jvp (optimized: {})",
                optimize
            );
            let mut ws = one.workspace();
            prop_assert_eq!(
                c1.hvp(&mut ws, x, &v).map(|v| bits(&v)),
                one.hvp(&mut ws, x, &v).map(|v| bits(&v)),
                "hvp (optimized: {})",
                optimize
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { max_global_rejects: 65_536, ..ProptestConfig::default() })]

    #[test]
    fn a_compiled_function_gives_the_interpreters_bits(
        case in case(),
        x0 in prop::collection::vec(coordinate(), 18),
        x1 in prop::collection::vec(coordinate(), 18),
        w in prop::array::uniform2(-2.0..2.0f64),
        piece in prop::sample::select(vec![1, 2, 3, 7, 256]),
    ) {
        agrees::<f64>(&case, &x0, &x1, w, piece)?;
        let f32s = |x: &[f64]| x.iter().map(|&v| v as f32).collect::<Vec<_>>();
        agrees::<f32>(&case, &f32s(&x0), &f32s(&x1), w.map(|v| v as f32), piece)?;
    }
}

/// Rosenbrock's function as the harness writes it (a fold) and as a sum of
/// terms, and a small network on many points: loops over ops, a long sum's
/// terms, nodes of the sweep and a node's edges, with the interpreter's
/// bits at a point other than the recording's.
#[test]
fn repeated_bodies_compile_to_loops_with_the_interpreters_bits()
-> Result<(), Box<dyn std::error::Error>> {
    let fold = |x: &[Active]| {
        x.windows(2).fold(Active::constant(0.0), |acc, w| {
            let (a, b) = (w[1] - w[0] * w[0], 1.0 - w[0]);
            acc + a * a * 100.0 + b * b
        })
    };
    let terms = |x: &[Active]| -> Active {
        x.windows(2)
            .map(|w| {
                let (a, c) = (w[1] - w[0] * w[0], 1.0 - w[0]);
                a * a * 100.0 + c * c
            })
            .sum()
    };
    let points: Vec<[f64; 2]> = (0..40)
        .map(|k| [(k as f64 * 0.37).sin(), (k as f64 * 0.11).cos()])
        .collect();
    let network = |t: &[Active]| {
        points.iter().fold(Active::constant(0.0), |loss, p| {
            let hidden: Vec<Active> = (0..4)
                .map(|j| (t[3 * j] * p[0] + t[3 * j + 1] * p[1] + t[3 * j + 2]).tanh())
                .collect();
            let y = (0..4).fold(t[16], |y, j| y + t[12 + j] * hidden[j]);
            let e = y - p[0] * p[1];
            loss + e * e
        })
    };
    // Logistic regression's loss ([`logistic`]).
    let data: Vec<Vec<f64>> = (0..30)
        .map(|i| {
            (0..5)
                .map(|j| ((i * 7 + j * 3) as f64 * 0.7).sin())
                .collect()
        })
        .collect();
    let logistic = logistic(&data);
    let x0: Vec<f64> = (0..60).map(|k| 0.3 + 0.02 * k as f64).collect();
    let x1: Vec<f64> = (0..60).map(|k| (k as f64).cos()).collect();
    for (name, n, f) in [
        ("fold", 60, &fold as &dyn Fn(&[Active]) -> Active),
        ("terms", 60, &terms),
        ("network", 17, &network),
        ("logistic", 6, &logistic),
    ] {
        let mut f = Function::record(&x0[..n], f)?;
        f.optimize();
        let compiled = compile(&f)?;
        let loops = compiled.loops();
        assert!(loops[0] > 0 && loops[2] > 0, "{name}: {loops:?}");
        if name == "fold" || name == "terms" {
            assert!(loops[1] > 0 && loops[3] > 0, "{name}: {loops:?}");
            assert_eq!(
                loops[4..6],
                [1, 1],
                "{name}: ops with the sum, its edges with the nodes"
            );
        }
        let mut ws = f.workspace();
        // The logistic loss where each sample takes the branch it took.
        let near: Vec<f64> = x0.iter().map(|v| v + 1e-3).collect();
        let x1 = if name == "logistic" { &near } else { &x1 };
        let (v, g) = compiled.value_and_gradient(&mut ws, &x1[..n])?;
        let (tv, tg) = f.value_and_gradient(&mut ws, &x1[..n])?;
        assert_eq!(bits(&[v]), bits(&[tv]), "{name}");
        assert_eq!(bits(&g), bits(&tg), "{name}");
    }
    Ok(())
}

/// Logistic regression's loss over the rows of `data`: a dot product of
/// constant data with θ (a sum its products are computed in) and the bias
/// after them, the stable loss's branches on the sign of `z`, the labels
/// alternating.
fn logistic(data: &[Vec<f64>]) -> impl Fn(&[Active]) -> Active + '_ {
    move |t| {
        (data.iter().enumerate()).fold(Active::constant(0.0), |loss, (i, row)| {
            let z = (row.iter().zip(t)).fold(t[row.len()], |z, (&x, &w)| z + w * x);
            let softplus = if z > Active::constant(0.0) {
                z + (-z).exp().ln_1p()
            } else {
                z.exp().ln_1p()
            };
            loss + softplus - z * (i % 2) as f64
        })
    }
}

/// Functions whose loop of ops is followed by a long sum of what it
/// computes, which the compiler fuses into one loop (and the sum's edges
/// with the loop of nodes the sweep visits next), in every arrangement
/// the fusion handles: the sum a step behind the ops or two, terms before
/// its loop that read a late iteration (what is left of the sum's loop
/// after the fused one), a sum of the first half (what is left of the
/// ops'), a constant of its own per term (a table), terms subtracted; and
/// one it must not fuse, terms in the order opposite to the nodes': value,
/// gradient and Hessian-vector product at a point other than the
/// recording's are the interpreter's, compiled whole or in pieces, f32 and
/// f64.
fn fused_loops_agree<F: Real>() -> Result<(), Box<dyn std::error::Error>> {
    type Recorded<F> = Box<dyn Fn(&[Active<F>]) -> Active<F>>;
    let c = |v: f64| Active::constant(F::from(v).expect("a literal"));
    // A loop of ops: `yₖ = xₖ·xₖ − xₖ₊₁`.
    let ys =
        |x: &[Active<F>]| -> Vec<Active<F>> { x.windows(2).map(|w| w[0] * w[0] - w[1]).collect() };
    let shapes: Vec<(&str, Recorded<F>)> = vec![
        // Terms in the order opposite to the nodes': a node's edge would
        // reach it after its visit, so the sweep does not fuse (nor the
        // forward pass, whose sum reads the values backwards).
        (
            "reversed",
            Box::new(move |x| {
                let y = ys(x);
                (1..y.len())
                    .rev()
                    .fold(c(0.0), |acc, k| acc + y[k] * y[k - 1])
            }),
        ),
        (
            "rosenbrock",
            Box::new(move |x| {
                x.windows(2).fold(c(0.0), |acc, w| {
                    let (a, b) = (w[1] - w[0] * w[0], c(1.0) - w[0]);
                    acc + a * a * c(100.0) + b * b
                })
            }),
        ),
        (
            "two behind",
            Box::new(move |x| {
                let y = ys(x);
                (0..y.len() - 2).fold(x[0] * x[1], |acc, k| acc + y[k + 2] * x[k] - y[k])
            }),
        ),
        (
            "a late iteration first",
            Box::new(move |x| {
                let y = ys(x);
                (0..y.len()).fold(y[5] * y[5], |acc, k| acc + y[k] * x[k])
            }),
        ),
        (
            "the first half",
            Box::new(move |x| {
                let y = ys(x);
                let half = y.len() / 2;
                let first = (0..half).fold(c(0.0), |acc, k| acc + y[k] * y[k]);
                (half..y.len()).fold(first, |acc, k| acc * y[k])
            }),
        ),
        (
            "scaled",
            Box::new(move |x| {
                let y = ys(x);
                (0..y.len()).fold(c(0.5), |acc, k| acc - y[k] * c(1.5 + 0.25 * k as f64))
            }),
        ),
    ];
    let f = |v: f64| F::from(v).expect("a literal");
    let x0: Vec<F> = (0..40).map(|k| f(0.3 + 0.02 * k as f64)).collect();
    let x1: Vec<F> = (0..40).map(|k| f((k as f64).cos())).collect();
    for (name, shape) in &shapes {
        let mut function = Function::record(&x0, |x: &[Active<F>]| shape(x))?;
        function.optimize();
        let compiled = compile(&function)?;
        let mut ws = function.workspace();
        for x in [&x0, &x1] {
            let (v, g) = compiled.value_and_gradient(&mut ws, x)?;
            let (tv, tg) = function.value_and_gradient(&mut ws, x)?;
            assert_eq!(bits(&[v]), bits(&[tv]), "{name}");
            assert_eq!(bits(&g), bits(&tg), "{name}");
        }
        // Cut in pieces and rolled by the tests' rules (a node's edges
        // loops of two, inside loops of visits), the same numbers, calls
        // of every kind at one point after another: an adjoint the sweep
        // does not clear is one it writes first.
        let v: Vec<F> = x0.iter().zip(&x1).map(|(&a, &b)| b - a).collect();
        let pieces = compile_in_pieces(&function, 3, true)?;
        for x in [&x0, &x1, &x0] {
            for code in [&compiled, &pieces] {
                let (v, g) = code.value_and_gradient(&mut ws, x)?;
                let (tv, tg) = function.value_and_gradient(&mut ws, x)?;
                assert_eq!(bits(&[v]), bits(&[tv]), "{name}");
                assert_eq!(bits(&g), bits(&tg), "{name}");
            }
            let products = [&compiled, &pieces].map(|code| code.hvp(&mut ws, x, &v));
            let theirs = function.hvp(&mut ws, x, &v)?;
            for ours in products {
                assert_eq!(bits(&ours?), bits(&theirs), "{name}: hvp");
            }
        }
        let fused = &compiled.loops()[4..6];
        match *name {
            "reversed" => assert_eq!(fused, [0, 0], "{name}"),
            "the first half" => assert_eq!(fused, [1, 1], "{name}"),
            _ => assert_eq!(fused[0], 1, "{name}: the forward pass fused"),
        }
    }
    Ok(())
}

#[test]
fn a_loop_fused_with_its_sum_gives_the_interpreters_bits() -> Result<(), Box<dyn std::error::Error>>
{
    fused_loops_agree::<f64>()?;
    fused_loops_agree::<f32>()
}

/// A sparse Hessian and a sparse Jacobian from compiled products: the
/// interpreter's bits, and a changed branch its error.
#[test]
fn sparse_derivatives_from_compiled_products_are_the_interpreters()
-> Result<(), Box<dyn std::error::Error>> {
    let chain = |x: &[Active]| -> Active {
        let term = |w: &[Active]| {
            let a = w[1] - w[0] * w[0];
            let b = if w[0] > Active::constant(0.0) {
                w[0].ln()
            } else {
                -w[0]
            };
            a * a * 100.0 + b.sin() * b
        };
        x.windows(2).map(term).sum()
    };
    let x0: Vec<f64> = (0..50).map(|k| 0.2 + 0.03 * k as f64).collect();
    let x1: Vec<f64> = (0..50).map(|k| 1.5 - 0.01 * k as f64).collect();
    let mut f = Function::record(&x0, chain)?;
    f.optimize();
    let compiled = compile(&f)?;
    let h = f.sparse_hessian()?;
    assert_eq!(h.colors(), 3);
    let mut ws = f.workspace();
    for x in [&x0, &x1] {
        let ours = h.values_with(|seed| compiled.hvp(&mut ws, x, seed))?;
        assert_eq!(bits(&ours), bits(&h.values(&mut ws, x)?));
    }
    let outside = [-1.0; 50];
    let error = h.values_with(|seed| compiled.hvp(&mut ws, &outside, seed));
    assert_eq!(error.err(), h.values(&mut ws, &outside).err());

    let residuals =
        |x: &[Active]| -> Vec<Active> { x.windows(3).map(|w| w[0] * w[1] - w[2].exp()).collect() };
    let mut r = Function::record(&x0, residuals)?;
    r.optimize();
    let compiled = compile(&r)?;
    let j = r.sparse_jacobian();
    let mut ws = r.workspace();
    let ours = j.values_with(|seed| compiled.jvp(&mut ws, &x1, seed))?;
    assert_eq!(bits(&ours), bits(&j.values(&mut ws, &x1)?));
    Ok(())
}

type Closure = dyn Fn(&[Active]) -> Active;

/// Every comparison, as a guard and as a select, inline in the code: the
/// interpreter's outcome where the operands are equal, ordered, or one is
/// NaN (`x.ln()` at −1), in value, gradient and error.
#[test]
fn comparisons_are_rusts_at_equality_and_at_nan() -> Result<(), Box<dyn std::error::Error>> {
    use tapegrad::replay::ir::Comparison::{Eq, Ge, Gt, Le, Lt, Ne};
    for c in [Lt, Le, Gt, Ge, Eq, Ne] {
        let selected = move |x: &[Active]| x[0].ln().select(c, 0.0, x[1] * 2.0, x[1] * 3.0);
        let guarded = move |x: &[Active]| {
            let (a, zero) = (x[0].ln(), Active::constant(0.0));
            let taken = match c {
                Lt => a < zero,
                Le => a <= zero,
                Gt => a > zero,
                Ge => a >= zero,
                Eq => a == zero,
                Ne => a != zero,
            };
            if taken { x[1] * 2.0 } else { x[1] * 3.0 }
        };
        let functions: [(&str, &Closure); 2] = [("select", &selected), ("guard", &guarded)];
        // Recorded where ln x₀ is 0 (equal operands), above and below.
        for ((name, closure), x0) in functions
            .iter()
            .flat_map(|f| [1.0, 2.0, 0.5].map(|x0| (f, x0)))
        {
            let f = Function::record(&[x0, 1.0], closure)?;
            let compiled = compile(&f)?;
            let mut ws = f.workspace();
            for x in [
                [1.0, 1.5],
                [2.0, 1.5],
                [0.5, 1.5],
                [-1.0, 1.5],
                [f64::NAN, 1.5],
            ] {
                let (ours, theirs) = (
                    compiled.value_and_gradient(&mut ws, &x),
                    f.value_and_gradient(&mut ws, &x),
                );
                assert_eq!(
                    ours.as_ref().map(|(v, g)| (bits(&[*v]), bits(g))),
                    theirs.as_ref().map(|(v, g)| (bits(&[*v]), bits(g))),
                    "{name} {c:?}, recorded at {x0}, at {x:?}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn a_changed_branch_is_the_interpreters_error() -> Result<(), Box<dyn std::error::Error>> {
    let f = Function::record(&[1.0], |x: &[Active]| match x[0] > Active::constant(0.0) {
        true => x[0].sqrt(),
        false => -x[0],
    })?;
    let compiled = compile(&f)?;
    let mut ws = f.workspace();
    assert_eq!(
        compiled.value_and_gradient(&mut ws, &[4.0])?,
        (2.0, vec![0.25])
    );
    let error = compiled
        .gradient(&mut ws, &[-4.0])
        .expect_err("the other branch");
    assert_eq!(Some(&error), f.gradient(&mut ws, &[-4.0]).err().as_ref());
    assert!(matches!(error, Error::BranchChanged { .. }), "{error}");
    Ok(())
}

#[test]
fn lengths_are_the_interpreters_errors() -> Result<(), Box<dyn std::error::Error>> {
    let f = Function::record_with_params(&[1.0, 2.0], &[3.0], |x: &[Active], p: &[Active]| {
        [x[0] * p[0], x[1]]
    })?;
    let compiled = compile(&f)?;
    let mut ws = f.workspace();
    assert_eq!(
        compiled.value(&mut ws, &[1.0]).err(),
        f.value(&mut ws, &[1.0]).err()
    );
    assert_eq!(
        compiled.vjp(&mut ws, &[1.0, 2.0], &[1.0]).err(),
        f.vjp(&mut ws, &[1.0, 2.0], &[1.0]).err()
    );
    assert!(compiled.gradient(&mut ws, &[1.0, 2.0]).is_err());
    assert_eq!(
        compiled.jvp(&mut ws, &[1.0, 2.0], &[1.0]).err(),
        f.jvp(&mut ws, &[1.0, 2.0], &[1.0]).err()
    );
    assert_eq!(
        compiled.hvp(&mut ws, &[1.0, 2.0], &[1.0, 1.0]).err(),
        f.hvp(&mut ws, &[1.0, 2.0], &[1.0, 1.0]).err()
    );
    ws.set_params(&[5.0])?;
    let vjp = compiled.vjp(&mut ws, &[1.0, 2.0], &[1.0, 10.0])?;
    assert_eq!(vjp, f.vjp(&mut ws, &[1.0, 2.0], &[1.0, 10.0])?);
    assert_eq!(
        (vjp.outputs, vjp.inputs, vjp.params),
        (vec![5.0, 2.0], vec![5.0, 10.0], vec![1.0])
    );
    Ok(())
}

#[test]
fn a_function_that_read_a_value_does_not_compile() -> Result<(), Box<dyn std::error::Error>> {
    let f = Function::record(&[1.0], |x: &[Active]| x[0] * x[0].value())?;
    assert!(matches!(
        compile(&f),
        Err(CompileError::Function(Error::ValueRead { .. }))
    ));
    Ok(())
}

#[test]
fn a_compiled_function_is_send_and_sync_and_runs_on_threads()
-> Result<(), Box<dyn std::error::Error>> {
    fn shared<T: Send + Sync>(_: &T) {}
    let mut f = Function::record(&[1.0, 2.0], |x: &[Active]| x[0].exp() * x[1] + x[1] * x[1])?;
    f.optimize();
    let compiled = compile(&f)?;
    shared(&compiled);
    std::thread::scope(|s| {
        for k in 0..2 {
            let (f, compiled) = (&f, &compiled);
            s.spawn(move || {
                let x = [0.1 * k as f64, 1.5];
                let mut ws = f.workspace();
                assert_eq!(
                    compiled.value_and_gradient(&mut ws, &x),
                    f.value_and_gradient(&mut ws, &x)
                );
            });
        }
    });
    Ok(())
}

/// Every unary op, which the code calls by its own shim (or by the table's
/// where it has none), at points inside and outside its domain, recorded
/// at a point inside it: the interpreter's bits and errors.
fn unary_ops_agree<F: Real>() -> Result<(), Box<dyn std::error::Error>> {
    type Unary<F> = fn(Active<F>) -> Active<F>;
    let ops: [(&str, f64, Unary<F>); 37] = [
        ("floor", 0.6, |a| a.floor()),
        ("ceil", 0.6, |a| a.ceil()),
        ("round", 0.6, |a| a.round()),
        ("trunc", 0.6, |a| a.trunc()),
        ("fract", 0.6, |a| a.fract()),
        ("signum", 0.6, |a| a.signum()),
        ("to_degrees", 0.6, |a| a.to_degrees()),
        ("to_radians", 0.6, |a| a.to_radians()),
        ("neg", 0.6, |a| -a),
        ("abs", 0.6, |a| a.abs()),
        ("recip", 0.6, |a| a.recip()),
        ("sqrt", 0.6, |a| a.sqrt()),
        ("cbrt", 0.6, |a| a.cbrt()),
        ("exp", 0.6, |a| a.exp()),
        ("exp2", 0.6, |a| a.exp2()),
        ("exp_m1", 0.6, |a| a.exp_m1()),
        ("ln", 0.6, |a| a.ln()),
        ("ln_1p", 0.6, |a| a.ln_1p()),
        ("log2", 0.6, |a| a.log2()),
        ("log10", 0.6, |a| a.log10()),
        ("sin", 0.6, |a| a.sin()),
        ("cos", 0.6, |a| a.cos()),
        ("tan", 0.6, |a| a.tan()),
        ("asin", 0.6, |a| a.asin()),
        ("acos", 0.6, |a| a.acos()),
        ("atan", 0.6, |a| a.atan()),
        ("sinh", 0.6, |a| a.sinh()),
        ("cosh", 0.6, |a| a.cosh()),
        ("tanh", 0.6, |a| a.tanh()),
        ("asinh", 0.6, |a| a.asinh()),
        ("acosh", 1.6, |a| a.acosh()),
        ("atanh", 0.6, |a| a.atanh()),
        ("sigmoid", 0.6, |a| a.sigmoid()),
        ("ln_sigmoid", 0.6, |a| a.ln_sigmoid()),
        ("softplus", 0.6, |a| a.softplus()),
        ("relu", 0.6, |a| a.relu()),
        ("powi", 0.6, |a| a.powi(3)),
    ];
    let f = |v: f64| F::from(v).expect("a literal");
    for (name, at, op) in ops {
        let mut function = Function::record(&[f(at)], |x: &[Active<F>]| op(x[0]))?;
        function.optimize();
        let compiled = compile(&function)?;
        let mut ws = function.workspace();
        for p in [
            -40.0, -2.5, -1.0, -0.5, 0.0, 0.3, 0.9, 1.0, 1.7, 40.0, 800.0,
        ] {
            let x = [f(p)];
            match (
                compiled.value_and_gradient(&mut ws, &x),
                function.value_and_gradient(&mut ws, &x),
            ) {
                (Ok((v, g)), Ok((tv, tg))) => {
                    assert_eq!(bits(&[v]), bits(&[tv]), "{name} at {p}");
                    assert_eq!(bits(&g), bits(&tg), "{name}' at {p}");
                }
                (Err(e), Err(te)) => assert_eq!(e.to_string(), te.to_string(), "{name} at {p}"),
                (a, b) => panic!(
                    "{name} at {p}: an error in one only: {:?} against the interpreter's {:?}",
                    a.err().map(|e| e.to_string()),
                    b.err().map(|e| e.to_string())
                ),
            }
        }
    }
    Ok(())
}

#[test]
fn every_unary_op_gives_the_interpreters_bits() -> Result<(), Box<dyn std::error::Error>> {
    unary_ops_agree::<f32>()?;
    unary_ops_agree::<f64>()
}

/// A node whose edges roll as a loop of their own (five of them, two to
/// one parent), visited in a loop of visits: an edge in both loops is the
/// first into its adjoint only if it is in every iteration of each (the
/// seed the bit test found: the sweep neither cleared that adjoint nor
/// started it from zero, and a Hessian-vector product at a second point
/// added the first's). Value, gradient, vector–Jacobian and Hessian-vector
/// products at points one after another, compiled whole and in pieces.
#[test]
fn an_edge_in_two_loops_is_first_only_if_first_in_both() -> Result<(), Box<dyn std::error::Error>> {
    let c = Active::constant;
    let term = |x: &[Active]| {
        let a = x[0];
        let twice = a * (c(2.0) * c(3.0) - c(6.0)) + a * c(0.5) * c(4.0);
        (a * a - twice * a.abs() + x[1]).sigmoid().ln()
    };
    let sum = |x: &[Active]| (0..4).fold(c(0.0), |s, k| s + term(&x[k..k + 3]));
    let x0 = vec![0.0; 6];
    let mut x1 = x0.clone();
    x1[1] = -2.292803834923433;
    let v: Vec<f64> = x0.iter().zip(&x1).map(|(a, b)| b - a).collect();
    let mut f = Function::record(&x0, sum)?;
    f.optimize();
    let mut ws = f.workspace();
    for piece in [1, 3, 1000] {
        let code = compile_in_pieces(&f, piece, true)?;
        let name = format!("piece {piece}");
        interpreters_at(&code, &f, &mut ws, [&x0[..], &x1, &x0, &x1], &v, &name)?;
    }
    Ok(())
}

/// `code`'s value, gradient and Hessian-vector product (along `v`) at
/// each of `points` in turn are `f`'s bits.
fn interpreters_at<'p>(
    code: &Compiled<f64>,
    f: &Function<f64>,
    ws: &mut Workspace<f64>,
    points: impl IntoIterator<Item = &'p [f64]>,
    v: &[f64],
    name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    for x in points {
        let ((v0, g), (tv, tg)) = (
            code.value_and_gradient(ws, x)?,
            f.value_and_gradient(ws, x)?,
        );
        assert_eq!(bits(&[v0]), bits(&[tv]), "{name}");
        assert_eq!(bits(&g), bits(&tg), "{name}: gradient");
        let (ours, theirs) = (code.hvp(ws, x, v)?, f.hvp(ws, x, v)?);
        assert_eq!(bits(&ours), bits(&theirs), "{name}: hvp");
    }
    Ok(())
}

/// Iterations of three bodies in an irregular order (a branch each took
/// after a start they share), with constants of their own per iteration:
/// one loop of variants over
/// the ops and one over the sweep's nodes, whose value, gradient and
/// Hessian-vector product at points one after another are the
/// interpreter's, compiled whole and in pieces. Logistic regression's
/// samples, whose stable loss branches on the sign of `z`, are a second
/// case.
#[test]
fn iterations_of_different_bodies_are_one_loop_of_variants()
-> Result<(), Box<dyn std::error::Error>> {
    let pattern = [0, 1, 1, 0, 2, 0, 1, 2, 2, 0, 1, 0, 0, 2, 1, 1, 0, 2, 1, 0];
    let branches = |x: &[Active]| {
        (pattern.iter().enumerate()).fold(Active::constant(0.0), |acc, (k, &b)| {
            let scale = 0.5 + 0.125 * k as f64;
            let (a, c) = ((x[0] * scale + x[1]).tanh(), x[2] - scale);
            let term = match b {
                0 => (a - c).exp(),
                1 => (a * a + c).ln_1p(),
                _ => (a * c).sin(),
            };
            acc + term
        })
    };
    let data: Vec<Vec<f64>> = (0..24)
        .map(|i| {
            (0..3)
                .map(|j| 3.0 * ((i * 5 + j * 3) as f64 * 0.9).sin())
                .collect()
        })
        .collect();
    let logistic = logistic(&data);
    let x0: Vec<f64> = (0..4).map(|k| 0.3 + 0.05 * k as f64).collect();
    // The logistic loss where each sample takes the branch it took.
    let x1: Vec<f64> = x0.iter().map(|v| v + 1e-3).collect();
    for (name, n, f) in [
        ("branches", 3, &branches as &dyn Fn(&[Active]) -> Active),
        ("logistic", 4, &logistic),
    ] {
        let (x0, x1) = (&x0[..n], &x1[..n]);
        let v: Vec<f64> = x0.iter().zip(x1).map(|(a, b)| b - a).collect();
        let mut f = Function::record(x0, f)?;
        f.optimize();
        let mut ws = f.workspace();
        let whole = compile(&f)?;
        assert!(whole.loops()[6] >= 2, "{name}: {:?}", whole.loops());
        for piece in [None, Some(1), Some(3), Some(1000)] {
            let pieces;
            let code = match piece {
                None => &whole,
                Some(piece) => {
                    pieces = compile_in_pieces(&f, piece, true)?;
                    &pieces
                }
            };
            let name = format!("{name}, piece {piece:?}");
            interpreters_at(code, &f, &mut ws, [x0, x1, x0], &v, &name)?;
        }
    }
    Ok(())
}
