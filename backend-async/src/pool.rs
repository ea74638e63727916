//! [`AsyncPool`]: N executor threads running the pool's own scheduler
//! ([`Sched`](sched::Sched), on `async-task`).
//!
//! # How a task runs
//!
//! `spawn` (and `submit`, which wraps the function call in an `async` block)
//! creates an async-task task whose metadata ([`TaskMeta`](meta::TaskMeta))
//! holds the pool and the future's cell, makes the cell's
//! [`Promise`](concur_core::Promise) (the task keeps it) and its [`Future`]
//! (the spawner's), and queues the runnable. On its first poll the wrapper
//! calls [`Promise::set_running`](concur_core::Promise::set_running): false means the
//! future was cancelled while the task waited, and the user's future is
//! dropped without ever being polled. A task that first polls after
//! `shutdown(cancel_futures)` began cancels itself, so a task an executor
//! thread popped while the queue was being drained does not slip through.
//! Otherwise each poll of the user's future runs inside
//! [`catch_panic`](concur_core::catch_panic), so a panic becomes
//! [`Error::Panicked`] and the executor thread goes on.
//!
//! # Shutdown
//!
//! Admission is [`LiveTasks`], core's [`Gate`](concur_core::backend::Gate)
//! protocol counting live tasks (accepted and not yet dropped): `accept`
//! enters it, a task's drop leaves it, `shutdown` closes it. So either the
//! task is refused, or shutdown sees it live and the task's last `release` is
//! told the pool became quiescent and stops the scheduler. The executor
//! threads return once it is stopped, which happens only when no task is
//! left. `shutdown(cancel_futures)` drains the run queue: the runnable of a
//! task not yet picked up is dropped, which cancels its future unpolled;
//! tasks that started and were woken go back to the queue and finish.
//!
//! # What a task costs
//!
//! One allocation for a typed task (`spawn`, `submit`, `try_spawn`, ...):
//! async-task's header with the metadata — the pool, the picked-up flag, the
//! future's [`FutureCell`](concur_core::backend::FutureCell) and the waker
//! that keeps the task allocated for the future's handles (`meta.rs`) — and
//! the [`RunTask`] future, 248 bytes for a W1 task; the spawner's [`Future`]
//! points into it. One reference count of the pool (the metadata's); the
//! live count (the spawner's half and the executor threads' half on lines of
//! their own); the stats' counters (the spawner's and the threads' on lines
//! of their own); the queue bound; a push of two words on the run queue (the
//! erased runnable, `sched.rs`) and a wake-up only when a thread sleeps and
//! none is on its way already (otherwise a fence and a load:
//! `sleepers.rs`). The erased path (`submit_task`, a [`TaskObj`] with a cell
//! of its own) is two allocations.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::Builder;
use crate::builder::Config;
use crate::sync::{self, lock};
use concur_core::backend::{CachePadded, QueueBound, TaskObj};
use concur_core::{
    ChunkResult, Error, Executor, Future, Payload, Stats, StatsCounter, TaskFn, catch_panic,
    run_chunk,
};

mod erased;
mod live;
mod meta;
mod sched;
mod sleepers;
mod thread;
mod wrapper;

use live::LiveTasks;
use meta::TaskMeta;
use sched::{Queued, Sched};
use thread::worker;
use wrapper::{RunTask, TaskGuard};

thread_local! {
    /// The `Shared` (by address) whose executor this thread runs, 0 elsewhere.
    static CURRENT: Cell<usize> = const { Cell::new(0) };
}

/// A pool of executor threads for async tasks, and a concur [`Executor`].
///
/// - [`spawn`](AsyncPool::spawn) runs a Rust `Future` and hands back a concur
///   [`Future`]: cancellable while pending (the task is then dropped unpolled),
///   usable with `wait`, `as_completed` and callbacks like a future of any other
///   backend, and awaitable from any async code.
/// - The [`Executor`] trait's `submit(fn, arg)` runs the function as a task on the
///   executor threads, so `max_workers` is the number of threads: a function that
///   blocks holds its thread, exactly as on a thread pool, and at most
///   `max_workers` functions run at once. Blocking calls *inside* async code
///   belong in [`to_thread`](crate::to_thread) instead, which keeps the executor
///   threads free.
///
/// Dropping the pool shuts it down and waits (`shutdown(true, false)`): every
/// accepted task runs to the end, then the executor threads exit and are joined.
///
/// ```
/// use concur_async::AsyncPool;
/// use concur_core::Executor;
///
/// fn double(x: u32) -> u32 { 2 * x }
///
/// let pool = AsyncPool::builder().max_workers(2).build()?;
/// let a = pool.spawn(async { 40 + 2 });
/// let b = pool.submit(double, 21);
/// assert_eq!(a.result(None)?, 42);
/// assert_eq!(smol::block_on(b)?, 42);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub struct AsyncPool {
    shared: Arc<Shared>,
}

/// What the pool handle, the executor threads and every task share.
pub(crate) struct Shared {
    /// The run queue all threads pop from, and their sleep.
    sched: Sched,
    /// Number of executor threads (`max_workers`).
    threads: usize,
    /// The task counters behind `stats()`, written by the spawning thread and
    /// by the executor threads (a `StatsCounter` pads its own lines).
    stats: StatsCounter,
    /// Live tasks (accepted, not yet dropped by the executor), closed by
    /// `shutdown` (see module docs).
    gate: LiveTasks,
    /// Tasks accepted and not yet picked up by an executor thread: the bound
    /// of `try_submit` / `try_spawn`.
    bound: QueueBound,
    /// Set by `shutdown(cancel_futures)` before it drains the run queue: a
    /// task that reaches its first poll meanwhile (a thread popped it first)
    /// is cancelled there instead of running. Read by every task's first
    /// poll, written once: on a line of its own.
    cancelling: CachePadded<AtomicBool>,
    /// Executor threads that have not exited yet; `exited` is notified as each exits.
    running: Mutex<usize>,
    exited: Condvar,
    /// Join handles of the executor threads, taken by the first waiting shutdown.
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl AsyncPool {
    /// A pool of `max_workers` executor threads, no queue bound, as `ThreadPool::new(n)`;
    /// [`builder`](AsyncPool::builder) sets the rest (default: a thread per core).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for 0; [`Error::Broken`] if a thread cannot start.
    pub fn new(max_workers: usize) -> Result<Self, Error> {
        Builder::new().max_workers(max_workers).build()
    }

    /// A [`Builder`] to set the number of threads, the queue bound and the thread names.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn start(config: Config) -> Result<Self, Error> {
        let Config {
            max_workers: threads,
            max_queued,
            thread_name_prefix: prefix,
            initializer,
        } = config;
        let shared = Arc::new(Shared {
            sched: Sched::new(),
            threads,
            stats: StatsCounter::default(),
            gate: LiveTasks::default(),
            bound: QueueBound::new(max_queued),
            cancelling: CachePadded::new(AtomicBool::new(false)),
            running: Mutex::new(0),
            exited: Condvar::new(),
            handles: Mutex::new(Vec::with_capacity(threads)),
        });
        let pool = AsyncPool { shared };
        // Each thread reports whether its initializer returned before it runs
        // any task; `build` waits for every report.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        for i in 0..threads {
            let shared = pool.shared.clone();
            let initializer = initializer.clone();
            let ready = ready_tx.clone();
            *lock(&pool.shared.running) += 1;
            let name = format!("{prefix}-{i}");
            let spawned = std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || {
                    let init = match initializer {
                        Some(init) => catch_panic(|| init()).map_err(|e| match e {
                            Error::Panicked { message, .. } => {
                                format!("the initializer panicked on {name}: {message}")
                            }
                            other => format!("the initializer failed on {name}: {other}"),
                        }),
                        None => Ok(()),
                    };
                    let ok = init.is_ok();
                    let _ = ready.send(init);
                    worker(shared, ok);
                });
            match spawned {
                Ok(handle) => lock(&pool.shared.handles).push(handle),
                Err(e) => {
                    *lock(&pool.shared.running) -= 1;
                    // Dropping `pool` stops and joins the threads already started.
                    return Err(Error::broken(format!(
                        "could not start an executor thread: {e}"
                    )));
                }
            }
        }
        drop(ready_tx);
        for report in ready_rx.iter().take(threads) {
            if let Err(reason) = report {
                // Dropping `pool` stops and joins every thread.
                return Err(Error::broken(reason));
            }
        }
        Ok(pool)
    }

    /// The number of executor threads.
    pub fn threads(&self) -> usize {
        self.shared.threads
    }

    /// Runs `future` on the pool and returns its concur [`Future`].
    ///
    /// The task starts (and its future turns running) on its first poll; until
    /// then [`Future::cancel`] succeeds and the task is dropped without being
    /// polled. A panic inside the task fails the future with [`Error::Panicked`].
    /// After [`shutdown`](Executor::shutdown) the returned future has already
    /// failed with [`Error::Shutdown`].
    ///
    /// ```
    /// use concur_async::AsyncPool;
    /// let pool = AsyncPool::builder().max_workers(1).build()?;
    /// let f = pool.spawn(async {
    ///     smol::Timer::after(std::time::Duration::from_millis(1)).await;
    ///     "slept"
    /// });
    /// assert_eq!(f.result(None)?, "slept");
    ///
    /// let boom = pool.spawn(async { panic!("boom") });
    /// assert!(matches!(boom.error(None)?, Some(concur_core::Error::Panicked { .. })));
    /// # Ok::<(), concur_core::Error>(())
    /// ```
    pub fn spawn<T, F>(&self, future: F) -> Future<T>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.shared
            .spawn_task(future, false)
            .unwrap_or_else(Future::failed)
    }

    /// As [`spawn`](AsyncPool::spawn), but refuses instead of queueing beyond the
    /// `max_queued` bound.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when `max_queued` tasks wait for a thread,
    /// [`Error::Shutdown`] after shutdown.
    pub fn try_spawn<T, F>(&self, future: F) -> Result<Future<T>, Error>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.shared.spawn_task(future, true)
    }
}

impl Shared {
    /// Counts a new task in, unless the pool is closed or (when `bounded`) full.
    fn accept(&self, bounded: bool) -> Result<(), Error> {
        if !self.gate.enter() {
            // A refused entry counted itself in and out again. If the last
            // task ended in between, that task's `release` saw this entry
            // still counted and left the stopping to whoever counts out last:
            // here, us.
            if self.gate.is_quiescent() {
                self.sched.stop();
            }
            return Err(Error::Shutdown);
        }
        if bounded {
            if let Err(full) = self.bound.try_admit() {
                self.release();
                return Err(full);
            }
        } else {
            self.bound.admit();
        }
        self.stats.submitted();
        Ok(())
    }

    /// A task left the queue (started, or dropped unpolled).
    fn unqueue(&self) {
        self.bound.leave();
    }

    /// A task is gone; the last one after shutdown stops the executor threads.
    fn release(&self) {
        if self.gate.leave() {
            self.sched.stop();
        }
    }

    #[allow(unsafe_code)] // `spawn_raw`, the cell in the task
    pub(crate) fn spawn_task<T, F>(
        self: &Arc<Self>,
        future: F,
        bounded: bool,
    ) -> Result<Future<T>, Error>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.accept(bounded)?;
        let mut handle = None;
        let slot = &mut handle;
        // SAFETY: for `spawn_raw`, the future borrows the metadata it is
        // given (its guard, and its promise points into the metadata's cell)
        // and owns everything else (`future`: `Send + 'static`). For
        // `TaskMeta::promise` (inside the closure): called once, on the metadata of this
        // task, which is not queued yet; the waker is kept below before the
        // task is queued, and until then both handles are here: the promise
        // inside the task's future (which nothing runs or drops before the
        // push) and `handle`.
        let runnable = unsafe {
            Self::spawn_raw(TaskMeta::typed(self.clone()), move |meta| {
                let promise = meta.promise();
                *slot = Some(promise.future());
                RunTask::new(TaskGuard::new(&meta.base), promise, future)
            })
        };
        // SAFETY: once, before the task is queued.
        unsafe { runnable.metadata().keep(runnable.waker()) };
        self.sched.push(Queued::new(runnable));
        Ok(handle.expect("the task's future was made at the spawn"))
    }

    /// Creates the task `make` builds from its metadata `meta` (which holds
    /// the pool), and hands back its runnable for the caller to queue. The caller
    /// has counted it in (`accept`).
    ///
    /// # Safety
    ///
    /// The future `make` returns may borrow the `TaskMeta` it is given, and
    /// nothing else: apart from that reference it must be `'static`.
    #[allow(unsafe_code)]
    unsafe fn spawn_raw<'a, C, M, Fut>(meta: TaskMeta<C>, make: M) -> sched::Runnable<C>
    where
        C: Send + Sync + 'static,
        M: FnOnce(&'a TaskMeta<C>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'a,
    {
        let builder = async_task::Builder::new().metadata(meta);
        // SAFETY: async-task's conditions for `spawn_unchecked`: `Fut` is
        // `Send`, so the runnable may run and drop on any thread; `Fut` is not
        // `'static` only by the metadata it borrows (this function's
        // contract), which async-task allows: the metadata lives in the
        // task's header until the task is deallocated, after its future was
        // dropped; `schedule::<C>` is a `Send + Sync + 'static` fn.
        let (runnable, task) = unsafe { builder.spawn_unchecked(make, sched::schedule::<C>) };
        // The pool keeps no handle: the task is only ever ended by its runnable.
        task.detach();
        runnable
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.gate.close();
        if cancel_futures {
            // Release: pairs with the Acquire load in `RunTask::poll`; a task
            // an executor thread pops after the drain started cancels itself.
            self.cancelling.store(true, Ordering::Release);
            self.sched.cancel_queued();
        }
        if self.gate.is_quiescent() {
            self.sched.stop();
        }
        // A task that shuts its own pool down cannot wait for itself.
        let on_own_thread = CURRENT.with(Cell::get) == self as *const Shared as usize;
        if wait && !on_own_thread {
            let mut running = lock(&self.running);
            while *running > 0 {
                running = sync::wait(&self.exited, running);
            }
            drop(running);
            let handles = std::mem::take(&mut *lock(&self.handles));
            for h in handles {
                // The thread has already left `worker`; a join error would be a
                // panic outside any task, which `worker` does not let through.
                let _ = h.join();
            }
        }
    }
}

/// The generic methods are overridden with async blocks over the typed
/// values (no [`TaskObj`] to make); [`submit_task`](Executor::submit_task),
/// what `concur::Pool` calls, spawns the erased task as one async task.
impl Executor for AsyncPool {
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.shared.spawn_obj(task, false)
    }

    fn try_submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.shared.spawn_obj(task, true)
    }

    fn submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(&self, f: F, args: A) -> Future<R> {
        self.spawn(async move { f.call(args) })
    }

    fn try_submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        args: A,
    ) -> Result<Future<R>, Error> {
        self.try_spawn(async move { f.call(args) })
    }

    fn submit_chunk<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>> {
        self.spawn(async move { run_chunk(|a| f.call(a), items) })
    }

    fn max_workers(&self) -> usize {
        self.shared.threads
    }

    fn stats(&self) -> Stats {
        self.shared.stats.snapshot(*lock(&self.shared.running))
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.shared.shutdown(wait, cancel_futures);
    }
}

impl Drop for AsyncPool {
    fn drop(&mut self) {
        self.shared.shutdown(true, false);
    }
}

impl fmt::Debug for AsyncPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncPool")
            .field("threads", &self.shared.threads)
            .field("max_queued", &self.shared.bound.max())
            .field("closed", &self.shared.gate.is_closed())
            .field("stats", &self.stats())
            .finish()
    }
}
