//! [`ProcessPool`]: the scheduler on the parent side.
//!
//! One *slot thread* per worker slot owns a worker process: it spawns it, reads
//! every message the worker sends (`Done`, ...), reaps it when its channel
//! closes, fails or requeues what it held, and spawns the replacement. Tasks wait
//! in one FIFO queue; [`Shared::pump`] moves them into the workers' in-flight
//! windows (up to `inflight_per_worker` each, spread level by level so that an
//! idle worker is served before a busy one gets a second task, topped up once
//! half drained, and the tasks a worker gets in one step sent in one message).
//!
//! A task is marked running when it is sent to a worker (as Python marks the
//! tasks it moves to its call queue), so a future that reports "pending" is never
//! run and `cancel` on it is exact. The worker runs its window in order, so the
//! first task of a window is the one running: it is the one a lost worker takes
//! down, while the others go back to the queue (and keep their running mark).
//!
//! One concept per file:
//!
//! - this file: the public type, its API and the [`Executor`] impl;
//! - `shared.rs`: the state the pool's threads share, submission and the
//!   scheduling step (`pump`), with the lock discipline;
//! - `shutdown.rs`: every way a pool ends (shut down, broken, abandoned,
//!   workers terminated);
//! - `job.rs`: one accepted task and how it ends;
//! - `link.rs`: the parent's side of one live worker;
//! - `results.rs`: draining a worker's result ring;
//! - `slot.rs`: the slot thread, one worker's life after another;
//! - `watchdog.rs`: timeouts, rebalancing, pings and exit grace.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use concur_core::backend::{QueueBound, TaskObj};
use concur_core::{
    ChunkResult, Error, Executor, Future, Payload, Promise, Stats, StatsCounter, TaskFn,
};

use crate::builder::{Builder, Config};
use crate::codec::{self, CallRef};
use crate::{sync, task};

mod erased;
mod job;
mod link;
mod results;
mod shared;
mod shutdown;
mod slot;
mod watchdog;

use job::{PromiseSink, Task};
use shared::{Shared, State};

/// A pool of worker processes: Python's `ProcessPoolExecutor`, with workers that
/// are this binary re-executed, tasks that are plain `fn(A) -> R`, and faults
/// that cost only the task that caused them. See the [crate docs](crate).
///
/// ```
/// use concur_process::ProcessPool;
/// use concur_core::Executor;
///
/// fn square(x: u64) -> u64 { x * x }
///
/// let pool = ProcessPool::builder().max_workers(2).build()?;
/// let fut = pool.submit(square, 12);
/// assert_eq!(fut.result(None)?, 144);
/// # Ok::<(), concur_core::Error>(())
/// ```
#[derive(Debug)]
pub struct ProcessPool {
    shared: Arc<Shared>,
}

impl ProcessPool {
    /// A builder with the defaults (workers: available parallelism).
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A pool of `max_workers` worker processes, with the other defaults.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when `max_workers` is 0; otherwise as
    /// [`Builder::build`].
    ///
    /// ```
    /// use concur_core::{Error, Executor};
    /// use concur_process::ProcessPool;
    ///
    /// fn double(x: u32) -> u32 { 2 * x }
    ///
    /// let pool = ProcessPool::new(2)?;
    /// assert_eq!(pool.max_workers(), 2);
    /// assert_eq!(pool.submit(double, 21).result(None), Ok(42));
    /// assert!(matches!(ProcessPool::new(0), Err(Error::InvalidConfig { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(max_workers: usize) -> Result<Self, Error> {
        Builder::new().max_workers(max_workers).build()
    }

    pub(crate) fn start(config: Config) -> Result<Self, Error> {
        // A process started as a worker whose pre-main hook did not run
        // becomes the worker now (and never returns); in a worker that is
        // serving already, a task builds a pool of its own.
        crate::hook::become_worker_if_started_as_one();
        let n = config.max_workers;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                workers: (0..n).map(|_| None).collect(),
                shutdown: false,
                broken: None,
                timer_started: false,
                ping_seq: 0,
                abandoned: false,
            }),
            bound: QueueBound::new(config.max_queued),
            config,
            stats: StatsCounter::default(),
            next_id: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            timer_cv: Condvar::new(),
            threads: Mutex::new(Vec::new()),
        });
        let (tx, rx) = std::sync::mpsc::channel();
        for slot in 0..n {
            let s = shared.clone();
            let ready = tx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("concur-process-slot-{slot}"))
                .spawn(move || s.slot_main(slot, Some(ready)))
                .map_err(|e| Error::broken(format!("cannot start a thread: {e}")))?;
            sync::lock(&shared.threads).push(handle);
        }
        drop(tx);
        let mut first_error = None;
        for _ in 0..n {
            if let Ok(Err(e)) = rx.recv() {
                first_error.get_or_insert(e);
            }
        }
        let pool = ProcessPool { shared };
        if let Some(e) = first_error {
            pool.kill_workers();
            return Err(e);
        }
        // The watchdog: task timeouts and rebalancing.
        pool.shared.start_timer();
        Ok(pool)
    }

    fn submit_call<A: Payload, R: Payload>(
        &self,
        call: CallRef,
        arg: &A,
        timeout: Option<Duration>,
        bounded: bool,
    ) -> Result<Future<R>, Error> {
        let promise = Promise::<R>::new();
        let future = promise.future();
        let sink = Box::new(PromiseSink(promise, self.shared.config.codec));
        self.submit_sink(call, arg, sink, timeout, bounded)?;
        Ok(future)
    }

    /// Encodes `arg` (on this thread: a value that cannot be encoded fails
    /// here) and queues the task whose outcome `sink` decodes; on a refusal
    /// the sink is dropped, which cancels its future.
    fn submit_sink<A: serde::Serialize + ?Sized>(
        &self,
        call: CallRef,
        arg: &A,
        sink: Box<dyn job::Sink>,
        timeout: Option<Duration>,
        bounded: bool,
    ) -> Result<(), Error> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let codec = self.shared.config.codec;
        let threshold = self.shared.config.spawn.shared_threshold;
        let timeout = timeout.or(self.shared.config.task_timeout);
        let (frame, shm) =
            codec::encode_task(codec, (id, timeout.is_some()), call, arg, threshold)?;
        let task = Task {
            id,
            frame,
            shm,
            sink,
            timeout,
            marked: false,
            lost: 0,
        };
        match self.shared.enqueue(task, bounded) {
            Ok(()) => Ok(()),
            Err(rejected) => {
                // Dropped outside the lock: the sink's drop cancels its future.
                let (e, task) = *rejected;
                drop(task);
                Err(e)
            }
        }
    }

    /// As [`submit`](Executor::submit), with a deadline for this task's run: if
    /// it has not finished `timeout` after it started, its worker is killed, the
    /// future fails with [`Error::Timeout`], and a new worker takes the slot.
    /// (Python cannot stop a running task at all.)
    ///
    /// ```
    /// use concur_process::ProcessPool;
    /// use concur_core::Error;
    /// use std::time::Duration;
    ///
    /// fn spin(_: ()) { loop { std::hint::spin_loop() } }
    ///
    /// let pool = ProcessPool::builder().max_workers(1).build()?;
    /// let fut = pool.submit_with_timeout(spin, (), Duration::from_millis(50));
    /// assert_eq!(fut.result(None), Err(Error::Timeout));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn submit_with_timeout<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        args: A,
        timeout: Duration,
    ) -> Future<R> {
        task::call_ref(f, self.shared.config.codec)
            .and_then(|call| self.submit_call(call, &args, Some(timeout), false))
            .unwrap_or_else(Future::failed)
    }

    /// Sends `SIGTERM` to every worker after a `shutdown(wait = false,
    /// cancel_futures = true)`, then waits for the workers to be reaped (Python
    /// 3.14's `terminate_workers`). Running tasks fail with
    /// [`Error::WorkerLost`]; queued tasks are cancelled.
    pub fn terminate_workers(&self) {
        self.shared.signal_workers(libc::SIGTERM);
    }

    /// As [`terminate_workers`](ProcessPool::terminate_workers) with `SIGKILL`
    /// (Python 3.14's `kill_workers`).
    ///
    /// ```
    /// use concur_process::ProcessPool;
    /// use concur_core::{Error, Executor};
    ///
    /// fn id(x: u32) -> u32 { x }
    ///
    /// let pool = ProcessPool::builder().max_workers(1).build()?;
    /// pool.kill_workers();
    /// assert_eq!(pool.submit(id, 1).result(None), Err(Error::Shutdown));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn kill_workers(&self) {
        self.shared.signal_workers(libc::SIGKILL);
    }

    /// Cancels one task even if it is running: a task still queued is
    /// cancelled; a task sent to a worker and not started is taken back; the
    /// running one ends its worker, which is replaced. The future fails with
    /// [`Error::Cancelled`] (unless the task completed first: then it keeps its
    /// result), and every other task is left alone, those sent ahead to the
    /// same worker included (they run elsewhere). Python's executors can only
    /// kill all workers at once.
    ///
    /// Returns false if the task was not in this pool or had already finished.
    ///
    /// ```
    /// use concur_process::ProcessPool;
    /// use concur_core::{Error, Executor};
    ///
    /// fn spin(_: ()) -> u8 { loop { std::hint::spin_loop() } }
    /// fn id(x: u8) -> u8 { x }
    ///
    /// let pool = ProcessPool::builder().max_workers(1).build()?;
    /// let stuck = pool.submit(spin, ());
    /// while !stuck.is_running() { std::thread::yield_now() }
    /// assert!(pool.kill(&stuck));
    /// assert_eq!(stuck.result(None), Err(Error::Cancelled));
    /// assert_eq!(pool.submit(id, 7).result(None), Ok(7), "a new worker took the slot");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn kill<R: Payload>(&self, future: &Future<R>) -> bool {
        let any = future.as_any();
        let mut st = self.shared.lock();
        if let Some(pos) = st.queue.iter().position(|t| t.sink.completes(&any)) {
            let task = st.queue.remove(pos).expect("just found");
            drop(st);
            self.shared.cancel_all(vec![task]);
            return true;
        }
        st.workers.iter_mut().flatten().any(|link| link.abort(&any))
    }

    /// How many times a task whose worker was lost was run again (see
    /// [`Builder::retries`]).
    pub fn retried(&self) -> u64 {
        self.shared.retried.load(Ordering::Relaxed)
    }

    /// The process ids of the live workers.
    pub fn worker_pids(&self) -> Vec<u32> {
        self.shared
            .lock()
            .workers
            .iter()
            .flatten()
            .map(|l| l.pid)
            .collect()
    }
}

/// The generic methods are overridden with the typed trampolines of
/// `task.rs`; [`submit_task`](Executor::submit_task), what `concur::Pool`
/// calls, sends the erased task through `pool/erased.rs`.
impl Executor for ProcessPool {
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.submit_erased(task, false)
    }

    fn try_submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.submit_erased(task, true)
    }

    fn submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(&self, f: F, args: A) -> Future<R> {
        task::call_ref(f, self.shared.config.codec)
            .and_then(|call| self.submit_call(call, &args, None, false))
            .unwrap_or_else(Future::failed)
    }

    fn try_submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        args: A,
    ) -> Result<Future<R>, Error> {
        task::call_ref(f, self.shared.config.codec)
            .and_then(|call| self.submit_call(call, &args, None, true))
    }

    fn submit_chunk<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>> {
        task::chunk_ref(f, self.shared.config.codec)
            .and_then(|call| self.submit_call(call, &items, None, false))
            .unwrap_or_else(Future::failed)
    }

    fn max_workers(&self) -> usize {
        self.shared.config.max_workers
    }

    /// Every worker's window twice over: while the consumer of a `map` is
    /// away, each worker's window can be topped up once from the queue. With
    /// the defaults (2 workers, windows of 16) that is 64 tasks; with 4 × 2 =
    /// 8 a `map(chunksize 1000)` on a loaded machine ran at 2–3× the time of
    /// the same chunks submitted by hand, with 64 at parity (W2).
    fn map_window(&self) -> usize {
        let config = &self.shared.config;
        2 * config.window * config.max_workers.max(1)
    }

    fn stats(&self) -> Stats {
        let workers = self.shared.lock().workers.iter().flatten().count();
        self.shared.stats.snapshot(workers)
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.shared.shutdown(wait, cancel_futures);
    }
}

/// Dropping a pool shuts it down and waits, as `shutdown(wait = true)`: the
/// tasks already submitted run. Dropped while the thread panics, it does not
/// run the queue (which could take forever) but cancels it and kills the
/// workers, so that the panic goes on promptly.
impl Drop for ProcessPool {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.shared.abandon();
        } else {
            self.shared.shutdown(true, false);
        }
    }
}
