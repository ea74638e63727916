//! The state every worker and every handle of one pool share.
//!
//! # The submit protocol
//!
//! core's [`Gate`] (its docs argue it): a submitter `enter`s, pushes its job,
//! wakes or starts a worker, and `leave`s; `shutdown` closes the gate and
//! waits until nobody is inside. Once the pool is *closed* (the gate
//! quiescent) no job will ever be pushed again, and a worker that then finds
//! every queue empty may exit without stranding a job.
//!
//! The common case costs the submitter two uncontended read-modify-writes on a
//! cache line of its own; the closed flag's line is read-mostly, so idle
//! workers polling it do not steal the submitter's line.
//!
//! # Counters
//!
//! `stats()` adds up one [`StatsCounter`] per worker (started, completed,
//! failed, cancelled: bumped only by that worker; a `StatsCounter` keeps
//! those on cache lines of their own) and a
//! shared one (submitted, and what `shutdown` or a refusal ends off the
//! workers), so the submit path and the workers never write the same line.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{JoinHandle, ThreadId};

use concur_core::backend::{CachePadded, Gate, QueueBound};
use concur_core::{Error, Stats, StatsCounter};
use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use crate::builder::Config;
use crate::job::{Action, Job};
use crate::sleep::Sleep;
use crate::sync::{Mutex, MutexGuard};

/// Shared by the pool handle and its workers (each holds an `Arc`).
#[derive(Debug)]
pub(crate) struct Registry {
    /// The global FIFO queue tasks from outside the pool go to.
    pub(crate) injector: Injector<Job<'static>>,
    /// The stealing end of worker `i`'s deque, set before worker `i` starts.
    pub(crate) stealers: Box<[OnceLock<Stealer<Job<'static>>>]>,
    /// Submitters between their `shutdown` check and the end of their push,
    /// and whether the pool stopped accepting work (see module docs).
    gate: Gate,
    /// Parking idle workers.
    pub(crate) sleep: Sleep,
    /// Worker slots claimed so far (threads started, never decreases).
    started: AtomicUsize,
    /// Worker threads alive.
    alive: AtomicUsize,
    /// Workers looking for work or asleep (not running a task).
    pub(crate) idle: CachePadded<AtomicUsize>,
    /// Tasks in the queues, kept only when `max_queued` is set.
    bound: QueueBound,
    /// Submissions, and jobs ended off the workers (drained, refused).
    pub(crate) stats: StatsCounter,
    /// Jobs ended by worker `i` (see module docs).
    pub(crate) worker_stats: Box<[StatsCounter]>,
    /// Join handles of the started workers, taken by `shutdown(wait = true)`.
    handles: Mutex<Vec<(ThreadId, JoinHandle<()>)>>,
    /// Why the pool broke (an initializer panicked), if it did.
    broken: OnceLock<String>,
    /// What the builder set.
    pub(crate) config: Config,
}

impl Registry {
    pub(crate) fn new(config: Config) -> Arc<Self> {
        Arc::new(Registry {
            injector: Injector::new(),
            stealers: (0..config.max_workers).map(|_| OnceLock::new()).collect(),
            gate: Gate::default(),
            sleep: Sleep::default(),
            started: AtomicUsize::new(0),
            alive: AtomicUsize::new(0),
            idle: CachePadded::new(AtomicUsize::new(0)),
            bound: QueueBound::new(config.max_queued),
            stats: StatsCounter::default(),
            worker_stats: (0..config.max_workers)
                .map(|_| StatsCounter::default())
                .collect(),
            handles: Mutex::new(Vec::new()),
            broken: OnceLock::new(),
            config,
        })
    }

    /// Why new work is refused: the pool is broken, or shut down.
    fn refusal(&self) -> Error {
        match self.broken.get() {
            Some(reason) => Error::broken(reason.clone()),
            None => Error::Shutdown,
        }
    }

    /// Reserves a queue slot for `try_submit`.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] at the `max_queued` bound, or the refusal after shutdown.
    pub(crate) fn reserve(&self) -> Result<(), Error> {
        if self.is_shutdown() {
            return Err(self.refusal());
        }
        self.bound.try_admit()
    }

    /// Queues `job` (on the calling worker's own deque when called from one of
    /// this pool's workers, else on the global injector), then wakes a sleeping
    /// worker or starts a new one if none is idle. `reserved` says `reserve`
    /// already counted it.
    ///
    /// # Errors
    ///
    /// Hands the job back with the refusal after shutdown.
    pub(crate) fn inject(
        self: &Arc<Self>,
        job: Job<'static>,
        reserved: bool,
    ) -> Result<(), (Job<'static>, Error)> {
        if !self.gate.enter() {
            if reserved {
                self.dequeued();
            }
            return Err((job, self.refusal()));
        }
        if !reserved {
            self.bound.admit();
        }
        self.stats.submitted();
        if let Some(job) = crate::worker::push_local(self, job) {
            self.injector.push(job);
        }
        let stranded = self.notify_new_work();
        // Our push happens before a worker's exit check reads a zero count.
        self.gate.leave();
        if let Some(reason) = stranded {
            self.break_pool(reason);
        }
        Ok(())
    }

    /// After new work became visible: wakes a sleeper, or starts a worker when
    /// none is idle and fewer than `max_workers` were started. Returns why the
    /// pool must break when no thread could be started and none is alive.
    #[inline]
    pub(crate) fn notify_new_work(self: &Arc<Self>) -> Option<String> {
        if self.sleep.wake_one() {
            return None;
        }
        // `started` first: it is read-mostly, while `idle` changes as workers
        // come and go. Relaxed: a stale value only delays or adds a start,
        // which `start_worker` re-checks.
        if self.started.load(Ordering::Relaxed) < self.config.max_workers
            && self.idle.load(Ordering::SeqCst) == 0
        {
            return self.start_worker();
        }
        None
    }

    /// A job left the queues (taken by a worker or drained).
    #[inline]
    pub(crate) fn dequeued(&self) {
        self.bound.leave();
    }

    #[cold]
    fn start_worker(self: &Arc<Self>) -> Option<String> {
        // Under the handles lock, so a `shutdown` that set its bit before we
        // looked is seen here, and one that sets it after finds our handle.
        let mut handles = self.lock_handles();
        if self.is_shutdown() && self.alive() > 0 {
            // The live workers will drain the queues.
            return None;
        }
        // Relaxed: the slot index is all we take from `started`; the stealer
        // is published by its `OnceLock`, the worker's state by `spawn`.
        let claimed = self
            .started
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.config.max_workers).then_some(n + 1)
            });
        let Ok(index) = claimed else { return None };
        let local = Worker::new_lifo();
        if self.stealers[index].set(local.stealer()).is_err() {
            unreachable!("each worker slot is claimed once");
        }
        self.alive.fetch_add(1, Ordering::SeqCst);
        let registry = self.clone();
        let mut builder = std::thread::Builder::new()
            .name(format!("{}-{}", self.config.thread_name_prefix, index));
        if let Some(size) = self.config.stack_size {
            builder = builder.stack_size(size);
        }
        match builder.spawn(move || crate::worker::main_loop(registry, index, local)) {
            Ok(handle) => {
                handles.push((handle.thread().id(), handle));
                None
            }
            Err(e) => {
                self.alive.fetch_sub(1, Ordering::SeqCst);
                // With no worker alive nobody would ever run the queued work.
                (self.alive() == 0).then(|| format!("could not start a worker thread: {e}"))
            }
        }
    }

    fn lock_handles(&self) -> MutexGuard<'_, Vec<(ThreadId, JoinHandle<()>)>> {
        crate::sync::lock(&self.handles)
    }

    /// True once shut down with nobody in flight: no job will be pushed again.
    #[inline]
    pub(crate) fn closed(&self) -> bool {
        self.gate.is_quiescent()
    }

    /// True once shutdown started.
    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.gate.is_closed()
    }

    /// A worker exited.
    pub(crate) fn worker_exited(&self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }

    /// Live worker threads.
    pub(crate) fn alive(&self) -> usize {
        self.alive.load(Ordering::SeqCst)
    }

    /// True when every queue looks empty.
    pub(crate) fn queues_empty(&self) -> bool {
        self.injector.is_empty()
            && self
                .stealers
                .iter()
                .all(|s| s.get().is_none_or(Stealer::is_empty))
    }

    /// Sets the `shutdown` flag and waits until no submitter is in flight.
    fn close(&self) {
        self.gate.close_and_wait();
    }

    /// Takes every queued job out and ends it with `action`.
    ///
    /// Every job is taken out first and only then ended: ending one runs its
    /// future's callbacks, which may unblock a worker, and that worker must not
    /// find (and run) a job this drain was about to cancel.
    fn drain(&self, action: impl Fn() -> Action) {
        let mut jobs = Vec::new();
        let mut take = |steal: &dyn Fn() -> Steal<Job<'static>>| {
            loop {
                match steal() {
                    Steal::Success(job) => jobs.push(job),
                    Steal::Retry => {}
                    Steal::Empty => break,
                }
            }
        };
        take(&|| self.injector.steal());
        for s in self.stealers.iter().filter_map(OnceLock::get) {
            take(&|| s.steal());
        }
        for job in jobs {
            self.dequeued();
            job.execute(action(), &self.stats);
        }
    }

    /// `Executor::shutdown`: refuse new work, optionally cancel what is queued,
    /// wake every worker so it can exit once the queues are empty, and
    /// optionally join them (never the calling thread itself).
    pub(crate) fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.close();
        if cancel_futures {
            self.drain(|| Action::Cancel);
        }
        self.sleep.wake_all();
        if wait {
            let me = std::thread::current().id();
            loop {
                let batch: Vec<_> = {
                    let mut handles = self.lock_handles();
                    let (mine, others): (Vec<_>, Vec<_>) =
                        handles.drain(..).partition(|(id, _)| *id == me);
                    *handles = mine;
                    others
                };
                if batch.is_empty() {
                    break;
                }
                for (_, handle) in batch {
                    // Workers catch task panics; a join error is a bug we cannot act on.
                    let _ = handle.join();
                }
            }
        }
    }

    /// Breaks the pool (an initializer panicked): refuse new work with
    /// [`Error::Broken`], fail everything queued with it, wake every worker.
    pub(crate) fn break_pool(&self, reason: String) {
        let _ = self.broken.set(reason);
        self.close();
        let error = self.refusal();
        self.drain(|| Action::Fail(error.clone()));
        self.sleep.wake_all();
    }

    /// The task counters, added up over the workers (read first: later stages
    /// before earlier ones keeps the derived counts non-negative).
    pub(crate) fn snapshot(&self) -> Stats {
        let mut total = Stats {
            workers: self.alive(),
            ..Stats::default()
        };
        let mut started = 0;
        let mut add = |s: Stats| {
            total.completed += s.completed;
            total.failed += s.failed;
            total.cancelled += s.cancelled;
            started += s.running + s.completed + s.failed;
        };
        self.worker_stats.iter().for_each(|c| add(c.snapshot(0)));
        let shared = self.stats.snapshot(0);
        let submitted = shared.submitted;
        add(shared);
        total.submitted = submitted.max(started + total.cancelled);
        total.queued = total.submitted - started - total.cancelled;
        total.running = started - total.completed - total.failed;
        total
    }

    /// How many times a worker went to sleep.
    pub(crate) fn naps(&self) -> usize {
        self.sleep.naps()
    }
}
