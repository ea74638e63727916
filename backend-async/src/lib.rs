//! concur's async backend: [`AsyncPool`], N threads running async tasks (a
//! scheduler of its own on `async-task`, under [`smol`]'s reactor), and the
//! glue that lets async code await any concur future.
//!
//! # The model
//!
//! An [`AsyncPool`] runs async tasks on N executor threads (default: one per
//! core). [`AsyncPool::spawn`] hands back a concur [`Future`](concur_core::Future)
//! — the same handle the thread and process pools return — so an async task can be
//! cancelled while it waits for a thread (it is then dropped without ever being
//! polled), observed with callbacks, `wait` and `as_completed`, and awaited. A
//! task that panics fails its future with `Error::Panicked`; the threads go on.
//!
//! The pool also implements the common [`Executor`](concur_core::Executor) trait,
//! so code written against it runs here too. Async code gets:
//!
//! - [`to_thread`] (alias [`unblock`]): a blocking call off the executor threads,
//!   awaited (Python's `asyncio.to_thread`);
//! - awaiting a future from *any* backend — every concur future is a
//!   `std::future::Future`, so a thread-pool or process-pool future is simply
//!   `.await`ed, with no thread blocked meanwhile (Python's `asyncio.wrap_future`);
//! - [`as_completed`] (a `Stream` of outputs in completion order, with a
//!   timeout) and [`gather`] / [`try_gather`] (outputs in input order) over any
//!   `std::future::Future`: concur futures of any backend, `async fn`s, other
//!   crates' futures — Python's `asyncio.as_completed` and `asyncio.gather`;
//! - [`map_stream`]: `map` over any executor as a `Stream`, lazily pulled with a
//!   `buffersize` window (over a process pool: aiomultiprocess's `Pool.map`);
//! - [`AsyncPool::map`]: the same lazy `map` for any closure on the executor
//!   threads (no serde bound; `.into_stream()` for async code).
//!
//! # Which backend when
//!
//! | the work | pick | why |
//! |---|---|---|
//! | CPU-bound Rust code | `concur-threads` (`ThreadPool`) | one task per core, no async overhead, work stealing |
//! | CPU-bound code that may crash, leak or must be killable | `concur-process` (`ProcessPool`) | isolation per worker process |
//! | many slow waits (network, timers, other futures) | `concur-async` (`AsyncPool`) | thousands of waiting tasks on a few threads |
//! | a few blocking calls inside async code | [`to_thread`] | keeps the executor threads free |
//!
//! An async task that computes for long holds an executor thread just as a
//! blocking call does: with N threads, N such tasks stop every other task on the
//! pool. Send CPU-bound work to a thread or process pool and `.await` its future.
//!
//! # Example
//!
//! Many slow waits on two threads, results as they complete:
//!
//! ```
//! use concur_async::{AsyncPool, as_completed};
//! use futures_lite::StreamExt;
//! use std::time::Duration;
//!
//! let pool = AsyncPool::new(2)?;
//! let futures: Vec<_> = (0..100u64)
//!     .map(|i| pool.spawn(async move {
//!         smol::Timer::after(Duration::from_millis(i % 10)).await;
//!         i
//!     }))
//!     .collect();
//! let total = smol::block_on(async {
//!     let mut done = as_completed(futures, Some(Duration::from_secs(30)));
//!     let mut total = 0;
//!     while let Some(outcome) = done.next().await {
//!         total += outcome??; // the deadline, then the task
//!     }
//!     Ok::<u64, concur_core::Error>(total)
//! })?;
//! assert_eq!(total, (0..100).sum());
//! # Ok::<(), concur_core::Error>(())
//! ```
//!
//! # Awaiting another backend's futures
//!
//! CPU-bound work goes to a thread (or process) pool; the async task awaits its
//! future and its executor thread serves other tasks meanwhile:
//!
//! ```
//! use concur_async::{AsyncPool, gather};
//! use concur_core::Executor;
//! use concur_threads::ThreadPool;
//!
//! fn fib(n: u64) -> u64 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
//!
//! let cpu = ThreadPool::new(2)?;
//! let io = AsyncPool::new(1)?;
//! let answers = io.spawn(async move {
//!     let futures = (20..24).map(|n| cpu.submit(fib, n));
//!     gather(futures).await
//! });
//! assert_eq!(answers.result(None)?, vec![Ok(6765), Ok(10946), Ok(17711), Ok(28657)]);
//! # Ok::<(), concur_core::Error>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod as_completed;
mod builder;
mod gather;
mod join;
mod map;
mod map_stream;
mod pool;
mod sync;
mod unblock;

pub use crate::as_completed::{AsCompleted, as_completed};
pub use crate::builder::Builder;
pub use crate::gather::{Gather, gather, try_gather};
pub use crate::map_stream::map_stream;
pub use crate::pool::AsyncPool;
pub use crate::unblock::{to_thread, unblock};
pub use concur_core::MapStream;
