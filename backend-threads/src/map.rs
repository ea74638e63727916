//! [`ThreadPool::map`]: `map` over closures — Python's `executor.map(fn, items)`
//! where `fn` is anything callable, not only a `fn(A) -> R` with serde types.
//!
//! It is core's [`map_closure`] (the window, order, chunks, deadline, failure
//! per item and cancellation on drop of [`Executor::map`](concur_core::Executor::map)), on tasks this pool
//! [`spawn`](ThreadPool::spawn)s: the function is shared by every task
//! through one `Arc`, and a chunk runs it in one loop it is inlined into.
//!
//! Being inherent, it is the `map` a `ThreadPool` answers to even with
//! [`Executor`](concur_core::Executor) in scope; it takes everything the trait's `map` takes
//! (every [`TaskFn`](concur_core::TaskFn), functions of up to four arguments
//! included, is a [`ClosureFn`]) and yields the same items. Code generic
//! over `E: Executor` still calls the trait's.

use concur_core::backend::{SpawnClosure, map_closure};
use concur_core::{ClosureFn, Error, Future, Map, MapOptions};

use crate::ThreadPool;

impl ThreadPool {
    /// Applies `f` to every item on the pool, lazily: Python's
    /// `executor.map(f, items)` for any closure, capturing what it likes —
    /// its argument and result need only be `Send`, with no serde bound, so
    /// an error type such as an HTTP client's comes back as it is. `f` takes
    /// up to four arguments, each item the tuple of them, as for the trait's
    /// `map` ([`ClosureFn`]): `pool.map(add, pairs, ..)` calls `add(a, b)`.
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
    /// The thread iterating the map (in input order, with no `timeout`) does
    /// not wait for a worker to start a chunk: when its next chunk is not
    /// done, it runs the chunks no worker has started itself, so `f` may run
    /// on that thread as well as on the workers.
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
    ///
    /// // Several arguments: each item is their tuple, as for `Executor::map`.
    /// fn add(a: u64, b: u64) -> u64 { a + b }
    /// let sums: Vec<u64> = pool
    ///     .map(add, [(1, 2), (3, 4)], MapOptions::new())?
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(sums, [3, 7]);
    /// let unit = String::from("kg"); // captured: a closure that is not `Copy`
    /// let weigh = move |n: u32, each: u32| format!("{} {unit}", n * each);
    /// let weights: Vec<String> = pool
    ///     .map(weigh, [(2, 5), (3, 1)], MapOptions::new())?
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(weights, ["10 kg", "3 kg"]);
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

    /// Yes: the consumer of a map runs a chunk no worker has started rather
    /// than wait for one to wake up or be scheduled (see BENCH.md, "W2 and
    /// the consumer's waits"). It then does what a worker does, on the
    /// same items, with the same failure per item.
    #[inline]
    fn caller_runs_unstarted_chunks(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use concur_core::{Executor, MapOptions};

    use crate::ThreadPool;

    fn volume(w: u64, h: u64, d: u64) -> u64 {
        w * h * d
    }

    /// The concrete pool's `map` takes what the trait's takes, functions of
    /// several arguments included, and yields the same items.
    #[test]
    fn the_inherent_map_takes_every_task_fn_the_trait_map_takes() {
        let pool = ThreadPool::new(2).expect("a pool");
        let items = || (1..20u64).map(|i| (i, i + 1, 2));
        for chunksize in [1, 4] {
            let options = MapOptions::new().chunksize(chunksize);
            let inherent: Vec<_> = pool.map(volume, items(), options).expect("valid").collect();
            let trait_map = Executor::map(&pool, volume, items(), options).expect("valid");
            assert_eq!(
                inherent,
                trait_map.collect::<Vec<_>>(),
                "chunksize {chunksize}"
            );
            assert_eq!(inherent[2], Ok(3 * 4 * 2));
        }
        let base = String::from("100"); // not `Copy`: only the inherent map takes it
        let offset = move |a: u64, b: u64| base.parse::<u64>().unwrap() + a * b;
        let got: Vec<_> = pool
            .map(offset, [(2, 3), (4, 5)], MapOptions::new())
            .expect("valid")
            .collect();
        assert_eq!(got, [Ok(106), Ok(120)]);
    }
}
