//! W1–W3 for `concur-threads`, beside the anchors a Rust user would pick instead:
//! rayon (`spawn` + a oneshot per task for W1, `par_iter` for W2, `join` for W3)
//! and two raw `std::thread::scope` threads for W3.

use std::hint::black_box;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use concur_core::{Executor, MapOptions};
use concur_threads::ThreadPool;
use rayon::prelude::*;

use super::{Config, Record, time};

/// W1's task: the identity.
fn ident(x: u64) -> u64 {
    x
}

/// W2's task.
fn square(x: u64) -> u64 {
    x * x
}

/// W3's task: primes up to `limit` by naive trial division.
pub(crate) fn count_primes(limit: u64) -> u64 {
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

/// Sum of x*x for x in 0..n.
fn sum_of_squares(n: u64) -> u128 {
    let n = u128::from(n);
    n.saturating_sub(1) * n * (2 * n).saturating_sub(1) / 6
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn pool(workers: usize) -> ThreadPool {
    ThreadPool::new(workers).expect("a thread pool with at least one worker")
}

/// Runs every workload the config asks for.
pub(crate) fn run(config: &Config) -> Vec<Record> {
    let mut records = Vec::new();
    if config.wants("W1") {
        records.extend(w1(config));
    }
    if config.wants("W2") {
        records.extend(w2(config));
    }
    if config.wants("W3") {
        records.extend(w3(config));
    }
    records
}

/// A one-shot slot: what a rayon user writes to get a task's result back.
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

fn w1(config: &Config) -> Vec<Record> {
    let n = config.n(100_000);
    let workers = workers();

    let concur = pool(workers);
    for i in 0..10 {
        assert_eq!(Executor::submit(&concur, ident, i).into_result(), Ok(i));
    }
    let sample = config.sample(|| {
        time(|| {
            let futures: Vec<_> = (0..n)
                .map(|i| Executor::submit(&concur, ident, i))
                .collect();
            for (i, f) in (0..n).zip(futures) {
                assert_eq!(f.into_result(), Ok(i));
            }
        })
    });
    drop(concur);
    let threads = Record::new("W1", "concur-threads", n, sample).with("workers", workers);

    // rayon's global pool has one thread per core, as the concur pool above.
    for i in 0..10 {
        assert_eq!(rayon_spawn_oneshot(i).take(), i);
    }
    let sample = config.sample(|| {
        time(|| {
            let slots: Vec<_> = (0..n).map(rayon_spawn_oneshot).collect();
            for (i, s) in (0..n).zip(slots) {
                assert_eq!(s.take(), i);
            }
        })
    });
    let rayon = Record::new("W1", "rayon-spawn-oneshot", n, sample)
        .with("workers", rayon::current_num_threads());
    vec![threads, rayon]
}

fn w2(config: &Config) -> Vec<Record> {
    let n = config.n(10_000_000);
    let expected = sum_of_squares(n);
    let workers = workers();

    let concur = pool(workers);
    let sample = config.sample(|| {
        time(|| {
            let total: u128 = concur
                .map(square, 0..n, MapOptions::new().chunksize(1000))
                .expect("valid options")
                .map(|r| u128::from(r.expect("square does not fail")))
                .sum();
            assert_eq!(total, expected);
        })
    });
    drop(concur);
    let threads = Record::new("W2", "concur-threads", n, sample).with("chunksize", 1000);

    let sample = config.sample(|| {
        time(|| {
            let total: u128 = (0..n).into_par_iter().map(|x| u128::from(square(x))).sum();
            assert_eq!(total, expected);
        })
    });
    let rayon = Record::new("W2", "rayon-par-iter", n, sample);
    vec![threads, rayon]
}

fn w3(config: &Config) -> Vec<Record> {
    let limit = config.quadratic_n(30_000);
    let expected = count_primes(limit);
    let check = |a: u64, b: u64| assert!(a == expected && b == expected, "count_primes disagrees");

    let serial = config.sample(|| {
        time(|| {
            check(
                count_primes(black_box(limit)),
                count_primes(black_box(limit)),
            )
        })
    });
    let threads = config.sample(|| {
        time(|| {
            let pool = pool(2);
            let a = Executor::submit(&pool, count_primes, limit);
            let b = Executor::submit(&pool, count_primes, limit);
            check(
                a.into_result().expect("no panic"),
                b.into_result().expect("no panic"),
            );
        })
    });
    let rayon = config.sample(|| {
        let start = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a rayon pool");
        let (a, b) = pool.join(
            || count_primes(black_box(limit)),
            || count_primes(black_box(limit)),
        );
        check(a, b);
        drop(pool);
        start.elapsed()
    });
    let scoped = config.sample(|| {
        time(|| {
            let (a, b) = std::thread::scope(|s| {
                let a = s.spawn(|| count_primes(black_box(limit)));
                let b = s.spawn(|| count_primes(black_box(limit)));
                (a.join().expect("no panic"), b.join().expect("no panic"))
            });
            check(a, b);
        })
    });
    let speedup = |parallel: f64| (serial.median / parallel * 100.0).round() / 100.0;
    vec![
        Record::new("W3", "serial", limit, serial).with("primes", expected),
        Record::new("W3", "concur-threads", limit, threads)
            .with("speedup", speedup(threads.median)),
        Record::new("W3", "rayon-join", limit, rayon).with("speedup", speedup(rayon.median)),
        Record::new("W3", "std-thread-scope", limit, scoped)
            .with("speedup", speedup(scoped.median)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_primes_and_sum_of_squares() {
        assert_eq!(count_primes(1), 0);
        assert_eq!(count_primes(2), 1);
        assert_eq!(count_primes(100), 25);
        assert_eq!(sum_of_squares(0), 0);
        assert_eq!(sum_of_squares(4), 14);
    }
}
