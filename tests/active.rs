//! `Active`, the variable that does not borrow its tape: the same values and
//! derivatives as `Var`, in f32 and f64, to any order; and every misuse
//! (outside its recording, after a clear, on another thread, two recordings
//! mixed, a panic in the scope) a panic or an error, never a number.

use std::panic::{AssertUnwindSafe, catch_unwind};

use approx::assert_relative_eq;
use num_traits::Float;
use tapegrad::{
    Active, Error, Gradients, Scalar, Tape, Var,
    check::{check_active_gradient, check_gradient},
    loss,
};

mod common;
use common::{kitchen_sink, panic_message};

/// The value and gradient of `kitchen_sink` on `Active<F>`.
fn on_active<F: Scalar>(x: &[F]) -> (F, Vec<F>) {
    let mut tape = Tape::<F>::default();
    tape.record(|| {
        let vars = Active::vars(x);
        let y = kitchen_sink(&vars);
        (y.value(), y.backward().wrt_all(&vars))
    })
}

/// The value and gradient of `kitchen_sink` on `Var<F>`.
fn on_var<F: Float>(x: &[F]) -> (F, Vec<F>) {
    let tape = Tape::<F>::default();
    let vars = tape.vars(x);
    let y = kitchen_sink(&vars);
    (y.value(), y.backward().wrt_all(&vars))
}

fn same_as_var<F: Scalar + std::iter::Sum + std::fmt::Debug>(points: &[[F; 3]]) {
    for x in points {
        let (value, grad) = on_active(x);
        let (expected, expected_grad) = on_var(x);
        assert!(value.is_finite(), "at {x:?}");
        assert_eq!(
            value,
            kitchen_sink(x),
            "the value of the plain function, bit for bit"
        );
        assert_eq!(value, expected);
        assert_eq!(grad, expected_grad, "at {x:?}");
    }
}

#[test]
fn values_and_gradients_are_var_s_to_the_bit_in_f64_and_f32() {
    same_as_var::<f64>(&[[0.3, 1.2, 0.8], [2.5, 0.7, 3.1], [0.9, 1.6, 0.05]]);
    same_as_var::<f32>(&[[0.3, 1.2, 0.8], [2.5, 0.7, 3.1], [0.9, 1.6, 0.05]]);
}

#[test]
fn gradients_match_central_differences() {
    let x = [0.3, 1.2, 0.8];
    let (_, grad) = on_active(&x);
    for i in 0..3 {
        let h = 1e-6;
        let (mut up, mut down) = (x, x);
        up[i] += h;
        down[i] -= h;
        let numeric = (kitchen_sink(&up) - kitchen_sink(&down)) / (2.0 * h);
        assert_relative_eq!(grad[i], numeric, max_relative = 1e-6);
    }
}

/// A variable of a recording whose sweep records on an outer one.
type Second = Active<Active<f64>>;

/// `∂²f/∂xᵢ∂xⱼ` of `f` at `x`, by a recording of `Active<Active<f64>>`
/// whose backward sweep records on the outer `Active<f64>` recording.
fn hessian(f: fn(&[Second]) -> Second, x: &[f64]) -> Vec<Vec<f64>> {
    let mut outer = Tape::new();
    outer.record(|| {
        let xs = Active::vars(x);
        let gradient: Vec<Active<f64>> = {
            let mut inner = Tape::<Active<f64>>::default();
            inner.record(|| {
                let ys: Vec<Second> = xs.iter().map(|&v| Active::var(v)).collect();
                f(&ys).backward().wrt_all(&ys)
            })
        };
        gradient.iter().map(|g| g.backward().wrt_all(&xs)).collect()
    })
}

#[test]
fn a_nested_recording_gives_the_hessian() {
    fn rosenbrock<T: Float>(x: &[T]) -> T {
        let hundred = T::from(100.0).unwrap();
        (T::one() - x[0]).powi(2) + hundred * (x[1] - x[0] * x[0]).powi(2)
    }
    let h = hessian(rosenbrock, &[1.0, 1.0]);
    assert_eq!(h, [[802.0, -400.0], [-400.0, 200.0]]);
    let h = hessian(|x| (x[0] * x[1]).sin(), &[0.5, 2.0]);
    let (x, y) = (0.5_f64, 2.0_f64);
    assert_relative_eq!(
        h[0][1],
        (x * y).cos() - x * y * (x * y).sin(),
        max_relative = 1e-14
    );
    assert_relative_eq!(h[0][0], -y * y * (x * y).sin(), max_relative = 1e-14);
}

#[test]
fn gradients_can_be_taken_on_the_tape_after_the_scope() -> Result<(), Error> {
    let mut tape = Tape::new();
    let (x, y) = tape.record(|| {
        let x = Active::var(3.0);
        (x, x * x)
    });
    let grads = tape.backward(&y)?;
    assert_eq!(grads.wrt(&x), 6.0);
    assert_eq!(grads[&x], 6.0);
    assert_eq!(grads.get(&x), Ok(6.0));
    assert_eq!(
        tape.backward(&Active::constant(1.0)).err(),
        Some(Error::Constant)
    );
    Ok(())
}

#[test]
fn the_textbook_loss_stays_finite_and_a_bypassed_sigmoid_is_an_error() {
    let mut tape = Tape::new();
    tape.record(|| {
        let z: Active = Active::var(-800.0);
        let s = z.sigmoid();
        let loss = -(s.ln() + (1.0 - s).ln());
        assert_eq!(loss.value(), 800.0);
        let grads = loss.backward();
        assert_eq!(grads.wrt(&z), -1.0);
        assert_eq!(grads.get(&s), Err(Error::BypassedSigmoid));
    });
}

#[test]
fn constants_record_nothing_and_have_no_gradient() {
    let mut tape = Tape::new();
    tape.record(|| {
        let c = Active::constant(2.0);
        let y = c * c + 1.0;
        assert!(y.is_constant());
        assert_eq!(y.backward().get(&c), Err(Error::Constant));
    });
    assert!(tape.is_empty());
}
#[test]
fn a_variable_used_after_its_scope_panics_and_names_the_fix() {
    let mut tape = Tape::new();
    let x = tape.record(|| Active::var(2.0));
    let message = panic_message("the misuse", || {
        let _ = x * x;
    });
    assert!(message.contains("outside its recording"), "{message}");
    assert!(message.contains("tape.record"), "{message}");
    let message = panic_message("the misuse", || {
        let _ = Active::var(1.0);
    });
    assert!(message.contains("tape.record"), "{message}");
}

#[test]
fn a_variable_used_after_a_clear_panics_and_its_gradients_refuse_it() {
    let mut tape = Tape::new();
    let (x, y) = tape.record(|| {
        let x = Active::var(2.0);
        (x, x.exp())
    });
    let grads = tape.backward(&y).unwrap();
    tape.clear();
    let message = panic_message("the misuse", || {
        tape.record(|| {
            let _ = x + 1.0;
        });
    });
    assert!(message.contains("another recording"), "{message}");
    assert_eq!(tape.backward(&y).err(), Some(Error::OtherRecording));
    let z = tape.record(|| Active::var(5.0));
    assert_eq!(grads.get(&z), Err(Error::OtherRecording));
    assert_eq!(grads.get(&x), Ok(2.0_f64.exp()));
}

#[test]
fn two_recordings_mixed_panic() {
    let (mut a, mut b) = (Tape::new(), Tape::new());
    let x = a.record(|| Active::var(1.0));
    let message = panic_message("the misuse", || {
        b.record(|| {
            let y = Active::var(2.0);
            let _ = y * x;
        });
    });
    assert!(message.contains("another recording"), "{message}");
}

#[test]
fn a_variable_sent_to_another_thread_panics_there() {
    let mut tape = Tape::new();
    tape.record(|| {
        let x = Active::var(1.0);
        let result = std::thread::spawn(move || {
            let mut theirs = Tape::new();
            theirs.record(|| catch_unwind(|| x.sin()).is_err())
        })
        .join()
        .unwrap();
        assert!(result, "another thread's recording refuses x");
        let lone = std::thread::spawn(move || catch_unwind(|| x.sin()).is_err());
        assert!(
            lone.join().unwrap(),
            "a thread that records nothing refuses x"
        );
    });
}

#[test]
fn a_panic_inside_the_scope_gives_the_tape_back_with_what_was_recorded() {
    let mut tape = Tape::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        tape.record(|| {
            let x = Active::var(1.0);
            let _ = x.sin();
            panic!("the user's code fails");
        })
    }));
    assert!(result.is_err());
    assert_eq!(tape.len(), 2);
    let (x, y) = tape.record(|| {
        let x = Active::var(3.0);
        (x, x.powi(2))
    });
    assert_eq!(tape.backward(&y).map(|g| g.wrt(&x)), Ok(6.0));
    assert_eq!(tape.len(), 4);
}

#[test]
fn a_nested_record_of_the_same_type_records_on_its_own_tape() {
    let (mut outer, mut inner) = (Tape::new(), Tape::new());
    outer.record(|| {
        let x = Active::var(1.0);
        inner.record(|| {
            let y = Active::var(2.0);
            assert_eq!((y * y).backward().wrt(&y), 4.0);
            let message = panic_message("the misuse", || {
                let _ = x + y;
            });
            assert!(message.contains("another recording"), "{message}");
        });
        assert_eq!((x * 3.0).backward().wrt(&x), 3.0);
    });
    assert_eq!((outer.len(), inner.len()), (2, 2));
}

#[test]
fn a_checked_tape_names_the_op_and_the_line() {
    let mut tape = Tape::<f64>::checked();
    let line = line!() + 3;
    tape.record(|| {
        let x = Active::var(-1.0);
        let _ = x.sqrt();
    });
    match tape.check() {
        Err(Error::NonFinite { op, location, .. }) => {
            assert_eq!(op, "sqrt");
            assert_eq!((location.file(), location.line()), (file!(), line));
        }
        other => panic!("expected the NaN of sqrt(-1), got {other:?}"),
    }
}

#[test]
fn an_active_is_small_copy_send_sync_and_static() {
    fn assert_traits<T: Copy + Send + Sync + 'static>() {}
    assert_traits::<Active<f64>>();
    assert_traits::<Active<f32>>();
    assert_eq!(size_of::<Active<f64>>(), 16);
    assert_eq!(size_of::<Active<f32>>(), 16);
    assert_eq!(size_of::<Var<'_, f64>>(), 24);
}

#[test]
fn gradients_into_a_kept_buffer_and_debug() {
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    tape.record(|| {
        let x = Active::var(2.0);
        (x * x).backward_into(&mut grads);
        assert_eq!(grads.wrt(&x), 4.0);
        assert_eq!(format!("{x:?}"), "Active { value: 2.0, node: 1 }");
        assert_eq!(format!("{x}"), "2");
    });
}

#[test]
fn the_losses_take_active_variables_and_agree_with_var() {
    let (z, y) = ([0.3, -2.0, 5.0], [1.0, 0.0, 1.0]);
    let tape = Tape::new();
    let vars = tape.vars(&z);
    let on_var = loss::mean_bce_with_logits(&vars, &y);
    let expected = (on_var.value(), on_var.backward().wrt_all(&vars));
    let mut active = Tape::new();
    let got = active.record(|| {
        let vars = Active::vars(&z);
        let j = loss::mean_bce_with_logits(&vars, &y);
        let mse = loss::mean_squared_error(&vars, &y);
        assert_eq!(mse.backward().wrt(&vars[0]), 2.0 * (0.3 - 1.0) / 3.0);
        (j.value(), j.backward().wrt_all(&vars))
    });
    assert_eq!(got, expected);
}

#[test]
fn check_active_gradient_passes_a_right_gradient_and_catches_a_kink() {
    let report = check_active_gradient(|x: &[Active]| x[0].sin() * x[1].exp(), &[0.3, -1.2]);
    assert!(report.is_ok(), "{report:?}");
    let report = check_active_gradient(|x: &[Active<f32>]| x[0].powi(3), &[1.5_f32]);
    assert!(report.is_ok(), "{report:?}");
    // floor jumps at 1: the tape says 0, differences say 1/2h.
    let caught = check_active_gradient(|x: &[Active]| x[0].floor(), &[1.0]);
    assert!(matches!(
        caught,
        Err(Error::GradientMismatch { index: 0, .. })
    ));
    let same = check_gradient(|x| x[0].floor(), &[1.0]);
    assert_eq!(caught.err(), same.err());
}

/// `reduce` of `Active` inputs of `values`: the nodes recorded, the value
/// and the gradient.
fn reduced(values: &[f64], reduce: impl Fn(&[Active]) -> Active) -> (usize, f64, Vec<f64>) {
    let mut tape = Tape::new();
    let (x, y) = tape.record(|| {
        let x = Active::vars(values);
        let y = reduce(&x);
        (x, y)
    });
    let grads = tape.backward(&y).expect("a variable of this recording");
    (tape.len(), y.value(), grads.wrt_all(&x))
}

/// `Sum` of `Active`s records what `sum` of `Var`s does: one node, with
/// the value `Iterator::sum` of the floats gives, to the bit.
#[test]
fn a_sum_of_actives_is_one_node_as_a_sum_of_vars() {
    let values = [0.1, -0.2, 1e-17, 0.3, -0.0];
    let (nodes, total, gradient) = reduced(&values, |x| x.iter().copied().sum());
    assert_eq!(nodes, values.len() + 1);
    let floats: f64 = values.iter().sum();
    let on_vars = {
        let tape = Tape::new();
        tapegrad::sum(&tape.vars(&values)).value()
    };
    assert_eq!(total.to_bits(), floats.to_bits());
    assert_eq!(on_vars.to_bits(), floats.to_bits());
    assert!(gradient.iter().all(|&g| g == 1.0));
}

/// `Product` of `Active`s records what the `Product` of `Var`s does: one
/// node, exact where a factor is zero.
#[test]
fn a_product_of_actives_is_one_node_as_a_product_of_vars() {
    let values = [2.0, 0.0, 3.0, -0.5];
    let (nodes, product, gradient) = reduced(&values, |x| x.iter().copied().product());
    assert_eq!(nodes, values.len() + 1);
    let on_vars = Tape::new();
    let v = on_vars.vars(&values);
    let p: Var = v.iter().copied().product();
    let var_grads = p.backward();
    assert_eq!(product.to_bits(), p.value().to_bits());
    for (g, v) in gradient.iter().zip(&v) {
        assert_eq!(g.to_bits(), var_grads.wrt(v).to_bits());
    }
    assert_eq!(gradient[1], 2.0 * 3.0 * -0.5);
}
