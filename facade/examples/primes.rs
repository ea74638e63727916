//! The classic benchmark: count the primes up to `--limit` (default 30 000) by
//! naive trial division, as two tasks, serially and on each pool, and print the
//! times and the speedup.
//!
//! ```text
//! cargo run --release --example primes
//! cargo run --release --example primes -- --limit 50000
//! cargo run --release --example primes --features full   # every backend's row
//! ```

use std::time::{Duration, Instant};

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

/// Runs both tasks on a 2-worker thread pool (pool start and shutdown included).
fn threads(limit: u64) -> Result<Vec<u64>, Error> {
    let pool = ThreadPool::new(2)?;
    let futures: Vec<Future<u64>> = (0..TASKS)
        .map(|_| pool.submit(count_primes, limit))
        .collect();
    futures.into_iter().map(Future::into_result).collect()
}

/// Runs both tasks as async tasks on a 2-thread async pool, like the asyncio
/// column of the classic table. CPU-bound async tasks each hold an executor
/// thread, so two threads run them in parallel (asyncio has one thread).
#[cfg(feature = "async")]
fn asyncio(limit: u64) -> Result<Vec<u64>, Error> {
    let pool = concur::asyncio::AsyncPool::builder().threads(2).build()?;
    let futures: Vec<Future<u64>> = (0..TASKS)
        .map(|_| pool.spawn(async move { count_primes(limit) }))
        .collect();
    futures.into_iter().map(Future::into_result).collect()
}

/// Runs both tasks on a pool of 2 worker processes (this binary re-executed;
/// pool start and shutdown included).
#[cfg(feature = "process")]
fn processes(limit: u64) -> Result<Vec<u64>, Error> {
    let pool = ProcessPool::builder().max_workers(2).build()?;
    let futures: Vec<Future<u64>> = (0..TASKS)
        .map(|_| pool.submit(count_primes, limit))
        .collect();
    futures.into_iter().map(Future::into_result).collect()
}

/// One row's body: the counts of both tasks.
type Run = fn(u64) -> Result<Vec<u64>, Error>;

/// The rows of the table, serial first (the speedup is relative to it).
/// A new backend adds one line here.
const ROWS: &[(&str, Run)] = &[
    ("serial", serial),
    ("threads (2 workers)", threads),
    #[cfg(feature = "async")]
    ("async (2 threads)", asyncio),
    #[cfg(feature = "process")]
    ("process (2 workers)", processes),
];

fn parse_limit() -> Result<u64, String> {
    let mut limit = 30_000;
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
            "-h" | "--help" => return Err("usage: primes [--limit N]   (default 30000)".into()),
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: primes [--limit N]"
                ));
            }
        }
    }
    Ok(limit)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limit = parse_limit()?;
    println!("counting primes up to {limit} by trial division, {TASKS} tasks\n");
    println!("| backend             |   time (s) | speedup | primes |");
    println!("|---------------------|-----------:|--------:|-------:|");
    let mut baseline: Option<Duration> = None;
    for (name, run) in ROWS {
        let start = Instant::now();
        let counts = run(limit)?;
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
    Ok(())
}
