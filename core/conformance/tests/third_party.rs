//! A third-party backend, written against concur-core's public API only, passing
//! the whole conformance suite: proof that the `Executor` trait, `TaskObj`,
//! `StatsCounter` and the `concur_core::backend` toolkit are all a backend needs.
//!
//! `SimplePool` is deliberately plain: one FIFO queue behind a mutex and
//! `max_workers` OS threads started up front. It writes only the dyn-compatible
//! base of `Executor` (`submit_task`, `try_submit_task`, `max_workers`, `stats`,
//! `shutdown`); `submit`, `map` and the rest are the trait's. The suite runs
//! twice: on `SimplePool` itself, and on `concur::Pool::from_executor` of it —
//! a third party's executor chosen at run time beside ours.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use concur_conformance::PoolConfig;
use concur_core::backend::{self, TaskObj};
use concur_core::{Error, Executor, Stats, StatsCounter};

/// A queued task: `run` completes its future and counts it in the pool's
/// stats. Dropping it unrun cancels its future.
type Job = TaskObj;

struct Queue {
    jobs: VecDeque<Job>,
    shutdown: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
    stats: StatsCounter,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A fixed pool of OS threads sharing one FIFO queue.
struct SimplePool {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    max_workers: usize,
    max_queued: Option<usize>,
}

impl SimplePool {
    fn new(config: PoolConfig) -> Result<SimplePool, Error> {
        // Refuses 0 workers and a bound of 0, as every pool does.
        let max_workers = backend::check_max_workers(Some(config.max_workers))?;
        let max_queued = backend::check_max_queued(config.max_queued)?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                shutdown: false,
            }),
            work: Condvar::new(),
            stats: StatsCounter::default(),
        });
        let workers = (0..max_workers)
            .map(|i| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("simple-pool-{i}"))
                    .spawn(move || worker(&shared))
                    .map_err(|e| Error::broken(format!("could not spawn a worker: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SimplePool {
            shared,
            workers: Mutex::new(workers),
            max_workers,
            max_queued,
        })
    }

    fn enqueue(&self, job: Job, bounded: bool) -> Result<(), Error> {
        let mut q = self.shared.lock();
        if q.shutdown {
            return Err(Error::Shutdown);
        }
        if let (true, Some(max)) = (bounded, self.max_queued)
            && q.jobs.len() >= max
        {
            return Err(Error::Full { max_queued: max });
        }
        q.jobs.push_back(job);
        self.shared.stats.submitted();
        drop(q);
        self.shared.work.notify_one();
        Ok(())
    }
}

fn worker(shared: &Shared) {
    loop {
        let job = {
            let mut q = shared.lock();
            loop {
                if let Some(job) = q.jobs.pop_front() {
                    break job;
                }
                if q.shutdown {
                    return;
                }
                q = shared.work.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        // Marks it running (or skips it, cancelled), counts it, catches its
        // panic, completes the future.
        job.run(&shared.stats);
    }
}

impl Executor for SimplePool {
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.enqueue(task, false)
    }

    fn try_submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.enqueue(task, true)
    }

    fn max_workers(&self) -> usize {
        self.max_workers
    }

    fn stats(&self) -> Stats {
        let workers = self.workers.lock().unwrap_or_else(|e| e.into_inner()).len();
        self.shared.stats.snapshot(workers)
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let dropped: Vec<Job> = {
            let mut q = self.shared.lock();
            q.shutdown = true;
            if cancel_futures {
                q.jobs.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        self.shared.work.notify_all();
        for job in dropped {
            // Its future is cancelled, and counted so.
            job.cancel(&self.shared.stats);
        }
        if wait {
            let handles: Vec<JoinHandle<()>> =
                std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
            for h in handles {
                let _ = h.join();
            }
        }
    }
}

impl Drop for SimplePool {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

// Every scenario as a test of its own: `cargo test -p concur-conformance --test
// third_party -- --list`.
concur_conformance::suite!(SimplePool::new);

/// The same suite through `concur::Pool`, which holds the pool as a
/// `Box<dyn Executor + Send>`: `through_pool::cancel::cancel_pending_succeeds`, ...
mod through_pool {
    use super::SimplePool;

    concur_conformance::suite!(|config| SimplePool::new(config).map(concur::Pool::from_executor));

    #[test]
    fn the_pool_says_it_holds_a_custom_executor() {
        let config = concur_conformance::PoolConfig::new(2);
        let pool = concur::Pool::from_executor(SimplePool::new(config).expect("a pool"));
        assert_eq!(pool.backend(), None);
        assert!(format!("{pool:?}").contains("custom"), "{pool:?}");
        assert_eq!(concur::Executor::max_workers(&pool), 2);
    }
}
