//! [`map_closure`]: `map` over any closure, for a backend that runs closures
//! in process (the thread and async pools), written once.
//!
//! [`Executor::map`](crate::Executor::map) takes a [`TaskFn`](crate::TaskFn)
//! (a `Copy` function of up to four arguments) with serde types, because
//! some backends send tasks to other processes. A pool whose workers share
//! the caller's memory can run any closure of up to four arguments,
//! capturing anything ([`ClosureFn`]): it says how it
//! starts one closure ([`SpawnClosure`]), and [`map_closure`] builds core's
//! [`Map`] on it — the same window, order, chunks, deadline, failure per item
//! and cancellation on drop, from [`map_with`].
//!
//! The function is shared by every task through one `Arc`, and each chunk's
//! task runs [`run_chunk`] over it: `F` is a type parameter all the way down,
//! so the compiler sees the closure (or the `fn` item) inside the chunk's
//! loop and can inline it there, which a `fn` pointer would not let it do.

use std::sync::Arc;

use super::claim::Claim;
use super::custom::window;
use super::source::{Submit, Submitted};
use super::{Map, Source, map_with};
use crate::{ClosureFn, Error, Executor, Future, MapOptions, run_chunk};

/// A pool that runs closures in process: what [`map_closure`] needs of it.
///
/// ```
/// use concur_core::backend::SpawnClosure;
/// # use concur_core::{Error, Executor, Stats, backend::TaskObj};
/// use concur_core::Future;
///
/// /// A "pool" that runs each closure at once, on the caller's thread.
/// #[derive(Debug)]
/// struct Inline;
/// # impl Executor for Inline {
/// #     fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
/// #         task.run(&Default::default());
/// #         Ok(())
/// #     }
/// #     fn max_workers(&self) -> usize { 1 }
/// #     fn stats(&self) -> Stats { Stats::default() }
/// #     fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
/// # }
///
/// impl SpawnClosure for Inline {
///     fn spawn_closure<R, F>(&self, job: F) -> Future<R>
///     where
///         R: Send + 'static,
///         F: FnOnce() -> R + Send + 'static,
///     {
///         Future::ready(job())
///     }
/// }
///
/// assert_eq!(Inline.spawn_closure(|| 6 * 7).into_result(), Ok(42));
/// ```
pub trait SpawnClosure: Executor {
    /// Starts `job` on the pool and returns its future, as the pool's own
    /// `spawn` does: a panic fails the future with
    /// [`Error::Panicked`](crate::Error::Panicked), and after shutdown the
    /// future is already failed with [`Error::Shutdown`] (or
    /// [`Error::Broken`]), which is how [`map_closure`] refuses up front.
    fn spawn_closure<R, F>(&self, job: F) -> Future<R>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static;

    /// Whether the thread iterating a [`map_closure`] may run, itself, a
    /// chunk no worker of this pool has started yet, instead of waiting for
    /// one to start it (false unless the pool says so).
    ///
    /// With true, a consumer whose next chunk is not done takes it back
    /// and runs it, if no worker has started it; while a worker runs it,
    /// the consumer runs the window's farthest chunk nobody has started.
    /// Each item still runs once, fails alone, and comes back in order. Only
    /// the blocking iterator without a `timeout` does this (a chunk run
    /// there cannot be cut short at the deadline); the stream never does.
    /// A pool whose consumer then shares the workers' cores (the thread
    /// pool) gains the wait for a worker's wake-up and scheduling: the
    /// caller is one more worker, as in a work-stealing `join`.
    fn caller_runs_unstarted_chunks(&self) -> bool {
        false
    }
}

/// A [`map_closure`]'s submitter when the caller may run chunks: each chunk's
/// items in a [`Claim`] the pool's task and the map share. `G` calls the
/// user's function (a closure over it, with the function's own type).
struct Claims<'a, P, G> {
    pool: &'a P,
    f: Arc<G>,
}

impl<A, R, P, G> Submit<A, R> for Claims<'_, P, G>
where
    P: SpawnClosure,
    G: Fn(A) -> R + Send + Sync + 'static,
    A: Send + 'static,
    R: Send + 'static,
{
    fn one(&mut self, arg: A) -> Future<R> {
        let f = Arc::clone(&self.f);
        self.pool.spawn_closure(move || f(arg))
    }

    fn chunk(&mut self, items: Vec<A>) -> Submitted<R> {
        let claim = Arc::new(Claim::new(Arc::clone(&self.f), items));
        let queued = Arc::clone(&claim);
        // One `Arc` in the task (not the function and the items): the task is
        // as large as a pointer, and the claim's allocation replaces its box.
        let future = self.pool.spawn_closure(move || queued.run_queued());
        (future, Some(claim))
    }
}

/// Applies `f` to every item on `pool`, lazily: Python's
/// `executor.map(f, items)` for any closure, capturing what it likes, whose
/// arguments and result need only be `Send` (no serde bound): the body of
/// the thread and async pools' inherent `map`. `f` takes up to four
/// arguments, each item the tuple of them, as for [`Executor::map`]
/// ([`ClosureFn`]).
///
/// The semantics are [`Executor::map`]'s: at most `buffersize` tasks in
/// flight ahead of the consumer (default: 4 × `max_workers`), `chunksize`
/// items per task, one `Result` per item in input order (or completion order
/// with `ordered(false)`), a panic failing its item alone; when the `timeout`
/// (from this call) passes, one [`Error::Timeout`], what is outstanding
/// cancelled, and the end; dropping the map cancels what has not started.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0;
/// [`Error::Shutdown`] (or [`Error::Broken`]) when the pool refuses the first
/// task — unless the input is empty, which submits nothing (as Python's
/// `map`).
///
/// ```
/// use concur_core::backend::{SpawnClosure, map_closure};
/// # use concur_core::{Error, Executor, Stats, backend::TaskObj};
/// use concur_core::{Future, MapOptions};
///
/// # #[derive(Debug)]
/// # struct Inline;
/// # impl Executor for Inline {
/// #     fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
/// #         task.run(&Default::default());
/// #         Ok(())
/// #     }
/// #     fn max_workers(&self) -> usize { 1 }
/// #     fn stats(&self) -> Stats { Stats::default() }
/// #     fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
/// # }
/// # impl SpawnClosure for Inline {
/// #     fn spawn_closure<R, F>(&self, job: F) -> Future<R>
/// #     where
/// #         R: Send + 'static,
/// #         F: FnOnce() -> R + Send + 'static,
/// #     {
/// #         Future::ready(job())
/// #     }
/// # }
/// let pool = Inline; // any pool that runs closures
/// let greeting = String::from("hello");
/// let lines: Vec<String> = map_closure(
///     &pool,
///     move |name: &str| format!("{greeting}, {name}"),
///     ["ann", "bo", "cy"],
///     MapOptions::new().chunksize(2),
/// )?
/// .collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["hello, ann", "hello, bo", "hello, cy"]);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub fn map_closure<'a, P, A, R, F, M, I>(
    pool: &'a P,
    f: F,
    items: I,
    options: MapOptions,
) -> Result<Map<'a, R, I::IntoIter>, Error>
where
    P: SpawnClosure,
    F: ClosureFn<A, R, M>,
    A: Send + 'static,
    R: Send + 'static,
    I: IntoIterator<Item = A>,
    I::IntoIter: 'a,
{
    if pool.caller_runs_unstarted_chunks() {
        options.validate()?;
        let claims = Claims {
            pool,
            f: Arc::new(move |a| f.call_ref(a)),
        };
        let source = Source::with_submit(items.into_iter(), options.chunksize, Box::new(claims));
        return Map::new(source, window(options, pool.max_workers()), options).or_refused();
    }
    let one = Arc::new(f);
    let chunk = Arc::clone(&one);
    map_with(
        pool.max_workers(),
        items,
        options,
        move |a| {
            let f = Arc::clone(&one);
            pool.spawn_closure(move || f.call_ref(a))
        },
        move |items| {
            let f = Arc::clone(&chunk);
            pool.spawn_closure(move || run_chunk(|a| f.call_ref(a), items))
        },
    )
}
