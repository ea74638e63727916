//! [`Builder`]: how a [`ThreadPool`] is configured.

use std::fmt;
use std::sync::Arc;

use concur_core::{Error, backend};

use crate::ThreadPool;
use crate::registry::Registry;

/// A function run once on each worker thread before its first task.
pub(crate) type Initializer = Arc<dyn Fn() + Send + Sync>;

/// The checked configuration a pool runs with.
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) max_queued: Option<usize>,
    pub(crate) thread_name_prefix: String,
    pub(crate) initializer: Option<Initializer>,
    pub(crate) stack_size: Option<usize>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("max_workers", &self.max_workers)
            .field("max_queued", &self.max_queued)
            .field("thread_name_prefix", &self.thread_name_prefix)
            .field("initializer", &self.initializer.as_ref().map(|_| "Fn()"))
            .field("stack_size", &self.stack_size)
            .finish()
    }
}

/// Configures a [`ThreadPool`]: chain setters, then [`build`](Builder::build).
///
/// ```
/// use concur_threads::ThreadPool;
/// let pool = ThreadPool::builder()
///     .max_workers(2)
///     .thread_name_prefix("crunch")
///     .max_queued(1000)
///     .initializer(|| { /* open a connection, seed an RNG, ... */ })
///     .build()
///     .expect("a valid configuration");
/// let name = pool.spawn(|| std::thread::current().name().map(str::to_owned));
/// assert_eq!(name.result(None).unwrap().as_deref(), Some("crunch-0"));
/// ```
#[derive(Default)]
pub struct Builder {
    max_workers: Option<usize>,
    max_queued: Option<usize>,
    thread_name_prefix: Option<String>,
    initializer: Option<Initializer>,
    stack_size: Option<usize>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_workers", &self.max_workers)
            .field("max_queued", &self.max_queued)
            .field("thread_name_prefix", &self.thread_name_prefix)
            .field("initializer", &self.initializer.as_ref().map(|_| "Fn()"))
            .field("stack_size", &self.stack_size)
            .finish()
    }
}

impl Builder {
    /// A builder with the defaults: `available_parallelism` workers, no queue
    /// bound, threads named `concur-worker-{index}`, no initializer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most worker threads the pool starts (lazily, as work arrives).
    /// Default: [`std::thread::available_parallelism`]. 0 is refused by `build`.
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Bounds the queue for [`try_submit`](concur_core::Executor::try_submit):
    /// with `n` tasks waiting to start, it refuses with [`Error::Full`].
    /// Takes a `usize` or an `Option<usize>` (`None`: unbounded, the default).
    /// `Some(0)` is refused by `build`. `submit` never blocks nor refuses for
    /// the bound: it is the caller's choice to use `try_submit`.
    pub fn max_queued(mut self, n: impl Into<Option<usize>>) -> Self {
        self.max_queued = n.into();
        self
    }

    /// Worker threads are named `{prefix}-{index}`. Default: `concur-worker`.
    /// A prefix with a NUL byte is refused by `build`.
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name_prefix = Some(prefix.into());
        self
    }

    /// Runs `f` once on each worker thread, before its first task.
    ///
    /// If it panics, the pool is broken, as Python's `BrokenThreadPool`: every
    /// queued task fails with [`Error::Broken`] naming the worker and the panic
    /// message, and so does every later submission; `stats().workers` drops as
    /// the workers exit.
    pub fn initializer(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.initializer = Some(Arc::new(f));
        self
    }

    /// The stack size of the worker threads, in bytes (default: std's).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Builds the pool. No thread starts until the first task is submitted.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for `max_workers(0)`, `max_queued(Some(0))` or
    /// a `thread_name_prefix` with a NUL byte.
    ///
    /// ```
    /// use concur_core::{Error, backend};
    /// use concur_threads::ThreadPool;
    /// let err = ThreadPool::builder().max_workers(0).build().unwrap_err();
    /// assert!(matches!(err, Error::InvalidConfig { .. }));
    /// ```
    pub fn build(self) -> Result<ThreadPool, Error> {
        let config = Config {
            max_workers: backend::check_max_workers(self.max_workers)?,
            max_queued: backend::check_max_queued(self.max_queued)?,
            thread_name_prefix: backend::check_thread_name_prefix(
                self.thread_name_prefix,
                "concur-worker",
            )?,
            initializer: self.initializer,
            stack_size: self.stack_size,
        };
        Ok(ThreadPool::from_registry(Registry::new(config)))
    }
}
