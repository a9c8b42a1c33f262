//! The tape's bookkeeping: nodes and edges, `clear` and capacity, operators
//! on references and in place, and `f32`.

use approx::assert_relative_eq;
use tapegrad::{Tape, Var};

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
fn allocated_bytes_grow_with_the_recording_and_survive_clear() {
    let mut tape = Tape::new();
    let empty = tape.allocated_bytes();
    let x = tape.vars(&[0.5; 1000]);
    let y = tapegrad::sum(&x).sin();
    let _ = y.backward();
    let full = tape.allocated_bytes();
    // A thousand inputs of 24 bytes, and the sum's thousand edges.
    assert!(
        full >= empty + 1000 * 24 + 1000 * (4 + 8),
        "{empty} → {full}"
    );
    tape.clear();
    assert_eq!(tape.allocated_bytes(), full, "clear keeps the allocation");
    assert!(format!("{tape:?}").contains(&format!("allocated_bytes: {full}")));
}
