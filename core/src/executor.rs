//! The [`Executor`] trait every backend implements, and what a task is made
//! of ([`Payload`], [`ChunkResult`]).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Future, Map, MapOptions, Shutdown, Stats};

/// What a task's argument and result must be to run on every backend, processes
/// included (Python's rule: a picklable function and arguments): serializable,
/// owned, and shareable between threads.
pub trait Payload: Serialize + DeserializeOwned + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + Send + Sync + 'static> Payload for T {}

use crate::backend::ChunkResult;

/// A pool that runs tasks and hands back [`Future`]s: the common interface of the
/// thread, process and async backends (Python's `concurrent.futures.Executor`).
///
/// A task is a plain function pointer `fn(A) -> R` with a [`Payload`] argument,
/// so the same code runs on every backend, including one whose workers are other
/// processes. Backends add closures (and scoped closures) as inherent methods
/// where they can run them.
///
/// Implementors provide `submit`, `try_submit`, `submit_chunk`, `max_workers`,
/// `stats` and `shutdown`; `map` comes for free. The conformance suite
/// (the `concur-conformance` crate) checks an implementation against the contract.
///
/// # Example
///
/// A generic function that runs on whatever backend its caller picks:
///
/// ```
/// use concur_core::{Executor, MapOptions};
///
/// fn square(x: u64) -> u64 { x * x }
///
/// fn sum_of_squares(pool: &impl Executor, n: u64) -> u64 {
///     pool.map(square, 0..n, MapOptions::new().chunksize(64))
///         .expect("valid options")
///         .map(|r| r.expect("square does not fail"))
///         .sum()
/// }
/// # struct Inline;
/// # impl Executor for Inline {
/// #     fn submit<A: concur_core::Payload, R: concur_core::Payload>(&self, f: fn(A) -> R, a: A) -> concur_core::Future<R> {
/// #         match concur_core::catch_panic(|| f(a)) { Ok(v) => concur_core::Future::ready(v), Err(e) => concur_core::Future::failed(e) }
/// #     }
/// #     fn try_submit<A: concur_core::Payload, R: concur_core::Payload>(&self, f: fn(A) -> R, a: A) -> Result<concur_core::Future<R>, concur_core::Error> { Ok(self.submit(f, a)) }
/// #     fn submit_chunk<A: concur_core::Payload, R: concur_core::Payload>(&self, f: fn(A) -> R, items: Vec<A>) -> concur_core::Future<concur_core::ChunkResult<R>> {
/// #         concur_core::Future::ready(concur_core::run_chunk(f, items))
/// #     }
/// #     fn max_workers(&self) -> usize { 1 }
/// #     fn stats(&self) -> concur_core::Stats { concur_core::Stats::default() }
/// #     fn shutdown(&self, _wait: bool, _cancel: bool) {}
/// # }
/// assert_eq!(sum_of_squares(&Inline, 4), 0 + 1 + 4 + 9);
/// ```
///
/// An executor is `Sync`: one pool is shared by the threads that submit to it
/// (and a [`Map`] over it may be consumed on another thread).
pub trait Executor: Sync {
    /// Schedules `f(arg)` and returns its future.
    ///
    /// Never blocks on a full queue and never panics: a task that cannot be
    /// accepted gets a future that is already failed — [`Error::Shutdown`] after
    /// [`shutdown`](Executor::shutdown), [`Error::Encode`] when a process backend
    /// cannot serialize `arg` (on the caller's thread, at submit time).
    fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A) -> Future<R>;

    /// As [`submit`](Executor::submit), but refuses instead of queueing beyond the
    /// pool's `max_queued` bound.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when the bound is reached, [`Error::Shutdown`] after shutdown.
    fn try_submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A)
    -> Result<Future<R>, Error>;

    /// Schedules `f` over every item of `items` as one task (what `map` does with a
    /// `chunksize`); each item fails alone. [`run_chunk`](crate::run_chunk) is the
    /// body a backend runs.
    fn submit_chunk<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>>;

    /// The most tasks this executor runs at once.
    fn max_workers(&self) -> usize;

    /// Counters of the tasks seen so far, cheap enough to poll for a progress bar.
    fn stats(&self) -> Stats;

    /// Stops accepting work. With `cancel_futures`, cancels every task that has not
    /// started; with `wait`, blocks until running (and, without `cancel_futures`,
    /// queued) tasks are done and the workers have exited. Idempotent.
    fn shutdown(&self, wait: bool, cancel_futures: bool);

    /// [`shutdown`](Executor::shutdown), with the keywords named at the call
    /// site: `shutdown_with(Shutdown::wait().cancel_futures())` reads as
    /// Python's `shutdown(wait=True, cancel_futures=True)`, and
    /// `shutdown_with(Shutdown::no_wait())` as `shutdown(wait=False)`.
    fn shutdown_with(&self, how: Shutdown) {
        self.shutdown(how.waits(), how.cancels_futures());
    }

    /// Applies `f` to every item, lazily: at most `buffersize` tasks are in
    /// flight ahead of the consumer (default: 4 × [`max_workers`](Executor::max_workers)),
    /// `chunksize` items per task. Yields one `Result` per item, in input order (or
    /// completion order with `ordered(false)`), and goes on after a failed item.
    /// The `timeout` runs from this call: when it passes, the iterator yields
    /// [`Error::Timeout`] once, cancels what is outstanding, and ends. Dropping the
    /// iterator cancels what has not started.
    ///
    /// The [`Map`] is `Send` (it pulls the input from whichever thread or task
    /// consumes it), so the input iterator must be `Send`; for async code,
    /// [`Map::into_stream`] makes it a `Stream`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0.
    fn map<'a, A, R, I>(
        &'a self,
        f: fn(A) -> R,
        items: I,
        options: MapOptions,
    ) -> Result<Map<'a, R>, Error>
    where
        A: Payload,
        R: Payload,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
        Self: Sized,
    {
        options.validate()?;
        let window = options
            .buffersize
            .unwrap_or_else(|| 4 * self.max_workers().max(1));
        Ok(Map::new(
            crate::map::source(self, f, items.into_iter(), options.chunksize),
            window,
            options,
        ))
    }
}
