//! [`ThreadPool::map`]: `map` over closures — Python's `executor.map(fn, items)`
//! where `fn` is anything callable, not only a `fn(A) -> R` with serde types.
//!
//! It is core's [`map_closure`] (the window, order, chunks, deadline, failure
//! per item and cancellation on drop of [`Executor::map`](concur_core::Executor::map)), on tasks this pool
//! [`spawn`](ThreadPool::spawn)s: the function is shared by every task
//! through one `Arc`, and a chunk runs it in one loop it is inlined into.
//!
//! Being inherent, it is the `map` a `ThreadPool` answers to even with
//! [`Executor`](concur_core::Executor) in scope; it takes everything the trait's `map` takes (a
//! `fn(A) -> R` is such a closure) and yields the same items. Code generic
//! over `E: Executor` still calls the trait's.

use concur_core::backend::{SpawnClosure, map_closure};
use concur_core::{Error, Future, Map, MapOptions};

use crate::ThreadPool;

impl ThreadPool {
    /// Applies `f` to every item on the pool, lazily: Python's
    /// `executor.map(f, items)` for any closure, capturing what it likes —
    /// its argument and result need only be `Send`, with no serde bound, so
    /// an error type such as an HTTP client's comes back as it is.
    ///
    /// The semantics are [`Executor::map`](concur_core::Executor::map)'s: at most `buffersize` tasks in
    /// flight ahead of the consumer (default: 4 × `max_workers`), `chunksize`
    /// items per task, one `Result` per item in input order (or completion
    /// order with `ordered(false)`), a panic failing its item alone with
    /// [`Error::Panicked`]; when the `timeout` (from this call) passes, the
    /// iterator yields [`Error::Timeout`] once, cancels what is outstanding and
    /// ends; dropping it cancels what has not started.
    /// [`Map::into_stream`] makes it a `Stream`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0;
    /// [`Error::Shutdown`] after [`shutdown`](concur_core::Executor::shutdown), as
    /// `submit` ([`Error::Broken`] if an initializer panicked) — unless the
    /// input is empty, which submits nothing (as Python's `map`).
    ///
    /// ```
    /// use concur_core::MapOptions;
    /// use concur_threads::ThreadPool;
    /// use std::collections::HashMap;
    ///
    /// // State the function captures, and an error type that is not `Serialize`.
    /// let prices = HashMap::from([("apple", 3), ("pear", 5)]);
    /// let pool = ThreadPool::new(2)?;
    /// let found: Vec<Result<u32, String>> = pool
    ///     .map(
    ///         move |name: &str| prices.get(name).copied().ok_or(format!("no price for {name}")),
    ///         ["pear", "plum", "apple"],
    ///         MapOptions::new(),
    ///     )?
    ///     .map(|r| r.expect("the function does not panic"))
    ///     .collect();
    /// assert_eq!(found, [Ok(5), Err("no price for plum".to_owned()), Ok(3)]);
    /// # Ok::<(), concur_core::Error>(())
    /// ```
    pub fn map<'a, A, R, F, I>(
        &'a self,
        f: F,
        items: I,
        options: MapOptions,
    ) -> Result<Map<'a, R, I::IntoIter>, Error>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        A: Send + 'static,
        R: Send + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
    {
        map_closure(self, f, items, options)
    }
}

/// How [`map_closure`] starts a task here: [`spawn`](ThreadPool::spawn).
impl SpawnClosure for ThreadPool {
    #[inline]
    fn spawn_closure<R, F>(&self, job: F) -> Future<R>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        self.spawn_inner(job, false)
    }
}
