//! The binary classifier on the real data: it learns, its gradient is the
//! closed form, its training loop does not grow, and bad data files are
//! reported, not panicked on. Run as the `binary_classifier` example's tests
//! (`cargo test --example binary_classifier`, part of `cargo test`).

use std::path::{Path, PathBuf};

use super::data::{DataError, Dataset, Problem, load_csv};
use super::metrics::Confusion;
use super::prep::{Scaling, split_and_scale};
use approx::assert_relative_eq;
use tapegrad::optim::{Optimizer, Sgd};
use tapegrad::{Gradients, Tape, Var, dot, loss};

fn data_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/breast_cancer.csv")
}

/// The data, standardized with the statistics of the training split.
fn prepared(seed: u64) -> (Dataset, Vec<usize>, Vec<usize>) {
    split_and_scale(&data_path(), Scaling::Standardize, seed).expect("the shipped data set loads")
}

/// The logits `w·xᵢ + b` of `rows`, for θ = [w, b].
fn logits<'t>(theta: &[Var<'t>], data: &Dataset, rows: &[usize]) -> Vec<Var<'t>> {
    let (w, b) = theta.split_at(theta.len() - 1);
    rows.iter()
        .map(|&i| dot(w, &data.features[i]) + b[0])
        .collect()
}

fn labels(data: &Dataset, rows: &[usize]) -> Vec<f64> {
    rows.iter().map(|&i| data.labels[i]).collect()
}

#[test]
fn the_data_set_is_the_one_documented() {
    let data = load_csv(&data_path()).expect("loads");
    assert_eq!((data.features.len(), data.feature_names.len()), (569, 30));
    assert_eq!(data.labels.iter().filter(|&&y| y == 1.0).count(), 212);
    assert_eq!(data.features[0][..4], [17.99, 10.38, 122.8, 1001.0]);
}

#[test]
fn standardized_logistic_regression_reaches_96_percent_on_the_test_split() {
    let (data, train, test) = prepared(42);
    let d = data.feature_names.len();
    let y_train = labels(&data, &train);
    let mut theta = vec![0.0; d + 1];
    let (alpha, beta) = (0.5, 0.5);
    let mut sgd = Sgd::new(alpha).with_group(d..d + 1, beta);
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    for _ in 0..300 {
        tape.clear();
        let params = tape.vars(&theta);
        let j = loss::mean_bce_with_logits(&logits(&params, &data, &train), &y_train);
        j.backward_into(&mut grads);
        let g = grads.wrt_all(&params);
        sgd.step(&mut theta, &g);
    }
    tape.clear();
    let params = tape.vars(&theta);
    let predicted: Vec<f64> = logits(&params, &data, &test)
        .iter()
        .map(|z| z.sigmoid().value())
        .collect();
    let accuracy = Confusion::new(&predicted, &labels(&data, &test)).accuracy();
    assert!(accuracy >= 0.96, "test accuracy {accuracy}");
}

#[test]
fn the_tape_gradient_is_the_closed_form() {
    let (data, train, _) = prepared(7);
    let d = data.feature_names.len();
    // Some parameters away from zero, so that ŷ varies across samples.
    let theta: Vec<f64> = (0..=d).map(|j| ((j as f64) * 0.37).sin() * 0.3).collect();
    let y = labels(&data, &train);
    let n = train.len() as f64;

    // ∂J/∂w = (1/N)·Σ (ŷᵢ − yᵢ)·xᵢ and ∂J/∂b = (1/N)·Σ (ŷᵢ − yᵢ).
    let mut closed = vec![0.0; d + 1];
    for (&i, &yi) in train.iter().zip(&y) {
        let z: f64 = theta[..d]
            .iter()
            .zip(&data.features[i])
            .map(|(w, x)| w * x)
            .sum::<f64>()
            + theta[d];
        let residual = 1.0 / (1.0 + (-z).exp()) - yi;
        for (c, x) in closed.iter_mut().zip(&data.features[i]) {
            *c += residual * x / n;
        }
        closed[d] += residual / n;
    }

    let tape = Tape::new();
    let params = tape.vars(&theta);
    let z = logits(&params, &data, &train);
    let fused = loss::mean_bce_with_logits(&z, &y);
    // The loss as the derivation writes it.
    let textbook = -z
        .iter()
        .zip(&y)
        .map(|(z, &yi)| {
            let y_hat = z.sigmoid();
            yi * y_hat.ln() + (1.0 - yi) * (1.0 - y_hat).ln()
        })
        .sum::<Var>()
        / n;
    assert_relative_eq!(fused.value(), textbook.value(), max_relative = 1e-12);
    for j in [fused, textbook] {
        let grads = j.backward();
        for (param, expected) in params.iter().zip(&closed) {
            assert_relative_eq!(grads.wrt(param), *expected, max_relative = 1e-12);
        }
    }
}

#[test]
fn a_training_loop_that_clears_the_tape_does_not_grow() {
    let (data, train, _) = prepared(1);
    let y = labels(&data, &train);
    let mut theta = vec![0.0; data.feature_names.len() + 1];
    let mut sgd = Sgd::new(0.1);
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    let mut shape = None;
    for step in 0..200 {
        tape.clear();
        let params = tape.vars(&theta);
        let j = loss::mean_bce_with_logits(&logits(&params, &data, &train), &y);
        j.backward_into(&mut grads);
        sgd.step(&mut theta, &grads.wrt_all(&params));
        let now = (tape.len(), tape.edges(), tape.capacity());
        match shape {
            None => shape = Some(now),
            Some(first) => assert_eq!(now, first, "the tape changed at step {step}"),
        }
    }
}

/// Writes `contents` to a fresh file and loads it.
fn load_text(name: &str, contents: &str) -> DataError {
    let path = std::env::temp_dir().join(format!("tapegrad-{}-{name}.csv", std::process::id()));
    std::fs::write(&path, contents).expect("temp file");
    let result = load_csv(&path);
    std::fs::remove_file(&path).ok();
    result.expect_err("the file is malformed")
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let e = load_csv(Path::new("no/such/file.csv")).expect_err("missing");
    assert!(matches!(e.problem, Problem::Unreadable(_)));
    assert!(
        e.to_string()
            .starts_with("no/such/file.csv: cannot read the file"),
        "{e}"
    );
}

#[test]
fn malformed_files_are_errors_with_line_and_column() {
    let cases = [
        ("empty", "", None, None, "the file is empty"),
        ("header-only", "a,b,label\n", None, None, "no data rows"),
        ("one-column", "label\n1\n", Some(1), None, "1 column(s)"),
        (
            "no-label",
            "a,b,c\n1,2,0\n",
            Some(1),
            Some(3),
            "expected `label`",
        ),
        (
            "narrow-row",
            "a,b,label\n1,2,0\n1,0\n",
            Some(3),
            None,
            "2 fields, but the header has 3 columns",
        ),
        (
            "not-a-number",
            "a,b,label\n1,x2,0\n",
            Some(2),
            Some(2),
            "`x2` is not a number",
        ),
        (
            "after-blank-lines",
            "a,b,label\n\n1,2,0\n\n 1 , x ,0\n",
            Some(5),
            Some(2),
            "`x` is not a number",
        ),
        (
            "crlf-after-blank-lines",
            "a,b,label\r\n1,2,0\r\n\r\n\r\n1,2,7\r\n",
            Some(5),
            Some(3),
            "the label `7` is neither 0 nor 1",
        ),
        (
            "infinite",
            "a,b,label\n1,inf,0\n",
            Some(2),
            Some(2),
            "not a finite number",
        ),
        (
            "nan",
            "a,b,label\n1,2,1\nNaN,2,0\n",
            Some(3),
            Some(1),
            "not a finite number",
        ),
        (
            "label-2",
            "a,b,label\n1,2,2\n",
            Some(2),
            Some(3),
            "neither 0 nor 1",
        ),
    ];
    for (name, text, line, column, message) in cases {
        let e = load_text(name, text);
        assert_eq!((e.line, e.column), (line, column), "{name}: {e}");
        assert!(e.to_string().contains(message), "{name}: {e}");
    }
}
