//! Helpers shared by the subcommands: where the workspace is, and running cargo.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (the parent of `xtask/`).
///
/// `cargo run` sets `CARGO_MANIFEST_DIR` for the program it runs, which is right
/// even when two checkouts share one `CARGO_TARGET_DIR` (and so one uplifted
/// binary); the path baked in at compile time is the fallback.
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A `cargo` command run from the workspace root, with the inherited environment
/// (so `CARGO_TARGET_DIR`, `RUSTFLAGS`, ... apply to every sub-step).
pub(crate) fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args).current_dir(project_root());
    cmd
}

/// The command line, for messages: `cargo test -p concur`.
pub(crate) fn display(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut line = program;
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `cmd` with its output going straight to the terminal.
///
/// # Errors
///
/// When it cannot start or exits with a failure.
pub(crate) fn exec(mut cmd: Command) -> Result<(), String> {
    let line = display(&cmd);
    eprintln!("$ {line}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// What a captured command printed, stdout then stderr.
#[derive(Debug)]
pub(crate) struct Captured {
    pub(crate) success: bool,
    pub(crate) status: String,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Captured {
    /// Both streams, for showing when something went wrong.
    pub(crate) fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `cmd` and captures its output.
///
/// # Errors
///
/// When it cannot start (a failing exit status is reported in [`Captured`]).
pub(crate) fn capture(mut cmd: Command) -> Result<Captured, String> {
    let line = display(&cmd);
    eprintln!("$ {line}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{line}`: {e}"))?;
    Ok(Captured {
        success: out.status.success(),
        status: out.status.to_string(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// `cargo metadata --format-version 1 --no-deps`, parsed.
///
/// # Errors
///
/// When cargo fails or prints something that is not JSON.
pub(crate) fn metadata() -> Result<serde_json::Value, String> {
    let out = capture(cargo(["metadata", "--format-version", "1", "--no-deps"]))?;
    if !out.success {
        return Err(format!(
            "cargo metadata failed ({}):\n{}",
            out.status, out.stderr
        ));
    }
    serde_json::from_str(&out.stdout)
        .map_err(|e| format!("cargo metadata printed invalid JSON: {e}"))
}

/// A named step of `ci` or `features`.
pub(crate) type Step = (&'static str, fn() -> Result<(), String>);

/// Runs named steps in order, failing fast, then prints the time of each.
///
/// # Errors
///
/// The first failing step's error, prefixed with its name.
pub(crate) fn run_steps(title: &str, steps: &[Step]) -> Result<(), String> {
    let mut timings: Vec<(&str, Duration, bool)> = Vec::new();
    let mut failure = None;
    for (name, step) in steps {
        eprintln!("\n== {title}: {name}");
        let start = Instant::now();
        let outcome = step();
        timings.push((name, start.elapsed(), outcome.is_ok()));
        if let Err(e) = outcome {
            failure = Some(format!("{title}: step `{name}` failed: {e}"));
            break;
        }
    }
    eprintln!("\n== {title}: timings");
    let total: Duration = timings.iter().map(|t| t.1).sum();
    for (name, took, ok) in &timings {
        let mark = if *ok { "ok" } else { "FAILED" };
        eprintln!("  {name:<14} {:>8.1} s  {mark}", took.as_secs_f64());
    }
    eprintln!("  {:<14} {:>8.1} s", "total", total.as_secs_f64());
    failure.map_or(Ok(()), Err)
}
