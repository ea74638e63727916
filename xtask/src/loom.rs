//! `cargo xtask loom`: the loom models of the future state machine
//! (`core/tests/loom.rs`), built with `RUSTFLAGS="--cfg loom"` in a target
//! directory of their own (`<target>/loom`), so the flag does not invalidate
//! the normal build.
//!
//! By default every model is exhaustive (all interleavings; a few minutes on
//! two cores), but one three-thread model, capped at 5 preemptions in its
//! own file (`model_capped`). `--bounded` caps each model at 3 preemptions
//! (`LOOM_MAX_PREEMPTIONS`), which still finds the lost wake-ups and double
//! claims the models are about, in seconds: that is what CI runs.
//!
//! Then the model of the async pool's sleep protocol
//! (`backend-async/tests/loom_sleepers.rs`), built without `--cfg loom`
//! (smol's crates do not build with it; the test takes loom's atomics
//! itself) in the normal target directory. Its state space is out of reach
//! exhaustively: it runs with 3 preemptions, 2 with `--bounded`
//! ([`ASYNC_BOUND`]).

use crate::util::{cargo, exec, metadata};

/// Preemptions per model with `--bounded`.
const CI_BOUND: &str = "3";

/// Preemptions of the async pool's sleep model: 3 (about a minute on two
/// cores), or 2 with `--bounded` (seconds).
const ASYNC_BOUND: [&str; 2] = ["3", "2"];

/// Runs the models, exhaustive or (`bounded`) capped.
///
/// # Errors
///
/// When a model fails or the build does.
pub(crate) fn run(bounded: bool) -> Result<(), String> {
    let target = metadata()?["target_directory"]
        .as_str()
        .map(|t| std::path::Path::new(t).join("loom"))
        .ok_or("cargo metadata: no `target_directory`")?;
    let mut cmd = cargo(["test", "-p", "concur-core", "--test", "loom", "--release"]);
    cmd.arg("--target-dir").arg(&target);
    // Appended to what the caller set, so their flags still apply.
    let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    cmd.env("RUSTFLAGS", format!("{flags} --cfg loom").trim());
    if bounded {
        cmd.env("LOOM_MAX_PREEMPTIONS", CI_BOUND);
    } else {
        cmd.env_remove("LOOM_MAX_PREEMPTIONS");
    }
    exec(cmd)?;
    let mut cmd = cargo([
        "test",
        "-p",
        "concur-async",
        "--test",
        "loom_sleepers",
        "--release",
    ]);
    cmd.env("LOOM_MAX_PREEMPTIONS", ASYNC_BOUND[usize::from(bounded)]);
    exec(cmd)
}

/// `cargo xtask loom [--bounded]`.
///
/// # Errors
///
/// An unknown argument, or a failing model.
pub(crate) fn run_cmd(args: &[String]) -> Result<(), String> {
    match args {
        [] => run(false),
        [flag] if flag == "--bounded" => run(true),
        [other, ..] => Err(format!("`loom` takes only `--bounded`, got `{other}`")),
    }
}

/// The CI step: the bounded run.
pub(crate) fn ci() -> Result<(), String> {
    run(true)
}
