//! The [`Executor`] trait every backend implements, and its options.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Future, Map};

/// What a task's argument and result must be to run on every backend, processes
/// included (Python's rule: a picklable function and arguments): serializable,
/// owned, and shareable between threads.
pub trait Payload: Serialize + DeserializeOwned + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + Send + Sync + 'static> Payload for T {}

/// The outcome of a chunk of `map` items run as one task: one result per item.
pub type ChunkResult<R> = Vec<Result<R, Error>>;

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
pub trait Executor {
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

    /// Applies `f` to every item, lazily: at most `buffersize` tasks are in
    /// flight ahead of the consumer (default: 4 × [`max_workers`](Executor::max_workers)),
    /// `chunksize` items per task. Yields one `Result` per item, in input order (or
    /// completion order with `ordered(false)`), and goes on after a failed item.
    /// The `timeout` runs from this call: when it passes, the iterator yields
    /// [`Error::Timeout`] once, cancels what is outstanding, and ends. Dropping the
    /// iterator cancels what has not started.
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
        I::IntoIter: 'a,
        Self: Sized,
    {
        options.validate()?;
        let window = options
            .buffersize
            .unwrap_or_else(|| 4 * self.max_workers().max(1));
        let chunksize = options.chunksize;
        let mut iter = items.into_iter();
        let source: crate::map::Source<'a, R> = if chunksize == 1 {
            Box::new(move || {
                iter.next()
                    .map(|a| crate::map::Task::Single(self.submit(f, a)))
            })
        } else {
            Box::new(move || {
                let chunk: Vec<A> = iter.by_ref().take(chunksize).collect();
                let len = chunk.len();
                (len > 0).then(|| crate::map::Task::Chunk(self.submit_chunk(f, chunk), len))
            })
        };
        Ok(Map::new(source, window, options))
    }
}

/// Options of [`Executor::map`], built by chaining:
///
/// ```
/// use concur_core::MapOptions;
/// use std::time::Duration;
/// let o = MapOptions::new().chunksize(100).buffersize(8).ordered(false).timeout(Duration::from_secs(5));
/// assert_eq!(o.chunksize, 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapOptions {
    /// Deadline for the whole map, from the call. `None`: no deadline.
    pub timeout: Option<Duration>,
    /// Items per task (at least 1). Larger chunks cut per-task overhead.
    pub chunksize: usize,
    /// Tasks in flight ahead of the consumer (at least 1). `None`: 4 × workers.
    pub buffersize: Option<usize>,
    /// Input order (true, the default) or completion order (false, `imap_unordered`).
    pub ordered: bool,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            timeout: None,
            chunksize: 1,
            buffersize: None,
            ordered: true,
        }
    }
}

impl MapOptions {
    /// The defaults: no timeout, `chunksize` 1, default window, input order.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the deadline for the whole map.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the items per task.
    pub fn chunksize(mut self, chunksize: usize) -> Self {
        self.chunksize = chunksize;
        self
    }

    /// Sets the number of tasks in flight ahead of the consumer.
    pub fn buffersize(mut self, buffersize: usize) -> Self {
        self.buffersize = Some(buffersize);
        self
    }

    /// Input order (`true`) or completion order (`false`).
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// Checks the values.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0.
    pub fn validate(&self) -> Result<(), Error> {
        if self.chunksize == 0 {
            return Err(Error::invalid_config("map: chunksize must be at least 1"));
        }
        if self.buffersize == Some(0) {
            return Err(Error::invalid_config("map: buffersize must be at least 1"));
        }
        Ok(())
    }
}

/// A snapshot of an executor's task counters. Tasks are counted as submitted
/// (a `map` chunk is one task); at any moment
/// `submitted == queued + running + completed + failed + cancelled`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Tasks accepted.
    pub submitted: u64,
    /// Accepted, not yet started.
    pub queued: u64,
    /// Started, not yet finished.
    pub running: u64,
    /// Finished with a value.
    pub completed: u64,
    /// Finished with an error (panic, lost worker, timeout, ...).
    pub failed: u64,
    /// Cancelled before they started (counted when the executor drops them).
    pub cancelled: u64,
    /// Live workers (threads or processes).
    pub workers: usize,
}
