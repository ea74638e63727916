//! [`Builder`]: how an [`AsyncPool`] is configured.

use std::fmt;
use std::sync::Arc;

use concur_core::{Error, backend};

use crate::AsyncPool;

/// A function run once on each executor thread before its first task.
pub(crate) type Initializer = Arc<dyn Fn() + Send + Sync>;

/// The checked configuration a pool starts with.
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) max_queued: Option<usize>,
    pub(crate) thread_name_prefix: String,
    pub(crate) initializer: Option<Initializer>,
}

/// Configures and starts an [`AsyncPool`]. Created by [`AsyncPool::builder`].
///
/// The vocabulary is the thread pool's: `max_workers`, `max_queued`,
/// `thread_name_prefix`, `initializer`, validated the same way.
///
/// ```
/// use concur_async::AsyncPool;
/// let pool = AsyncPool::builder()
///     .max_workers(2)
///     .max_queued(100)
///     .thread_name_prefix("fetcher")
///     .initializer(|| { /* per-thread setup */ })
///     .build()
///     .expect("a valid configuration");
/// assert_eq!(pool.threads(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Builder {
    max_workers: Option<usize>,
    max_queued: Option<usize>,
    thread_name_prefix: Option<String>,
    initializer: Option<Initializer>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_workers", &self.max_workers)
            .field("max_queued", &self.max_queued)
            .field("thread_name_prefix", &self.thread_name_prefix)
            .field("initializer", &self.initializer.as_ref().map(|_| "Fn()"))
            .finish()
    }
}

impl Builder {
    /// The defaults: one executor thread per available core, no queue bound,
    /// threads named `concur-async-<i>`, no initializer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of executor threads (at least 1; default: available
    /// parallelism). It is the pool's `max_workers`: the most `submit`ted
    /// functions that run at once. 0 is refused by `build`.
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// The most tasks [`try_submit`](concur_core::Executor::try_submit) lets wait
    /// for an executor thread: with that many waiting it refuses with
    /// [`Error::Full`]. Takes a `usize` or an `Option<usize>` (`None`: no
    /// bound, the default); `Some(0)` is refused by `build`. Plain `submit` and
    /// `spawn` are not bounded, but count towards the bound. A task cancelled
    /// while it waits keeps its place until an executor thread drops it.
    pub fn max_queued(mut self, n: impl Into<Option<usize>>) -> Self {
        self.max_queued = n.into();
        self
    }

    /// The executor threads are named `<prefix>-<index>`. Default:
    /// `concur-async`. A prefix with a NUL byte is refused by `build`.
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name_prefix = Some(prefix.into());
        self
    }

    /// Runs `f` once on each executor thread, before it runs any task.
    ///
    /// The threads start in [`build`](Builder::build), which waits for every
    /// initializer: if one panics, `build` fails with [`Error::Broken`] naming
    /// the thread and the panic message, and no pool is left running.
    pub fn initializer(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.initializer = Some(Arc::new(f));
        self
    }

    /// Starts the executor threads.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for 0 workers, a `max_queued` of `Some(0)` or a
    /// `thread_name_prefix` with a NUL byte; [`Error::Broken`] if the operating
    /// system refuses to start a thread or an initializer panics.
    ///
    /// ```
    /// use concur_async::AsyncPool;
    /// use concur_core::Error;
    /// let err = AsyncPool::builder().max_workers(0).build().unwrap_err();
    /// assert!(matches!(err, Error::InvalidConfig { .. }));
    /// let err = AsyncPool::builder().initializer(|| panic!("no db")).build().unwrap_err();
    /// assert!(matches!(err, Error::Broken { reason } if reason.contains("no db")));
    /// ```
    pub fn build(self) -> Result<AsyncPool, Error> {
        AsyncPool::start(Config {
            max_workers: backend::check_max_workers(self.max_workers)?,
            max_queued: backend::check_max_queued(self.max_queued)?,
            thread_name_prefix: backend::check_thread_name_prefix(
                self.thread_name_prefix,
                "concur-async",
            )?,
            initializer: self.initializer,
        })
    }
}
