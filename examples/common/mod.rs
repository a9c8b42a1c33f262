//! Code the examples share and the library does not need: reading the data,
//! preparing it, scoring a classifier, parsing flags, drawing plots.
//!
//! Each example uses part of it, so unused items are allowed here.
#![allow(dead_code)]

pub mod args;
pub mod data;
pub mod metrics;
pub mod plot;
pub mod prep;
#[cfg(test)]
mod tests;

/// An example's exit: success, or its error's message on standard error
/// and a failure status.
pub fn exit(result: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Where the examples write their plots and graphs unless a flag says
/// otherwise: `examples-output/` in the target directory the example was
/// built in, wherever `CARGO_TARGET_DIR` or cargo's configuration put it.
pub fn output_path(file: &str) -> std::path::PathBuf {
    // The example runs as `<target>/<profile>/examples/<name>`.
    let exe = std::env::current_exe().expect("the example's own path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("an example runs from <target>/<profile>/examples/");
    target.join("examples-output").join(file)
}
