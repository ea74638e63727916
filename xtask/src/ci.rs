//! `cargo xtask ci`: everything CI runs, in order, failing fast.

use crate::util::{Step, cargo, exec, run_steps};

/// The steps of CI. Add a step here and it runs locally and in CI alike.
const STEPS: &[Step] = &[
    ("fmt", fmt),
    ("clippy", clippy),
    ("test", test),
    ("conformance", crate::conformance::run),
    ("features", crate::features::run),
];

/// Runs every step; prints the time of each at the end.
///
/// # Errors
///
/// The first step that fails.
pub(crate) fn run() -> Result<(), String> {
    run_steps("ci", STEPS)
}

fn fmt() -> Result<(), String> {
    exec(cargo(["fmt", "--all", "--check"]))
}

fn clippy() -> Result<(), String> {
    exec(cargo([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test() -> Result<(), String> {
    exec(cargo(["test", "--workspace", "--all-features"]))
}
