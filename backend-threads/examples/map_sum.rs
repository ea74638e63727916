//! W2 of `xtask/bench/WORKLOADS.md` alone, as a probe for `perf` and
//! `strace` (not a test, not a benchmark harness: `cargo xtask bench` is
//! that): `ThreadPool::map(square, 0..n, chunksize)` summed on the calling
//! thread, `reps` times on one pool, each repetition's time printed.
//!
//! ```text
//! cargo run --release -p concur-threads --example map_sum [-- n workers reps chunksize]
//! ```
//!
//! `perf stat -e context-switches,cpu-migrations,task-clock` and
//! `strace -f -c -e trace=futex,sched_yield` of it count what a chunk costs
//! besides its items: divide by `reps × n / chunksize`.

use std::hint::black_box;
use std::time::Instant;

use concur_core::MapOptions;
use concur_threads::ThreadPool;

fn square(x: u64) -> u64 {
    x * x
}

/// Per thread of this process: (name, ns on a CPU, ns runnable but waiting
/// for one, times switched in), from Linux's `/proc/self/task/*/schedstat`
/// (empty elsewhere).
fn sched_stats() -> Vec<(String, u64, u64, u64)> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut out: Vec<_> = tasks
        .filter_map(|t| {
            let dir = t.ok()?.path();
            let name = std::fs::read_to_string(dir.join("comm")).ok()?;
            let stat = std::fs::read_to_string(dir.join("schedstat")).ok()?;
            let mut v = stat
                .split_whitespace()
                .map(|x| x.parse::<u64>().unwrap_or(0));
            let (run, wait, slices) = (v.next()?, v.next()?, v.next()?);
            Some((name.trim().to_owned(), run, wait, slices))
        })
        .collect();
    out.sort();
    out
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("a number"));
    let n = args.next().unwrap_or(10_000_000);
    let workers = args.next().unwrap_or(2);
    let reps = args.next().unwrap_or(5);
    let chunksize = args.next().unwrap_or(1000);
    let workers = usize::try_from(workers).expect("a pool size");
    let chunksize = usize::try_from(chunksize).expect("a chunk size");
    let expected: u128 = (0..n).map(|x| u128::from(x * x)).sum();

    let pool = ThreadPool::new(workers).expect("a pool");
    let mut times = Vec::new();
    for _ in 0..reps {
        let before = sched_stats();
        let start = Instant::now();
        let total: u128 = pool
            .map(
                square,
                0..black_box(n),
                MapOptions::new().chunksize(chunksize),
            )
            .expect("valid options")
            .map(|r| u128::from(r.expect("square does not fail")))
            .sum();
        let took = start.elapsed();
        assert_eq!(total, expected);
        times.push(took);
        let after = sched_stats();
        let threads: Vec<String> = after
            .iter()
            .map(|(name, run, wait, slices)| {
                let was = before.iter().find(|b| &b.0 == name);
                let (r0, w0, s0) = was.map_or((0, 0, 0), |b| (b.1, b.2, b.3));
                format!(
                    "{name} run {:.1} wait {:.1} ms, {} switches",
                    (run - r0) as f64 / 1e6,
                    (wait - w0) as f64 / 1e6,
                    slices - s0
                )
            })
            .collect();
        println!(
            "{:.2} ms | {}",
            took.as_secs_f64() * 1e3,
            threads.join(" | ")
        );
    }
    times.sort();
    println!(
        "min {:.2} ms, median {:.2} ms, {} sleeps",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        pool.sleeps()
    );
}
