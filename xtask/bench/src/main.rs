//! The benchmark harness, `concur-bench`: what `cargo xtask bench` builds in
//! release mode and runs.
//!
//! It runs the workloads of `xtask/bench/WORKLOADS.md` (W1 overhead, W2
//! map-chunked, W3 cpu-scaling, W4 docs-is-prime, W5 io-fanout, W6 startup, W7
//! crash) for every concur backend and, in the same run so that ratios hold on a
//! noisy machine, for the anchors a user would pick instead (rayon,
//! std::thread, smol, tokio, procspawn, Python's `concurrent.futures`). For each
//! workload every implementation is set up, then they run round-robin
//! ([`runner`]); each figure is the median of `--reps` repetitions, min and max
//! beside it, with the time per unit of work, the allocations per unit in this
//! process ([`alloc`]), the CPU per unit and the other processes' CPU
//! meanwhile ([`cpu`]). Results go to `target/bench/results.jsonl` (one JSON
//! object per line), `target/bench/results.md` (the table, also printed) and
//! `target/bench/chart.svg` ([`chart`]). `xtask/bench/BENCH.md` says how to read
//! them, and what to expect past 2 cores.
//!
//! To add a suite (a backend, an anchor), see [`suites`].

mod alloc;
mod chart;
mod config;
mod cpu;
mod record;
mod report;
mod runner;
mod suites;
mod workloads;

use std::path::PathBuf;
use std::process::ExitCode;

use config::{Config, USAGE};
use suites::{SUITES, Suite};

/// Every allocation of the harness is counted (the allocation columns).
#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// This package's folder (`xtask/bench`): `CARGO_MANIFEST_DIR` as `cargo run`
/// sets it (right even when checkouts share a target directory), else as at
/// compile time.
pub(crate) fn package_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// `<workspace>/target/bench`.
fn out_dir() -> PathBuf {
    package_dir()
        .ancestors()
        .nth(2)
        .expect("the harness is two levels below the workspace root")
        .join("target")
        .join("bench")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::parse(&args) {
        Ok(config) => config,
        Err(message) if message.is_empty() => {
            eprint!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("bench: {message}");
            eprint!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    // Before anything else: a worker of an anchor's pool takes over here.
    suites::init(&config);
    alloc::set_counting(config.count_allocs);
    eprintln!(
        "bench: {} run, {} reps per figure, {} workers, workloads {}{}",
        if config.quick {
            "quick (n / 10, W3 at full size)"
        } else {
            "full"
        },
        config.reps,
        config.workers(),
        if config.only.is_empty() {
            workloads::ids().join(",")
        } else {
            config.only.join(",")
        },
        if config.python { "" } else { ", no Python" },
    );
    let mut records = Vec::new();
    for workload in workloads::ids() {
        if !config.wants(workload) {
            continue;
        }
        eprintln!("bench: {workload}");
        let mut benches = Vec::new();
        for (_, suite) in SUITES {
            if let Suite::InProcess(suite) = suite {
                benches.extend(suite(workload, &config));
            }
        }
        let mut these = runner::run(workload, &config, benches);
        for (_, suite) in SUITES {
            if let Suite::External(suite) = suite {
                these.extend(runner::external(|| suite(workload, &config)));
            }
        }
        for record in &these {
            eprintln!(
                "  {:<28} {:>10.4} s  {:>14} /s{}",
                record.imp,
                record.seconds,
                report::grouped(record.per_sec),
                if record.extra.get("contaminated") == Some(&serde_json::Value::Bool(true)) {
                    "  (contaminated)"
                } else {
                    ""
                }
            );
        }
        records.extend(these);
    }
    report::derive(&mut records);
    let dir = out_dir();
    match report::write_all(&dir, &records) {
        Ok(table) => {
            println!("{table}");
            for line in report::headlines(&records) {
                println!("{line}");
            }
            eprintln!(
                "bench: wrote {}/results.jsonl, results.md, chart.svg",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench: cannot write results under {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
