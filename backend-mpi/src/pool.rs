//! [`MpiPool`] and its builder: the user's side of a pool whose workers are
//! threads on the other ranks of the MPI job.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use concur_core::{
    ChunkResult, Error, Executor, Future, Payload, Promise, Stats, StatsCounter, TaskFn,
    catch_panic,
};

use crate::codec;
use crate::dispatch::{Command, Opening, Sink, Task};
use crate::runtime::{self, Runtime};
use crate::task::{self, CallRef};

/// Tasks in flight per worker thread by default (the one running and those
/// sent ahead behind it).
pub const DEFAULT_INFLIGHT: usize = 4;

/// The most tasks in flight per worker thread: more would hold tasks back
/// behind a long one for no gain.
const MAX_INFLIGHT: usize = 8;

/// What a pool's handle and the progress thread share.
#[derive(Debug)]
pub(crate) struct PoolShared {
    pub(crate) stats: StatsCounter,
    /// Accepted tasks not yet sent to a rank (for `max_queued`).
    pub(crate) queued: AtomicUsize,
    /// Orders submits against shutdown: a submit that saw the gate open is in
    /// the command channel before the shutdown command.
    gate: Mutex<Gate>,
    exited: Mutex<bool>,
    exited_cv: Condvar,
}

#[derive(Debug, Default)]
struct Gate {
    closed: bool,
    broken: Option<String>,
}

impl PoolShared {
    fn new() -> PoolShared {
        PoolShared {
            stats: StatsCounter::default(),
            queued: AtomicUsize::new(0),
            gate: Mutex::new(Gate::default()),
            exited: Mutex::new(false),
            exited_cv: Condvar::new(),
        }
    }

    /// The pool's initializer failed: later submits fail at once.
    pub(crate) fn mark_broken(&self, reason: &str) {
        self.gate
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .broken
            .get_or_insert_with(|| reason.to_owned());
    }

    /// Every worker thread of the pool has exited: wake `shutdown(wait)`.
    pub(crate) fn mark_exited(&self) {
        *self.exited.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.exited_cv.notify_all();
    }

    fn is_exited(&self) -> bool {
        *self.exited.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait_exited(&self) {
        let mut exited = self.exited.lock().unwrap_or_else(|e| e.into_inner());
        while !*exited {
            exited = self
                .exited_cv
                .wait(exited)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A pool whose workers are threads on ranks 1..N-1 of an MPI job; rank 0
/// runs the program and owns the pool.
///
/// Start the program under an MPI launcher (`mpirun -n 3 ./app`, `srun`):
/// ranks other than 0 become workers before `main` runs. Tasks are plain
/// `fn(A) -> R` with serde arguments and results, as for every backend; see
/// the [crate documentation](crate) for the model, the fault model and the
/// costs.
///
/// ```no_run
/// use concur_core::Executor;
/// use concur_mpi::MpiPool;
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// // Under `mpirun -n 3`: two worker ranks, one worker thread on each.
/// let pool = MpiPool::new()?;
/// assert_eq!(pool.submit(square, 7).result(None)?, 49);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub struct MpiPool {
    id: u64,
    runtime: &'static Runtime,
    shared: Arc<PoolShared>,
    workers: usize,
    max_queued: Option<usize>,
    next_task: AtomicU64,
}

impl fmt::Debug for MpiPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpiPool")
            .field("id", &self.id)
            .field("max_workers", &self.workers)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl MpiPool {
    /// A pool with one worker thread per worker rank.
    ///
    /// Unlike the other pools' `new(max_workers)`, it takes no size: the
    /// job's size is `mpirun -n N`'s, and the pool's follows it (N - 1 worker
    /// ranks, rank 0 being the pool). [`builder`](MpiPool::builder)`().max_workers(n)`
    /// runs `n` worker threads spread over those ranks instead.
    ///
    /// # Errors
    ///
    /// As [`MpiPoolBuilder::build`].
    pub fn new() -> Result<MpiPool, Error> {
        MpiPool::builder().build()
    }

    /// Starts building a pool.
    pub fn builder() -> MpiPoolBuilder {
        MpiPoolBuilder {
            max_workers: None,
            max_queued: None,
            inflight: DEFAULT_INFLIGHT,
            initializer: None,
        }
    }

    /// The number of worker ranks of this job (the world's size minus one).
    ///
    /// # Errors
    ///
    /// As [`MpiPoolBuilder::build`]: outside an MPI launcher, or when the
    /// job could not be started.
    pub fn worker_ranks() -> Result<usize, Error> {
        runtime::workers().map(|(_, w)| w.len())
    }

    pub(crate) fn enqueue(
        &self,
        call: CallRef,
        arg: Vec<u8>,
        sink: Box<dyn Sink>,
        bounded: bool,
    ) -> Result<(), Error> {
        let gate = self.shared.gate.lock().unwrap_or_else(|e| e.into_inner());
        if gate.closed {
            return Err(Error::Shutdown);
        }
        if let Some(reason) = &gate.broken {
            return Err(Error::broken(reason.clone()));
        }
        // Relaxed: the bound is a count checked under the gate's lock against
        // submitters; the progress thread only ever lowers it.
        let queued = self.shared.queued.fetch_add(1, Ordering::Relaxed);
        if bounded
            && let Some(max) = self.max_queued
            && queued >= max
        {
            self.shared.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(Error::Full { max_queued: max });
        }
        self.shared.stats.submitted();
        let task = Task {
            // Relaxed: only uniqueness matters.
            id: self.next_task.fetch_add(1, Ordering::Relaxed),
            call,
            arg,
            sink,
            started: false,
        };
        self.runtime.send(Command::Submit {
            pool: self.id,
            task,
        });
        drop(gate);
        Ok(())
    }

    fn submit_encoded<A: Payload, R: Payload>(
        &self,
        call: CallRef,
        arg: &A,
        bounded: bool,
    ) -> Result<Future<R>, Error> {
        let bytes = catch_panic(|| codec::encode(arg))??;
        let promise = Promise::<R>::new();
        let future = promise.future();
        self.enqueue(call, bytes, Box::new(PromiseSink(promise)), bounded)?;
        Ok(future)
    }
}

/// Completes a `Promise<R>` from the encoded `R` a rank sent back.
struct PromiseSink<R: Payload>(Promise<R>);

impl<R: Payload> Sink for PromiseSink<R> {
    fn set_running(&self) -> bool {
        self.0.set_running()
    }

    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter) {
        // A `Deserialize` impl may panic: that fails this task only.
        let value = outcome.and_then(|bytes| catch_panic(|| codec::decode::<R>(bytes))?);
        stats.finished(value.is_ok());
        self.0.complete(value);
    }
}

/// The generic methods are overridden with the typed trampolines of
/// `task.rs`; [`submit_task`](Executor::submit_task), what `concur::Pool`
/// calls, sends the erased task through `erased.rs`.
impl Executor for MpiPool {
    fn submit_task(&self, task: concur_core::backend::TaskObj) -> Result<(), Error> {
        self.submit_erased(task, false)
    }

    fn try_submit_task(&self, task: concur_core::backend::TaskObj) -> Result<(), Error> {
        self.submit_erased(task, true)
    }

    fn submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(&self, f: F, args: A) -> Future<R> {
        task::call_ref(f)
            .and_then(|call| self.submit_encoded(call, &args, false))
            .unwrap_or_else(Future::failed)
    }

    fn try_submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        args: A,
    ) -> Result<Future<R>, Error> {
        match task::call_ref(f).and_then(|call| self.submit_encoded(call, &args, true)) {
            Err(e @ (Error::Full { .. } | Error::Shutdown)) => Err(e),
            other => Ok(other.unwrap_or_else(Future::failed)),
        }
    }

    fn submit_chunk<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>> {
        task::chunk_ref(f)
            .and_then(|call| self.submit_encoded(call, &items, false))
            .unwrap_or_else(Future::failed)
    }

    fn max_workers(&self) -> usize {
        self.workers
    }

    fn stats(&self) -> Stats {
        let live = if self.shared.is_exited() {
            0
        } else {
            self.workers
        };
        self.shared.stats.snapshot(live)
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        // On the progress thread (a done-callback) waiting would wait on
        // ourselves: the shutdown goes on without us.
        let on_progress = self.runtime.is_progress_thread();
        let mut cancelled = None;
        {
            let mut gate = self.shared.gate.lock().unwrap_or_else(|e| e.into_inner());
            if !gate.closed || cancel_futures {
                gate.closed = true;
                let (ack, done) = mpsc::channel();
                cancelled = (cancel_futures && !on_progress).then_some(done);
                self.runtime.send(Command::Shutdown {
                    pool: self.id,
                    cancel: cancel_futures,
                    cancelled: cancel_futures.then_some(ack),
                });
            }
        }
        // What has not left rank 0 is cancelled when `shutdown` returns, even
        // without `wait`: one round through the progress thread.
        if let Some(done) = cancelled {
            let _ = done.recv();
        }
        if wait && !on_progress {
            self.shared.wait_exited();
        }
    }
}

impl Drop for MpiPool {
    /// `shutdown(wait = true)`: queued tasks run, then the worker threads exit.
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

/// Builds an [`MpiPool`].
///
/// ```no_run
/// use concur_mpi::MpiPool;
///
/// fn setup(level: u8) {
///     // runs once in each worker thread, before its first task
///     let _ = level;
/// }
///
/// let pool = MpiPool::builder()
///     .max_workers(8)           // 8 worker threads, spread over the worker ranks
///     .max_queued(1_000)        // try_submit refuses beyond 1 000 queued tasks
///     .inflight_per_worker(2)
///     .initializer(setup, 3)
///     .build()?;
/// # Ok::<(), concur_core::Error>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct MpiPoolBuilder {
    max_workers: Option<usize>,
    max_queued: Option<usize>,
    inflight: usize,
    initializer: Option<Result<(CallRef, Vec<u8>), Error>>,
}

impl MpiPoolBuilder {
    /// The worker threads of the pool, spread round-robin over the worker
    /// ranks (several per rank when there are more threads than ranks).
    /// Default: one per worker rank.
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Bounds the tasks accepted and not yet sent to a rank, for
    /// [`try_submit`](Executor::try_submit). Takes a `usize` or an
    /// `Option<usize>` (`None`: no bound, the default), as every pool's
    /// builder does.
    pub fn max_queued(mut self, n: impl Into<Option<usize>>) -> Self {
        self.max_queued = n.into();
        self
    }

    /// Tasks in flight per worker thread (1 to 8): the one running plus those
    /// sent ahead to hide the network's round trip. Default
    /// [`DEFAULT_INFLIGHT`].
    pub fn inflight_per_worker(mut self, n: usize) -> Self {
        self.inflight = n;
        self
    }

    /// Runs `f(arg)` in each worker thread before its first task (Python's
    /// `initializer`). If it panics the pool breaks, as in Python: its tasks
    /// fail with [`Error::Broken`].
    pub fn initializer<A: Payload>(mut self, f: fn(A), arg: A) -> Self {
        self.initializer = Some(codec::encode(&arg).map(|bytes| (task::init_ref(f), bytes)));
        self
    }

    /// Builds the pool, starting the process's MPI runtime if this is the first.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for 0 workers, an in-flight window outside
    /// 1..=8, or a program not started by an MPI launcher (the message says
    /// how to start it); [`Error::Encode`] for an initializer argument that
    /// cannot be encoded; [`Error::Broken`] when MPI could not be started or a
    /// rank runs another binary.
    pub fn build(self) -> Result<MpiPool, Error> {
        if self.max_workers == Some(0) {
            return Err(Error::invalid_config(
                "MpiPool: max_workers must be at least 1",
            ));
        }
        if !(1..=MAX_INFLIGHT).contains(&self.inflight) {
            return Err(Error::invalid_config(format!(
                "MpiPool: inflight_per_worker must be within 1..={MAX_INFLIGHT}, got {}",
                self.inflight
            )));
        }
        let initializer = self.initializer.transpose()?;
        let (runtime, ranks) = runtime::workers()?;
        let workers = self.max_workers.unwrap_or(ranks.len());
        let first = runtime.first_rank(workers);
        let slots = (0..workers)
            .map(|i| ranks[(first + i) % ranks.len()])
            .collect();
        let id = runtime.pool_id();
        let shared = Arc::new(PoolShared::new());
        runtime.send(Command::Open(Opening {
            id,
            shared: shared.clone(),
            slots,
            window: self.inflight,
            initializer,
        }));
        Ok(MpiPool {
            id,
            runtime,
            shared,
            workers,
            max_queued: self.max_queued,
            next_task: AtomicU64::new(0),
        })
    }
}
