//! A third-party backend, written against concur-core's public API only, passing
//! the whole conformance suite: proof that the `Executor` trait, `Promise`,
//! `StatsCounter` and the `concur_core::backend` toolkit are all a backend needs.
//!
//! `SimplePool` is deliberately plain: one FIFO queue behind a mutex and
//! `max_workers` OS threads started up front.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use concur_conformance::PoolConfig;
use concur_core::backend::{self, task};
use concur_core::{ChunkResult, Error, Executor, Future, Payload, Promise, Stats, StatsCounter};

/// A queued task: runs itself, completing its promise and counting itself in the
/// pool's stats. Dropping it unrun cancels its future (the promise's drop).
type Job = Box<dyn FnOnce(&StatsCounter) + Send>;

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

    /// Queues `f(arg)`; `bounded` applies `max_queued`.
    fn push<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        arg: A,
        bounded: bool,
    ) -> Result<Future<R>, Error> {
        let promise = Promise::new();
        let future = promise.future();
        // Marks it running (or skips it, cancelled), counts it, catches its
        // panic, completes the future.
        let job: Job = Box::new(move |stats| {
            task::run(promise, stats, || f(arg));
        });
        self.enqueue(job, bounded)?;
        Ok(future)
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
        job(&shared.stats);
    }
}

impl Executor for SimplePool {
    fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A) -> Future<R> {
        self.push(f, arg, false).unwrap_or_else(Future::failed)
    }

    fn try_submit<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        arg: A,
    ) -> Result<Future<R>, Error> {
        self.push(f, arg, true)
    }

    fn submit_chunk<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>> {
        let promise = Promise::new();
        let future = promise.future();
        let job: Job = Box::new(move |stats| {
            task::run(promise, stats, || backend::run_chunk(f, items));
        });
        match self.enqueue(job, false) {
            Ok(()) => future,
            Err(e) => Future::failed(e),
        }
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
            // Dropping the job drops its promise: a pending future is cancelled.
            drop(job);
            self.shared.stats.cancelled();
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
