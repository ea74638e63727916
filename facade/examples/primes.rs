//! The classic benchmark: count the primes up to `--limit` (default 30 000) by
//! naive trial division, as two tasks, serially and on each pool, and print the
//! times and the speedup — the processes / threads / asyncio table of the
//! Python articles.
//!
//! ```text
//! cargo run --release --example primes --features full                 # every backend
//! cargo run --release --example primes                                 # serial and threads
//! cargo run --release --example primes --features full -- --backend process --limit 50000
//! ```
//!
//! Across the ranks of an MPI job (Open MPI installed; see the README,
//! "Beyond one machine"), the `mpi` row runs the tasks on ranks 1 and 2:
//!
//! ```text
//! RUSTFLAGS="--cfg concur_mpi" cargo build --release --example primes --features full,mpi
//! mpirun -n 3 target/release/examples/primes --backend mpi
//! ```
//!
//! Each pool row goes through [`concur::Pool`], the pool chosen at run time, so
//! `--backend` is parsed by [`concur::Backend`]; a backend left out of the build
//! is listed with the feature that enables it.

use std::time::{Duration, Instant};

use concur::Future;
use concur::prelude::*;

/// Primes up to `limit`, by trial division: deliberately slow, pure CPU.
fn count_primes(limit: u64) -> u64 {
    let mut count = 0;
    for i in 2..=limit {
        let mut prime = true;
        for j in 2..i {
            if i % j == 0 {
                prime = false;
                break;
            }
        }
        count += u64::from(prime);
    }
    count
}

/// Two tasks of the same size: what each row runs.
const TASKS: usize = 2;

/// Runs both tasks one after the other on this thread.
fn serial(limit: u64) -> Result<Vec<u64>, Error> {
    Ok((0..TASKS)
        .map(|_| count_primes(std::hint::black_box(limit)))
        .collect())
}

/// Runs both tasks on a 2-worker pool of `backend` (pool start and shutdown
/// included). On the async backend they are async tasks on 2 executor threads:
/// CPU-bound, each holds a thread, so they run in parallel (asyncio has one
/// thread). On the process backend the workers are this binary re-executed.
fn on_pool(backend: Backend, limit: u64) -> Result<Vec<u64>, Error> {
    let pool = Pool::builder(backend).max_workers(2).build()?;
    let futures: Vec<Future<u64>> = (0..TASKS)
        .map(|_| pool.submit(count_primes, limit))
        .collect();
    futures.into_iter().map(Future::into_result).collect()
}

/// The command line: `--limit N`, `--backend NAME` (repeatable; default: every
/// backend compiled in).
struct Args {
    limit: u64,
    backends: Vec<Backend>,
}

const USAGE: &str = "usage: primes [--limit N] [--backend threads|process|async|mpi]...   (default: 30000, every backend compiled in; mpi under mpirun only)";

fn parse_args() -> Result<Args, String> {
    let mut limit = 30_000;
    let mut backends = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--limit" => {
                let value = args.next().ok_or("--limit needs a number")?;
                limit = value
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("--limit: `{value}` is not a number"))?;
            }
            "--backend" => {
                let value = args.next().ok_or("--backend needs a name")?;
                backends.push(value.parse::<Backend>().map_err(|e| e.to_string())?);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    if backends.is_empty() {
        // The MPI pool needs the program started by `mpirun`: its row is a
        // default only then.
        backends = Backend::enabled()
            .into_iter()
            .filter(|&b| b != Backend::Mpi || under_mpi_launcher())
            .collect();
    }
    Ok(Args { limit, backends })
}

/// True when started by `mpirun` / `srun` with the MPI pool compiled in.
fn under_mpi_launcher() -> bool {
    #[cfg(all(feature = "mpi", concur_mpi))]
    return concur::mpi::launched();
    #[cfg(not(all(feature = "mpi", concur_mpi)))]
    return false;
}

/// Starts the MPI job's runtime (MPI_Init and the handshake with every rank,
/// once per job) before the table, so the mpi row times a pool as the
/// others do.
fn start_mpi() -> Result<(), Error> {
    #[cfg(all(feature = "mpi", concur_mpi))]
    {
        let start = Instant::now();
        let workers = concur::mpi::MpiPool::worker_ranks()?;
        println!(
            "MPI job: rank 0 and {workers} worker ranks, MPI started in {:.3} s",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The table's label for a backend's row.
fn label(backend: Backend) -> &'static str {
    match backend {
        Backend::Threads => "threads (2 workers)",
        Backend::Process => "process (2 workers)",
        Backend::Async => "async (2 threads)",
        Backend::Mpi => "mpi (2 workers)",
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Args { limit, backends } = parse_args()?;
    if backends.contains(&Backend::Mpi) {
        start_mpi()?;
    }
    println!("counting primes up to {limit} by trial division, {TASKS} tasks\n");
    println!("| backend             |   time (s) | speedup | primes |");
    println!("|---------------------|-----------:|--------:|-------:|");
    let mut rows: Vec<(&str, Option<Backend>)> = vec![("serial", None)];
    rows.extend(backends.iter().map(|&b| (label(b), Some(b))));
    let mut baseline: Option<Duration> = None;
    for (name, backend) in rows {
        let start = Instant::now();
        let counts = match backend {
            None => serial(limit)?,
            Some(b) => on_pool(b, limit)?,
        };
        let took = start.elapsed();
        let first = counts[0];
        assert!(
            counts.iter().all(|&c| c == first),
            "tasks disagree: {counts:?}"
        );
        let base = *baseline.get_or_insert(took);
        let speedup = base.as_secs_f64() / took.as_secs_f64().max(f64::MIN_POSITIVE);
        println!(
            "| {name:<19} | {:>10.3} | {speedup:>6.2}x | {first:>6} |",
            took.as_secs_f64()
        );
    }
    // `full` leaves out mpi, which needs an MPI installation and mpirun.
    let missing: Vec<&str> = Backend::ALL
        .iter()
        .filter(|b| !b.is_enabled() && **b != Backend::Mpi)
        .map(|b| b.feature())
        .collect();
    if !missing.is_empty() {
        println!(
            "\nnot compiled in: {}; add `--features full` to the cargo command for every row",
            missing.join(", ")
        );
    }
    Ok(())
}
