//! `cargo xtask bench`: builds the benchmark harness (the `concur-bench`
//! package, `xtask/bench/`) in release mode and runs it with the given options.
//!
//! The harness is a package of its own so that the backends, the anchor crates
//! (rayon, tokio, procspawn, ...) and the chart's plotting crate are compiled
//! only when benchmarking, and always with optimisations: `cargo xtask` itself
//! depends on serde_json alone.

use crate::util::{cargo, exec};

/// Runs `cargo run --release -p concur-bench -- ARGS`.
///
/// # Errors
///
/// When the build or the run fails.
pub(crate) fn run_bench(args: &[String]) -> Result<(), String> {
    let mut cmd = cargo(["run", "--release", "--quiet", "-p", "concur-bench", "--"]);
    cmd.args(args);
    exec(cmd)
}
