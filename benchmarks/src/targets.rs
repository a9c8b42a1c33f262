//! The lines the ratios must stay under, read from `targets.toml` and
//! checked round by round: a target passes when its figure is within the
//! tolerance of its line in enough rounds (by default four of five).

use std::fmt;

use serde::Deserialize;

use crate::harness::{Baseline, Measured, median};

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
    /// Compare with this row's ratio instead of the plain function; with
    /// `"baseline"`, the same row's median ratio in the baseline run.
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
    /// A row it names is not built yet (a later issue adds it), or is not
    /// in the baseline.
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
    pub fn check<'a>(
        &'a self,
        measured: &[Measured],
        baseline: Option<&Baseline>,
    ) -> Vec<(&'a Target, &'a str, Verdict)> {
        let mut out = Vec::new();
        for t in &self.target {
            for w in &t.workloads {
                out.push((t, w.as_str(), self.verdict(t, w, measured, baseline)));
            }
        }
        out
    }

    fn verdict(
        &self,
        t: &Target,
        workload: &str,
        measured: &[Measured],
        baseline: Option<&Baseline>,
    ) -> Verdict {
        if !measured.iter().any(|m| m.workload == workload) {
            return Verdict::NotRun;
        }
        let find = |row: &str| {
            measured
                .iter()
                .find(|m| m.workload == workload && m.row == row)
                .ok_or_else(|| format!("row \"{row}\""))
        };
        let figures = || -> Result<Vec<f64>, String> {
            let row = &find(&t.row)?.ratios;
            Ok(match (&t.ratio_to, &t.overhead_to) {
                (Some(base), _) if base == "baseline" => {
                    let base = baseline
                        .and_then(|b| b.ratio(workload, &t.row))
                        .ok_or_else(|| format!("{} in the baseline", t.row))?;
                    row.iter().map(|r| r / base).collect()
                }
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
        Verdict::Pending { missing } => format!("PENDING  (no {missing} yet)  {what}"),
        Verdict::NotRun => format!("NOT RUN  {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(row: &'static str, ratios: &[f64]) -> Measured {
        Measured {
            workload: "w",
            row,
            ratios: ratios.to_vec(),
            seconds: vec![1.0; ratios.len()],
            plain_seconds: vec![1.0; ratios.len()],
        }
    }

    fn verdicts(toml: &str, m: &[Measured]) -> Vec<String> {
        let targets = Targets::parse(toml).expect("valid targets");
        let checked = targets.check(m, None);
        checked.iter().map(|(_, _, v)| format!("{v:?}")).collect()
    }

    const HEAD: &str = "tolerance = 0.05\nrounds_within = 0.8\n";

    #[test]
    fn a_ratio_passes_when_four_rounds_of_five_are_within_the_tolerance() {
        let toml = format!(
            "{HEAD}[[target]]\nfrom = \"t\"\nworkloads = [\"w\"]\nrow = \"a\"\nat_most = 2.0\n"
        );
        // 2.1 is within 5 % of 2; 2.2 is not.
        let pass = verdicts(&toml, &[measured("a", &[1.0, 2.1, 2.1, 2.1, 2.2])]);
        assert!(
            pass[0].starts_with("Pass") && pass[0].contains("within: 4"),
            "{pass:?}"
        );
        let fail = verdicts(&toml, &[measured("a", &[1.0, 2.1, 2.1, 2.2, 2.2])]);
        assert!(
            fail[0].starts_with("Fail") && fail[0].contains("within: 3"),
            "{fail:?}"
        );
    }

    #[test]
    fn ratio_to_divides_round_by_round() {
        let toml = format!(
            "{HEAD}[[target]]\nfrom = \"t\"\nworkloads = [\"w\"]\nrow = \"a\"\nratio_to = \"hand\"\nat_most = 2.0\n"
        );
        // Each round's ratio is 2 whatever the machine's phase did to both.
        let m = [
            measured("a", &[4.0, 6.0, 4.0, 6.0, 4.0]),
            measured("hand", &[2.0, 3.0, 2.0, 3.0, 2.0]),
        ];
        let v = verdicts(&toml, &m);
        assert!(v[0].starts_with("Pass { figure: 2.0"), "{v:?}");
    }

    #[test]
    fn overhead_is_compared_with_the_lowest_of_the_rows() {
        let toml = format!(
            "{HEAD}[[target]]\nfrom = \"t\"\nworkloads = [\"w\"]\nrow = \"a\"\noverhead_to = [\"p\", \"q\"]\nat_most = 0.5\n"
        );
        // Overheads: a 1.0, p 3.0, q 2.0: 1.0 / 2.0 = 0.5.
        let m = [
            measured("a", &[2.0; 5]),
            measured("p", &[4.0; 5]),
            measured("q", &[3.0; 5]),
        ];
        let v = verdicts(&toml, &m);
        assert!(v[0].starts_with("Pass { figure: 0.5"), "{v:?}");
        let slower = [
            measured("a", &[2.2; 5]),
            measured("p", &[4.0; 5]),
            measured("q", &[3.0; 5]),
        ];
        assert!(verdicts(&toml, &slower)[0].starts_with("Fail"));
    }

    #[test]
    fn a_row_not_built_yet_is_pending_and_an_unmeasured_workload_not_run() {
        let toml = format!(
            "{HEAD}[[target]]\nfrom = \"t\"\nworkloads = [\"w\", \"other\"]\nrow = \"later\"\nat_most = 1.0\n"
        );
        let v = verdicts(&toml, &[measured("a", &[1.0; 5])]);
        assert_eq!(v, ["Pending { missing: \"row \\\"later\\\"\" }", "NotRun"]);
    }

    #[test]
    fn a_baseline_target_compares_each_round_with_the_saved_median() {
        let toml = format!(
            "{HEAD}[[target]]\nfrom = \"t\"\nworkloads = [\"w\"]\nrow = \"a\"\nratio_to = \"baseline\"\nat_most = 1.1\n"
        );
        let targets = Targets::parse(&toml).expect("valid targets");
        let m = [measured("a", &[2.2, 2.3, 2.2, 2.2, 2.2])];
        assert!(matches!(
            targets.check(&m, None)[0].2,
            Verdict::Pending { .. }
        ));

        let dir = std::env::temp_dir().join(format!("tapegrad-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let path = dir.join("baseline.csv");
        crate::harness::save(&[measured("a", &[2.0; 5])], &path).expect("saved");
        let baseline = Baseline::load(&path).expect("loaded");
        assert_eq!(baseline.ratio("w", "a"), Some(2.0));
        // 2.2 / 2.0 = 1.1 is on the line; 2.3 / 2.0 = 1.15 within 5 % of it.
        assert!(matches!(
            targets.check(&m, Some(&baseline))[0].2,
            Verdict::Pass { within: 5, .. }
        ));
        let slower = [measured("a", &[2.4; 5])];
        assert!(matches!(
            targets.check(&slower, Some(&baseline))[0].2,
            Verdict::Fail { within: 0, .. }
        ));
        std::fs::remove_dir_all(&dir).expect("removed");
    }

    #[test]
    fn an_unknown_key_is_an_error() {
        let toml = format!(
            "{HEAD}[[target]]\nfrom = \"t\"\nworkloads = [\"w\"]\nrow = \"a\"\nat_mots = 1.0\n"
        );
        assert!(Targets::parse(&toml).is_err());
    }

    #[test]
    fn the_repository_targets_parse() {
        let text = include_str!("../targets.toml");
        let targets = Targets::parse(text).expect("benchmarks/targets.toml parses");
        assert!(targets.target.len() >= 11);
    }
}
