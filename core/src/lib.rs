//! The vocabulary of concur: Python's `concurrent.futures`, in Rust.
//!
//! A [`Future<T>`] is a handle to one task's outcome. It starts *pending*, may
//! become *running*, and ends *finished* (with a value or an [`Error`]) or
//! *cancelled* — `cancel` only succeeds while pending, and a cancelled future is
//! done at once for every waiter. Executors complete futures through a
//! [`Promise<T>`]; completing one costs a single atomic operation when nobody
//! waits on it.
//!
//! A future's value needs `Send`, not `Sync`: it is handed out by clone
//! ([`Future::result`]) or moved out ([`Future::take`], [`Future::into_result`]),
//! and a `Future<Result<T, E>>` reads as one `Result` with
//! [`Future::flatten`] / [`Future::result_flat`] ([`FlatError`]). Futures
//! compare, hash and order by identity, so they can key a `HashMap`. A task's
//! panic becomes [`Error::Panicked`] with its message and location, and goes
//! through the application's panic hook as a thread's does.
//!
//! Many futures are watched together with [`wait`] (first completed, first
//! exception, all completed) and [`as_completed`] (an iterator, or a `Stream`
//! through `into_stream`, in completion order). They may have different value types and come from
//! different backends.
//!
//! Every backend — threads, processes, async, or a third party's — implements
//! the [`Executor`] trait: `submit(fn, arg)`, a lazy windowed `map` (also a
//! `Stream`, through [`Map::into_stream`]), `try_submit`, `stats` and
//! `shutdown` (or [`Executor::shutdown_with`] and [`Shutdown`], named as Python's
//! keywords). The trait is dyn-compatible: a backend writes its base,
//! [`Executor::submit_task`] of a type-erased [`backend::TaskObj`] (run in
//! process, or taken apart for a worker process), and the generic methods
//! come on top, so a `Box<dyn Executor + Send>` — the facade's `Pool` — holds
//! any backend, chosen at run time. The [`backend`] module is what a backend
//! is built from (the task body, admission, builder validation, deadlines),
//! and the
//! `concur-conformance` crate holds the suite that proves a backend keeps the
//! contract.
//!
//! ```
//! use concur_core::{as_completed, wait, Promise, ReturnWhen};
//! use std::time::Duration;
//!
//! // What a backend does: one promise per task, completed by a worker.
//! let promises: Vec<Promise<u64>> = (0..4).map(|_| Promise::new()).collect();
//! let futures: Vec<_> = promises.iter().map(|p| p.future()).collect();
//! let worker = std::thread::spawn(move || {
//!     for (i, p) in promises.into_iter().enumerate() {
//!         if p.set_running() {
//!             p.set_result(i as u64 * 10);
//!         }
//!     }
//! });
//!
//! // What a user does.
//! let mut total = 0;
//! for f in as_completed(&futures, Some(Duration::from_secs(30))) {
//!     total += f.expect("no timeout").result(None).expect("no failure");
//! }
//! assert_eq!(total, 60);
//! let r = wait(&futures, None, ReturnWhen::AllCompleted);
//! assert!(r.not_done.is_empty());
//! worker.join().unwrap();
//! ```
#![warn(missing_docs, missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod any;
mod as_completed;
pub mod backend;
mod blocking;
mod collector;
mod erased;
mod error;
mod executor;
mod flat;
mod future;
mod handle;
mod hook;
mod map;
mod panic;
mod promise;
mod shutdown;
mod state;
mod stats;
mod sync;
mod task_fn;
mod timer;
mod wait;
mod waiter;

pub use crate::any::{AnyFuture, Waitable};
pub use crate::as_completed::{AsCompleted, AsCompletedStream, as_completed};
pub use crate::backend::{ChunkIter, ChunkResult, run_chunk};
pub use crate::error::{Error, ExitStatus, LostCause};
pub use crate::executor::{Executor, Payload};
pub use crate::flat::FlatError;
pub use crate::future::Future;
pub use crate::hook::{WaitHook, set_wait_hook};
pub use crate::map::{Map, MapOptions, MapStream};
pub use crate::panic::{catch_panic, payload_message};
pub use crate::promise::Promise;
pub use crate::shutdown::Shutdown;
pub use crate::stats::{Stats, StatsCounter};
pub use crate::task_fn::{ClosureFn, TaskFn};
pub use crate::wait::{DoneAndNotDone, ReturnWhen, wait};
