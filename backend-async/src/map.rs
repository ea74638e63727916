//! [`AsyncPool::map`]: `map` over closures on the executor threads — the
//! trait's lazy, windowed `map` for any `Fn(A) -> R`, not only a
//! `fn(A) -> R` with serde types.
//!
//! It is core's [`map_closure`] (window, order, chunks, deadline, failure per
//! item, cancellation on drop), on tasks spawned as `async` blocks that call
//! the shared function. As an
//! inherent method it is what an `AsyncPool` answers to even with
//! [`Executor`](concur_core::Executor) in scope; it takes everything the trait's `map` takes
//! (every [`TaskFn`](concur_core::TaskFn), functions of up to four arguments
//! included, is a [`ClosureFn`]), and code generic over `E: Executor` still
//! calls the trait's.

use concur_core::backend::{SpawnClosure, map_closure};
use concur_core::{ClosureFn, Error, Future, Map, MapOptions};

use crate::AsyncPool;

impl AsyncPool {
    /// Applies `f` to every item on the executor threads, lazily: Python's
    /// `executor.map(f, items)` for any closure, capturing what it likes; its
    /// arguments and result need only be `Send`. `f` takes up to four
    /// arguments, each item the tuple of them, as for the trait's `map`
    /// ([`ClosureFn`]): `pool.map(add, pairs, ..)` calls `add(a, b)`.
    ///
    /// The semantics are [`Executor::map`](concur_core::Executor::map)'s: at most `buffersize` tasks in
    /// flight ahead of the consumer (default: 4 × `max_workers`), `chunksize`
    /// items per task, one `Result` per item in input order (or completion
    /// order with `ordered(false)`), a panic failing its item alone; when the
    /// `timeout` (from this call) passes, one [`Error::Timeout`], the
    /// outstanding tasks cancelled, and the end; dropping it cancels what has
    /// not started. For async code, [`Map::into_stream`] makes it a `Stream`
    /// that no thread blocks on.
    ///
    /// `f` runs on an executor thread as `submit`ted functions do: a blocking
    /// `f` holds its thread (see [`to_thread`](crate::to_thread)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0;
    /// [`Error::Shutdown`] after [`shutdown`](concur_core::Executor::shutdown), as `submit`
    /// — unless the input is empty, which submits nothing (as Python's `map`).
    ///
    /// ```
    /// use concur_async::AsyncPool;
    /// use concur_core::MapOptions;
    /// use futures_lite::StreamExt;
    ///
    /// let pool = AsyncPool::new(2)?;
    /// let greeting = String::from("hello");
    /// let lines = pool
    ///     .map(move |name: &str| format!("{greeting}, {name}"), ["ann", "bo"], MapOptions::new())?
    ///     .into_stream();
    /// let lines: Vec<String> = smol::block_on(lines.map(|r| r.unwrap()).collect());
    /// assert_eq!(lines, ["hello, ann", "hello, bo"]);
    ///
    /// // Several arguments: each item is their tuple, as for `Executor::map`.
    /// fn add(a: u64, b: u64) -> u64 { a + b }
    /// let sums = pool.map(add, [(1, 2), (3, 4)], MapOptions::new())?.into_stream();
    /// let sums: Vec<u64> = smol::block_on(sums.map(|r| r.unwrap()).collect());
    /// assert_eq!(sums, [3, 7]);
    /// # Ok::<(), concur_core::Error>(())
    /// ```
    pub fn map<'a, A, R, F, M, I>(
        &'a self,
        f: F,
        items: I,
        options: MapOptions,
    ) -> Result<Map<'a, R, I::IntoIter>, Error>
    where
        F: ClosureFn<A, R, M>,
        A: Send + 'static,
        R: Send + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
    {
        map_closure(self, f, items, options)
    }
}

/// How [`map_closure`] starts a task here: an `async` block that calls the
/// closure, [`spawn`](AsyncPool::spawn)ed.
impl SpawnClosure for AsyncPool {
    #[inline]
    fn spawn_closure<R, F>(&self, job: F) -> Future<R>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        self.spawn(async move { job() })
    }
}
