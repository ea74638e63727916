//! W1, W2, W3 and W6 for `concur-threads`, beside what a Rust user would write
//! instead: rayon (`spawn` + a channel, as its docs suggest, and `spawn` + an
//! `Arc` one-shot slot for W1; `par_iter` for W2; `scope` for W3; a pool of its
//! own for W6, with and without a wait for its threads), raw `std::thread::scope` threads for W3, and the serial loops.

use std::hint::black_box;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

use concur_core::{Executor, MapOptions};
use concur_threads::ThreadPool;
use rayon::prelude::*;

use super::work::{count_primes, ident, square, sum_of_squares};
use crate::config::Config;
use crate::runner::{Bench, time};

/// Sizes rayon's global pool as `--workers` says (the concur pools get the same).
pub(crate) fn init(config: &Config) {
    rayon::ThreadPoolBuilder::new()
        .num_threads(config.workers())
        .build_global()
        .expect("rayon's global pool is built once, first thing in main");
}

fn pool(workers: usize) -> ThreadPool {
    ThreadPool::new(workers).expect("a thread pool with at least one worker")
}

/// This suite's implementations of `workload`.
pub(crate) fn benches(workload: &str, config: &Config) -> Vec<Bench> {
    match workload {
        "W1" => w1(config),
        "W2" => w2(config),
        "W3" => w3(config),
        "W6" => w6(config),
        _ => Vec::new(),
    }
}

/// A one-shot slot: the smallest way to get one task's result back from
/// `rayon::spawn` (the second rayon line of W1).
struct Oneshot {
    value: Mutex<Option<u64>>,
    ready: Condvar,
}

impl Oneshot {
    fn put(&self, v: u64) {
        *self.value.lock().expect("no panic under the lock") = Some(v);
        self.ready.notify_one();
    }

    fn take(&self) -> u64 {
        let mut slot = self.value.lock().expect("no panic under the lock");
        loop {
            if let Some(v) = slot.take() {
                return v;
            }
            slot = self.ready.wait(slot).expect("no panic under the lock");
        }
    }
}

fn rayon_spawn_oneshot(x: u64) -> Arc<Oneshot> {
    let slot = Arc::new(Oneshot {
        value: Mutex::new(None),
        ready: Condvar::new(),
    });
    let theirs = Arc::clone(&slot);
    rayon::spawn(move || theirs.put(ident(x)));
    slot
}

/// W1 as rayon users write it: every task sends `(index, result)` on one
/// channel; the results are put back in submission order as they arrive.
fn rayon_spawn_channel(n: u64) {
    let (tx, rx) = mpsc::channel();
    for i in 0..n {
        let tx = tx.clone();
        rayon::spawn(move || tx.send((i, ident(i))).expect("the receiver waits"));
    }
    drop(tx);
    let mut results = vec![0u64; n as usize];
    for (i, v) in rx.iter().take(n as usize) {
        results[i as usize] = v;
    }
    for (i, v) in (0..n).zip(results) {
        assert_eq!(v, i);
    }
}

fn w1(config: &Config) -> Vec<Bench> {
    let n = config.n(100_000);
    let workers = config.workers();

    let concur = pool(workers);
    for i in 0..10 {
        assert_eq!(Executor::submit(&concur, ident, i).into_result(), Ok(i));
    }
    let threads = Bench::new("concur-threads", n, move || {
        time(|| {
            let futures: Vec<_> = (0..n)
                .map(|i| Executor::submit(&concur, ident, i))
                .collect();
            for (i, f) in (0..n).zip(futures) {
                assert_eq!(f.into_result(), Ok(i));
            }
        })
    });

    // The same pool behind `concur::Pool`: each `submit` makes a type-erased
    // task (one more allocation) and goes through `dyn Executor`.
    let boxed = concur::Pool::from_executor(pool(workers));
    for i in 0..10 {
        assert_eq!(Executor::submit(&boxed, ident, i).into_result(), Ok(i));
    }
    let through_pool = Bench::new("concur-threads-via-pool", n, move || {
        time(|| {
            let futures: Vec<_> = (0..n).map(|i| Executor::submit(&boxed, ident, i)).collect();
            for (i, f) in (0..n).zip(futures) {
                assert_eq!(f.into_result(), Ok(i));
            }
        })
    });

    // rayon's global pool, sized by `init` as the concur pool above.
    rayon_spawn_channel(10);
    let channel = Bench::new("rayon-spawn-channel", n, move || {
        time(|| rayon_spawn_channel(n))
    });
    for i in 0..10 {
        assert_eq!(rayon_spawn_oneshot(i).take(), i);
    }
    let oneshot = Bench::new("rayon-spawn-oneshot", n, move || {
        time(|| {
            let slots: Vec<_> = (0..n).map(rayon_spawn_oneshot).collect();
            for (i, s) in (0..n).zip(slots) {
                assert_eq!(s.take(), i);
            }
        })
    });
    vec![
        threads.anchor("rayon-spawn-channel"),
        through_pool.anchor("rayon-spawn-channel"),
        channel,
        oneshot.anchor("rayon-spawn-channel"),
    ]
    .into_iter()
    .map(|b| b.with("workers", workers))
    .collect()
}

fn w2(config: &Config) -> Vec<Bench> {
    let n = config.n(10_000_000);
    let expected = sum_of_squares(n);
    let workers = config.workers();

    let concur = pool(workers);
    let threads = Bench::new("concur-threads", n, move || {
        time(|| {
            let total: u128 = concur
                .map(square, 0..n, MapOptions::new().chunksize(1000))
                .expect("valid options")
                .map(|r| u128::from(r.expect("square does not fail")))
                .sum();
            assert_eq!(total, expected);
        })
    });
    let rayon = Bench::new("rayon-par-iter", n, move || {
        time(|| {
            let total: u128 = (0..n).into_par_iter().map(|x| u128::from(square(x))).sum();
            assert_eq!(total, expected);
        })
    });
    let serial = Bench::new("serial", n, move || {
        time(|| {
            let total: u128 = (0..black_box(n)).map(|x| u128::from(square(x))).sum();
            assert_eq!(total, expected);
        })
    });
    // What the trait's `Executor::map` asks of its workers per item: `square`
    // called through a `fn` pointer the compiler cannot see through. The
    // serial loop above inlines it, and so does `ThreadPool::map` (the
    // closure map, `concur-threads`) in its chunk loop (see BENCH.md, "W2
    // against the serial loop").
    let through: fn(u64) -> u64 = square;
    let serial_fn = Bench::new("serial-fn-pointer", n, move || {
        time(|| {
            let f = black_box(through);
            let total: u128 = (0..black_box(n)).map(|x| u128::from(f(x))).sum();
            assert_eq!(total, expected);
        })
    });
    vec![
        threads
            .anchor("rayon-par-iter")
            .with("chunksize", 1000)
            .with("workers", workers),
        rayon.with("workers", workers),
        serial.anchor("rayon-par-iter"),
        serial_fn.anchor("serial"),
    ]
}

/// W3: `tasks` calls of `count_primes`, one per worker, against the same calls
/// in a row (`serial`, the baseline of every W3 speedup, the process suite's
/// included). Pool creation is inside the timing.
fn w3(config: &Config) -> Vec<Bench> {
    let limit = config.w3_limit();
    let tasks = config.w3_tasks();
    let expected = count_primes(limit);
    let check = move |counts: &[u64]| {
        assert!(
            counts.len() == tasks && counts.iter().all(|&c| c == expected),
            "count_primes disagrees: {counts:?}"
        );
    };
    let serial = Bench::new("serial", limit, move || {
        time(|| {
            let counts: Vec<u64> = (0..tasks).map(|_| count_primes(black_box(limit))).collect();
            check(&counts);
        })
    });
    let threads = Bench::new("concur-threads", limit, move || {
        time(|| {
            let pool = pool(tasks);
            let futures: Vec<_> = (0..tasks)
                .map(|_| Executor::submit(&pool, count_primes, limit))
                .collect();
            let counts: Vec<u64> = futures
                .into_iter()
                .map(|f| f.into_result().expect("no panic"))
                .collect();
            check(&counts);
        })
    });
    let rayon = Bench::new("rayon-scope", limit, move || {
        time(|| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(tasks)
                .build()
                .expect("a rayon pool");
            let mut counts = vec![0u64; tasks];
            pool.scope(|s| {
                for slot in &mut counts {
                    s.spawn(move |_| *slot = count_primes(black_box(limit)));
                }
            });
            check(&counts);
        })
    });
    let scoped = Bench::new("std-thread-scope", limit, move || {
        time(|| {
            let counts: Vec<u64> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..tasks)
                    .map(|_| s.spawn(|| count_primes(black_box(limit))))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .collect()
            });
            check(&counts);
        })
    });
    vec![serial.with("primes", expected), threads, rayon, scoped]
        .into_iter()
        .map(|b| b.with("tasks", tasks))
        .collect()
}

/// Counts rayon worker threads that ran their exit handler, for W6's
/// `rayon-pool-wait`: rayon's pool drop returns at once, so waiting for this
/// count is how a rayon user waits for the threads to be done.
#[derive(Default)]
struct Exits {
    count: Mutex<usize>,
    all: Condvar,
}

impl Exits {
    fn exited(&self) {
        *self.count.lock().expect("no panic under the lock") += 1;
        self.all.notify_all();
    }

    /// Waits until `n` handlers ran since the last call, and resets the count.
    fn wait_for(&self, n: usize) {
        let mut count = self.count.lock().expect("no panic under the lock");
        while *count < n {
            count = self.all.wait(count).expect("no panic under the lock");
        }
        *count = 0;
    }
}

/// W6: start a 2-worker pool, run one task, shut down.
///
/// Two pairs compare like with like: `concur-threads` (`shutdown(wait = true)`,
/// which returns once the workers are joined, Python's meaning) against
/// `rayon-pool-wait` (rayon's drop, then a wait until both threads ran their
/// exit handler); `concur-threads-nowait` (`shutdown(wait = false)`; the
/// pool handle is dropped after the timing) against `rayon-pool` (rayon's
/// drop, which does not wait for its threads).
fn w6(config: &Config) -> Vec<Bench> {
    let threads = Bench::new("concur-threads", 1, || {
        time(|| {
            let pool = pool(2);
            assert_eq!(Executor::submit(&pool, ident, 7).into_result(), Ok(7));
            pool.shutdown(true, false);
        })
    })
    .with(
        "note",
        "shutdown(wait = true): returns once the workers are joined",
    );
    let nowait = Bench::new("concur-threads-nowait", 1, || {
        let mut kept = None;
        let timed = time(|| {
            let pool = pool(2);
            assert_eq!(Executor::submit(&pool, ident, 7).into_result(), Ok(7));
            pool.shutdown(false, false);
            kept = Some(pool);
        });
        // Dropping joins the workers: outside the timing, as rayon's exit.
        drop(kept);
        timed
    })
    .with(
        "note",
        "shutdown(wait = false); the handle is dropped untimed",
    );
    let rayon = Bench::new("rayon-pool", 1, || {
        time(|| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .expect("a rayon pool");
            assert_eq!(pool.install(|| ident(black_box(7))), 7);
            drop(pool);
        })
    })
    .with("note", "rayon's drop does not wait for its threads to exit");
    let exits = Arc::new(Exits::default());
    let rayon_wait = Bench::new("rayon-pool-wait", 1, move || {
        let theirs = Arc::clone(&exits);
        time(|| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .exit_handler(move |_| theirs.exited())
                .build()
                .expect("a rayon pool");
            assert_eq!(pool.install(|| ident(black_box(7))), 7);
            drop(pool);
            exits.wait_for(2);
        })
    })
    .with(
        "note",
        "rayon's drop, then a wait for both threads' exit handlers",
    );
    vec![
        threads.anchor("rayon-pool-wait"),
        nowait.anchor("rayon-pool"),
        rayon,
        rayon_wait,
    ]
    .into_iter()
    // A repetition takes about a tenth of a millisecond: a median of 10 is
    // one scheduler's draw on a busy machine, of 100 a figure.
    .map(|b| b.with("workers", 2).reps(config.reps_at_least(100)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_rayon_channel_body_returns_every_result_in_order() {
        // Asserts inside: every index comes back once, with its own value.
        rayon_spawn_channel(1000);
        assert_eq!(rayon_spawn_oneshot(41).take(), 41);
    }

    #[test]
    fn every_workload_this_suite_has_gives_benches_that_run() {
        let config =
            Config::parse(&["--quick".into(), "--workers".into(), "2".into()]).expect("valid");
        for (workload, count) in [("W1", 4), ("W2", 4), ("W6", 4), ("W4", 0)] {
            let mut benches = benches(workload, &config);
            assert_eq!(benches.len(), count, "{workload}");
            for b in &mut benches {
                assert!(b.run_once() > Duration::ZERO, "{workload} {b:?}");
            }
        }
    }
}
