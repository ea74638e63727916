//! `cargo xtask bench`: builds the benchmark harness (`src/bench/`, the `bench`
//! binary) in release mode and runs it with the given options.
//!
//! The harness is a separate binary behind the `bench` feature so that the
//! backends and the anchor crates (rayon, ...) are compiled only when
//! benchmarking, and always with optimisations.

use crate::util::{cargo, exec};

/// Runs `cargo run --release -p xtask --features bench --bin bench -- ARGS`.
///
/// # Errors
///
/// When the build or the run fails.
pub(crate) fn run_bench(args: &[String]) -> Result<(), String> {
    let mut cmd = cargo([
        "run",
        "--release",
        "--quiet",
        "-p",
        "xtask",
        "--features",
        "bench",
        "--bin",
        "bench",
        "--",
    ]);
    cmd.args(args);
    exec(cmd)
}
