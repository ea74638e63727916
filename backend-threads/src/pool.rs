//! [`ThreadPool`]: the handle users hold, and its [`Executor`] implementation.

use std::sync::Arc;

use concur_core::backend::TaskObj;
use concur_core::{
    ChunkResult, Error, Executor, Future, Payload, Promise, Stats, TaskFn, run_chunk,
};

use crate::Builder;
use crate::job::{Action, Job};
use crate::registry::Registry;

/// A work-stealing pool of threads, as Python's `ThreadPoolExecutor`.
///
/// Workers start lazily, up to `max_workers`; tasks run on them and complete
/// their [`Future`]. Besides the [`Executor`] trait (plain `fn(A) -> R` tasks
/// that every backend runs), a thread pool takes closures ([`spawn`](ThreadPool::spawn),
/// [`map`](ThreadPool::map))
/// and closures that borrow from the caller ([`scope`](ThreadPool::scope)).
///
/// Dropping the pool is `shutdown(wait = true, cancel_futures = false)`: queued
/// tasks run and the workers are joined.
///
/// ```
/// use concur_core::Executor;
/// use concur_threads::ThreadPool;
///
/// fn square(x: u64) -> u64 { x * x }
///
/// let pool = ThreadPool::new(2).unwrap();
/// let fut = pool.submit(square, 7);
/// assert_eq!(fut.result(None), Ok(49));
/// ```
pub struct ThreadPool {
    registry: Arc<Registry>,
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.registry;
        f.debug_struct("ThreadPool")
            .field("max_workers", &r.config.max_workers)
            .field("thread_name_prefix", &r.config.thread_name_prefix)
            .field("stats", &r.snapshot())
            .field("shutdown", &r.is_shutdown())
            .finish()
    }
}

impl ThreadPool {
    /// A [`Builder`] to configure a pool.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A pool of at most `max_workers` threads, with the other defaults.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when `max_workers` is 0.
    pub fn new(max_workers: usize) -> Result<Self, Error> {
        Builder::new().max_workers(max_workers).build()
    }

    pub(crate) fn from_registry(registry: Arc<Registry>) -> Self {
        ThreadPool { registry }
    }

    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Runs the closure `f` on the pool and returns its future.
    ///
    /// Called from one of this pool's workers, the task goes to that worker's
    /// own deque (run next, LIFO, unless another worker steals it). A panic in
    /// `f` fails the future with [`Error::Panicked`]; the worker lives on.
    /// After shutdown the future is already failed with [`Error::Shutdown`].
    ///
    /// ```
    /// let pool = concur_threads::ThreadPool::new(2).unwrap();
    /// let data = vec![1, 2, 3];
    /// let sum = pool.spawn(move || data.iter().sum::<i32>());
    /// assert_eq!(sum.result(None), Ok(6));
    /// ```
    ///
    /// The closure must own what it uses; borrowing from the caller takes
    /// [`scope`](ThreadPool::scope):
    ///
    /// ```compile_fail,E0373
    /// let pool = concur_threads::ThreadPool::new(1).unwrap();
    /// let data = vec![1, 2, 3];
    /// let len = pool.spawn(|| data.len()); // `data` does not live long enough
    /// # drop(data);
    /// ```
    pub fn spawn<R, F>(&self, f: F) -> Future<R>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        self.spawn_inner(f, false)
    }

    #[inline]
    pub(crate) fn spawn_inner<R, F>(&self, f: F, reserved: bool) -> Future<R>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        let promise = Promise::new();
        let future = promise.future();
        if let Err((job, error)) = self.registry.inject(Job::new(f, promise), reserved) {
            // Fail rather than cancel: the task was refused, not withdrawn.
            job.execute(
                crate::job::Action::Fail(error),
                &concur_core::StatsCounter::default(),
            );
        }
        future
    }

    /// As [`spawn`](ThreadPool::spawn), but refuses when `max_queued` tasks wait.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] at the bound, [`Error::Shutdown`] after shutdown
    /// ([`Error::Broken`] if an initializer panicked).
    pub fn try_spawn<R, F>(&self, f: F) -> Result<Future<R>, Error>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        self.registry.reserve()?;
        let promise = Promise::new();
        let future = promise.future();
        match self.registry.inject(Job::new(f, promise), true) {
            Ok(()) => Ok(future),
            Err((job, error)) => {
                drop(job);
                Err(error)
            }
        }
    }

    /// Queues an erased task; `reserved`: `try_submit_task` took its place
    /// under `max_queued`.
    fn inject_task(&self, task: TaskObj, reserved: bool) -> Result<(), Error> {
        let job = Job::from_fn(move |action, stats| match action {
            Action::Run => {
                task.run(stats);
            }
            Action::Cancel => task.cancel(stats),
            Action::Fail(error) => task.fail(stats, error),
        });
        self.registry.inject(job, reserved).map_err(|(job, error)| {
            // Dropped unrun: its future is cancelled, and never handed out.
            drop(job);
            error
        })
    }

    /// How many times a worker went to sleep since the pool started: a probe
    /// for tests and tuning (an idle pool sleeps instead of spinning, so this
    /// stays still while nothing is submitted).
    pub fn sleeps(&self) -> usize {
        self.registry.naps()
    }
}

/// The generic methods are overridden with closures over the typed values
/// (no [`TaskObj`] to make); [`submit_task`](Executor::submit_task), what
/// `concur::Pool` calls, queues the erased task as one job.
impl Executor for ThreadPool {
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.inject_task(task, false)
    }

    fn try_submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.registry.reserve()?;
        self.inject_task(task, true)
    }

    fn submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(&self, f: F, args: A) -> Future<R> {
        self.spawn_inner(move || f.call(args), false)
    }

    fn try_submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        args: A,
    ) -> Result<Future<R>, Error> {
        self.try_spawn(move || f.call(args))
    }

    fn submit_chunk<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>> {
        self.spawn_inner(move || run_chunk(|a| f.call(a), items), false)
    }

    fn max_workers(&self) -> usize {
        self.registry.config.max_workers
    }

    fn stats(&self) -> Stats {
        self.registry.snapshot()
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.registry.shutdown(wait, cancel_futures);
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.registry.shutdown(true, false);
    }
}
