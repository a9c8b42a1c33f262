//! The ratio harness: every implementation of the four workloads timed in
//! slices interleaved with the plain function, the table of ratios, and the
//! targets of `benchmarks/targets.toml` checked as pass or fail.
//!
//! `cargo run --release -p tapegrad-benchmarks -- --help`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tapegrad_benchmarks::data::{Chain, Logreg, Mlp, Rosenbrock};
use tapegrad_benchmarks::harness::{
    Baseline, Measured, Settings, measure, measure_rows, save, table,
};
use tapegrad_benchmarks::loops::{self, Looped};
use tapegrad_benchmarks::sparse::{self, SparseRosenbrock};
use tapegrad_benchmarks::targets::{Targets, Verdict, line};
use tapegrad_benchmarks::{Row, Workload, verify};

const HELP: &str = "\
Times every implementation of the workloads against the plain function, in
slices that alternate with it, and checks the targets.

usage: cargo run --release -p tapegrad-benchmarks -- [options]

  --rounds N      rounds over all rows; figures are medians over them [5]
  --pairs N       plain/row pairs of slices per row and round [5]
  --slice-ms N    length of one slice in milliseconds [10]
  --workload W    only W (logreg, chain, rosenbrock, mlp, sparse; loop, which
                  runs only when named); repeatable
  --targets PATH  the targets file [benchmarks/targets.toml]
  --baseline PATH an earlier run's ratios to compare with [benchmarks/baseline.csv]
  --save PATH     write this run's ratios as CSV, a baseline for later runs
  --verify        check every gradient against the hand-written one, time nothing
  --calls N       call each row of --row N times, time nothing: for instruction
                  counts under valgrind --tool=callgrind (less a run of --calls 0,
                  which counts the setup)
  --row R         only row R (plain: the plain function); repeatable
  --steps N       the loop workload's steps [100000]
  -h, --help      this text";

struct Options {
    settings: Settings,
    workloads: Vec<String>,
    targets: PathBuf,
    baseline: PathBuf,
    save: Option<PathBuf>,
    verify_only: bool,
    calls: Option<usize>,
    rows: Vec<String>,
    /// The loop workload's steps.
    steps: usize,
}

fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;
    let mut o = Options {
        settings: Settings {
            rounds: 5,
            pairs: 5,
            slice: Duration::from_millis(10),
        },
        workloads: Vec::new(),
        targets: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("targets.toml"),
        baseline: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("baseline.csv"),
        save: None,
        verify_only: false,
        calls: None,
        rows: Vec::new(),
        steps: 100_000,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("rounds") => o.settings.rounds = parser.value()?.parse()?,
            Long("pairs") => o.settings.pairs = parser.value()?.parse()?,
            Long("slice-ms") => o.settings.slice = Duration::from_millis(parser.value()?.parse()?),
            Long("workload") => o.workloads.push(parser.value()?.string()?),
            Long("targets") => o.targets = parser.value()?.into(),
            Long("baseline") => o.baseline = parser.value()?.into(),
            Long("save") => o.save = Some(parser.value()?.into()),
            Long("verify") => o.verify_only = true,
            Long("calls") => o.calls = Some(parser.value()?.parse()?),
            Long("row") => o.rows.push(parser.value()?.string()?),
            Long("steps") => o.steps = parser.value()?.parse()?,
            Short('h') | Long("help") => {
                println!("{HELP}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    if o.calls.is_some() && o.rows.is_empty() {
        return Err("--calls needs --row: which rows to call".into());
    }
    if o.settings.rounds == 0 || o.settings.pairs == 0 {
        return Err("--rounds and --pairs must be at least 1".into());
    }
    Ok(o)
}

/// Verifies, then (unless only verifying) times, one workload.
fn run<W: Workload>(w: W, o: &Options, baseline: Option<&Baseline>, all: &mut Vec<Measured>) {
    if !o.workloads.is_empty() && !o.workloads.iter().any(|n| n == W::NAME) {
        return;
    }
    if let Some(calls) = o.calls {
        let mut plain = || {
            std::hint::black_box(std::hint::black_box(&w).plain());
        };
        call(
            W::NAME,
            &mut plain,
            tapegrad_benchmarks::rows(&w),
            &o.rows,
            calls,
        );
        return;
    }
    verify(&w);
    println!(
        "{}: every gradient agrees with the hand-written one",
        W::NAME
    );
    if !o.verify_only {
        let measured = measure(&w, o.settings);
        print!("{}", table(&measured, baseline));
        all.extend(measured);
    }
}

/// The sparse Hessian's rows, as [`run`] does a workload's.
fn run_sparse(o: &Options, baseline: Option<&Baseline>, all: &mut Vec<Measured>) {
    if !o.workloads.is_empty() && !o.workloads.iter().any(|n| n == sparse::NAME) {
        return;
    }
    let verify = |s: &SparseRosenbrock| {
        s.verify();
        let n = s.data.x.len();
        println!(
            "{}: at n = {n}, gradients agree with the hand-written one, Hessians with echidna's",
            sparse::NAME
        );
    };
    // echidna's sparsity detection takes seconds at 100,000 variables (its
    // index sets grow along the sum): --verify checks a smaller instance.
    if o.verify_only {
        verify(&SparseRosenbrock::new(1000));
        return;
    }
    let s = SparseRosenbrock::new(100_000);
    let mut plain = || {
        std::hint::black_box(std::hint::black_box(&s).plain());
    };
    if let Some(calls) = o.calls {
        call(sparse::NAME, &mut plain, s.rows(), &o.rows, calls);
        return;
    }
    verify(&s);
    let measured = measure_rows(sparse::NAME, &mut plain, s.rows(), o.settings);
    print!("{}", table(&measured, baseline));
    all.extend(measured);
}

/// The long loop's rows, as [`run`] does a workload's.
fn run_loop(o: &Options, baseline: Option<&Baseline>, all: &mut Vec<Measured>) {
    // Only when asked for: the whole tape of 10⁵ steps takes seconds a call
    // and gigabytes.
    if !o.workloads.iter().any(|n| n == loops::NAME) {
        return;
    }
    // --verify checks a shorter loop: the whole tape of 10⁵ steps takes
    // seconds unoptimized.
    if o.verify_only {
        Looped::new(1000).verify();
        println!(
            "{}: at 1,000 steps, the checkpointed gradients agree with the whole tape's",
            loops::NAME
        );
        return;
    }
    let l = Looped::new(o.steps);
    let mut plain = || {
        std::hint::black_box(std::hint::black_box(&l).plain());
    };
    if let Some(calls) = o.calls {
        call(loops::NAME, &mut plain, l.rows(), &o.rows, calls);
        return;
    }
    l.verify();
    println!(
        "{}: at 100,000 steps, the checkpointed gradients agree with the whole tape's",
        loops::NAME
    );
    let measured = measure_rows(loops::NAME, &mut plain, l.rows(), o.settings);
    print!("{}", table(&measured, baseline));
    all.extend(measured);
}

/// Calls each of `rows` named in `wanted` (`plain`: the plain function)
/// `calls` times, timing nothing, so that an instruction counter sees the
/// rows' own work and little else.
fn call(
    workload: &str,
    plain: &mut dyn FnMut(),
    rows: Vec<Row<'_>>,
    wanted: &[String],
    calls: usize,
) {
    if wanted.iter().any(|r| r == "plain") {
        (0..calls).for_each(|_| plain());
    }
    for mut row in rows {
        if wanted.iter().any(|r| r == row.name) {
            (0..calls).for_each(|_| drop(std::hint::black_box((row.gradient)())));
            println!("{workload}/{}: {calls} calls", row.name);
        }
    }
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let targets = match std::fs::read_to_string(&o.targets)
        .map_err(|e| e.to_string())
        .and_then(|text| Targets::parse(&text).map_err(|e| e.to_string()))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", o.targets.display());
            return ExitCode::from(2);
        }
    };
    // A missing baseline file is no error: the targets against it wait.
    let baseline = match Baseline::load(&o.baseline) {
        Ok(b) => Some(b),
        Err(e) if o.baseline.exists() => {
            eprintln!("error: {}: {e}", o.baseline.display());
            return ExitCode::from(2);
        }
        Err(_) => None,
    };
    if !o.verify_only && o.calls.is_none() {
        let s = o.settings;
        println!(
            "{} rounds of {} pairs of {} ms slices; ratios are medians over rounds",
            s.rounds,
            s.pairs,
            s.slice.as_millis()
        );
        if baseline.is_some() {
            println!("baseline: {}", o.baseline.display());
        }
    }
    let mut all = Vec::new();
    let b = baseline.as_ref();
    run(Logreg::default(), &o, b, &mut all);
    run(Chain::new(10_000), &o, b, &mut all);
    run(Rosenbrock::new(10_000), &o, b, &mut all);
    run(Mlp::default(), &o, b, &mut all);
    run_sparse(&o, b, &mut all);
    run_loop(&o, b, &mut all);
    if o.verify_only || o.calls.is_some() {
        return ExitCode::SUCCESS;
    }

    println!(
        "\ntargets: verdict, median figure, rounds within {:.0} % of the line ({:.0} % must be)",
        targets.tolerance * 100.0,
        targets.rounds_within * 100.0
    );
    let mut failed = 0;
    if let Some(path) = &o.save {
        if let Err(e) = save(&all, path) {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("\nratios saved to {}", path.display());
    }
    for (t, w, v) in targets.check(&all, b) {
        if !matches!(v, Verdict::NotRun) {
            println!("{}", line(t, w, &v));
        }
        failed += usize::from(matches!(v, Verdict::Fail { .. }));
    }
    if failed > 0 {
        println!("{failed} targets failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
