//! [`ProcessPool`]: the scheduler on the parent side.
//!
//! One *slot thread* per worker slot owns a worker process: it spawns it, reads
//! every message the worker sends (`Done`, ...), reaps it when its channel
//! closes, fails or requeues what it held, and spawns the replacement. Tasks wait
//! in one FIFO queue; [`Shared::pump`] moves them into the workers' in-flight
//! windows (up to `inflight_per_worker` each, spread level by level so that an
//! idle worker is served before a busy one gets a second task).
//!
//! A task is marked running when it is sent to a worker (as Python marks the
//! tasks it moves to its call queue), so a future that reports "pending" is never
//! run and `cancel` on it is exact. The worker runs its window in order, so the
//! first task of a window is the one running: it is the one a lost worker takes
//! down, while the others go back to the queue (and keep their running mark).
//!
//! Lock discipline: `Shared::state` is never held while a future is completed or
//! a promise dropped (both can run user callbacks, which may submit). Tasks
//! removed under the lock go to a `dead` list dropped after unlocking.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use concur_core::{ChunkResult, Error, Executor, Future, Payload, Promise, Stats, StatsCounter};

use crate::builder::Builder;
use crate::codec::{self, CallRef, Codec};
use crate::spawn::SpawnConfig;
use crate::task;

mod job;
mod link;
mod slot;
mod watchdog;

use job::{PromiseSink, Task};
use link::Link;

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

/// Everything the builder decided.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) max_queued: Option<usize>,
    pub(crate) max_tasks_per_child: Option<u64>,
    pub(crate) task_timeout: Option<Duration>,
    pub(crate) window: usize,
    pub(crate) break_on_worker_loss: bool,
    /// Runs a task whose worker was lost gets beyond its first.
    pub(crate) retries: u32,
    /// How task arguments and results are encoded.
    pub(crate) codec: Codec,
    pub(crate) spawn: SpawnConfig,
}

pub(crate) struct Shared {
    config: Config,
    /// Queue, workers and flags; see the lock discipline in the module docs.
    state: Mutex<State>,
    stats: StatsCounter,
    next_id: AtomicU64,
    /// Tasks requeued after their worker was lost (`retries`); a counter only,
    /// read with `Relaxed` as it orders nothing.
    retried: AtomicU64,
    /// Wakes the timeout watchdog (a deadline was set, a worker left, shutdown).
    timer_cv: Condvar,
    /// Slot threads and the watchdog, joined by `shutdown(wait = true)`.
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPool")
            .field("config", &self.config)
            .field("stats", &self.stats)
            .finish()
    }
}

struct State {
    /// Accepted tasks not yet sent to a worker, in submission order.
    queue: VecDeque<Task>,
    /// The live worker of each slot.
    workers: Vec<Option<Link>>,
    shutdown: bool,
    broken: Option<String>,
    timer_started: bool,
    /// The last ping sent (by the watchdog).
    ping_seq: u64,
    /// Nothing more runs: the pool was dropped during a panic (see `abandon`)
    /// or its workers were terminated or killed (`signal_workers`).
    abandoned: bool,
}

/// A task sent ahead to a worker whose current task has run this long while
/// another worker idles is revoked and given to the idle one.
const REBALANCE_AFTER: Duration = Duration::from_millis(5);

thread_local! {
    /// True on the pool's own threads, where `shutdown(wait)` must not join.
    static POOL_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends queued tasks to workers with room in their window, and `Exit` to
    /// workers that are done.
    fn pump(&self, st: &mut State, dead: &mut Vec<Task>) {
        let State {
            queue,
            workers,
            shutdown,
            ..
        } = st;
        let cap = self.config.max_tasks_per_child;
        'levels: for level in 0..self.config.window {
            for link in workers.iter_mut().flatten() {
                if link.exiting
                    || link.inflight.len() != level
                    || (level > 0 && !link.fast)
                    || cap.is_some_and(|c| link.sent >= c)
                {
                    continue;
                }
                let mut task = loop {
                    match queue.pop_front() {
                        None => break 'levels,
                        Some(t) if t.marked => break t,
                        Some(t) if t.sink.set_running() => break t,
                        Some(t) => {
                            self.stats.cancelled();
                            dead.push(t);
                        }
                    }
                };
                if !task.marked {
                    task.marked = true;
                    self.stats.started();
                }
                match link.send(task) {
                    Ok(timed) => {
                        if timed {
                            self.timer_cv.notify_all();
                        }
                    }
                    Err(task) => queue.push_front(task),
                }
            }
        }
        for link in workers.iter_mut().flatten() {
            let done = cap.is_some_and(|c| link.sent >= c) || (*shutdown && queue.is_empty());
            if done && !link.exiting && link.inflight.is_empty() {
                link.send_exit();
            }
        }
    }

    /// Breaks the pool (Python's `BrokenProcessPool`): no more work, every
    /// queued task fails with [`Error::Broken`], every worker is killed.
    fn break_pool(&self, reason: String) {
        let mut st = self.lock();
        if st.broken.is_some() {
            return;
        }
        st.broken = Some(reason.clone());
        st.shutdown = true;
        let dead: Vec<Task> = st.queue.drain(..).collect();
        for link in st.workers.iter_mut().flatten() {
            link.exiting = true;
            link.signal(libc::SIGKILL);
        }
        drop(st);
        self.timer_cv.notify_all();
        for task in dead {
            self.fail_unstarted(task, Error::broken(reason.clone()));
        }
    }

    /// Fails a task that is not in a worker (queued, or requeued after a loss).
    fn fail_unstarted(&self, task: Task, error: Error) {
        if task.marked {
            task.sink.fail(error, &self.stats);
        } else if task.sink.set_running() {
            self.stats.started();
            task.sink.fail(error, &self.stats);
        } else {
            self.stats.cancelled();
        }
    }

    fn enqueue(&self, task: Task, bounded: bool) -> Result<(), Box<(Error, Task)>> {
        let mut dead = Vec::new();
        let mut st = self.lock();
        if let Some(reason) = &st.broken {
            return Err(Box::new((Error::broken(reason.clone()), task)));
        }
        if st.shutdown {
            return Err(Box::new((Error::Shutdown, task)));
        }
        if bounded
            && let Some(max) = self.config.max_queued
            && self.stats.snapshot(0).queued >= max as u64
        {
            return Err(Box::new((Error::Full { max_queued: max }, task)));
        }
        self.stats.submitted();
        st.queue.push_back(task);
        self.pump(&mut st, &mut dead);
        drop(st);
        drop(dead);
        Ok(())
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let mut dead = Vec::new();
        {
            let mut st = self.lock();
            st.shutdown = true;
            if cancel_futures {
                // Tasks marked running (requeued after a lost worker) stay.
                let (keep, cancel): (VecDeque<Task>, VecDeque<Task>) =
                    std::mem::take(&mut st.queue)
                        .into_iter()
                        .partition(|t| t.marked);
                st.queue = keep;
                dead.extend(cancel);
                for _ in &dead {
                    self.stats.cancelled();
                }
            }
            let mut more = Vec::new();
            self.pump(&mut st, &mut more);
            dead.extend(more);
        }
        // Dropping a promise whose future is pending cancels the future.
        drop(dead);
        self.timer_cv.notify_all();
        if wait && !POOL_THREAD.with(|p| p.get()) {
            self.join();
        }
    }

    fn join(&self) {
        let handles: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for h in handles {
            let _ = h.join();
        }
    }

    /// The pool is dropped while its thread panics: nothing more runs. Every
    /// queued task is cancelled (a pending one becomes cancelled, one requeued
    /// after a lost worker fails with `Cancelled`), every worker is killed (its
    /// running task fails with `WorkerLost`), and nothing is requeued or
    /// retried after that.
    fn abandon(&self) {
        let queued: Vec<Task> = {
            let mut st = self.lock();
            st.shutdown = true;
            st.abandoned = true;
            for link in st.workers.iter_mut().flatten() {
                link.exiting = true;
                link.signal(libc::SIGKILL);
            }
            st.queue.drain(..).collect()
        };
        self.timer_cv.notify_all();
        self.cancel_all(queued);
        if !POOL_THREAD.with(|p| p.get()) {
            self.join();
        }
    }

    /// Cancels tasks taken out of the queue (outside the lock).
    fn cancel_all(&self, tasks: Vec<Task>) {
        for task in tasks {
            if task.marked {
                task.sink.fail(Error::Cancelled, &self.stats);
            } else {
                self.stats.cancelled();
                drop(task);
            }
        }
    }

    fn signal_workers(&self, signal: i32) {
        self.shutdown(false, true);
        {
            let mut st = self.lock();
            // Nothing runs after this: a task its worker had been sent but not
            // yet taken up is not requeued onto a replacement (there is none),
            // and no slot respawns. Set before any signal, under the lock the
            // slots take to settle, so every death it causes sees it.
            st.abandoned = true;
            for link in st.workers.iter_mut().flatten() {
                link.exiting = true;
                link.signal(signal);
            }
        }
        if !POOL_THREAD.with(|p| p.get()) {
            self.join();
        }
    }
}

impl ProcessPool {
    /// A builder with the defaults (workers: available parallelism).
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A pool with the defaults.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    pub fn new() -> Result<Self, Error> {
        Builder::new().build()
    }

    pub(crate) fn start(config: Config) -> Result<Self, Error> {
        if crate::worker::is_worker_process() {
            // The pre-main hook did not run in this worker: become one now.
            crate::worker::worker_main();
        }
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
            shared
                .threads
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(handle);
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
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let codec = self.shared.config.codec;
        let threshold = self.shared.config.spawn.shared_threshold;
        let (frame, shm) = codec::encode_task(codec, id, call, arg, threshold)?;
        let promise = Promise::<R>::new();
        let future = promise.future();
        let timeout = timeout.or(self.shared.config.task_timeout);
        let task = Task {
            id,
            frame,
            shm,
            sink: Box::new(PromiseSink(promise, codec)),
            timeout,
            marked: false,
            lost: 0,
        };
        match self.shared.enqueue(task, bounded) {
            Ok(()) => Ok(future),
            Err(rejected) => {
                // Dropped outside the lock: the promise's drop cancels `future`.
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
    pub fn submit_with_timeout<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        arg: A,
        timeout: Duration,
    ) -> Future<R> {
        self.submit_call(
            task::call_ref(f, self.shared.config.codec),
            &arg,
            Some(timeout),
            false,
        )
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
        for link in st.workers.iter_mut().flatten() {
            if let Some(task) = link.inflight.iter().find(|t| t.sink.completes(&any)) {
                let id = task.id;
                if !link.aborting.contains(&id) {
                    link.send_abort(id);
                }
                return true;
            }
        }
        false
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

impl Executor for ProcessPool {
    fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A) -> Future<R> {
        self.submit_call(
            task::call_ref(f, self.shared.config.codec),
            &arg,
            None,
            false,
        )
        .unwrap_or_else(Future::failed)
    }

    fn try_submit<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        arg: A,
    ) -> Result<Future<R>, Error> {
        self.submit_call(
            task::call_ref(f, self.shared.config.codec),
            &arg,
            None,
            true,
        )
    }

    fn submit_chunk<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>> {
        self.submit_call(
            task::chunk_ref(f, self.shared.config.codec),
            &items,
            None,
            false,
        )
        .unwrap_or_else(Future::failed)
    }

    fn max_workers(&self) -> usize {
        self.shared.config.max_workers
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
