//! **concur**: Python's `concurrent.futures`, in Rust, with interchangeable
//! backends.
//!
//! This is the crate a user depends on. It re-exports the vocabulary of
//! [`concur_core`] at its root — [`Future`], [`wait`], [`as_completed`], the
//! [`Executor`] trait, [`Error`] — and each backend under a short module path,
//! behind a cargo feature:
//!
//! | feature | module | backend |
//! |---|---|---|
//! | `threads` (default) | [`threads`] | a work-stealing thread pool (`concur-threads`) |
//! | `async` | [`asyncio`] | an async pool on smol, and async code awaiting any future (`concur-async`) |
//! | `process` | [`process`] | a pool of worker processes, re-executed copies of this binary (`concur-process`) |
//! | `full` | | every backend above |
//! | `mpi` | `mpi` | the same pool across an MPI job (`concur-mpi`): outside `full`; needs Open MPI or MPICH and `RUSTFLAGS="--cfg concur_mpi"` |
//!
//! With `default-features = false` only the vocabulary is compiled, and no
//! backend's dependencies are pulled in. Code written against the [`Executor`]
//! trait runs unchanged on any backend; [`prelude`] brings the common names
//! into scope.
//!
//! A [`Future`] starts *pending*, may become *running*, and ends *finished* (a
//! value or an [`Error`]) or *cancelled*; `cancel` succeeds only while pending.
//!
//! # Choosing the backend at run time
//!
//! [`Backend`] names a backend (it parses a `--backend threads|process|async`
//! flag) and [`Pool`] runs on whichever was chosen, implementing [`Executor`].
//! Every `Backend` variant exists in every build; a [`Pool`] on a backend that
//! was not compiled in is refused with [`Error::InvalidConfig`] naming the
//! feature to enable. A `Pool` holds its backend as a `Box<dyn Executor +
//! Send>` ([`Executor`] is dyn-compatible), so [`Pool::from_executor`] takes
//! any executor as well: one built with its backend's own builder, or a third
//! party's. [`Pool::downcast_ref`] (and `downcast_mut`, `downcast`) hands the
//! executor back as its own type, for what only that backend offers.
//!
//! # Writing a backend
//!
//! A third-party backend implements [`Executor`]'s dyn-compatible base —
//! [`submit_task`](Executor::submit_task) of a type-erased
//! [`backend::TaskObj`], `max_workers`, `stats`, `shutdown` — with the rest of
//! the [`backend`] toolkit, gets `submit`, `map` and the other generic methods
//! from the trait, and proves itself with the conformance suite, the
//! `concur-conformance` crate: the guide is `core/README.md` in the
//! repository, with a worked example.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "threads")] {
//! use concur::prelude::*;
//!
//! fn square(x: u64) -> u64 {
//!     x * x
//! }
//!
//! let pool = ThreadPool::new(2)?;
//! let futures: Vec<concur::Future<u64>> = (1..=4).map(|x| pool.submit(square, x)).collect();
//! let mut total = 0;
//! for f in as_completed(&futures, None) {
//!     total += f?.result(None)?;
//! }
//! assert_eq!(total, 1 + 4 + 9 + 16);
//! # }
//! # Ok::<(), concur::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod choice;
mod pool;

// What users use, at the root. What a backend is built from (`Promise`,
// `catch_panic`, `run_chunk`, `set_wait_hook`, `StatsCounter`, ...) is in
// `concur::backend`.
pub use concur_core::{
    AnyFuture, AsCompleted, AsCompletedStream, ChunkResult, ClosureFn, DoneAndNotDone, Error,
    Executor, ExitStatus, FlatError, Future, LostCause, Map, MapOptions, MapStream, Payload,
    ReturnWhen, Shutdown, Stats, TaskFn, Waitable, as_completed, wait,
};

/// What a backend is built from: the producer side of a future
/// ([`Promise`](backend::Promise)), the task body, admission, builder
/// validation, deadlines, [`StatsCounter`](backend::StatsCounter),
/// [`catch_panic`](backend::catch_panic), [`set_wait_hook`](backend::set_wait_hook)
/// (`concur_core::backend`, with [`payload_message`](backend::payload_message)).
pub mod backend {
    pub use concur_core::backend::*;
    pub use concur_core::payload_message;
}

pub use crate::choice::{Backend, ParseBackendError};
pub use crate::pool::{Pool, PoolBuilder};

/// The work-stealing thread pool: [`ThreadPool`](threads::ThreadPool) (the
/// `concur-threads` crate).
#[cfg(feature = "threads")]
#[cfg_attr(docsrs, doc(cfg(feature = "threads")))]
pub mod threads {
    pub use concur_threads::*;
}

/// The async pool: [`AsyncPool`](asyncio::AsyncPool) on smol, `to_thread`,
/// `gather`, `as_completed`, `map_stream` (the `concur-async` crate). Named
/// after Python's `asyncio`, since `async` is a Rust keyword.
///
/// As in Python, this module's [`as_completed`](asyncio::as_completed) and
/// [`gather`](asyncio::gather) are the async ones: they take any
/// `std::future::Future` (concur futures of any backend, `async fn`s, other
/// crates' futures) and yield outputs, where the root's
/// [`as_completed`] blocks a thread on concur futures.
///
/// With what async code needs beside the pool, so no second crate is:
/// [`block_on`](asyncio::block_on) (`asyncio.run`), [`sleep`](asyncio::sleep)
/// and [`Timer`](asyncio::Timer), [`StreamExt`](asyncio::StreamExt) to
/// iterate `as_completed` and `map_stream` with `.next().await`, and
/// [`FutureExt`](asyncio::FutureExt) (`.boxed()` puts futures of different
/// types in one `gather`).
///
/// ```
/// use concur::asyncio::{FutureExt, StreamExt, as_completed, block_on, gather, sleep};
/// use std::time::Duration;
///
/// async fn after(ms: u64) -> Result<u64, concur::Error> {
///     sleep(Duration::from_millis(ms)).await;
///     Ok(ms)
/// }
///
/// let total = block_on(async {
///     // Plain `async fn`s and concur futures, in one call.
///     let all = gather([after(2).boxed(), concur::Future::ready(40).boxed()]).await;
///     let mut total: u64 = all.into_iter().sum::<Result<u64, _>>()?;
///     // In completion order, with a deadline.
///     let mut done = as_completed([after(3), after(1)], Some(Duration::from_secs(30)));
///     while let Some(ms) = done.next().await {
///         total += ms??;
///     }
///     Ok::<_, concur::Error>(total)
/// });
/// assert_eq!(total, Ok(46));
/// ```
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub mod asyncio {
    pub use concur_async::*;
    pub use smol::future::FutureExt;
    pub use smol::stream::StreamExt;
    pub use smol::{Timer, block_on};

    /// Waits for `duration` without blocking a thread (`asyncio.sleep`), on
    /// any runtime.
    pub async fn sleep(duration: std::time::Duration) {
        Timer::after(duration).await;
    }
}

/// The pool of worker processes: [`ProcessPool`](process::ProcessPool), whose
/// workers are this binary re-executed (the `concur-process` crate).
#[cfg(feature = "process")]
#[cfg_attr(docsrs, doc(cfg(feature = "process")))]
pub mod process {
    pub use concur_process::*;
}

/// The pool across the ranks of an MPI job: [`MpiPool`](mpi::MpiPool), rank 0
/// the pool, ranks 1..N-1 its workers (the `concur-mpi` crate). Compiled in by
/// the `mpi` feature together with `RUSTFLAGS="--cfg concur_mpi"`.
#[cfg(all(feature = "mpi", concur_mpi))]
#[cfg_attr(docsrs, doc(cfg(feature = "mpi")))]
pub mod mpi {
    pub use concur_mpi::*;
}

/// The names most programs need: `use concur::prelude::*;`.
///
/// The traits, functions and pools — not concur's [`Future`](crate::Future)
/// type, which would shadow `std::future::Future` in every module that
/// glob-imports the prelude (edition 2024: "expected trait, found struct
/// `Future`"). Name it `concur::Future`, or `use concur::Future;` where no
/// `async` code needs std's.
///
/// With them, `std::time::Duration`, which every timeout takes (Python's
/// `timeout=60` is `Duration::from_secs(60)`).
///
/// ```
/// use concur::prelude::*;
/// // std's trait is still the one in scope.
/// fn is_std_future(_: &impl Future) {}
/// is_std_future(&async {});
/// // And std's Duration, for timeouts.
/// let done = concur::Future::ready(7u8);
/// assert_eq!(done.result(Some(Duration::from_secs(60))), Ok(7));
/// ```
pub mod prelude {
    pub use concur_core::{Error, Executor, MapOptions, ReturnWhen, Shutdown, as_completed, wait};
    pub use std::time::Duration;

    pub use crate::{Backend, Pool};

    #[cfg(feature = "threads")]
    #[cfg_attr(docsrs, doc(cfg(feature = "threads")))]
    pub use concur_threads::ThreadPool;

    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub use concur_async::AsyncPool;

    #[cfg(feature = "process")]
    #[cfg_attr(docsrs, doc(cfg(feature = "process")))]
    pub use concur_process::ProcessPool;
}

// The README's example runs as a doctest, so the README stays true.
#[cfg(all(doctest, feature = "threads"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
