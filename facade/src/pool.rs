//! [`Pool`]: one pool type over every backend — those compiled in, chosen by
//! name at run time, or any other [`Executor`] — held as a boxed trait object
//! that can be downcast back to the backend's own type.

// In a build with no backend, `build` refuses every backend.
#![cfg_attr(
    not(any(
        feature = "threads",
        feature = "process",
        feature = "async",
        all(feature = "mpi", concur_mpi)
    )),
    allow(unused_variables, unreachable_code, dead_code)
)]

use std::any::Any;
use std::fmt;

use crate::backend::TaskObj;
use crate::{Backend, Error, Executor, Stats};

/// A pool whose backend is chosen at run time — from a `--backend` flag, a
/// config file — among those compiled in, or any executor at all, a third
/// party's included ([`Pool::from_executor`]). It implements [`Executor`], so
/// code written against the trait runs on it unchanged.
///
/// It holds the backend's pool as a boxed `dyn Executor + Send`: a generic
/// call (`submit`, `map`, ...) makes one type-erased
/// [`TaskObj`] (one allocation) and hands it to the backend's
/// [`submit_task`](Executor::submit_task), which runs it in process (threads,
/// async) or sends it to a worker process with the pool's codec (processes,
/// MPI). Results are decoded in this process as the type known at the call,
/// as on the backend itself.
///
/// Build one with [`Pool::builder`]. A backend whose cargo feature is not
/// enabled is refused with [`Error::InvalidConfig`] naming the feature, never
/// a panic. What only one backend offers (a process pool's `kill` of one
/// running task, an async pool's `spawn` of a future) is reached through
/// [`downcast_ref`](Pool::downcast_ref), [`downcast_mut`](Pool::downcast_mut)
/// and [`downcast`](Pool::downcast), as with [`Any`].
///
/// ```
/// use concur::prelude::*;
/// use concur::{Backend, Pool};
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// let backend: Backend = "threads".parse().expect("a backend name");
/// match Pool::builder(backend).max_workers(2).build() {
///     Ok(pool) => {
///         let f = pool.submit(square, 7);
///         assert_eq!(f.result(None)?, 49);
///     }
///     // A build without the `threads` feature says which feature to enable.
///     Err(e) => assert!(e.to_string().contains(r#"enable the "threads" feature of concur"#)),
/// }
/// # Ok::<(), concur::Error>(())
/// ```
pub struct Pool {
    inner: Box<dyn PoolObject>,
    backend: Option<Backend>,
}

/// What a [`Pool`] holds: an executor that is also [`Any`], so the pool can
/// hand it back as its own type. Implemented for every `Executor + Send +
/// 'static`, so `Executor` itself needs no `Any` bound.
trait PoolObject: Executor + Send + Any {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    fn as_executor(&self) -> &(dyn Executor + Send);
}

impl<E: Executor + Send + 'static> PoolObject for E {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }

    fn as_executor(&self) -> &(dyn Executor + Send) {
        self
    }
}

impl Pool {
    /// Starts building a pool on `backend`.
    pub fn builder(backend: Backend) -> PoolBuilder {
        PoolBuilder {
            backend,
            max_workers: None,
            max_queued: None,
        }
    }

    /// A pool on `backend` with that backend's defaults (as many workers as
    /// the machine has cores).
    ///
    /// # Errors
    ///
    /// As [`PoolBuilder::build`].
    pub fn new(backend: Backend) -> Result<Pool, Error> {
        Pool::builder(backend).build()
    }

    /// A pool over any executor — a backend built with its own builder (for
    /// its own settings), or a third party's — so it can be chosen at run time
    /// beside ours. Dropping the `Pool` drops the executor (which shuts it
    /// down, for our backends).
    ///
    /// ```
    /// use concur::backend::{StatsCounter, TaskObj};
    /// use concur::{Error, Executor, Pool, Stats};
    ///
    /// /// A third party's executor: runs each task on the caller's thread.
    /// #[derive(Default)]
    /// struct Inline(StatsCounter);
    ///
    /// impl Executor for Inline {
    ///     fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
    ///         self.0.submitted();
    ///         task.run(&self.0);
    ///         Ok(())
    ///     }
    ///     fn max_workers(&self) -> usize { 1 }
    ///     fn stats(&self) -> Stats { self.0.snapshot(1) }
    ///     fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
    /// }
    ///
    /// fn square(x: u64) -> u64 { x * x }
    ///
    /// let name = "inline"; // from a --backend flag
    /// let pool = match name.parse() {
    ///     Ok(backend) => Pool::new(backend)?,
    ///     Err(_) => Pool::from_executor(Inline::default()),
    /// };
    /// assert_eq!(pool.backend(), None);
    /// assert_eq!(pool.submit(square, 7).result(None)?, 49);
    /// let squares: Vec<u64> = pool.map(square, 0..4, Default::default())?.map(Result::unwrap).collect();
    /// assert_eq!(squares, [0, 1, 4, 9]);
    /// assert_eq!(pool.stats().completed, 5);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_executor<E: Executor + Send + 'static>(executor: E) -> Pool {
        Pool {
            inner: Box::new(executor),
            backend: None,
        }
    }

    fn of(backend: Backend, executor: impl Executor + Send + 'static) -> Pool {
        Pool {
            inner: Box::new(executor),
            backend: Some(backend),
        }
    }

    /// The backend this pool runs on; `None` for one made by
    /// [`Pool::from_executor`].
    pub fn backend(&self) -> Option<Backend> {
        self.backend
    }

    /// The executor this pool holds, to call what only the trait offers on
    /// it as a `&dyn Executor`.
    pub fn as_dyn(&self) -> &(dyn Executor + Send) {
        self.inner.as_executor()
    }

    /// True when the executor this pool holds is a `T`.
    pub fn is<T: Executor + 'static>(&self) -> bool {
        self.inner.as_any().is::<T>()
    }

    /// The executor this pool holds as its own type, to call what only that
    /// backend offers; `None` when it is not a `T`.
    ///
    /// ```
    /// # #[cfg(feature = "threads")] {
    /// use concur::prelude::*;
    ///
    /// let pool = Pool::builder(Backend::Threads).max_workers(2).build()?;
    /// // A closure: the thread pool's own `spawn`, beside the trait's `submit`.
    /// let threads = pool.downcast_ref::<ThreadPool>().expect("a thread pool");
    /// let text = String::from("not a payload");
    /// assert_eq!(threads.spawn(move || text.len()).result(None)?, 13);
    /// # #[cfg(feature = "process")]
    /// assert!(pool.downcast_ref::<ProcessPool>().is_none());
    /// # }
    /// # Ok::<(), concur::Error>(())
    /// ```
    pub fn downcast_ref<T: Executor + 'static>(&self) -> Option<&T> {
        self.inner.as_any().downcast_ref()
    }

    /// As [`downcast_ref`](Pool::downcast_ref), mutably (for a third party's
    /// executor with `&mut self` methods; our backends take `&self`).
    pub fn downcast_mut<T: Executor + 'static>(&mut self) -> Option<&mut T> {
        self.inner.as_any_mut().downcast_mut()
    }

    /// The executor this pool holds, moved out as its own type (its own
    /// shutdown, its own drop); the pool itself back when it is not a `T`.
    ///
    /// # Errors
    ///
    /// `Err(self)`, unchanged and still running, when the executor is not a `T`.
    ///
    /// ```
    /// # #[cfg(feature = "threads")] {
    /// use concur::prelude::*;
    ///
    /// fn double(x: u64) -> u64 { 2 * x }
    ///
    /// let pool = Pool::new(Backend::Threads)?;
    /// # #[cfg(feature = "async")]
    /// let pool = pool.downcast::<AsyncPool>().expect_err("not an async pool");
    /// let threads: ThreadPool = pool.downcast().expect("a thread pool");
    /// assert_eq!(threads.submit(double, 21).result(None)?, 42);
    /// # }
    /// # Ok::<(), concur::Error>(())
    /// ```
    pub fn downcast<T: Executor + 'static>(self) -> Result<T, Pool> {
        if !self.is::<T>() {
            return Err(self);
        }
        let any = self.inner.into_any();
        Ok(*any.downcast::<T>().expect("checked by `is` above"))
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Pool");
        match &self.backend {
            Some(backend) => d.field("backend", backend),
            None => d.field("backend", &format_args!("custom")),
        };
        d.field("max_workers", &self.max_workers())
            .finish_non_exhaustive()
    }
}

/// Every call goes to the backend's pool; the generic methods are the
/// trait's, over [`submit_task`](Executor::submit_task).
impl Executor for Pool {
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.inner.submit_task(task)
    }

    fn try_submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.inner.try_submit_task(task)
    }

    fn max_workers(&self) -> usize {
        self.inner.max_workers()
    }

    fn map_window(&self) -> usize {
        self.inner.map_window()
    }

    fn stats(&self) -> Stats {
        self.inner.stats()
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.inner.shutdown(wait, cancel_futures);
    }
}

/// Builds a [`Pool`]: the settings every backend shares. For a backend's
/// own settings (a process pool's `task_timeout`, ...) use its builder.
#[derive(Debug, Clone)]
#[must_use]
pub struct PoolBuilder {
    backend: Backend,
    max_workers: Option<usize>,
    max_queued: Option<usize>,
}

impl PoolBuilder {
    /// The most tasks run at once: worker threads, worker processes, or the
    /// async pool's executor threads. Default: the backend's (the number of
    /// cores).
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Bounds the queue of tasks not yet started, for
    /// [`try_submit`](Executor::try_submit). Takes a `usize` or an
    /// `Option<usize>` (`None`: no bound, the default), as every pool's
    /// builder does.
    pub fn max_queued(mut self, n: impl Into<Option<usize>>) -> Self {
        self.max_queued = n.into();
        self
    }

    /// Builds the pool.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when the backend was not compiled in (the
    /// message names the cargo feature to enable) or refuses a setting (zero
    /// workers); any error the backend's own builder returns.
    pub fn build(self) -> Result<Pool, Error> {
        let PoolBuilder {
            backend,
            max_workers,
            max_queued,
        } = self;
        let pool = match backend {
            #[cfg(feature = "threads")]
            Backend::Threads => {
                let mut b = concur_threads::ThreadPool::builder().max_queued(max_queued);
                if let Some(n) = max_workers {
                    b = b.max_workers(n);
                }
                Pool::of(backend, b.build()?)
            }
            #[cfg(feature = "process")]
            Backend::Process => {
                let mut b = concur_process::ProcessPool::builder().max_queued(max_queued);
                if let Some(n) = max_workers {
                    b = b.max_workers(n);
                }
                Pool::of(backend, b.build()?)
            }
            #[cfg(feature = "async")]
            Backend::Async => {
                let mut b = concur_async::AsyncPool::builder().max_queued(max_queued);
                if let Some(n) = max_workers {
                    b = b.max_workers(n);
                }
                Pool::of(backend, b.build()?)
            }
            #[cfg(all(feature = "mpi", concur_mpi))]
            Backend::Mpi => {
                let mut b = concur_mpi::MpiPool::builder().max_queued(max_queued);
                if let Some(n) = max_workers {
                    b = b.max_workers(n);
                }
                Pool::of(backend, b.build()?)
            }
            #[allow(unreachable_patterns)]
            Backend::Mpi => {
                return Err(Error::invalid_config(
                    "the mpi backend is not compiled in: enable the \"mpi\" feature of concur \
                     and build with RUSTFLAGS=\"--cfg concur_mpi\" (it needs Open MPI or MPICH; \
                     see the README, \"Beyond one machine\")",
                ));
            }
            #[allow(unreachable_patterns)]
            other => {
                return Err(Error::invalid_config(format!(
                    "the {other} backend is not compiled in: enable the \"{}\" feature of concur",
                    other.feature()
                )));
            }
        };
        Ok(pool)
    }
}
