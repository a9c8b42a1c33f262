//! Nodes of many parents: `sum`, `dot`, `affine`, `dense` and `Product`,
//! against the same computations written node by node.

use tapegrad::{
    Tape, Var, dot, hessian,
    nn::{affine, dense},
    sum,
};

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
    // A row of weights and its bias, recorded together.
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
