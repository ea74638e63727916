//! `cargo xtask`: the project's own tooling, a plain binary (no argument parser).
//!
//! One module per subcommand; `cargo xtask ci` is exactly what CI runs
//! (`.ci/run` calls it). Every sub-step invokes `cargo` with the inherited
//! environment, so `CARGO_TARGET_DIR=... cargo xtask ci` builds in that directory.

mod bench_cmd;
mod ci;
mod conformance;
mod downstream;
mod features;
mod loom;
mod mpi;
mod util;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  ci                     everything CI runs, in order, failing fast:
                         fmt --check, clippy -D warnings, test --workspace --all-features,
                         conformance, features, loom --bounded, examples (the facade's
                         examples in debug, their output checked); prints the time of
                         each step
  conformance            runs the conformance suite of every backend that has
                         tests/conformance.rs, plus the third-party proof in concur-conformance;
                         one line per backend: `conformance <backend>: N passed, M failed`
  features               the facade `concur` under every feature combination by
                         cargo-hack (installed when missing): check for each
                         subset of the backends, tests with none, each alone and
                         all, its doctests; then a crate generated under
                         <target>/downstream/ that depends on concur with the
                         process feature only: runs it and checks its `cargo tree`
                         has no other backend
  loom [--bounded]       the loom models of the future state machine (core/tests/loom.rs)
                         with --cfg loom in <target>/loom: exhaustive by default (a few
                         minutes), --bounded caps each at 3 preemptions (seconds; CI);
                         then the async pool's sleep model (backend-async/tests/
                         loom_sleepers.rs) at 3 preemptions, 2 with --bounded
  mpi                    the MPI backend (outside the workspace; needs Open MPI):
                         fmt, clippy, its tests with the conformance suite under
                         mpirun --oversubscribe -n 3, the facade's mpi feature and
                         primes --backend mpi under mpirun; without Open MPI, one
                         line saying it was not run (also the last step of ci)
  bench [--quick] [--only W1,W3] [--reps N] [--workers N] [--no-python] [--no-alloc-count]
                         the benchmark harness (package concur-bench, release
                         build): the workloads of xtask/bench/WORKLOADS.md for
                         every backend beside the anchors (rayon, std::thread,
                         smol, tokio, procspawn, and Python's concurrent.futures
                         when python3 is on PATH), round-robin, median of N reps
                         (default 5); writes target/bench/results.{jsonl,md} and
                         chart.svg (see xtask/bench/BENCH.md)
  help                   this screen
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    };
    let outcome = match command.as_str() {
        "ci" => no_args(command, rest).and_then(|()| ci::run()),
        "conformance" => no_args(command, rest).and_then(|()| conformance::run()),
        "features" => no_args(command, rest).and_then(|()| features::run()),
        "loom" => loom::run_cmd(rest),
        "mpi" => no_args(command, rest).and_then(|()| mpi::run()),
        "bench" => bench_cmd::run_bench(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn no_args(command: &str, rest: &[String]) -> Result<(), String> {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(format!("`{command}` takes no arguments, got `{arg}`")),
    }
}
