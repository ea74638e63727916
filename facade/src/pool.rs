//! [`Pool`]: one pool type over every backend compiled in, chosen at run time.

// In a build with no backend every method ends in an empty `match`.
#![cfg_attr(
    not(any(
        feature = "threads",
        feature = "process",
        feature = "async",
        all(feature = "mpi", concur_mpi)
    )),
    allow(unused_variables, unreachable_code)
)]

use std::fmt;

use crate::{Backend, ChunkResult, Error, Executor, Future, Payload, Stats};

/// A pool whose backend is chosen at run time — from a `--backend` flag, a
/// config file — among those compiled in. It implements [`Executor`], so code
/// written against the trait runs on it unchanged; each call goes to the
/// backend's own pool (one `match`, no boxing).
///
/// Build one with [`Pool::builder`]. A backend whose cargo feature is not
/// enabled is refused with [`Error::InvalidConfig`] naming the feature, never
/// a panic.
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
    inner: Inner,
}

/// The backend's own pool. `None` is never built: it keeps the `match`es
/// exhaustive in a build with no backend at all.
enum Inner {
    #[cfg(feature = "threads")]
    Threads(concur_threads::ThreadPool),
    #[cfg(feature = "process")]
    Process(concur_process::ProcessPool),
    #[cfg(feature = "async")]
    Async(concur_async::AsyncPool),
    #[cfg(all(feature = "mpi", concur_mpi))]
    Mpi(concur_mpi::MpiPool),
    #[allow(dead_code)]
    None(std::convert::Infallible),
}

/// Runs `$body` with `$p` bound to the backend's pool.
macro_rules! dispatch {
    ($inner:expr, $p:ident => $body:expr) => {
        match $inner {
            #[cfg(feature = "threads")]
            Inner::Threads($p) => $body,
            #[cfg(feature = "process")]
            Inner::Process($p) => $body,
            #[cfg(feature = "async")]
            Inner::Async($p) => $body,
            #[cfg(all(feature = "mpi", concur_mpi))]
            Inner::Mpi($p) => $body,
            Inner::None(never) => match *never {},
        }
    };
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

    /// The backend this pool runs on.
    pub fn backend(&self) -> Backend {
        match &self.inner {
            #[cfg(feature = "threads")]
            Inner::Threads(_) => Backend::Threads,
            #[cfg(feature = "process")]
            Inner::Process(_) => Backend::Process,
            #[cfg(feature = "async")]
            Inner::Async(_) => Backend::Async,
            #[cfg(all(feature = "mpi", concur_mpi))]
            Inner::Mpi(_) => Backend::Mpi,
            Inner::None(never) => match *never {},
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("backend", &self.backend())
            .field("max_workers", &self.max_workers())
            .finish_non_exhaustive()
    }
}

impl Executor for Pool {
    fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A) -> Future<R> {
        dispatch!(&self.inner, p => p.submit(f, arg))
    }

    fn try_submit<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        arg: A,
    ) -> Result<Future<R>, Error> {
        dispatch!(&self.inner, p => p.try_submit(f, arg))
    }

    fn submit_chunk<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>> {
        dispatch!(&self.inner, p => p.submit_chunk(f, items))
    }

    fn max_workers(&self) -> usize {
        dispatch!(&self.inner, p => p.max_workers())
    }

    fn stats(&self) -> Stats {
        dispatch!(&self.inner, p => p.stats())
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        dispatch!(&self.inner, p => p.shutdown(wait, cancel_futures))
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
        let inner = match backend {
            #[cfg(feature = "threads")]
            Backend::Threads => {
                let mut b = concur_threads::ThreadPool::builder().max_queued(max_queued);
                if let Some(n) = max_workers {
                    b = b.max_workers(n);
                }
                Inner::Threads(b.build()?)
            }
            #[cfg(feature = "process")]
            Backend::Process => {
                let mut b = concur_process::ProcessPool::builder().max_queued(max_queued);
                if let Some(n) = max_workers {
                    b = b.max_workers(n);
                }
                Inner::Process(b.build()?)
            }
            #[cfg(feature = "async")]
            Backend::Async => {
                let mut b = concur_async::AsyncPool::builder().max_queued(max_queued);
                if let Some(n) = max_workers {
                    b = b.max_workers(n);
                }
                Inner::Async(b.build()?)
            }
            #[cfg(all(feature = "mpi", concur_mpi))]
            Backend::Mpi => {
                let mut b = concur_mpi::MpiPool::builder().max_queued(max_queued);
                if let Some(n) = max_workers {
                    b = b.max_workers(n);
                }
                Inner::Mpi(b.build()?)
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
        Ok(Pool { inner })
    }
}
