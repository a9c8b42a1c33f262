//! The shape of a computation: fan-out, shared nodes, long chains, repeated
//! and partial sweeps, n-ary nodes, and the tape's bookkeeping.

use approx::assert_relative_eq;
use tapegrad::{Gradients, Tape, Var, affine, dense, dot, hessian, sum};

#[test]
fn fan_out_accumulates_every_use() {
    let tape = Tape::new();
    let x = tape.var(1.5);
    let mut y = Var::constant(0.0);
    for k in 1..=20 {
        y += x * f64::from(k);
    }
    // y = x·(1 + 2 + … + 20) = 210·x
    assert_eq!(y.backward().wrt(&x), 210.0);
}

#[test]
fn a_variable_used_twice_in_one_op_gets_both_partials() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    assert_eq!((x * x).backward().wrt(&x), 6.0);
    assert_eq!((x / x).backward().wrt(&x), 0.0);
    assert_eq!((x - x).backward().wrt(&x), 0.0);
}

#[test]
fn diamond_sums_both_paths() {
    // x → a = sin x, b = x², both → y = a·b
    let tape = Tape::new();
    let x = tape.var(0.7);
    let (a, b) = (x.sin(), x * x);
    let y = a * b;
    let expected = 0.7_f64.cos() * 0.49 + 0.7_f64.sin() * 1.4;
    assert_relative_eq!(y.backward().wrt(&x), expected, max_relative = 1e-15);
}

#[test]
fn shared_intermediate_node_feeds_two_paths() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let shared = x.exp();
    let y = shared.ln() + shared * 3.0; // x + 3eˣ
    assert_relative_eq!(
        y.backward().wrt(&x),
        1.0 + 3.0 * 2.0_f64.exp(),
        max_relative = 1e-15
    );
}

#[test]
fn a_million_node_chain_does_not_overflow_the_stack() {
    let tape = Tape::with_capacity(1_000_001);
    let x = tape.var(1.0);
    let mut y = x;
    for _ in 0..1_000_000 {
        y *= 1.000_001;
    }
    assert_eq!(tape.len(), 1_000_001);
    let expected = 1.000_001_f64.powi(1_000_000);
    assert_relative_eq!(y.backward().wrt(&x), expected, max_relative = 1e-9);
}

#[test]
fn backward_twice_gives_the_same_gradients() {
    let tape = Tape::new();
    let (x, w) = (tape.var(0.3), tape.var(-1.2));
    let y = (x * w).tanh() + x.powi(3);
    let first = y.backward();
    let second = y.backward();
    assert_eq!(first.wrt(&x), second.wrt(&x));
    assert_eq!(first.wrt(&w), second.wrt(&w));
}

#[test]
fn backward_from_an_intermediate_node_ignores_what_came_after() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let mid = x * x; // d/dx = 4
    let late = tape.var(5.0);
    let out = mid.exp() * late;
    // Nodes of one, two and three edges after `mid`: the sweep finds where
    // `mid`'s own edges end by skipping theirs.
    let wide = sum(&[out, late, x]);
    let grads = mid.backward();
    assert_eq!(grads.wrt(&x), 4.0);
    // Recorded after `mid`: it cannot influence it.
    assert_eq!(grads.get(&late), Ok(0.0));
    assert_eq!(grads.get(&out), Ok(0.0));
    assert_eq!(grads.get(&wide), Ok(0.0));
    // And the full sweep still sees everything.
    assert_relative_eq!(out.backward().wrt(&late), 4.0_f64.exp());
}

#[test]
fn gradient_of_the_output_with_respect_to_itself_is_one() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let y = x.sin();
    assert_eq!(y.backward().wrt(&y), 1.0);
    assert_eq!(x.backward().wrt(&x), 1.0);
}

#[test]
fn unrelated_inputs_get_zero() {
    let tape = Tape::new();
    let (x, unused) = (tape.var(2.0), tape.var(9.0));
    let grads = x.exp().backward();
    assert_eq!(grads.wrt(&unused), 0.0);
}

#[test]
fn sum_of_nothing_is_a_constant_zero() {
    let empty: [Var<'_>; 0] = [];
    let total: Var = empty.iter().sum();
    assert_eq!(total.value(), 0.0);
    assert!(total.is_constant());
    assert_eq!(sum(&empty).value(), 0.0);
    let product: Var = empty.into_iter().product();
    assert_eq!(product.value(), 1.0);
    assert!(product.is_constant());
}

#[test]
fn backward_of_a_constant_has_zero_gradients() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let c = Var::constant(3.0).exp();
    assert!(c.is_constant());
    assert_eq!(c.backward().get(&x), Ok(0.0));
    assert_eq!(tape.len(), 1, "constants record nothing");
}

#[test]
fn n_ary_sum_and_dot_record_one_node() {
    let tape = Tape::new();
    let w: Vec<Var> = (0..30).map(|i| tape.var(f64::from(i) * 0.1)).collect();
    let x: Vec<f64> = (0..30).map(|i| f64::from(i) - 10.0).collect();
    let before = (tape.len(), tape.edges());
    let z = dot(&w, &x);
    assert_eq!(tape.len() - before.0, 1);
    assert_eq!(tape.edges() - before.1, 30, "one edge per weight");
    let grads = z.backward();
    for (wi, xi) in w.iter().zip(&x) {
        assert_eq!(grads.wrt(wi), *xi);
    }

    let before = tape.len();
    let s = sum(&w);
    assert_eq!(tape.len() - before, 1);
    assert_eq!(s.backward().wrt(&w[7]), 1.0);

    let collected: Var = w.iter().sum();
    assert_eq!(collected.value(), s.value());
    assert_eq!(tape.len() - before, 2);
}

#[test]
fn dot_of_two_variable_slices_gives_both_partials() {
    let tape = Tape::new();
    let a = [tape.var(1.0), tape.var(2.0)];
    let b = [tape.var(3.0), tape.var(4.0)];
    let grads = dot(&a, &b).backward();
    assert_eq!(grads.wrt(&a[0]), 3.0);
    assert_eq!(grads.wrt(&b[1]), 2.0);
}

/// `affine(w, x, b)` against `dot(w, x) + b` on a tape of its own: the
/// same value and gradient bits, and `fewer` nodes and edges (the `+`'s).
fn affine_is_dot_plus_b(
    theta: &[f64],
    fewer: usize,
    record: impl for<'t> Fn(&[Var<'t>], bool) -> Var<'t>,
) {
    let run = |fused| {
        let tape = Tape::new();
        let params = tape.vars(theta);
        let y = record(&params, fused).sin();
        let counts = (tape.len(), tape.edges());
        (y.value(), y.backward().wrt_all(&params), counts)
    };
    let (fused, plain) = (run(true), run(false));
    assert_eq!(fused.0.to_bits(), plain.0.to_bits(), "value");
    for (k, (f, p)) in fused.1.iter().zip(&plain.1).enumerate() {
        assert_eq!(f.to_bits(), p.to_bits(), "∂/∂θ[{k}]: {f} and {p}");
    }
    assert_eq!(fused.2.0 + fewer, plain.2.0, "nodes");
    assert_eq!(fused.2.1 + fewer, plain.2.1, "edges");
}

#[test]
fn affine_is_dot_plus_b_in_one_node() {
    /// `affine(w, x, b)`, or `dot(w, x) + b` if not `fused`.
    macro_rules! either {
        ($fused:expr, $w:expr, $x:expr, $b:expr) => {
            if $fused {
                affine($w, $x, $b)
            } else {
                dot($w, $x) + $b
            }
        };
    }
    let theta = [0.3, -1.25, 2.5, 0.125, -0.75, 1.5, 0.6, -0.2, 0.9];
    let x = [1.5, -2.0, 0.5, 4.0];
    // A row of weights and its bias, recorded together: one run of parents.
    affine_is_dot_plus_b(&theta, 1, |t, fused| either!(fused, &t[..4], &x, t[4]));
    // Data first; a bias elsewhere; a float bias.
    affine_is_dot_plus_b(&theta, 1, |t, fused| either!(fused, &x, &t[2..6], t[0]));
    affine_is_dot_plus_b(&theta, 1, |t, fused| either!(fused, &t[..4], &x, 0.5));
    // Weights times activations, as in a layer of a network.
    affine_is_dot_plus_b(&theta, 1, |t, fused| {
        let a: Vec<Var> = t[4..8].iter().map(|v| v.tanh()).collect();
        either!(fused, &t[..4], &a, t[8])
    });
    // Constants among the variables, and the bias the only variable.
    affine_is_dot_plus_b(&theta, 1, |t, fused| {
        let w = [t[0], Var::constant(2.0), t[2], t[3]];
        let a = [t[5], t[6], Var::constant(-1.0), t[7]];
        either!(fused, &w, &a, t[8])
    });
    // `dot(&x, &x)` is a constant: `+` records a node of one edge.
    affine_is_dot_plus_b(&theta, 0, |t, fused| either!(fused, &x, &x, t[3]));
}

/// `dense(params, x)` against `affine` row by row, each on a tape of its
/// own: the same unit values, gradient bits, nodes and edges.
fn dense_is_affine_row_by_row(
    theta: &[f64],
    layer: impl for<'t> Fn(&[Var<'t>], bool) -> Vec<Var<'t>>,
) {
    let run = |fused| {
        let tape = Tape::new();
        let params = tape.vars(theta);
        let units = layer(&params, fused);
        let values: Vec<u64> = units.iter().map(|u| u.value().to_bits()).collect();
        let y = units.iter().map(|u| u.sin()).sum::<Var>();
        let grads = y.backward().wrt_all(&params);
        let grads: Vec<u64> = grads.iter().map(|g| g.to_bits()).collect();
        (values, grads, tape.len(), tape.edges())
    };
    assert_eq!(run(true), run(false));
}

#[test]
fn dense_is_affine_row_by_row_to_the_bit() {
    /// `dense(params, x)`, or each row's `affine` if not `fused`.
    macro_rules! layer {
        ($fused:expr, $params:expr, $x:expr) => {{
            let (params, x) = ($params, $x);
            if $fused {
                dense(params, x).collect()
            } else {
                let n = x.len();
                params
                    .chunks(n + 1)
                    .map(|r| affine(&r[..n], x, r[n]))
                    .collect()
            }
        }};
    }
    let theta = [0.3, -1.25, 2.5, 0.125, -0.75, 1.5, 0.6, -0.2, 0.9];
    let data = [1.5, -2.0];
    // Data, and activations (the units stored as such).
    dense_is_affine_row_by_row(&theta, |t, fused| layer!(fused, &t[..9], &data));
    dense_is_affine_row_by_row(&theta, |t, fused| {
        let a: Vec<Var> = t[..3].iter().map(|v| v.tanh()).collect();
        layer!(fused, &t[1..9], &a)
    });
    // An input twice; a constant input; a constant weight.
    dense_is_affine_row_by_row(&theta, |t, fused| {
        let s = t[0].sin();
        layer!(fused, &t[1..9], &[s, s, s])
    });
    dense_is_affine_row_by_row(&theta, |t, fused| {
        let a = [t[0].sin(), Var::constant(2.0)];
        layer!(fused, &t[..9], &a)
    });
    dense_is_affine_row_by_row(&theta, |t, fused| {
        let p = [t[0], t[1], t[2], Var::constant(2.0), t[4], t[5]];
        layer!(fused, &p, &data)
    });
    // Inputs among the parameters: a row's own, another row's.
    dense_is_affine_row_by_row(&theta, |t, fused| layer!(fused, &t[..6], &[t[7], t[1]]));
    dense_is_affine_row_by_row(&theta, |t, fused| layer!(fused, &t[3..9], &[t[0], t[1]]));
    // No inputs: each unit is its bias; no units at all.
    dense_is_affine_row_by_row(&theta, |t, fused| layer!(fused, &t[..3], &[] as &[f64]));
    dense_is_affine_row_by_row(&theta, |t, fused| layer!(fused, &t[..0], &data));
}

#[test]
fn dense_is_affine_on_a_nested_tape() {
    /// `Σ tanh(W·a + b)` with `a = tanh(θ[..2])`, by `dense` or by `affine`.
    fn f<'t, F: num_traits::Float>(theta: &[Var<'t, F>], fused: bool) -> Var<'t, F> {
        let a: Vec<Var<'t, F>> = theta[..2].iter().map(|v| v.tanh()).collect();
        let params = &theta[2..];
        let units: Vec<Var<'t, F>> = if fused {
            dense(params, &a).collect()
        } else {
            params
                .chunks(3)
                .map(|r| affine(&r[..2], &a, r[2]))
                .collect()
        };
        units.iter().map(|u| u.tanh()).sum()
    }
    let theta = [0.3, -1.25, 2.5, 0.125, -0.75, 1.5, 0.6, -0.2];
    let fused = hessian(|t| f(t, true), &theta);
    let plain = hessian(|t| f(t, false), &theta);
    for (i, (a, b)) in fused.iter().zip(&plain).enumerate() {
        let bits = |row: &Vec<f64>| row.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b), "row {i}");
    }
}

#[test]
fn dense_is_traced_and_checked_as_one_node_a_unit() {
    let tape = Tape::checked();
    let params = tape.vars(&[0.5, -1.0, 0.25]);
    let a = [params[0].sin(), params[1].cos()];
    let z: Vec<Var> = dense(&params, &a).collect();
    assert_eq!(z.len(), 1);
    let dot = tape
        .to_dot(&z[0], None)
        .expect("a traced tape draws its graph");
    assert!(dot.contains("dense"), "{dot}");
    assert!(tape.check().is_ok());
    // An infinite input is an infinite partial of its weight.
    let x = [f64::INFINITY, 1.0];
    let _: Vec<Var> = dense(&params, &x).collect();
    match tape.check() {
        Err(tapegrad::Error::NonFinite { op, .. }) => assert_eq!(op, "dense"),
        other => panic!("expected the infinite partial to be reported, got {other:?}"),
    }
}

#[test]
fn affine_of_constants_is_a_constant() {
    let z: Var = affine(&[1.5, 2.0], &[2.0, -1.0], 0.25);
    assert!(z.is_constant());
    assert_eq!(z.value(), 1.25);
    let empty: Var = affine::<f64, f64, f64, _>(&[], &[], 0.5);
    assert!(empty.is_constant());
    let tape = Tape::new();
    let b = tape.var(0.5);
    let only_b = affine::<f64, f64, f64, _>(&[], &[], b);
    assert_eq!(only_b.value(), 0.5);
    assert_eq!(only_b.backward().wrt(&b), 1.0);
}

#[test]
fn product_with_zeros_has_exact_partials() {
    let tape = Tape::new();
    let xs = [tape.var(0.0), tape.var(3.0), tape.var(0.0), tape.var(5.0)];
    let p: Var = xs.iter().product();
    let grads = p.backward();
    // Exactly one factor zero besides xᵢ is enough to make ∂/∂xᵢ zero.
    assert_eq!(grads.wrt(&xs[0]), 0.0);
    assert_eq!(grads.wrt(&xs[1]), 0.0);
    let single_zero = [tape.var(0.0), tape.var(3.0), tape.var(5.0)];
    let grads = (single_zero.iter().product::<Var>() * 2.0).backward();
    assert_eq!(grads.wrt(&single_zero[0]), 30.0);
    assert_eq!(grads.wrt(&single_zero[1]), 0.0);
}

#[test]
fn constants_in_n_ary_ops_record_no_edge() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let edges = tape.edges();
    let p: Var = [x, Var::constant(3.0), x].into_iter().product();
    assert_eq!(tape.edges() - edges, 2);
    assert_eq!(p.backward().wrt(&x), 12.0);
}

#[test]
fn a_binary_node_costs_two_edges_and_a_unary_one() {
    let tape = Tape::new();
    let (x, y) = (tape.var(1.0), tape.var(2.0));
    let edges = tape.edges();
    let _ = x * y;
    assert_eq!(tape.edges() - edges, 2);
    let _ = x.sin();
    assert_eq!(tape.edges() - edges, 3);
    let _ = x * 2.0;
    assert_eq!(tape.edges() - edges, 4);
}

#[test]
fn clear_empties_the_tape_and_keeps_its_allocation() {
    let mut tape = Tape::new();
    for step in 0..5 {
        let x = tape.var(f64::from(step));
        let y = (x * x).sin();
        assert_eq!(tape.len(), 3);
        assert_relative_eq!(
            y.backward().wrt(&x),
            2.0 * f64::from(step) * (f64::from(step).powi(2)).cos()
        );
        let capacity = tape.capacity();
        tape.clear();
        assert!(tape.is_empty());
        assert_eq!(tape.capacity(), capacity);
    }
}

#[test]
fn backward_into_reuses_the_gradient_buffer() {
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    for step in 1..=3 {
        let x = tape.var(f64::from(step));
        (x * x * x).backward_into(&mut grads);
        assert_eq!(grads.wrt(&x), 3.0 * f64::from(step * step));
        tape.clear();
    }
}

#[test]
fn assign_operators_rebind_to_the_new_node() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let mut y = x;
    y += 1.0;
    y *= x;
    y -= &x;
    y /= 2.0;
    // y = ((x + 1)·x − x)/2 = x²/2
    assert_eq!(y.value(), 2.0);
    assert_eq!(y.backward().wrt(&x), 2.0);
}

#[test]
#[allow(clippy::op_ref)] // the references are what this test is about
fn operators_on_references_match_operators_on_values() {
    let tape: Tape = Tape::new();
    let (a, b) = (tape.var(1.5), tape.var(-2.0));
    let by_ref = &a * &b + &a / 2.0 - 3.0 * &b + -&a;
    let by_val = a * b + a / 2.0 - 3.0 * b + -a;
    assert_eq!(by_ref.value(), by_val.value());
    let (r, v) = (by_ref.backward(), by_val.backward());
    assert_eq!(r.wrt(&a), v.wrt(&a));
    assert_eq!(r.wrt(&b), v.wrt(&b));
}

#[test]
fn f32_tapes_work_like_f64_tapes() {
    let tape = Tape::<f32>::default();
    let x = tape.var(2.0);
    let y = x.powi(2) + 1.0_f32 / x;
    assert_eq!(y.value(), 4.5);
    assert_eq!(y.backward().wrt(&x), 4.0 - 0.25);
}

#[test]
fn an_unrelated_infinite_partial_does_not_spoil_the_gradient() {
    // ln 0 between x and the output has the partial 1/0 = ∞; the output does
    // not depend on it, so it must pass on nothing (0·∞ would be NaN).
    let tape = Tape::new();
    let x = tape.var(0.0);
    let _unrelated = x.ln();
    let y = x.sin();
    assert_eq!(y.backward().wrt(&x), 1.0);
}

#[test]
fn a_zero_gradient_does_not_turn_an_infinite_partial_into_nan() {
    // relu is flat where ln 0 = −∞ lands: the true derivative is 0, and
    // 0 · (d ln/dx = ∞) must not make it NaN.
    let tape = Tape::new();
    let x = tape.var(0.0);
    let y = x.ln().relu();
    assert_eq!(y.value(), 0.0);
    assert_eq!(y.backward().wrt(&x), 0.0);
}

#[test]
fn inputs_recorded_between_operations_get_their_gradients() {
    // The sweep stops above the inputs recorded first; inputs recorded
    // later, by `var` or `vars`, are nodes like any other.
    let tape = Tape::new();
    let a = tape.var(2.0);
    let b = tape.vars(&[3.0, 4.0]);
    let ab = a * b[0];
    let c = tape.var(5.0);
    let d = tape.vars(&[7.0]);
    let y = ab * c + d[0] * a + b[1];
    let grads = y.backward();
    assert_eq!(grads.wrt(&a), 3.0 * 5.0 + 7.0);
    assert_eq!(grads.wrt(&b[0]), 2.0 * 5.0);
    assert_eq!(grads.wrt(&b[1]), 1.0);
    assert_eq!(grads.wrt(&c), 6.0);
    assert_eq!(grads.wrt(&d[0]), 2.0);
    // An input's gradient with respect to itself, and to the inputs before.
    let g = b[0].backward();
    assert_eq!((g.wrt(&b[0]), g.wrt(&a)), (1.0, 0.0));
}

#[test]
fn dot_of_floats_and_variables_either_way_round_records_one_edge_per_variable() {
    let tape = Tape::new();
    let w = tape.vars(&[0.5, -1.0, 2.0]);
    let x = [2.0, 3.0, -1.0];
    let before = tape.edges();
    let left = dot(&x, &w);
    assert_eq!(tape.edges() - before, 3);
    let right = dot(&w, &x);
    assert_eq!(left.value(), right.value());
    let (gl, gr) = (left.backward(), right.backward());
    for (wi, xi) in w.iter().zip(x) {
        assert_eq!(gl.wrt(wi), xi);
        assert_eq!(gr.wrt(wi), xi);
    }
}

#[test]
fn a_var_is_a_tape_reference_a_value_and_a_node_index() {
    // Passed by value through every op: nothing more.
    assert_eq!(core::mem::size_of::<Var<'_, f64>>(), 24);
    assert_eq!(core::mem::size_of::<Var<'_, f32>>(), 16);
}

#[test]
fn with_capacity_holds_that_many_nodes_without_reallocating() {
    let tape = Tape::with_capacity(100);
    let capacity = tape.capacity();
    assert!(capacity >= 100, "capacity {capacity}");
    let mut y = tape.var(0.5);
    for _ in 0..49 {
        y = y.sin() * y; // a unary and a binary node
    }
    assert_eq!(tape.len(), 99);
    assert_eq!(tape.capacity(), capacity);
}

#[test]
fn consecutive_parents_get_the_gradients_scattered_ones_do() {
    // Weights recorded together are one run of parents, stored and swept as
    // a slice; the same weights in another order are a list.
    let tape = Tape::new();
    let w = tape.vars(&[0.5, -1.0, 2.0, 0.25, 3.0, -0.75]);
    let x = [1.5, -2.0, 0.5, 4.0, -1.0, 0.125];
    let run = (dot(&w, &x).tanh() * 3.0).backward();
    let (w_rev, x_rev): (Vec<Var>, Vec<f64>) = w.iter().rev().zip(x.iter().rev()).unzip();
    let listed = (dot(&w_rev, &x_rev).tanh() * 3.0).backward();
    for (k, wk) in w.iter().enumerate() {
        assert_eq!(run.wrt(wk), listed.wrt(wk), "w[{k}]");
        assert_ne!(run.wrt(wk), 0.0);
    }
    // A sum over a run of intermediate nodes, and over the inputs with a
    // gap: every parent gets its own partial.
    let squares: Vec<Var> = w.iter().map(|&v| v * v).collect();
    let cubes: Vec<Var> = squares.iter().zip(&w).map(|(&s, &v)| s * v).collect();
    let grads = (sum(&cubes) + sum(&[w[0], w[2], w[3], w[4], w[5]])).backward();
    for (k, wk) in w.iter().enumerate() {
        let gap = if k == 1 { 0.0 } else { 1.0 };
        assert_eq!(grads.wrt(wk), 3.0 * wk.value() * wk.value() + gap, "w[{k}]");
    }
}

#[test]
fn a_zero_gradient_through_a_run_does_not_turn_an_infinite_partial_into_nan() {
    let tape = Tape::new();
    let x = tape.vars(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    let z = dot(&x, &[f64::INFINITY, 1.0, 2.0, 3.0, 4.0]);
    // z's gradient is zero: x[0] gets 0, not 0·∞.
    let y = z.min(Var::constant(0.0)) + x[0];
    assert_eq!(y.backward().wrt(&x[0]), 1.0);
}
