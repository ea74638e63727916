//! The Python anchors: `xtask/bench/python_bench.py` runs one workload on
//! `concurrent.futures` (threads and processes), `multiprocessing.Pool` and
//! `asyncio`, its own repetitions, and prints JSON lines in the harness's
//! format; skipped (with a note) when `python3` is not on PATH or
//! `--no-python` is given.

use std::path::PathBuf;
use std::process::Command;

use crate::config::Config;
use crate::record::Record;

/// The script, beside the harness's manifest.
fn script() -> PathBuf {
    crate::package_dir().join("python_bench.py")
}

/// Runs the script for `workload`; an empty list when Python is missing or
/// fails (said on stderr).
pub(crate) fn records(workload: &str, config: &Config) -> Vec<Record> {
    if !config.python {
        return Vec::new();
    }
    let mut cmd = Command::new("python3");
    cmd.arg(script())
        .arg("--reps")
        .arg(config.reps.to_string())
        .arg("--only")
        .arg(workload);
    if config.quick {
        cmd.arg("--quick");
    }
    if let Some(workers) = config.workers {
        cmd.arg("--workers").arg(workers.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_runs_one_workload_with_the_pool_size_it_is_given() {
        if Command::new("python3").arg("--version").output().is_err() {
            eprintln!("python3 is not on PATH: the Python suite is skipped in runs too");
            return;
        }
        let args = ["--quick", "--reps", "1", "--workers", "3"].map(String::from);
        let config = Config::parse(&args).expect("valid");
        let records = records("W1", &config);
        let imps: Vec<&str> = records.iter().map(|r| r.imp.as_str()).collect();
        assert_eq!(
            imps,
            [
                "python-threadpool",
                "python-asyncio",
                "python-processpool",
                "python-mp-pool"
            ]
        );
        for r in &records {
            assert_eq!(r.workload, "W1");
            assert_eq!(r.number("reps"), Some(1.0));
            assert!(r.seconds > 0.0 && r.per_sec > 0.0, "{r:?}");
            if r.imp != "python-asyncio" {
                assert_eq!(r.number("workers"), Some(3.0), "{r:?}");
            }
        }
    }

    #[test]
    fn no_python_means_no_records_and_no_process() {
        let config = Config::parse(&["--no-python".to_string()]).expect("valid");
        assert!(records("W1", &config).is_empty());
    }
}
