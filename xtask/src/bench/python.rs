//! The Python anchor: `xtask/bench/python_bench.py` runs W1–W3 on
//! `concurrent.futures.ThreadPoolExecutor` and prints JSON lines in the harness's
//! format; skipped (with a note) when `python3` is not on PATH.

use std::path::PathBuf;
use std::process::Command;

use super::{Config, Record};

/// The script, beside the harness sources.
fn script() -> PathBuf {
    super::xtask_dir().join("bench").join("python_bench.py")
}

/// Runs the script; an empty list when Python is missing or fails (said on stderr).
pub(crate) fn run(config: &Config) -> Vec<Record> {
    if !config.python {
        eprintln!("  python: skipped (--no-python)");
        return Vec::new();
    }
    let mut cmd = Command::new("python3");
    cmd.arg(script()).arg("--reps").arg(config.reps.to_string());
    if config.quick {
        cmd.arg("--quick");
    }
    if !config.only.is_empty() {
        cmd.arg("--only").arg(config.only.join(","));
    }
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("  python: skipped (cannot run python3: {e})");
            return Vec::new();
        }
    };
    if !out.status.success() {
        eprintln!(
            "  python: the script failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        return Vec::new();
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut records = Vec::new();
    for line in stdout.lines().filter(|l| l.trim_start().starts_with('{')) {
        match Record::from_json(line) {
            Ok(r) => records.push(r),
            Err(e) => eprintln!("  python: bad line: {e}"),
        }
    }
    records
}
