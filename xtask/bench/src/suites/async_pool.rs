//! W1 and W5 for `concur-async`, beside what an async Rust user would pick
//! instead: a raw `async-executor` (what smol runs) on the same number of
//! threads, and tokio's multi-threaded runtime.
//!
//! - W1 (overhead): spawn n no-op async tasks one by one, then await every result
//!   in spawn order from the main thread. Beside the raw executor,
//!   `smol-spawn-promise` runs the same executor with a concur [`Promise`] per
//!   task (the task completes it; the caller awaits its future): the floor of
//!   any pool that keeps the future's cell apart from the executor's task, so
//!   the table splits concur-async's gap into that second allocation and the
//!   pool's own bookkeeping.
//! - W5 (io-fanout): spawn n tasks that each await a 10 ms timer, then await all;
//!   `efficiency` = ideal (10 ms: every task waits at once) / measured.

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::Promise;

use crate::config::Config;
use crate::runner::{Bench, time};

const TIMER: Duration = Duration::from_millis(10);

/// This suite's implementations of `workload`.
pub(crate) fn benches(workload: &str, config: &Config) -> Vec<Bench> {
    match workload {
        "W1" => w1(config),
        "W5" => w5(config),
        _ => Vec::new(),
    }
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

fn async_pool(workers: usize) -> AsyncPool {
    AsyncPool::new(workers).expect("an async pool")
}

fn tokio_runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

fn w1(config: &Config) -> Vec<Bench> {
    let n = config.n(100_000);
    let workers = config.workers();

    let pool = async_pool(workers);
    for i in 0..10u64 {
        assert_eq!(pool.spawn(async move { i }).into_result(), Ok(i));
    }
    let concur = Bench::new("concur-async", n, move || {
        time(|| {
            let futures: Vec<_> = (0..n).map(|i| pool.spawn(async move { i })).collect();
            smol::block_on(async {
                for (i, f) in (0..n).zip(futures) {
                    assert_eq!(f.await, Ok(i));
                }
            });
        })
    });

    let raw = RawSmol::new(workers);
    for i in 0..10u64 {
        assert_eq!(smol::block_on(raw.spawn(async move { i })), i);
    }
    let smol = Bench::new("smol-async-executor", n, move || {
        time(|| {
            let tasks: Vec<_> = (0..n).map(|i| raw.spawn(async move { i })).collect();
            smol::block_on(async {
                for (i, t) in (0..n).zip(tasks) {
                    assert_eq!(t.await, i);
                }
            });
        })
    });

    let raw_promise = RawSmol::new(workers);
    let spawn_promise = move |i: u64| {
        let promise = Promise::new();
        let future = promise.future();
        raw_promise
            .spawn(async move {
                promise.set_result(i);
            })
            .detach();
        future
    };
    for i in 0..10u64 {
        assert_eq!(spawn_promise(i).into_result(), Ok(i));
    }
    let smol_promise = Bench::new("smol-spawn-promise", n, move || {
        time(|| {
            let futures: Vec<_> = (0..n).map(&spawn_promise).collect();
            smol::block_on(async {
                for (i, f) in (0..n).zip(futures) {
                    assert_eq!(f.await, Ok(i));
                }
            });
        })
    });

    let rt = tokio_runtime(workers);
    for i in 0..10u64 {
        assert_eq!(
            rt.block_on(rt.spawn(async move { i })).expect("no panic"),
            i
        );
    }
    let tokio = Bench::new("tokio-spawn", n, move || {
        time(|| {
            let handles: Vec<_> = (0..n).map(|i| rt.spawn(async move { i })).collect();
            rt.block_on(async {
                for (i, h) in (0..n).zip(handles) {
                    assert_eq!(h.await.expect("no panic"), i);
                }
            });
        })
    });

    vec![
        concur.anchor("smol-async-executor"),
        smol,
        smol_promise.anchor("smol-async-executor"),
        tokio.anchor("smol-async-executor"),
    ]
    .into_iter()
    .map(|b| b.with("threads", workers))
    .collect()
}

fn w5(config: &Config) -> Vec<Bench> {
    let n = config.n(1000);
    let workers = config.workers();

    let pool = async_pool(workers);
    let concur = Bench::new("concur-async", n, move || {
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

    let raw = RawSmol::new(workers);
    let smol = Bench::new("smol-async-executor", n, move || {
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

    let rt = tokio_runtime(workers);
    let tokio = Bench::new("tokio-spawn", n, move || {
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

    // `efficiency` (ideal / median) is derived by the report from `ideal_seconds`.
    vec![concur, smol, tokio]
        .into_iter()
        .map(|b| {
            b.with("threads", workers)
                .with("ideal_seconds", TIMER.as_secs_f64())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_this_suite_has_gives_benches_that_run() {
        let config =
            Config::parse(&["--quick".into(), "--workers".into(), "2".into()]).expect("valid");
        for (workload, count) in [("W1", 4), ("W5", 3), ("W2", 0)] {
            let mut benches = benches(workload, &config);
            assert_eq!(benches.len(), count, "{workload}");
            for b in &mut benches {
                let took = b.run_once();
                if workload == "W5" {
                    assert!(took >= TIMER, "{b:?} waited {took:?}");
                }
            }
        }
    }
}
