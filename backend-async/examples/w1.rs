//! W1 alone, for profiling: N tiny tasks spawned one by one on W executor
//! threads, then every result awaited in spawn order, R rounds, printing µs
//! per task for each round. `raw` runs the same on a bare `async-executor`
//! (what the bench's `smol-async-executor` line measures), for comparison.
//!
//! ```text
//! cargo run --release -p concur-async --example w1 -- [concur|raw [N [W [R]]]]
//! valgrind --tool=callgrind target/release/examples/w1 concur 100000 2 1
//! ```

use std::sync::Arc;
use std::time::Instant;

use concur_async::AsyncPool;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "concur".into());
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (n, workers, rounds) = (arg(2, 100_000), arg(3, 2) as usize, arg(4, 5));
    match mode.as_str() {
        "concur" => {
            let pool = AsyncPool::new(workers).expect("an async pool");
            for _ in 0..rounds {
                let start = Instant::now();
                let futures: Vec<_> = (0..n).map(|i| pool.spawn(async move { i })).collect();
                smol::block_on(async {
                    for (i, f) in (0..n).zip(futures) {
                        assert_eq!(f.await, Ok(i));
                    }
                });
                report(start, n);
            }
        }
        "raw" => {
            let ex = Arc::new(smol::Executor::new());
            let (stop, stopped) = smol::channel::bounded::<()>(1);
            let threads: Vec<_> = (0..workers)
                .map(|_| {
                    let (ex, stopped) = (ex.clone(), stopped.clone());
                    std::thread::spawn(move || {
                        smol::block_on(ex.run(async {
                            let _ = stopped.recv().await;
                        }));
                    })
                })
                .collect();
            for _ in 0..rounds {
                let start = Instant::now();
                let tasks: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
                smol::block_on(async {
                    for (i, t) in (0..n).zip(tasks) {
                        assert_eq!(t.await, i);
                    }
                });
                report(start, n);
            }
            drop(stop);
            for t in threads {
                t.join().expect("an executor thread");
            }
        }
        other => panic!("unknown mode {other:?}: concur or raw"),
    }
}

fn report(start: Instant, n: u64) {
    let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("{us:.3} us/task");
}
