//! W1 of `xtask/bench/WORKLOADS.md`, as a quick local check (not a test, not a benchmark
//! harness: `cargo xtask bench` is that): submit `n` no-op tasks one by one,
//! then read every result in submission order.
//!
//! ```text
//! cargo run --release -p concur-threads --example throughput [-- n workers reps]
//! ```
//!
//! Where the time goes (`perf record` of this example, 2 workers on 2 cores):
//! the submitting thread is the bottleneck (about 60% of the samples; the
//! workers mostly wait for work). On that thread, roughly a third is the
//! pool's submit path (the in-flight count, the stats counter, the injector
//! push, the sleeper check), a third the future itself (allocating and
//! initialising concur-core's shared cell, and freeing it after the result is
//! read, including page faults on fresh heap), and the rest the loop and the
//! result vector. A job is stored inline in the deque slot, so there is no
//! second allocation: with a boxed job, malloc and free took about 45% of the
//! samples (a box allocated by the submitter and freed by a worker is glibc's
//! slow path); inline, about 15%.

use std::time::Instant;

use concur_core::Executor;
use concur_threads::ThreadPool;

fn ident(x: u64) -> u64 {
    x
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("a number"));
    let n = args.next().unwrap_or(100_000);
    let workers = args.next().unwrap_or(2);
    let reps = args.next().unwrap_or(7);

    let mut rates = Vec::new();
    for _ in 0..reps {
        let pool = ThreadPool::new(workers).expect("valid");
        // Warm up: start the workers.
        for f in (0..10).map(|i| pool.submit(ident, i)).collect::<Vec<_>>() {
            f.result(None).expect("ident");
        }
        let start = Instant::now();
        let futures: Vec<_> = (0..n as u64).map(|i| pool.submit(ident, i)).collect();
        let submitted = start.elapsed();
        for (i, f) in futures.into_iter().enumerate() {
            assert_eq!(f.into_result(), Ok(i as u64));
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "W1 n={n} workers={workers}: {:.3} ms ({:.2} M tasks/s; submit loop {:.3} ms)",
            secs * 1e3,
            n as f64 / secs / 1e6,
            submitted.as_secs_f64() * 1e3
        );
        rates.push(n as f64 / secs);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "median {:.2} M tasks/s (min {:.2}, max {:.2})",
        rates[rates.len() / 2] / 1e6,
        rates[0] / 1e6,
        rates[rates.len() - 1] / 1e6
    );
}
