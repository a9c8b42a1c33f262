//! Preparing data for gradient descent: a stratified split, and feature
//! scaling fitted on the training rows only.

use super::data::Dataset;
use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Splits row indices into training and test sets, keeping the share of each
/// label the same in both: the same seed gives the same split.
pub fn stratified_split(labels: &[f64], test_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in [0.0, 1.0] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rows.shuffle(&mut rng);
        let n_test = (rows.len() as f64 * test_fraction).round() as usize;
        test.extend_from_slice(&rows[..n_test]);
        train.extend_from_slice(&rows[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// How to bring features to comparable scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scaling {
    /// `(x − mean) / standard deviation`.
    Standardize,
    /// `(x − min) / (max − min)`, into `[0, 1]`.
    MinMax,
    /// The raw features.
    None,
}

impl FromStr for Scaling {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "standardize" => Ok(Scaling::Standardize),
            "minmax" => Ok(Scaling::MinMax),
            "none" => Ok(Scaling::None),
            other => Err(format!(
                "unknown scaling `{other}`; expected standardize, minmax or none"
            )),
        }
    }
}

impl fmt::Display for Scaling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scaling::Standardize => "standardize",
            Scaling::MinMax => "minmax",
            Scaling::None => "none",
        })
    }
}

/// A per-feature affine map `x ↦ (x − shift) / scale`, fitted on some rows.
#[derive(Clone, Debug)]
pub struct Scaler {
    shift: Vec<f64>,
    scale: Vec<f64>,
}

impl Scaler {
    /// Fits `scaling` on `rows` (the training split: the test rows must not
    /// leak into the statistics).
    pub fn fit(scaling: Scaling, rows: &[&[f64]]) -> Self {
        let d = rows.first().map_or(0, |r| r.len());
        let n = rows.len() as f64;
        let column = |j: usize| rows.iter().map(move |r| r[j]);
        let (shift, scale): (Vec<f64>, Vec<f64>) = (0..d)
            .map(|j| match scaling {
                Scaling::Standardize => {
                    let mean = column(j).sum::<f64>() / n;
                    let var = column(j).map(|x| (x - mean).powi(2)).sum::<f64>() / n;
                    (mean, var.sqrt())
                }
                Scaling::MinMax => {
                    let min = column(j).fold(f64::INFINITY, f64::min);
                    let max = column(j).fold(f64::NEG_INFINITY, f64::max);
                    (min, max - min)
                }
                Scaling::None => (0.0, 1.0),
            })
            // A constant feature carries no information: leave it unscaled.
            .map(|(shift, scale)| (shift, if scale > 0.0 { scale } else { 1.0 }))
            .unzip();
        Scaler { shift, scale }
    }

    pub fn transform(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .zip(self.shift.iter().zip(&self.scale))
            .map(|(x, (s, k))| (x - s) / k)
            .collect()
    }
}

/// `data` with every row scaled by `scaling`, fitted on the rows `train`
/// alone, so that the test rows do not leak into the statistics.
fn scaled(data: Dataset, scaling: Scaling, train: &[usize]) -> Dataset {
    let rows: Vec<&[f64]> = train.iter().map(|&i| data.features[i].as_slice()).collect();
    let scaler = Scaler::fit(scaling, &rows);
    let features = data
        .features
        .iter()
        .map(|row| scaler.transform(row))
        .collect();
    Dataset { features, ..data }
}

/// The data set at `path` split into training and test rows (a fifth for
/// testing, stratified, shuffled with `seed`) and scaled by `scaling`
/// fitted on the training rows: what every classifier example starts from.
pub fn split_and_scale(
    path: &std::path::Path,
    scaling: Scaling,
    seed: u64,
) -> Result<(Dataset, Vec<usize>, Vec<usize>), super::data::DataError> {
    let raw = super::data::load_csv(path)?;
    let (train, test) = stratified_split(&raw.labels, 0.2, seed);
    Ok((scaled(raw, scaling, &train), train, test))
}
