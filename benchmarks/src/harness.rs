//! Ratios that hold on a noisy machine: each row is timed in slices that
//! alternate with slices of the plain function, so that both run in the same
//! phase of the machine. A round's ratio is the median of its pairs' ratios;
//! a row's figure is the median over rounds, with their spread.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::{Row, Workload, rows};

/// How long and how often to time.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Rounds over all rows; each row's figure is the median over them.
    pub rounds: usize,
    /// Plain–row pairs of slices in one round of one row.
    pub pairs: usize,
    /// How long one slice lasts (at least one call).
    pub slice: Duration,
}

/// One row's figures: per round, the median of its pairs.
#[derive(Clone, Debug)]
pub struct Measured {
    pub workload: &'static str,
    pub row: &'static str,
    /// The row's time over the plain function's, one per round.
    pub ratios: Vec<f64>,
    /// Seconds a call of the row, one per round.
    pub seconds: Vec<f64>,
    /// Seconds a call of the plain function, one per round.
    pub plain_seconds: Vec<f64>,
}

impl Measured {
    /// The median ratio over rounds.
    pub fn ratio(&self) -> f64 {
        median(&self.ratios)
    }
}

/// The median of a non-empty slice.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// Seconds a call of `f`, over `calls` calls.
fn per_call(f: &mut dyn FnMut(), calls: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        f();
    }
    start.elapsed().as_secs_f64() / calls as f64
}

/// How many calls of `f` fill a slice: timed over at least a slice's length.
fn calibrate(f: &mut dyn FnMut(), slice: Duration) -> usize {
    let (mut calls, mut spent) = (1usize, 0.0);
    while spent < slice.as_secs_f64() {
        spent = per_call(f, calls) * calls as f64;
        calls *= 2;
    }
    let each = spent / (calls / 2) as f64;
    ((slice.as_secs_f64() / each).round() as usize).max(1)
}

/// Times every row of `w` against its plain function.
pub fn measure<W: Workload>(w: &W, settings: Settings) -> Vec<Measured> {
    let mut plain = || {
        black_box(black_box(w).plain());
    };
    measure_rows(W::NAME, &mut plain, rows(w), settings)
}

/// Times each of `rows` against `plain`, in slices that alternate with it.
pub fn measure_rows(
    workload: &'static str,
    plain: &mut dyn FnMut(),
    mut rows: Vec<Row<'_>>,
    settings: Settings,
) -> Vec<Measured> {
    let plain_calls = calibrate(plain, settings.slice);
    let calls: Vec<usize> = rows
        .iter_mut()
        .map(|row| calibrate(&mut || drop(black_box((row.gradient)())), settings.slice))
        .collect();
    let mut measured: Vec<Measured> = rows
        .iter()
        .map(|row| Measured {
            workload,
            row: row.name,
            ratios: Vec::new(),
            seconds: Vec::new(),
            plain_seconds: Vec::new(),
        })
        .collect();
    for _ in 0..settings.rounds {
        for ((row, &n), m) in rows.iter_mut().zip(&calls).zip(&mut measured) {
            let (mut ratios, mut times, mut plains) = (vec![], vec![], vec![]);
            for _ in 0..settings.pairs {
                let p = per_call(plain, plain_calls);
                let t = per_call(&mut || drop(black_box((row.gradient)())), n);
                ratios.push(t / p);
                times.push(t);
                plains.push(p);
            }
            m.ratios.push(median(&ratios));
            m.seconds.push(median(&times));
            m.plain_seconds.push(median(&plains));
        }
    }
    measured
}

/// One row of a saved run: its median ratio and spread.
#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    workload: String,
    row: String,
    ratio: f64,
    lowest: f64,
    highest: f64,
    rounds: usize,
}

/// The median ratios of an earlier run, to compare a change with
/// (`benchmarks/baseline.csv` holds the foundations' run).
#[derive(Debug, Default)]
pub struct Baseline(HashMap<(String, String), f64>);

impl Baseline {
    /// Reads a file written by [`save`].
    pub fn load(path: &Path) -> Result<Self, csv::Error> {
        let mut map = HashMap::new();
        for saved in csv::Reader::from_path(path)?.deserialize() {
            let saved: Saved = saved?;
            map.insert((saved.workload, saved.row), saved.ratio);
        }
        Ok(Baseline(map))
    }

    /// The baseline's median ratio of `row` of `workload`.
    pub fn ratio(&self, workload: &str, row: &str) -> Option<f64> {
        self.0
            .get(&(workload.to_string(), row.to_string()))
            .copied()
    }
}

/// Writes every row's median ratio and spread as CSV.
pub fn save(measured: &[Measured], path: &Path) -> Result<(), csv::Error> {
    let mut out = csv::Writer::from_path(path)?;
    for m in measured {
        let (lowest, highest) = spread(&m.ratios);
        out.serialize(Saved {
            workload: m.workload.to_string(),
            row: m.row.to_string(),
            ratio: m.ratio(),
            lowest,
            highest,
            rounds: m.ratios.len(),
        })?;
    }
    out.flush()?;
    Ok(())
}

/// The lowest and the highest of the rounds.
fn spread(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        })
}

/// A duration in seconds, in the unit that suits it.
pub fn human(seconds: f64) -> String {
    match seconds {
        s if s < 1e-6 => format!("{:.0} ns", s * 1e9),
        s if s < 1e-3 => format!("{:.1} µs", s * 1e6),
        s => format!("{:.2} ms", s * 1e3),
    }
}

/// The table of one workload's rows: median ratio, spread, time a call,
/// and the change from the baseline's ratio where there is one.
pub fn table(measured: &[Measured], baseline: Option<&Baseline>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let Some(first) = measured.first() else {
        return out;
    };
    let plain: Vec<f64> = measured
        .iter()
        .flat_map(|m| m.plain_seconds.clone())
        .collect();
    let _ = writeln!(
        out,
        "\n{} (plain: {} a call, median of all slices)",
        first.workload,
        human(median(&plain))
    );
    let _ = write!(
        out,
        "  {:<24} {:>9}  {:>15}  {:>10}",
        "row", "× plain", "rounds' spread", "a call"
    );
    let _ = writeln!(
        out,
        "{}",
        if baseline.is_some() {
            "  × baseline"
        } else {
            ""
        }
    );
    for m in measured {
        let (lo, hi) = spread(&m.ratios);
        let _ = write!(
            out,
            "  {:<24} {:>9.2}  {:>7.2} – {:<5.2}  {:>10}",
            m.row,
            m.ratio(),
            lo,
            hi,
            human(median(&m.seconds))
        );
        match baseline.map(|b| b.ratio(m.workload, m.row)) {
            Some(Some(base)) => writeln!(out, "  {:>10.3}", m.ratio() / base),
            Some(None) => writeln!(out, "  {:>10}", "new"),
            None => writeln!(out),
        }
        .expect("a String takes any write");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn a_slice_holds_at_least_one_call() {
        let mut slow = || std::thread::sleep(Duration::from_millis(2));
        assert_eq!(calibrate(&mut slow, Duration::from_micros(10)), 1);
    }
}
