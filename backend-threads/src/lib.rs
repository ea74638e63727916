//! A work-stealing thread pool for concur: [`ThreadPool`], Python's
//! `ThreadPoolExecutor` on [crossbeam-deque](crossbeam_deque).
//!
//! # The model
//!
//! **Workers.** A pool owns up to `max_workers` threads (default:
//! [`std::thread::available_parallelism`]), named `{prefix}-{index}`. None runs
//! until work arrives: a submission starts a new worker only when no worker is
//! idle and fewer than `max_workers` were started. An optional `initializer`
//! runs once on each worker before its first task; if it panics, the pool is
//! broken as Python's `BrokenThreadPool` ([`Builder::initializer`]).
//!
//! **Queues.** Tasks submitted from outside the pool go to one global
//! `Injector` (FIFO). Each worker owns a `Worker` deque; a task spawned from
//! inside a task goes to its worker's own deque (LIFO: the newest, cache-hot
//! task runs next), and the other workers can steal from its far end through
//! their `Stealer`s.
//!
//! **Finding a task**, the order of crossbeam-deque's own example:
//! 1. pop from the worker's own deque;
//! 2. else move a batch from the global injector to the own deque and pop one;
//! 3. else steal one task from another worker;
//! 4. on a lost race (`Steal::Retry`) start over; only empty everywhere means idle.
//!
//! **Parking.** An idle worker looks again a few times, then sleeps on a
//! condition variable; submitters read a lock-free count of sleepers and take
//! the lock only to wake one. The protocol that keeps a wake-up from being lost
//! is written next to the code, in `sleep.rs`. An idle pool uses no CPU.
//!
//! **Blocking inside a task.** A worker waiting on a pending [`Future`](concur_core::Future)
//! (a task that submits another and waits for it) runs queued tasks instead of
//! parking, through [`concur_core::set_wait_hook`], so even a one-worker pool
//! does not deadlock where Python's would. (The price, as in rayon: the
//! waiting task resumes only once the task it picked up is done.)
//!
//! **Tasks.** Every task runs under [`concur_core::catch_panic`]: a panic
//! fails its future with [`Error::Panicked`](concur_core::Error::Panicked) and
//! the worker goes on. Besides the [`Executor`](concur_core::Executor) trait's
//! `submit(fn, arg)`, a thread pool takes closures ([`ThreadPool::spawn`], and
//! [`ThreadPool::map`]: the trait's lazy `map` for any closure, with no serde
//! bound on its items) and closures that borrow from the caller's stack
//! ([`ThreadPool::scope`]).
//! A task whose closure fits in three words (a `fn(A) -> R` with a word-sized
//! argument, plus its promise) is stored inline in the queue slot, so the
//! future's own cell is the only allocation of a `submit`.
//!
//! **Shutdown.** `shutdown(wait, cancel_futures)` refuses new work
//! ([`Error::Shutdown`](concur_core::Error::Shutdown)), cancels what is queued
//! if asked, lets the workers finish the queues and exit, and joins them if
//! asked (never the calling thread, when a task shuts its own pool down).
//! Dropping the pool is `shutdown(true, false)`.
//!
//! # Where things are
//!
//! `builder.rs` (configuration) → `pool.rs` (the handle, the `Executor` impl;
//! `map.rs`, the closure `map`)
//! → `registry.rs` (shared state, the submit and shutdown protocols) →
//! `worker.rs` (find-task loop, idling, the wait hook) → `sleep.rs` (parking
//! without lost wake-ups) → `job.rs` (a task in a queue slot) → `scope.rs`
//! (borrowing tasks and why their lifetime erasure is sound).
//!
//! # Example
//!
//! ```
//! use concur_core::{as_completed, Executor, MapOptions};
//! use concur_threads::ThreadPool;
//! use std::time::Duration;
//!
//! fn count_primes(limit: u64) -> usize {
//!     (2..limit).filter(|&n| (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0)).count()
//! }
//!
//! let pool = ThreadPool::builder().max_workers(2).thread_name_prefix("primes").build()?;
//!
//! // Plain functions, as every backend takes them.
//! let futures: Vec<_> = [100, 1000, 10_000].into_iter().map(|n| pool.submit(count_primes, n)).collect();
//! for f in as_completed(&futures, Some(Duration::from_secs(30))) {
//!     println!("{:?}", f?.result(None));
//! }
//! assert_eq!(futures[2].result(None), Ok(1229));
//!
//! // A lazy map, in input order, of a closure that captures.
//! let offset = 1;
//! let squares: Vec<u64> = pool
//!     .map(move |x: u64| x * x + offset, 0..=3, MapOptions::new())?
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(squares, [1, 2, 5, 10]);
//!
//! // Closures that borrow from the stack.
//! let words = ["work", "stealing"];
//! let lengths = pool.scope(|s| {
//!     let futures: Vec<_> = words.iter().map(|w| s.spawn(move || w.len())).collect();
//!     futures.into_iter().map(|f| f.into_result().unwrap()).collect::<Vec<_>>()
//! });
//! assert_eq!(lengths, [4, 8]);
//! # Ok::<(), concur_core::Error>(())
//! ```
#![warn(missing_docs, missing_debug_implementations)]

mod builder;
mod job;
mod map;
mod pool;
mod registry;
mod scope;
mod sleep;
mod sync;
mod worker;

pub use crate::builder::Builder;
pub use crate::pool::ThreadPool;
pub use crate::scope::Scope;
