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
pub mod rng;

/// Where the examples write their plots and graphs unless told otherwise.
pub fn output_path(file: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("examples-output")
        .join(file)
}
