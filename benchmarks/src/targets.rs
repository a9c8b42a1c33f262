//! The lines the ratios must stay under, read from `targets.toml` and
//! checked round by round: a target passes when its figure is within the
//! tolerance of its line in enough rounds (by default four of five).

use std::fmt;

use serde::Deserialize;

use crate::harness::{Measured, median};

/// `targets.toml`: the tolerance, and every target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// How far over its line a round may be and still count, relative.
    pub tolerance: f64,
    /// The share of rounds that must be within the tolerance.
    pub rounds_within: f64,
    pub target: Vec<Target>,
}

/// One line: a row of some workloads, what it is compared with, how far.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Where the line comes from (an issue, or the README).
    pub from: String,
    pub workloads: Vec<String>,
    pub row: String,
    /// Compare with this row's ratio instead of the plain function.
    pub ratio_to: Option<String>,
    /// Compare the overhead (ratio − 1) with the lowest of these rows'.
    pub overhead_to: Option<Vec<String>>,
    pub at_most: f64,
}

/// What one target on one workload came to.
#[derive(Debug)]
pub enum Verdict {
    Pass {
        figure: f64,
        within: usize,
        rounds: usize,
    },
    Fail {
        figure: f64,
        within: usize,
        rounds: usize,
    },
    /// A row it names is not built yet (a later issue adds it).
    Pending { missing: String },
    /// The workload was not measured in this run.
    NotRun,
}

impl Targets {
    /// Parses `targets.toml`.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Every target on every workload it names, with its verdict.
    pub fn check<'a>(&'a self, measured: &[Measured]) -> Vec<(&'a Target, &'a str, Verdict)> {
        let mut out = Vec::new();
        for t in &self.target {
            for w in &t.workloads {
                out.push((t, w.as_str(), self.verdict(t, w, measured)));
            }
        }
        out
    }

    fn verdict(&self, t: &Target, workload: &str, measured: &[Measured]) -> Verdict {
        if !measured.iter().any(|m| m.workload == workload) {
            return Verdict::NotRun;
        }
        let find = |row: &str| {
            measured
                .iter()
                .find(|m| m.workload == workload && m.row == row)
                .ok_or_else(|| row.to_string())
        };
        let figures = || -> Result<Vec<f64>, String> {
            let row = &find(&t.row)?.ratios;
            Ok(match (&t.ratio_to, &t.overhead_to) {
                (Some(other), _) => {
                    let other = &find(other)?.ratios;
                    row.iter().zip(other).map(|(r, o)| r / o).collect()
                }
                (None, Some(others)) => {
                    let others: Vec<&Vec<f64>> = others
                        .iter()
                        .map(|o| find(o).map(|m| &m.ratios))
                        .collect::<Result<_, _>>()?;
                    (0..row.len())
                        .map(|r| {
                            let best = others
                                .iter()
                                .map(|o| o[r] - 1.0)
                                .fold(f64::INFINITY, f64::min);
                            (row[r] - 1.0) / best
                        })
                        .collect()
                }
                (None, None) => row.clone(),
            })
        };
        let figures = match figures() {
            Ok(f) => f,
            Err(missing) => return Verdict::Pending { missing },
        };
        let line = t.at_most * (1.0 + self.tolerance);
        let within = figures.iter().filter(|&&f| f <= line).count();
        let rounds = figures.len();
        let figure = median(&figures);
        if within as f64 >= (self.rounds_within * rounds as f64).ceil() {
            Verdict::Pass {
                figure,
                within,
                rounds,
            }
        } else {
            Verdict::Fail {
                figure,
                within,
                rounds,
            }
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.ratio_to, &self.overhead_to) {
            (Some(other), _) => write!(f, "{} ≤ {:.2} × {other}", self.row, self.at_most),
            (None, Some(others)) => {
                let of = match others.as_slice() {
                    [one] => format!("{one}'s"),
                    _ => format!("the lowest of {}", others.join(", ")),
                };
                write!(f, "{} overhead ≤ {:.2} × {of}", self.row, self.at_most)
            }
            (None, None) => write!(f, "{} ≤ {:.2} × plain", self.row, self.at_most),
        }
    }
}

/// One line of the report: verdict, median figure, rounds within the
/// line, then the target and where it comes from.
pub fn line(t: &Target, workload: &str, v: &Verdict) -> String {
    let what = format!("{workload}: {t}  [{}]", t.from);
    match v {
        Verdict::Pass {
            figure,
            within,
            rounds,
        } => {
            format!("PASS     {figure:>6.2}  {within}/{rounds}  {what}")
        }
        Verdict::Fail {
            figure,
            within,
            rounds,
        } => {
            format!("FAIL     {figure:>6.2}  {within}/{rounds}  {what}")
        }
        Verdict::Pending { missing } => format!("PENDING  (no row \"{missing}\" yet)  {what}"),
        Verdict::NotRun => format!("NOT RUN  {what}"),
    }
}
