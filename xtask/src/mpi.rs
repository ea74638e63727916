//! `cargo xtask mpi` (and the `mpi` step of `ci`): the MPI backend, which
//! lives outside the main workspace because rsmpi's build needs an MPI
//! installation.
//!
//! Where `mpirun` and `mpicc` are on the PATH it checks `backend-mpi/` (fmt,
//! clippy `-D warnings`), runs its tests — each test binary relaunches
//! itself under `mpirun --oversubscribe -n 3` — and prints
//! `conformance mpi: N passed, M failed` from libtest's counts of the
//! conformance suite (one test per scenario); then it lints the facade with the
//! `mpi` feature, runs its `Pool` tests outside and under `mpirun -n 3`, and
//! runs the primes example under `mpirun -n 3 ... --backend mpi` (the default
//! features beside `mpi` only, to keep the step short).
//! Everything builds in `<target>/mpi` with `RUSTFLAGS="--cfg concur_mpi"` (the
//! cfg that compiles the facade's `mpi` feature in), so the main build's
//! artifacts are untouched. Without Open MPI it prints one line
//! saying the suite was not run and how to install it, and succeeds.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{Captured, capture, cargo, exec, metadata, project_root};

/// The packages to install on Debian (what `.ci/run` installs).
const INSTALL: &str = "apt-get install libopenmpi-dev openmpi-bin libclang-dev";

/// Whether `program` is on the PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// `<target>/mpi`: the MPI builds' own target directory.
fn target_dir() -> Result<PathBuf, String> {
    metadata()?["target_directory"]
        .as_str()
        .map(|t| PathBuf::from(t).join("mpi"))
        .ok_or_else(|| "cargo metadata: no `target_directory`".into())
}

/// A cargo command for the MPI builds: their target directory, the cfg, and
/// Open MPI's permission to run as root (CI runs as root).
fn mpi_cargo<const N: usize>(args: [&str; N], target: &PathBuf) -> Command {
    let mut cmd = cargo(args);
    cmd.env("CARGO_TARGET_DIR", target)
        .env("RUSTFLAGS", "--cfg concur_mpi")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    cmd
}

/// Runs the MPI checks, or explains why not.
///
/// # Errors
///
/// When a check fails, or the conformance suite reports a failure or no line.
pub(crate) fn run() -> Result<(), String> {
    if !on_path("mpirun") || !on_path("mpicc") {
        println!(
            "conformance mpi: not run — Open MPI is not installed (no mpirun/mpicc on PATH); \
             to run it: {INSTALL} (Debian), then cargo xtask ci"
        );
        return Ok(());
    }
    let target = target_dir()?;
    let manifest = project_root().join("backend-mpi").join("Cargo.toml");
    let manifest = manifest.to_str().ok_or("non-UTF-8 path")?;
    exec(cargo(["fmt", "--manifest-path", manifest, "--check"]))?;
    exec(mpi_cargo(
        [
            "clippy",
            "--manifest-path",
            manifest,
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &target,
    ))?;
    // The facade's MPI code and the example that uses it; its other targets
    // and backends are linted by the main clippy step.
    exec(mpi_cargo(
        [
            "clippy",
            "-p",
            "concur",
            "--lib",
            "--tests",
            "--example",
            "primes",
            "--features",
            "mpi",
            "--",
            "-D",
            "warnings",
        ],
        &target,
    ))?;
    exec(mpi_cargo(
        [
            "test",
            "--manifest-path",
            manifest,
            "--lib",
            "--test",
            "pools",
        ],
        &target,
    ))?;
    exec(mpi_cargo(
        ["test", "--manifest-path", manifest, "--doc"],
        &target,
    ))?;
    // One #[test] per scenario; libtest's own counts make the summary line.
    let out = capture(mpi_cargo(
        ["test", "--manifest-path", manifest, "--test", "conformance"],
        &target,
    ))?;
    let counts = out.stdout.lines().find_map(parse_result);
    match counts {
        Some((passed, 0)) if out.success => {
            println!("conformance mpi: {passed} passed, 0 failed");
        }
        _ => {
            eprintln!(
                "---- output of the MPI conformance suite ----\n{}---- end ----",
                out.all()
            );
            return Err(match counts {
                Some((passed, failed)) => {
                    format!("conformance mpi: {passed} passed, {failed} failed")
                }
                None => "the MPI conformance suite printed no `test result:` line".into(),
            });
        }
    }
    facade_pool(&target)?;
    primes(&target)
}

/// The counts of libtest's `test result: ok. N passed; M failed; ...` line.
fn parse_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_, counts) = rest.split_once(". ")?;
    let mut parts = counts.split("; ");
    let passed = parts.next()?.strip_suffix(" passed")?.parse().ok()?;
    let failed = parts.next()?.strip_suffix(" failed")?.parse().ok()?;
    Some((passed, failed))
}

/// The facade's `Pool` tests with `mpi` compiled in: outside a launcher
/// (`Backend::Mpi` is refused with the launcher error), then under `mpirun -n
/// 3` as cargo's runner (it runs tasks on the worker ranks).
fn facade_pool(target: &PathBuf) -> Result<(), String> {
    let args = [
        "test",
        "-p",
        "concur",
        "--features",
        "mpi",
        "--test",
        "pool",
    ];
    exec(mpi_cargo(args, target))?;
    let runner = "target.'cfg(all())'.runner = ['mpirun', '--oversubscribe', '-n', '3']";
    let mut cmd = mpi_cargo(["--config", runner], target);
    cmd.args(args);
    exec(cmd)
}

/// The README's MPI command, in debug and small: the `mpi` row must appear.
fn primes(target: &PathBuf) -> Result<(), String> {
    exec(mpi_cargo(
        [
            "build",
            "--quiet",
            "-p",
            "concur",
            "--example",
            "primes",
            "--features",
            "mpi",
        ],
        target,
    ))?;
    let exe = target.join("debug").join("examples").join("primes");
    let mut cmd = Command::new("mpirun");
    cmd.args(["--oversubscribe", "-n", "3"])
        .arg(&exe)
        .args(["--backend", "mpi", "--limit", "2000"])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    let out: Captured = capture(cmd)?;
    if out.success && out.stdout.contains("| mpi (2 workers)") {
        eprintln!("example `primes --backend mpi` under mpirun -n 3: ok");
        Ok(())
    } else {
        Err(format!(
            "`mpirun -n 3 primes --backend mpi` failed ({}):\n{}",
            out.status,
            out.all()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libtest_counts() {
        assert_eq!(
            parse_result(
                "test result: ok. 86 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 9.1s"
            ),
            Some((86, 0))
        );
        assert_eq!(
            parse_result("test result: FAILED. 84 passed; 2 failed; 0 ignored"),
            Some((84, 2))
        );
        assert_eq!(parse_result("conformance mpi: 86 passed, 0 failed"), None);
    }
}
