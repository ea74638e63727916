//! [`Builder`]: how an [`AsyncPool`] is configured.

use concur_core::Error;

use crate::AsyncPool;

/// Configures and starts an [`AsyncPool`]. Created by [`AsyncPool::builder`].
///
/// ```
/// use concur_async::AsyncPool;
/// let pool = AsyncPool::builder()
///     .threads(2)
///     .max_queued(Some(100))
///     .thread_name_prefix("fetcher")
///     .build()
///     .expect("a valid configuration");
/// assert_eq!(pool.threads(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    pub(crate) threads: Option<usize>,
    pub(crate) max_queued: Option<usize>,
    pub(crate) prefix: String,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            threads: None,
            max_queued: None,
            prefix: "concur-async".to_owned(),
        }
    }
}

impl Builder {
    /// The defaults: one executor thread per available core, no queue bound,
    /// threads named `concur-async-<i>`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of executor threads (at least 1). It is also the pool's
    /// `max_workers`: the most `submit`ted functions that run at once.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// The most tasks [`try_submit`](concur_core::Executor::try_submit) lets wait
    /// for an executor thread (`None`: no bound, the default). Plain `submit` and
    /// `spawn` are not bounded, but count towards the bound. A task cancelled
    /// while it waits keeps its place until an executor thread drops it.
    pub fn max_queued(mut self, max_queued: Option<usize>) -> Self {
        self.max_queued = max_queued;
        self
    }

    /// The executor threads are named `<prefix>-<index>`.
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Starts the executor threads.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for 0 threads or a `max_queued` of `Some(0)`;
    /// [`Error::Broken`] if the operating system refuses to start a thread.
    ///
    /// ```
    /// use concur_async::AsyncPool;
    /// use concur_core::Error;
    /// let err = AsyncPool::builder().threads(0).build().unwrap_err();
    /// assert!(matches!(err, Error::InvalidConfig { .. }));
    /// ```
    pub fn build(self) -> Result<AsyncPool, Error> {
        let threads = match self.threads {
            Some(0) => {
                return Err(Error::invalid_config(
                    "AsyncPool: threads must be at least 1",
                ));
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        if self.max_queued == Some(0) {
            return Err(Error::invalid_config(
                "AsyncPool: max_queued must be at least 1 (None for no bound)",
            ));
        }
        AsyncPool::start(threads, self.max_queued, &self.prefix)
    }
}
