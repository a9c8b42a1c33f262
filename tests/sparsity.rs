//! Sparsity patterns of a recorded `Function`: every nonzero derivative
//! inside them, and the shapes of banded and arrow-shaped problems exact.

mod common;

use common::expr::{eval, expr};
use common::program::{coordinate, path, program, run};
use num_traits::Float;
use proptest::prelude::*;
use tapegrad::{Active, replay::Function};

/// The chained Rosenbrock function: a tridiagonal Hessian.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let hundred = T::from(100.0).expect("a literal");
    x.windows(2).fold(T::zero(), |acc, w| {
        let (a, b) = (w[1] - w[0] * w[0], T::one() - w[0]);
        acc + hundred * a * a + b * b
    })
}

#[test]
fn the_chained_rosenbrock_hessian_is_tridiagonal() -> tapegrad::Result<()> {
    let n = 50;
    let f = Function::record(&vec![0.3; n], |x: &[Active]| rosenbrock(x))?;
    let pattern = f.hessian_pattern()?;
    let band: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i.saturating_sub(1)..(i + 2).min(n)).map(move |j| (i, j)))
        .collect();
    assert_eq!(pattern, band);
    let sparse = f.sparse_hessian()?;
    assert_eq!(sparse.colors(), 3); // however many inputs
    let x = vec![0.7; n];
    let values = sparse.values(&mut f.workspace(), &x)?;
    let dense = f.hessian(&mut f.workspace(), &x)?;
    for (&(i, j), v) in sparse.pattern().iter().zip(&values) {
        assert!(
            (v - dense[i][j]).abs() <= 1e-12 * v.abs().max(1.0),
            "H[{i}][{j}]"
        );
    }
    // Every entry of the dense Hessian outside the band is zero.
    let h = f.hessian(&mut f.workspace(), &vec![0.7; n])?;
    for (i, row) in h.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            assert!(
                v == 0.0 || pattern.binary_search(&(i, j)).is_ok(),
                "H[{i}][{j}] = {v}"
            );
        }
    }
    Ok(())
}

#[test]
fn an_arrow_hessian_couples_the_first_input_with_each_other() -> tapegrad::Result<()> {
    let n = 20;
    let f = Function::record(&vec![1.0; n], |x: &[Active]| {
        x[1..].iter().fold(x[0] * 0.0, |acc, &xi| acc + x[0] * xi)
    })?;
    let mut arrow: Vec<(usize, usize)> = (1..n).flat_map(|i| [(0, i), (i, 0)]).collect();
    arrow.sort_unstable();
    assert_eq!(f.hessian_pattern()?, arrow);
    // A star coloring: the hub one color, every other column the other (a
    // distance-2 coloring would take n − 1: they all meet in the first row).
    let sparse = f.sparse_hessian()?;
    assert_eq!(sparse.colors(), 2);
    let x: Vec<f64> = (0..n).map(|i| 0.5 + i as f64).collect();
    let dense = f.hessian(&mut f.workspace(), &x)?;
    let values = sparse.values(&mut f.workspace(), &x)?;
    for (&(i, j), v) in sparse.pattern().iter().zip(values) {
        assert_eq!(v, dense[i][j], "H[{i}][{j}]");
    }
    Ok(())
}

#[test]
fn a_jacobian_of_neighbours_is_banded() -> tapegrad::Result<()> {
    let n = 10;
    let f = Function::record(&vec![0.5; n], |x: &[Active]| {
        x.windows(2).map(|w| w[0] - w[1] * w[1]).collect::<Vec<_>>()
    })?;
    let band: Vec<(usize, usize)> = (0..n - 1).flat_map(|i| [(i, i), (i, i + 1)]).collect();
    assert_eq!(f.jacobian_pattern(), band);
    let sparse = f.sparse_jacobian();
    assert_eq!(sparse.colors(), 2);
    let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.1).collect();
    let values = sparse.values(&mut f.workspace(), &x)?;
    let dense = f.jacobian(&mut f.workspace(), &x)?;
    let expected: Vec<f64> = band.iter().map(|&(i, j)| dense[i][j]).collect();
    assert_eq!(values, expected);
    assert!(f.hessian_pattern().is_err()); // not one output
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No nonzero derivative, first or second, outside the patterns.
    #[test]
    fn every_nonzero_derivative_is_in_the_patterns(
        e in expr(),
        g in expr(),
        x in prop::array::uniform3(-2.0..2.0f64),
    ) {
        let f = Function::record(&x, |v: &[Active]| eval(&e, v)).expect("table ops replay");
        let pattern = f.hessian_pattern().expect("one output");
        let h = f.hessian(&mut f.workspace(), &x).expect("no guards");
        for (i, row) in h.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                prop_assert!(v == 0.0 || pattern.binary_search(&(i, j)).is_ok(), "H[{i}][{j}] = {v}");
            }
        }
        let sparse = f.sparse_hessian().expect("one output");
        let values = sparse.values(&mut f.workspace(), &x).expect("no guards");
        for (&(i, j), &v) in sparse.pattern().iter().zip(&values) {
            let close = v == h[i][j] || (v - h[i][j]).abs() <= 1e-12 * v.abs().max(1.0);
            prop_assert!(close || (v.is_nan() && h[i][j].is_nan()), "H[{i}][{j}]: {v} against {}", h[i][j]);
        }
        let two = Function::record(&x, |v: &[Active]| [eval(&e, v), eval(&g, v)]).expect("replay");
        let pattern = two.jacobian_pattern();
        let jac = two.jacobian(&mut two.workspace(), &x).expect("no guards");
        for (i, row) in jac.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                prop_assert!(v == 0.0 || pattern.contains(&(i, j)), "J[{i}][{j}] = {v}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random couplings of twelve inputs, `Σ c·xᵢ·xⱼ + Σ sin xₖ`: the star
    /// coloring's values equal the dense Hessian's, entry for entry.
    #[test]
    fn a_star_colored_hessian_equals_the_dense_one(
        pairs in prop::collection::vec((0..12usize, 0..12usize, -2.0..2.0f64), 0..30),
        x in prop::collection::vec(-2.0..2.0f64, 12),
    ) {
        let f = Function::record(&x, |v: &[Active]| {
            let sines = v.iter().map(|x| x.sin()).sum::<Active>();
            pairs.iter().fold(sines, |acc, &(i, j, c)| acc + v[i] * v[j] * c)
        }).expect("table ops replay");
        let sparse = f.sparse_hessian().expect("one output");
        let dense = f.hessian(&mut f.workspace(), &x).expect("no guards");
        let values = sparse.values(&mut f.workspace(), &x).expect("no guards");
        for (&(i, j), v) in sparse.pattern().iter().zip(values) {
            let close = (v - dense[i][j]).abs() <= 1e-12 * (1.0 + v.abs());
            prop_assert!(close, "H[{i}][{j}]: {v} against {}", dense[i][j]);
        }
        prop_assert!(sparse.colors() <= 12);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// A function with a guarded `if` between random expressions: at a
    /// second point on the recorded side, the colored values equal the dense
    /// Hessian inside the pattern; on the other side, both refuse.
    #[test]
    fn a_guarded_function_s_sparse_hessian_is_exact_on_its_branch(
        e in expr(),
        g in expr(),
        x in prop::array::uniform3(-2.0..2.0f64),
        y in prop::array::uniform3(-2.0..2.0f64),
    ) {
        let branch = |v: &[Active]| {
            let (a, b) = (eval(&e, v), eval(&g, v));
            if a > b { a * v[2] } else { b * b }
        };
        let f = Function::record(&x, branch).expect("table ops replay");
        let sparse = f.sparse_hessian().expect("one output");
        let dense = f.hessian(&mut f.workspace(), &y);
        let values = sparse.values(&mut f.workspace(), &y);
        match dense {
            Ok(h) => {
                let values = values.expect("the same branch as the dense Hessian");
                let at: std::collections::HashMap<_, _> =
                    sparse.pattern().iter().copied().zip(values).collect();
                for (i, row) in h.iter().enumerate() {
                    for (j, &d) in row.iter().enumerate() {
                        let v = at.get(&(i, j)).copied().unwrap_or(0.0);
                        let close = v == d || (v - d).abs() <= 1e-12 * d.abs().max(1.0);
                        prop_assert!(close || (v.is_nan() && d.is_nan()), "H[{i}][{j}]: {v} against {d}");
                    }
                }
            }
            Err(tapegrad::Error::BranchChanged { .. }) => {
                let refused = matches!(values, Err(tapegrad::Error::BranchChanged { .. }));
                prop_assert!(refused, "the sparse Hessian did not refuse the other branch");
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random programs with selects, clamps and guarded branches, recorded
    /// at one point: at another on the same branches, the dense Hessian is
    /// zero outside the pattern (or not finite: `0 · ∞`, see
    /// `hessian_pattern`), whichever branch each select takes there; the
    /// pattern holds both of a select's.
    #[test]
    fn the_pattern_holds_every_branch_a_select_can_take(
        p in program(),
        x0 in prop::array::uniform3(coordinate()),
        x1 in prop::array::uniform3(coordinate()),
    ) {
        prop_assume!(path(&p, &x0).is_some(), "recording panics");
        let f = Function::record(&x0, |x: &[Active]| run(&p, x)).expect("the program replays");
        let pattern = f.hessian_pattern().expect("one output");
        if let Ok(h) = f.hessian(&mut f.workspace(), &x1) {
            for (i, row) in h.iter().enumerate() {
                for (j, &d) in row.iter().enumerate() {
                    let outside = !pattern.contains(&(i, j));
                    prop_assert!(!outside || d == 0.0 || !d.is_finite(), "H[{i}][{j}] = {d} outside {pattern:?}");
                }
            }
        }
    }
}

#[test]
fn a_sparse_hessian_refuses_a_changed_branch() -> tapegrad::Result<()> {
    let f = Function::record(&[1.0, 2.0], |x: &[Active]| {
        if x[0] > 0.0 { x[0] * x[1] } else { x[1] * x[1] }
    })?;
    let sparse = f.sparse_hessian()?;
    assert_eq!(sparse.values(&mut f.workspace(), &[3.0, 1.0])?, [1.0, 1.0]);
    let other_side = sparse.values(&mut f.workspace(), &[-3.0, 1.0]);
    assert!(matches!(
        other_side,
        Err(tapegrad::Error::BranchChanged { .. })
    ));
    Ok(())
}

#[cfg(feature = "faer")]
#[test]
fn faer_matrices_hold_the_dense_values() -> tapegrad::Result<()> {
    // A Jacobian of 3 outputs and 5 inputs, compressed rows of its shape.
    let f = Function::record(&[0.5; 5], |x: &[Active]| {
        [x[0] * x[4], x[1].exp() + x[2], x[3].sin() * x[0]]
    })?;
    let x = [0.3, -0.2, 1.1, 0.7, 2.0];
    let sparse = f.sparse_jacobian();
    assert_eq!(sparse.shape(), (3, 5));
    let values = sparse.values(&mut f.workspace(), &x)?;
    let matrix = sparse.to_faer(&values)?;
    let dense = f.jacobian(&mut f.workspace(), &x)?;
    assert_eq!((matrix.nrows(), matrix.ncols()), (3, 5));
    for (i, row) in dense.iter().enumerate() {
        for (j, &d) in row.iter().enumerate() {
            assert_eq!(matrix.get(i, j).copied().unwrap_or(0.0), d, "({i}, {j})");
        }
    }
    let triplets: Vec<_> = sparse.triplets(&values).collect();
    assert_eq!(triplets.len(), 6);
    assert!(triplets.iter().all(|&(i, j, v)| dense[i][j] == v));

    // A Hessian's compressed rows, and their transpose as compressed columns.
    let n = 8;
    let f = Function::record(&vec![0.5; n], rosenbrock)?;
    let x: Vec<f64> = (0..n).map(|i| 0.1 * i as f64 - 0.3).collect();
    let sparse = f.sparse_hessian()?;
    let values = sparse.values(&mut f.workspace(), &x)?;
    let matrix = sparse.to_faer(&values)?;
    let columns = matrix.as_ref().transpose();
    let dense = f.hessian(&mut f.workspace(), &x)?;
    for (i, row) in dense.iter().enumerate() {
        for (j, &d) in row.iter().enumerate() {
            let at = matrix.get(i, j).copied().unwrap_or(0.0);
            assert!((at - d).abs() <= 1e-12 * d.abs().max(1.0));
            assert_eq!(columns.get(i, j).copied().unwrap_or(0.0), at);
        }
    }
    let short = sparse.to_faer(&values[1..]);
    assert!(
        matches!(short, Err(tapegrad::Error::Length { expected, found, .. })
        if expected == values.len() && found == values.len() - 1)
    );
    Ok(())
}

/// A function whose Hessian has exactly the off-diagonal `edges` (and the
/// diagonal), with its variables numbered by `place`: `Σ x_i·x_j + Σ x_i²`.
fn coupled(n: usize, edges: &[(usize, usize)], place: &[usize]) -> tapegrad::Result<Function> {
    Function::record(&vec![0.5; n], |x: &[Active]| {
        let squares = x.iter().map(|&xi| xi * xi).sum::<Active>();
        let pairs = edges.iter().map(|&(i, j)| x[place[i]] * x[place[j]]);
        pairs.fold(squares, |acc, term| acc + term)
    })
}

/// The colors of the star coloring of `edges` on `n` variables, numbered
/// in the natural order, reversed, and in `shuffles` seeded random orders;
/// each coloring's values checked against the dense Hessian.
fn colors_in_any_order(n: usize, edges: &[(usize, usize)], shuffles: u64) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let natural: Vec<usize> = (0..n).collect();
    let mut orders = vec![natural.clone(), natural.iter().rev().copied().collect()];
    for seed in 0..shuffles {
        let mut order = natural.clone();
        order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        orders.push(order);
    }
    let x: Vec<f64> = (0..n).map(|i| 0.25 + i as f64 / 7.0).collect();
    let check = |f: &Function| -> tapegrad::Result<usize> {
        let sparse = f.sparse_hessian()?;
        let values = sparse.values(&mut f.workspace(), &x)?;
        let dense = f.hessian(&mut f.workspace(), &x)?;
        for (&(i, j), v) in sparse.pattern().iter().zip(values) {
            assert_eq!(v, dense[i][j], "H[{i}][{j}]");
        }
        Ok(sparse.colors())
    };
    let colored = orders.iter().map(|place| check(&coupled(n, edges, place)?));
    colored
        .collect::<tapegrad::Result<_>>()
        .expect("records and evaluates")
}

#[test]
fn an_arrow_takes_two_colors_wherever_its_shared_variable_is() {
    let n = 200;
    for hub in [0, n / 2, n - 1] {
        let arrow: Vec<_> = (0..n).filter(|&i| i != hub).map(|i| (hub, i)).collect();
        for colors in colors_in_any_order(n, &arrow, 3) {
            assert_eq!(colors, 2, "hub at {hub}");
        }
    }
}

#[test]
fn tridiagonal_and_banded_hessians_take_their_optimum_in_any_order() {
    // A band of half-width b needs 2b + 1 colors (a star coloring of the
    // path's b-th power; `i mod (2b + 1)` attains it): 3 for a tridiagonal.
    let n = 120;
    for b in 1..=3 {
        let band: Vec<_> = (0..n)
            .flat_map(|i| (i + 1..(i + b + 1).min(n)).map(move |j| (i, j)))
            .collect();
        for colors in colors_in_any_order(n, &band, 4) {
            assert_eq!(colors, 2 * b + 1, "half-width {b}");
        }
    }
}

#[test]
fn a_bordered_block_diagonal_hessian_takes_its_optimum_in_any_order() {
    // Blocks of 3 coupled variables, each coupled to a border of 2: a
    // block and the border are a clique of 5, and 5 colors suffice (every
    // block the same 3, the border 2 more).
    let (blocks, size, border) = (30, 3, 2);
    let n = blocks * size + border;
    let mut edges = vec![(n - 2, n - 1)];
    for b in 0..blocks {
        let members: Vec<usize> = (b * size..(b + 1) * size).collect();
        for (k, &i) in members.iter().enumerate() {
            edges.extend(members[k + 1..].iter().map(|&j| (i, j)));
            edges.extend((n - border..n).map(|j| (i, j)));
        }
    }
    for colors in colors_in_any_order(n, &edges, 4) {
        assert_eq!(colors, size + border);
    }
}

#[test]
fn a_sparse_hessian_s_entries_are_read_by_row_and_column() -> tapegrad::Result<()> {
    let n = 30;
    let f = Function::record(&vec![0.5; n], |x: &[Active]| rosenbrock(x))?;
    let sparse = f.sparse_hessian()?;
    let x: Vec<f64> = (0..n).map(|i| 0.1 * i as f64 - 1.0).collect();
    let values = sparse.values(&mut f.workspace(), &x)?;
    let dense = f.hessian(&mut f.workspace(), &x)?;
    for (i, row) in dense.iter().enumerate() {
        for (j, &h) in row.iter().enumerate() {
            let entry = sparse.entry(&values, i, j);
            assert!((entry - h).abs() <= 1e-12 * h.abs().max(1.0), "H[{i}][{j}]");
            assert_eq!(sparse.position(i, j).is_some(), i.abs_diff(j) <= 1);
        }
    }
    // The triplets are the pattern's entries with their values, in order.
    for (k, (i, j, v)) in sparse.triplets(&values).enumerate() {
        assert_eq!((sparse.position(i, j), v), (Some(k), values[k]));
    }
    Ok(())
}

#[test]
#[should_panic(expected = "outside a 3 × 3 matrix")]
fn an_entry_outside_the_matrix_panics_naming_its_shape() {
    let f = Function::record(&[1.0; 3], |x: &[Active]| x[0] * x[1]).expect("records");
    let sparse = f.sparse_hessian().expect("one output");
    let values = sparse
        .values(&mut f.workspace(), &[1.0; 3])
        .expect("replays");
    let _ = sparse.entry(&values, 3, 0);
}

/// Where a partial is infinite, as the docs of `hessian_pattern` say: the
/// dense Hessian's forward mode meets `0 · ∞` outside the pattern (`x % y`'s
/// partial with respect to `y` where `x / y` overflows; `%` couples
/// nothing), where the sparse Hessian gives the structure's zero; and where
/// the function is not twice differentiable, each sparse entry is one of
/// the dense Hessian's mirrored pair.
#[test]
fn at_infinite_partials_the_sparse_hessian_keeps_the_structure_and_a_mirrored_entry()
-> tapegrad::Result<()> {
    let x = [40.0, 1e-310];
    let f = Function::record(&x, |x: &[Active]| x[0] % x[1])?;
    let dense = f.hessian(&mut f.workspace(), &x)?;
    assert!(dense[1][1].is_nan(), "{dense:?}");
    let sparse = f.sparse_hessian()?;
    assert_eq!(sparse.pattern(), []);
    let values = sparse.values(&mut f.workspace(), &x)?;
    assert_eq!(sparse.entry(&values, 1, 1), 0.0);
    // Not twice differentiable (`∛u` at `u = 0`): the dense Hessian is not
    // symmetric, and each sparse entry is one of the mirrored pair.
    let x = [0.5, 0.0];
    let f = Function::record(&x, |x: &[Active]| (x[0].floor() * x[1]).cbrt())?;
    let dense = f.hessian(&mut f.workspace(), &x)?;
    assert!(dense[1][0].is_nan() && dense[0][1] == 0.0, "{dense:?}");
    let sparse = f.sparse_hessian()?;
    let values = sparse.values(&mut f.workspace(), &x)?;
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    for (i, j) in [(0, 1), (1, 0)] {
        let v = sparse.entry(&values, i, j);
        assert!(
            same(v, dense[i][j]) || same(v, dense[j][i]),
            "H[{i}][{j}] = {v}"
        );
    }
    Ok(())
}
