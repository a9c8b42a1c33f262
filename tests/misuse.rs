//! Misuse is loud: mixing tapes panics with an actionable message, checked
//! queries return typed errors, and the types carry the expected traits.

mod common;

use common::panic_message;
use tapegrad::{
    Error, Gradients, Tape, Var, dot,
    nn::{affine, dense},
    sum,
};

const MIXED: &str = "cannot combine variables of two different tapes";

#[test]
#[should_panic(expected = "cannot combine variables of two different tapes")]
fn adding_variables_of_two_tapes_panics() {
    let (a, b) = (Tape::new(), Tape::new());
    let _ = a.var(1.0) + b.var(2.0);
}

/// Asserts that `op` panics with the message for mixed tapes.
#[track_caller]
fn refuses_two_tapes<R>(name: &str, op: impl FnOnce() -> R) {
    let message = panic_message(name, op);
    assert!(message.contains(MIXED), "{name}: {message}");
}

/// A row of `dense` is reached after the call, inside the iterator: the
/// message names the line of the call.
#[test]
fn dense_of_parameters_on_two_tapes_names_the_line_that_called_it() {
    let (a, b) = (Tape::<f64>::new(), Tape::<f64>::new());
    let params = [a.var(1.0), b.var(2.0)];
    let (units, line) = (dense(&params, &[0.5]), line!());
    let message = panic_message("dense of parameters", || units.count());
    let called_at = format!("tapegrad::nn::dense, called at {}:{line}:", file!());
    assert!(message.starts_with(&called_at), "{message}");
    assert!(message.contains(MIXED), "{message}");
}

#[test]
fn every_binary_op_refuses_two_tapes() {
    let (a, b) = (Tape::<f64>::new(), Tape::<f64>::new());
    let (x, y) = (a.var(1.0), b.var(2.0));
    refuses_two_tapes("sub", || x - y);
    refuses_two_tapes("mul", || x * y);
    refuses_two_tapes("div", || x / y);
    refuses_two_tapes("powf", || x.powf(y));
    refuses_two_tapes("max", || x.max(y));
    refuses_two_tapes("min", || x.min(y));
    refuses_two_tapes("atan2", || x.atan2(y));
    refuses_two_tapes("hypot", || x.hypot(y));
    refuses_two_tapes("log", || x.log(y));
    refuses_two_tapes("mul_add", || x.mul_add(1.0, y));
    refuses_two_tapes("bce_with_logits", || x.bce_with_logits(y));
    refuses_two_tapes("sum", || sum(&[x, y]));
    refuses_two_tapes("dot", || dot(&[x], &[y]));
    refuses_two_tapes("affine of variables", || affine(&[x], &[x], y));
    refuses_two_tapes("affine of weights and data", || affine(&[x], &[1.0], y));
    // `dense`: when it is called for its inputs, when a row is reached for
    // its parameters.
    refuses_two_tapes("dense of inputs", || {
        let _ = dense(&[x, x], &[y]);
    });
    refuses_two_tapes("dense of parameters", || dense(&[x, y], &[1.0]).count());
    refuses_two_tapes("dense of parameters and inputs", || {
        dense(&[x, y], &[x.sin()]).count()
    });
    refuses_two_tapes("Sum", || [x, y].into_iter().sum::<Var>());
    refuses_two_tapes("Product", || [x, y].into_iter().product::<Var>());
    refuses_two_tapes("custom", || {
        Var::custom("add", [x, y], |[p, q]| (p + q, [1.0, 1.0]))
    });
}

#[test]
#[should_panic(
    expected = "tapegrad::nn::dense: the parameters must be rows of 2 weights (one per input) and a bias, \
                but there are 4 of them"
)]
fn dense_of_parameters_not_in_rows_panics() {
    let tape = Tape::new();
    let _ = dense(&tape.vars(&[1.0; 4]), &[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "tapegrad::nn::affine: the slices must have the same length")]
fn affine_of_different_lengths_panics() {
    let tape = Tape::new();
    let _ = affine(&[tape.var(1.0)], &[1.0, 2.0], 0.5);
}

#[test]
#[should_panic(expected = "the slices must have the same length")]
fn dot_of_different_lengths_panics() {
    let tape = Tape::new();
    let _ = dot(&[tape.var(1.0)], &[1.0, 2.0]);
}

#[test]
fn a_gradient_query_for_a_variable_of_another_tape_is_an_error() {
    let (a, b) = (Tape::new(), Tape::new());
    let (x, y) = (a.var(1.0), b.var(1.0));
    let grads = (x * 3.0).backward();
    assert_eq!(grads.get(&y), Err(Error::ForeignVariable));
}

#[test]
#[should_panic(expected = "belongs to another tape")]
fn indexing_gradients_with_a_foreign_variable_panics() {
    let (a, b) = (Tape::new(), Tape::new());
    let (x, y) = (a.var(1.0), b.var(1.0));
    let grads = (x * 3.0).backward();
    let _ = grads[&y];
}

#[test]
fn gradients_from_before_a_clear_refuse_the_new_recording() {
    let mut tape = Tape::new();
    let grads = {
        let x = tape.var(1.0);
        (x * 2.0).backward()
    };
    tape.clear();
    let x = tape.var(1.0);
    assert_eq!(grads.get(&x), Err(Error::StaleGradients));
}

#[test]
fn a_gradient_query_for_a_constant_is_an_error() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let c = Var::constant(2.0);
    let grads = (x * c).backward();
    assert_eq!(grads.get(&c), Err(Error::Constant));
}

#[test]
fn the_gradient_with_respect_to_a_bypassed_sigmoid_is_an_error_not_a_wrong_number() {
    let tape: Tape = Tape::new();
    let z = tape.var(0.3);
    let s = z.sigmoid();
    let loss = -s.ln();
    let grads = loss.backward();
    assert_eq!(grads.get(&s), Err(Error::BypassedSigmoid));
    // The logit's gradient is right: d/dz −ln σ(z) = σ(z) − 1.
    assert!((grads.wrt(&z) - (s.value() - 1.0)).abs() < 1e-15);
    // Backward from s itself is unaffected by the later ln.
    assert_eq!(s.backward().get(&s), Ok(1.0));

    let t = z.sigmoid();
    let complement = 1.0 - t;
    let grads = complement.ln().backward();
    assert_eq!(grads.get(&complement), Err(Error::BypassedSigmoid));
    assert_eq!(grads.get(&t), Err(Error::BypassedSigmoid));
}

#[test]
fn the_gradient_with_respect_to_a_sigmoid_without_ln_is_available() {
    let tape = Tape::new();
    let z = tape.var(0.3);
    let s = z.sigmoid();
    let grads = (s * s).backward();
    assert_eq!(grads.get(&s), Ok(2.0 * s.value()));
}

#[test]
fn errors_read_as_sentences_and_name_the_fix() {
    for e in [
        Error::ForeignVariable,
        Error::StaleGradients,
        Error::Constant,
        Error::BypassedSigmoid,
    ] {
        let message = e.to_string();
        assert!(message.starts_with(char::is_lowercase), "{message}");
        assert!(message.contains(';'), "no fix given: {message}");
    }
    let mismatch = Error::GradientMismatch {
        index: 2,
        tape: 1.0,
        numeric: 2.0,
    };
    assert!(mismatch.to_string().contains("input 2"));
}

#[test]
fn tape_and_gradients_are_send_and_error_is_send_sync_static() {
    fn send<T: Send>() {}
    fn send_sync_static<T: Send + Sync + 'static>() {}
    send::<Tape<f64>>();
    send::<Tape<f32>>();
    send::<Gradients<f64>>();
    send_sync_static::<Error>();
    send_sync_static::<Gradients<f64>>();
    fn error<E: std::error::Error>() {}
    error::<Error>();
}

#[test]
fn debug_output_shows_what_matters() {
    let tape = Tape::new();
    let x = tape.var(1.5);
    let tape_debug = format!("{tape:?}");
    assert!(
        tape_debug.contains("len: 1") && tape_debug.contains("capacity"),
        "{tape_debug}"
    );
    let var_debug = format!("{x:?}");
    assert!(var_debug.contains("1.5"), "{var_debug}");
    assert!(format!("{:?}", Var::<f64>::constant(2.0)).contains("constant"));
    assert!(!format!("{:?}", x.backward()).is_empty());
    assert_eq!(format!("{x}"), "1.5");
    assert_eq!(format!("{x:.3}"), "1.500");
}
