//! W1 alone, for profiling: `submit(ident, i)` N times on a pool of W workers,
//! then every result in order, R rounds, printing µs per task for each round
//! (`I`: `inflight_per_worker`, default the builder's).
//!
//! ```text
//! cargo run --release -p concur-process --example process_w1 -- [N [W [R [I]]]]
//! strace -f -c -o trace.txt target/release/examples/process_w1 20000 2 1
//! ```

use std::time::Instant;

use concur_core::Executor;
use concur_process::ProcessPool;

fn ident(x: u64) -> u64 {
    x
}

fn main() {
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (n, workers, rounds) = (arg(1, 20_000), arg(2, 2), arg(3, 5));
    let mut builder = ProcessPool::builder().max_workers(workers as usize);
    if let Some(window) = std::env::args().nth(4).and_then(|a| a.parse().ok()) {
        builder = builder.inflight_per_worker(window);
    }
    let pool = builder.build().expect("a process pool");
    for i in 0..10 {
        assert_eq!(pool.submit(ident, i).into_result(), Ok(i));
    }
    for _ in 0..rounds {
        let start = Instant::now();
        let futures: Vec<_> = (0..n).map(|i| pool.submit(ident, i)).collect();
        for (i, f) in (0..n).zip(futures) {
            assert_eq!(f.into_result(), Ok(i));
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("{us:.2} us/task");
    }
}
