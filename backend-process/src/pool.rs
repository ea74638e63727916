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
use std::time::{Duration, Instant};

use concur_core::{
    ChunkResult, Error, Executor, ExitStatus, Future, Payload, Promise, Stats, StatsCounter,
};
use ipc_channel::ipc::{IpcBytesSender, IpcSender, IpcSharedMemory};

use crate::builder::Builder;
use crate::codec::{self, Body, CallRef, FromWorker, ToWorker};
use crate::spawn::{self, SpawnConfig, Spawned};
use crate::task;

mod watchdog;

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
    pub(crate) spawn: SpawnConfig,
}

pub(crate) struct Shared {
    config: Config,
    /// Queue, workers and flags; see the lock discipline in the module docs.
    state: Mutex<State>,
    stats: StatsCounter,
    next_id: AtomicU64,
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
}

/// The parent's side of one live worker.
struct Link {
    pid: u32,
    to_worker: IpcBytesSender,
    shm_to_worker: IpcSender<IpcSharedMemory>,
    /// Tasks sent and not done, in the order sent; the first one runs.
    inflight: VecDeque<Task>,
    /// Tasks sent over the worker's life (for `max_tasks_per_child`).
    sent: u64,
    /// `Exit` was sent, or the worker announced it retires, or it was killed.
    exiting: bool,
    /// The worker announced it retires (memory limit): it runs nothing more.
    retired: bool,
    /// When the first task of the window started (about: when it was sent to an
    /// idle worker, or when the task before it finished).
    front_since: Instant,
    /// A `Revoke` of this task is awaiting its answer.
    revoking: Option<u64>,
    /// The worker's last task took less than [`FAST_TASK`]: only then are tasks
    /// sent ahead to it, where the saved round trip matters and a task is
    /// unlikely to wait behind a long one while another worker idles.
    fast: bool,
    /// The running task's deadline, for `task_timeout`.
    deadline: Option<(u64, Instant)>,
    /// The task whose timeout killed this worker.
    timed_out: Option<u64>,
}

/// One accepted task.
struct Task {
    id: u64,
    frame: Vec<u8>,
    shm: Option<IpcSharedMemory>,
    sink: Box<dyn Sink>,
    timeout: Option<Duration>,
    /// `set_running` succeeded (on its first dispatch).
    marked: bool,
}

/// A type-erased promise: decodes the result and completes the future.
trait Sink: Send {
    fn set_running(&self) -> bool;
    /// Decodes, counts the outcome in `stats`, completes the future.
    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter);
    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter);
}

struct PromiseSink<R: Payload>(Promise<R>);

impl<R: Payload> Sink for PromiseSink<R> {
    fn set_running(&self) -> bool {
        self.0.set_running()
    }
    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter) {
        let outcome = outcome.and_then(codec::decode_value::<R>);
        stats.finished(outcome.is_ok());
        self.0.complete(outcome);
    }
    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter) {
        stats.finished(false);
        self.0.set_error(error);
    }
}

/// A task shorter than this is "fast" (see `Link::fast`).
const FAST_TASK: Duration = Duration::from_millis(1);

/// A task sent ahead to a worker whose current task has run this long while
/// another worker idles is revoked and given to the idle one.
const REBALANCE_AFTER: Duration = Duration::from_millis(5);

thread_local! {
    /// True on the pool's own threads, where `shutdown(wait)` must not join.
    static POOL_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn exit_status(status: std::process::ExitStatus) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitStatus::Code(code),
        (None, Some(sig)) => ExitStatus::Signal(sig),
        _ => ExitStatus::Unknown,
    }
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
                let sent = match &task.shm {
                    Some(shm) => link.shm_to_worker.send(shm.clone()).is_ok(),
                    None => true,
                } && link.to_worker.send(&task.frame).is_ok();
                if !sent {
                    // The worker is gone; its slot thread will see the channel close.
                    link.exiting = true;
                    queue.push_front(task);
                    continue;
                }
                link.sent += 1;
                if link.inflight.is_empty() {
                    link.front_since = Instant::now();
                    if let Some(t) = task.timeout {
                        link.deadline = Some((task.id, Instant::now() + t));
                        self.timer_cv.notify_all();
                    }
                }
                link.inflight.push_back(task);
            }
        }
        for link in workers.iter_mut().flatten() {
            let done = cap.is_some_and(|c| link.sent >= c) || (*shutdown && queue.is_empty());
            if done && !link.exiting && link.inflight.is_empty() {
                link.exiting = true;
                let _ = link
                    .to_worker
                    .send(&codec::encode_frame(&ToWorker::Exit, &[]));
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
            // SAFETY: kill has no memory effects; the pid is a child not yet
            // reaped (its slot thread reaps it only after removing its link).
            unsafe { libc::kill(link.pid as i32, libc::SIGKILL) };
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

    /// The life of one worker slot; `ready` hears how the first spawn went.
    fn slot_main(
        self: &Arc<Self>,
        slot: usize,
        mut ready: Option<std::sync::mpsc::Sender<Result<(), Error>>>,
    ) {
        POOL_THREAD.with(|p| p.set(true));
        loop {
            {
                let st = self.lock();
                if st.broken.is_some() || (st.shutdown && st.queue.is_empty()) {
                    break;
                }
            }
            let spawned = spawn::spawn_worker(&self.config.spawn);
            let worker = match spawned {
                Ok(w) => w,
                Err(e) => {
                    match ready.take() {
                        Some(tx) => {
                            let _ = tx.send(Err(e));
                        }
                        None => self.break_pool(format!("cannot replace a worker: {e}")),
                    }
                    break;
                }
            };
            self.run_worker(slot, worker, ready.take());
        }
        if let Some(tx) = ready.take() {
            let _ = tx.send(Ok(()));
        }
        self.timer_cv.notify_all();
    }

    fn run_worker(
        self: &Arc<Self>,
        slot: usize,
        worker: Spawned,
        ready: Option<std::sync::mpsc::Sender<Result<(), Error>>>,
    ) {
        let Spawned {
            mut child,
            pid,
            to_worker,
            from_worker,
            shm_to_worker,
            shm_from_worker,
        } = worker;
        let mut dead = Vec::new();
        {
            let mut st = self.lock();
            st.workers[slot] = Some(Link {
                pid,
                to_worker,
                shm_to_worker,
                inflight: VecDeque::new(),
                sent: 0,
                exiting: false,
                deadline: None,
                timed_out: None,
                retired: false,
                front_since: Instant::now(),
                fast: false,
                revoking: None,
            });
            if st.broken.is_some() {
                // SAFETY: kill has no memory effects; `child` is not reaped yet.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
            self.pump(&mut st, &mut dead);
        }
        drop(dead);
        if let Some(tx) = ready {
            let _ = tx.send(Ok(()));
        }

        while let Ok(frame) = from_worker.recv() {
            let Ok((msg, tail)) = codec::decode_frame::<FromWorker>(&frame) else {
                // SAFETY: as above.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                break;
            };
            match msg {
                FromWorker::Done { id, outcome } => {
                    let shm = match outcome {
                        Ok(Body::Shared) => match shm_from_worker.recv() {
                            Ok(shm) => Some(shm),
                            Err(_) => break,
                        },
                        _ => None,
                    };
                    let mut dead = Vec::new();
                    let task = {
                        let mut st = self.lock();
                        let task = st.workers[slot].as_mut().and_then(|link| {
                            let pos = link.inflight.iter().position(|t| t.id == id)?;
                            let task = link.inflight.remove(pos);
                            let now = Instant::now();
                            link.fast = now.duration_since(link.front_since) < FAST_TASK;
                            link.front_since = now;
                            // The worker starts the next task of its window now.
                            link.deadline = link.inflight.front().and_then(|next| {
                                next.timeout.map(|t| (next.id, Instant::now() + t))
                            });
                            if link.deadline.is_some() {
                                self.timer_cv.notify_all();
                            }
                            task
                        });
                        self.pump(&mut st, &mut dead);
                        let idle = st.workers[slot]
                            .as_ref()
                            .is_some_and(|l| l.inflight.is_empty());
                        if idle && st.workers.iter().flatten().any(|l| l.inflight.len() >= 2) {
                            // The watchdog may give this worker a task stuck
                            // behind a long one elsewhere.
                            self.timer_cv.notify_all();
                        }
                        task
                    };
                    drop(dead);
                    if let Some(task) = task {
                        let bytes = match (&outcome, &shm) {
                            (Err(e), _) => Err(e.clone()),
                            (Ok(_), Some(shm)) => Ok(&shm[..]),
                            (Ok(_), None) => Ok(tail),
                        };
                        task.sink.finish(bytes, &self.stats);
                    }
                }
                FromWorker::InitFailed { error } => {
                    self.break_pool(format!("a worker's initializer failed: {error}"));
                }
                FromWorker::Revoked { id, ok } => {
                    let mut dead = Vec::new();
                    let mut st = self.lock();
                    if let Some(link) = st.workers[slot].as_mut() {
                        link.revoking = None;
                        let pos = link.inflight.iter().position(|t| t.id == id);
                        if let (true, Some(pos)) = (ok, pos) {
                            let task = link.inflight.remove(pos).expect("present");
                            if pos == 0 {
                                // The task before it finished meanwhile: the worker
                                // starts the next one (if any) now, not this one.
                                link.front_since = Instant::now();
                                link.deadline = link.inflight.front().and_then(|next| {
                                    next.timeout.map(|t| (next.id, Instant::now() + t))
                                });
                            }
                            st.queue.push_front(task);
                            self.pump(&mut st, &mut dead);
                        }
                    }
                    drop(st);
                    drop(dead);
                    // Another window may be waiting behind a long task too.
                    self.timer_cv.notify_all();
                }
                FromWorker::Retire { .. } => {
                    if let Some(link) = self.lock().workers[slot].as_mut() {
                        link.exiting = true;
                        link.retired = true;
                    }
                }
            }
        }

        // The worker's channel closed: it exited or died.
        let link = self.lock().workers[slot].take().expect("the slot's link");
        let status = child.wait().map(exit_status).unwrap_or(ExitStatus::Unknown);
        let clean = link.exiting && status == ExitStatus::Code(0);
        let mut requeue = Vec::new();
        let mut failed = Vec::new();
        let mut inflight = link.inflight;
        if !link.retired {
            // The first task of the window is the one the worker was running.
            if let Some(task) = inflight.pop_front() {
                let error = if link.timed_out == Some(task.id) {
                    Error::Timeout
                } else {
                    Error::WorkerLost {
                        pid,
                        status: status.clone(),
                    }
                };
                failed.push((task, error));
            }
        }
        requeue.extend(inflight);
        let lost = !clean && link.timed_out.is_none();
        let lost_running = lost && !failed.is_empty();
        let mut dead = Vec::new();
        {
            let mut st = self.lock();
            for task in requeue.into_iter().rev() {
                st.queue.push_front(task);
            }
            if let Some(reason) = st.broken.clone() {
                dead.extend(st.queue.drain(..));
                drop(st);
                for (task, _) in failed.drain(..) {
                    task.sink.fail(Error::broken(reason.clone()), &self.stats);
                }
                for task in dead.drain(..) {
                    self.fail_unstarted(task, Error::broken(reason.clone()));
                }
            } else {
                self.pump(&mut st, &mut dead);
            }
        }
        drop(dead);
        for (task, error) in failed {
            task.sink.fail(error, &self.stats);
        }
        if lost && self.config.break_on_worker_loss && (lost_running || !self.lock().shutdown) {
            self.break_pool(format!("worker {pid} was lost ({status})"));
        }
        self.timer_cv.notify_all();
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

    fn signal_workers(&self, signal: i32) {
        self.shutdown(false, true);
        {
            let mut st = self.lock();
            for link in st.workers.iter_mut().flatten() {
                link.exiting = true;
                // SAFETY: kill has no memory effects; the pid is a child not yet
                // reaped (see `break_pool`).
                unsafe { libc::kill(link.pid as i32, signal) };
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
            }),
            config,
            stats: StatsCounter::default(),
            next_id: AtomicU64::new(0),
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
        let (frame, shm) =
            codec::encode_task(id, call, arg, self.shared.config.spawn.shared_threshold)?;
        let promise = Promise::<R>::new();
        let future = promise.future();
        let timeout = timeout.or(self.shared.config.task_timeout);
        let task = Task {
            id,
            frame,
            shm,
            sink: Box::new(PromiseSink(promise)),
            timeout,
            marked: false,
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
        self.submit_call(task::call_ref(f), &arg, Some(timeout), false)
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
        self.submit_call(task::call_ref(f), &arg, None, false)
            .unwrap_or_else(Future::failed)
    }

    fn try_submit<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        arg: A,
    ) -> Result<Future<R>, Error> {
        self.submit_call(task::call_ref(f), &arg, None, true)
    }

    fn submit_chunk<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>> {
        self.submit_call(task::chunk_ref(f), &items, None, false)
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

impl Drop for ProcessPool {
    fn drop(&mut self) {
        self.shared.shutdown(true, false);
    }
}
