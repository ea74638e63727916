//! W1 and W5 for `concur-async`, beside the anchors an async Rust user would
//! pick instead: a raw `async-executor` (what smol runs) on the same number of
//! threads, and tokio's multi-threaded runtime.
//!
//! - W1 (overhead): spawn n no-op async tasks one by one, then await every result
//!   in spawn order from the main thread.
//! - W5 (io-fanout): spawn n tasks that each await a 10 ms timer, then await all;
//!   `efficiency` = ideal (10 ms: every task waits at once) / measured.

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use concur_async::AsyncPool;

use super::{Config, Record, time};

const TIMER: Duration = Duration::from_millis(10);

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs every workload the config asks for.
pub(crate) fn run(config: &Config) -> Vec<Record> {
    let mut records = Vec::new();
    if config.wants("W1") {
        records.extend(w1(config));
    }
    if config.wants("W5") {
        records.extend(w5(config));
    }
    records
}

/// A raw `async-executor` on `threads` threads, as smol users set one up.
struct RawSmol {
    ex: Arc<smol::Executor<'static>>,
    stop: smol::channel::Sender<()>,
    threads: Vec<JoinHandle<()>>,
}

impl RawSmol {
    fn new(threads: usize) -> RawSmol {
        let ex = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let threads = (0..threads)
            .map(|_| {
                let ex = ex.clone();
                let stopped = stopped.clone();
                std::thread::spawn(move || {
                    smol::block_on(ex.run(async {
                        let _ = stopped.recv().await;
                    }))
                })
            })
            .collect();
        RawSmol { ex, stop, threads }
    }

    fn spawn<T: Send + 'static>(
        &self,
        f: impl Future<Output = T> + Send + 'static,
    ) -> smol::Task<T> {
        self.ex.spawn(f)
    }
}

impl Drop for RawSmol {
    fn drop(&mut self) {
        self.stop.close();
        for t in self.threads.drain(..) {
            t.join().expect("an executor thread");
        }
    }
}

fn tokio_runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

fn w1(config: &Config) -> Vec<Record> {
    let n = config.n(100_000);
    let workers = workers();

    let pool = AsyncPool::builder()
        .threads(workers)
        .build()
        .expect("an async pool");
    for i in 0..10u64 {
        assert_eq!(pool.spawn(async move { i }).into_result(), Ok(i));
    }
    let sample = config.sample(|| {
        time(|| {
            let futures: Vec<_> = (0..n).map(|i| pool.spawn(async move { i })).collect();
            smol::block_on(async {
                for (i, f) in (0..n).zip(futures) {
                    assert_eq!(f.await, Ok(i));
                }
            });
        })
    });
    drop(pool);
    let concur = Record::new("W1", "concur-async", n, sample).with("threads", workers);

    let raw = RawSmol::new(workers);
    for i in 0..10u64 {
        assert_eq!(smol::block_on(raw.spawn(async move { i })), i);
    }
    let sample = config.sample(|| {
        time(|| {
            let tasks: Vec<_> = (0..n).map(|i| raw.spawn(async move { i })).collect();
            smol::block_on(async {
                for (i, t) in (0..n).zip(tasks) {
                    assert_eq!(t.await, i);
                }
            });
        })
    });
    drop(raw);
    let smol = Record::new("W1", "smol-async-executor", n, sample).with("threads", workers);

    let rt = tokio_runtime(workers);
    for i in 0..10u64 {
        assert_eq!(
            rt.block_on(rt.spawn(async move { i })).expect("no panic"),
            i
        );
    }
    let sample = config.sample(|| {
        time(|| {
            let handles: Vec<_> = (0..n).map(|i| rt.spawn(async move { i })).collect();
            rt.block_on(async {
                for (i, h) in (0..n).zip(handles) {
                    assert_eq!(h.await.expect("no panic"), i);
                }
            });
        })
    });
    drop(rt);
    let tokio = Record::new("W1", "tokio-spawn", n, sample).with("threads", workers);

    let ratio = (concur.seconds / smol.seconds * 100.0).round() / 100.0;
    vec![concur.with("vs_smol", ratio), smol, tokio]
}

fn w5(config: &Config) -> Vec<Record> {
    let n = config.n(1000);
    let workers = workers();
    let ideal = TIMER.as_secs_f64();
    let efficiency = |seconds: f64| (ideal / seconds * 100.0).round() / 100.0;

    let pool = AsyncPool::builder()
        .threads(workers)
        .build()
        .expect("an async pool");
    let sample = config.sample(|| {
        time(|| {
            let futures: Vec<_> = (0..n)
                .map(|i| {
                    pool.spawn(async move {
                        smol::Timer::after(TIMER).await;
                        i
                    })
                })
                .collect();
            smol::block_on(async {
                for (i, f) in (0..n).zip(futures) {
                    assert_eq!(f.await, Ok(i));
                }
            });
        })
    });
    drop(pool);
    let concur = Record::new("W5", "concur-async", n, sample);

    let raw = RawSmol::new(workers);
    let sample = config.sample(|| {
        time(|| {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    raw.spawn(async move {
                        smol::Timer::after(TIMER).await;
                        i
                    })
                })
                .collect();
            smol::block_on(async {
                for (i, t) in (0..n).zip(tasks) {
                    assert_eq!(t.await, i);
                }
            });
        })
    });
    drop(raw);
    let smol = Record::new("W5", "smol-async-executor", n, sample);

    let rt = tokio_runtime(workers);
    let sample = config.sample(|| {
        time(|| {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    rt.spawn(async move {
                        tokio::time::sleep(TIMER).await;
                        i
                    })
                })
                .collect();
            rt.block_on(async {
                for (i, h) in (0..n).zip(handles) {
                    assert_eq!(h.await.expect("no panic"), i);
                }
            });
        })
    });
    drop(rt);
    let tokio = Record::new("W5", "tokio-spawn", n, sample);

    [concur, smol, tokio]
        .into_iter()
        .map(|r| {
            let e = efficiency(r.seconds);
            r.with("threads", workers)
                .with("ideal_seconds", ideal)
                .with("efficiency", e)
        })
        .collect()
}
