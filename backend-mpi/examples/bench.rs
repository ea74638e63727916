//! The MPI pool's benchmark: workloads W1 (per-task overhead), W2 (chunked
//! map) and W3 (CPU scaling) of the project's workload table, on the ranks of
//! the job this runs in, as JSON lines on stdout (median of `--reps` runs,
//! min and max beside it). `--quick` divides every n by 10.
//!
//! ```text
//! cargo build --release --example bench --example pingpong
//! mpirun --oversubscribe -n 3 target/release/examples/bench [--quick] [--reps N]
//! mpirun --oversubscribe -n 2 target/release/examples/pingpong   # the raw MPI floor
//! ```
//!
//! With 3 ranks the pool has 2 workers (one thread on each worker rank), as
//! the process pool's 2 worker processes in the same table.

use std::time::{Duration, Instant};

use concur_core::{Executor, MapOptions};
use concur_mpi::MpiPool;

fn ident(x: u64) -> u64 {
    x
}

fn square(x: u64) -> u64 {
    x * x
}

/// Primes up to `limit` by naive trial division.
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

struct Args {
    quick: bool,
    reps: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        quick: false,
        reps: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => args.quick = true,
            "--reps" => {
                args.reps = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--reps needs a positive number")?;
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`: bench [--quick] [--reps N]"
                ));
            }
        }
    }
    Ok(args)
}

/// Median, min and max of `reps` timings of `f`.
fn measure(reps: usize, mut f: impl FnMut() -> Duration) -> (f64, f64, f64) {
    let mut times: Vec<f64> = (0..reps).map(|_| f().as_secs_f64()).collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

fn record(workload: &str, n: u64, (median, min, max): (f64, f64, f64), extra: &str) {
    println!(
        "{{\"workload\":\"{workload}\",\"impl\":\"concur-mpi\",\"n\":{n},\"seconds\":{median:.6},\
         \"per_sec\":{:.1},\"extra\":{{\"min\":{min:.6},\"max\":{max:.6}{extra}}}}}",
        n as f64 / median
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let div = if args.quick { 10 } else { 1 };
    let ranks = MpiPool::worker_ranks()? + 1;
    let workers = 2;

    // W1: n no-op tasks submitted one by one, then every result in order.
    let n1 = 20_000 / div;
    let pool = MpiPool::builder().max_workers(workers).build()?;
    for f in (0..10).map(|i| pool.submit(ident, i)).collect::<Vec<_>>() {
        f.result(None)?;
    }
    let w1 = measure(args.reps, || {
        let start = Instant::now();
        let futures: Vec<_> = (0..n1).map(|i| pool.submit(ident, i)).collect();
        for (i, f) in futures.into_iter().enumerate() {
            assert_eq!(f.into_result(), Ok(i as u64));
        }
        start.elapsed()
    });
    let per_task_us = w1.0 / n1 as f64 * 1e6;
    record(
        "W1",
        n1,
        w1,
        &format!(",\"ranks\":{ranks},\"workers\":{workers},\"per_task_us\":{per_task_us:.2}"),
    );

    // W2: map(square, 0..n, chunksize 1000), summed.
    let n2 = 1_000_000 / div;
    let expected: u64 = (0..n2).map(square).sum();
    let w2 = measure(args.reps, || {
        let start = Instant::now();
        let sum: u64 = pool
            .map(square, 0..n2, MapOptions::new().chunksize(1000))
            .expect("valid options")
            .map(|r| r.expect("square does not fail"))
            .sum();
        assert_eq!(sum, expected);
        start.elapsed()
    });
    record(
        "W2",
        n2,
        w2,
        &format!(",\"ranks\":{ranks},\"chunksize\":1000"),
    );
    drop(pool);

    // W3: two count_primes(30 000) tasks on 2 workers vs two calls in a row;
    // pool creation inside the timing.
    let limit = 30_000 / div;
    let serial = measure(args.reps, || {
        let start = Instant::now();
        for _ in 0..2 {
            std::hint::black_box(count_primes(std::hint::black_box(limit)));
        }
        start.elapsed()
    });
    let parallel = measure(args.reps, || {
        let start = Instant::now();
        let pool = MpiPool::builder()
            .max_workers(workers)
            .build()
            .expect("a pool");
        let futures: Vec<_> = (0..2).map(|_| pool.submit(count_primes, limit)).collect();
        for f in futures {
            std::hint::black_box(f.into_result().expect("count_primes does not fail"));
        }
        drop(pool);
        start.elapsed()
    });
    record(
        "W3",
        2,
        parallel,
        &format!(
            ",\"ranks\":{ranks},\"limit\":{limit},\"serial_seconds\":{:.6},\"speedup\":{:.2}",
            serial.0,
            serial.0 / parallel.0
        ),
    );
    Ok(())
}
