//! The MPI pool (`backend-mpi/`, outside the main workspace): its own
//! benchmark program, `backend-mpi/examples/bench.rs`, built in release in
//! `<target>/mpi` and run on 3 ranks (`mpirun --oversubscribe -n 3`: rank 0
//! the pool, 2 worker ranks, as the process pool's 2 workers). It measures
//! W1, W2 and W3 in one job; the job runs once, at the first of those
//! workloads asked for, and each workload takes its own records. Skipped
//! (with a note) where `mpirun` or `mpicc` is not on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::config::Config;
use crate::record::Record;

/// The workloads the MPI program measures.
const WORKLOADS: &[&str] = &["W1", "W2", "W3"];

/// Whether `program` is on PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// `<workspace>` and `<workspace>/target/mpi`.
fn dirs() -> (PathBuf, PathBuf) {
    let root = crate::package_dir()
        .ancestors()
        .nth(2)
        .expect("the harness is two levels below the workspace root")
        .to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("mpi");
    (root, target)
}

/// Builds the MPI bench and runs it once; every record it printed, or the
/// reason there are none.
fn run_job(config: &Config) -> Result<Vec<Record>, String> {
    if !(on_path("mpirun") && on_path("mpicc")) {
        return Err(
            "not run: no Open MPI here (apt-get install libopenmpi-dev openmpi-bin libclang-dev)"
                .into(),
        );
    }
    let (root, target) = dirs();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--example",
            "bench",
            "--manifest-path",
        ])
        .arg(root.join("backend-mpi").join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !built.success() {
        return Err(format!("building backend-mpi's bench failed ({built})"));
    }
    let bin: &Path = &target.join("release").join("examples").join("bench");
    let mut cmd = Command::new("mpirun");
    cmd.args(["--oversubscribe", "-n", "3"])
        .arg(bin)
        .arg("--reps")
        .arg(config.reps.to_string())
        // mpirun refuses root without these (CI runs as root).
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    if config.quick {
        cmd.arg("--quick");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run mpirun: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the MPI job failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(Record::from_json)
        .collect()
}

/// The records of `workload` from the one MPI job of this run.
pub(crate) fn records(workload: &str, config: &Config) -> Vec<Record> {
    static JOB: OnceLock<Result<Vec<Record>, String>> = OnceLock::new();
    if !WORKLOADS.contains(&workload) {
        return Vec::new();
    }
    match JOB.get_or_init(|| run_job(config)) {
        Ok(records) => records
            .iter()
            .filter(|r| r.workload == workload)
            .cloned()
            .collect(),
        Err(why) => {
            eprintln!("  mpi: {why}");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_it_does_not_measure_run_nothing() {
        let config = Config::parse(&[]).expect("valid");
        for w in ["W4", "W5", "W6", "W7"] {
            assert!(records(w, &config).is_empty(), "{w}");
        }
    }
}
