//! The [`Executor`] trait every backend implements, and what a task is made
//! of ([`Payload`], [`ChunkResult`]).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Future, Map, MapOptions, Shutdown, Stats, TaskFn};

/// What a task's argument and result must be to run on every backend, processes
/// included (Python's rule: a picklable function and arguments): serializable,
/// owned, and sendable to another thread. Not `Sync`: a value is moved to the
/// task and back, never shared (a type with a `Cell` is fine).
pub trait Payload: Serialize + DeserializeOwned + Send + 'static {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Payload for T {}

use crate::backend::{ChunkResult, TaskObj};

/// A pool that runs tasks and hands back [`Future`]s: the common interface of the
/// thread, process and async backends (Python's `concurrent.futures.Executor`).
///
/// A task is a plain function of up to four [`Payload`] arguments (a `fn`
/// item, or a closure that captures nothing: [`TaskFn`]), so the same code
/// runs on every backend, including one whose workers are other processes. Backends add closures (and scoped closures) as inherent methods
/// where they can run them.
///
/// Implementors provide [`submit_task`](Executor::submit_task) (and
/// [`try_submit_task`](Executor::try_submit_task) if they bound their queue),
/// `max_workers`, `stats` and `shutdown`; `submit`, `try_submit`,
/// `submit_chunk` and `map` come for free. The conformance suite
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
/// # struct Inline(concur_core::StatsCounter);
/// # impl Executor for Inline {
/// #     fn submit_task(&self, task: concur_core::backend::TaskObj) -> Result<(), concur_core::Error> {
/// #         task.run(&self.0);
/// #         Ok(())
/// #     }
/// #     fn max_workers(&self) -> usize { 1 }
/// #     fn stats(&self) -> concur_core::Stats { self.0.snapshot(1) }
/// #     fn shutdown(&self, _wait: bool, _cancel: bool) {}
/// # }
/// assert_eq!(sum_of_squares(&Inline(Default::default()), 4), 0 + 1 + 4 + 9);
/// ```
///
/// An executor is `Sync`: one pool is shared by the threads that submit to it
/// (and a [`Map`] over it may be consumed on another thread), and a
/// `Box<dyn Executor + Send>` — what `concur::Pool` holds — is then `Send + Sync`.
///
/// # Dyn-compatible
///
/// The trait has two layers, as `Iterator` does: a dyn-compatible base over
/// type-erased tasks ([`submit_task`](Executor::submit_task),
/// [`try_submit_task`](Executor::try_submit_task), `max_workers`, `stats`,
/// `shutdown`), which is all a backend must write, and the generic methods
/// (`submit`, `try_submit`, `submit_chunk`, `map`), provided on top for every
/// implementor with `where Self: Sized`. So `dyn Executor` exists, and
/// `concur::Pool` holds any backend — ours or a third party's — chosen at run
/// time. A backend may override a generic method with a faster path of its
/// own (ours do: `submit` on the thread pool makes no [`TaskObj`]); it must
/// behave exactly as the provided one, which the conformance suite run
/// through `concur::Pool` checks.
///
/// ```
/// use concur_core::backend::TaskObj;
/// use concur_core::{Error, Executor, Stats, StatsCounter};
///
/// /// Runs every task at once, on the caller's thread.
/// #[derive(Default)]
/// struct Inline(StatsCounter);
///
/// impl Executor for Inline {
///     fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
///         self.0.submitted();
///         task.run(&self.0);
///         Ok(())
///     }
///     fn max_workers(&self) -> usize { 1 }
///     fn stats(&self) -> Stats { self.0.snapshot(1) }
///     fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
/// }
///
/// fn add_one(x: u64) -> u64 { x + 1 }
///
/// // Chosen at run time, behind a pointer:
/// let pool: Box<dyn Executor + Send> = Box::new(Inline::default());
/// let (task, future) = TaskObj::new(add_one, 41);
/// pool.submit_task(task)?;
/// assert_eq!(future.result(None)?, 42);
/// assert_eq!(pool.stats().completed, 1);
///
/// // And every generic method on the concrete type:
/// assert_eq!(Inline::default().submit(add_one, 1).result(None)?, 2);
/// # Ok::<(), Error>(())
/// ```
pub trait Executor: Sync {
    /// Schedules a type-erased task: the one method a backend must write to
    /// accept work (the generic methods make the [`TaskObj`] and call it).
    /// An in-process backend runs it with [`TaskObj::run`]; an
    /// out-of-process one sends it with [`TaskObj::into_remote`].
    ///
    /// Never blocks on a full queue.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] after [`shutdown`](Executor::shutdown),
    /// [`Error::Encode`] when an out-of-process backend cannot serialize the
    /// argument; the task is dropped (its future is not handed out).
    fn submit_task(&self, task: TaskObj) -> Result<(), Error>;

    /// As [`submit_task`](Executor::submit_task), but refuses instead of
    /// queueing beyond the pool's `max_queued` bound. The default has no bound
    /// and submits: a backend with a bound overrides it.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when the bound is reached, and as `submit_task`.
    fn try_submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.submit_task(task)
    }

    /// Schedules `f` called with `args` and returns its future: `args` is
    /// the one argument of a one-argument function (`submit(square, 5)`) or
    /// the tuple of a function of two to four (`submit(add, (1, 2))` calls
    /// `add(1, 2)`), `()` for none ([`TaskFn`]).
    ///
    /// `f` is a `fn` item, a closure or a fn pointer (`Copy + Send + Sync +
    /// 'static`; the third type parameter is inferred, never written).
    /// Backends in this process call it as it is. A backend whose workers
    /// are other processes (processes, MPI) sends it as an address in the
    /// binary: fn items, closures that capture nothing and fn pointers
    /// cross; a closure that captures values cannot (what it captured lives
    /// here), so its future fails with [`Error::Encode`], whose message says
    /// to pass the captured values as arguments.
    ///
    /// Never blocks on a full queue and never panics: a task that cannot be
    /// accepted gets a future that is already failed — [`Error::Shutdown`] after
    /// [`shutdown`](Executor::shutdown), [`Error::Encode`] when a process backend
    /// cannot serialize `args` (on the caller's thread, at submit time).
    ///
    /// ```
    /// # use concur_core::backend::TaskObj;
    /// # use concur_core::{Error, Stats, StatsCounter};
    /// use concur_core::Executor;
    /// # #[derive(Default)]
    /// # struct Inline(StatsCounter);
    /// # impl Executor for Inline {
    /// #     fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
    /// #         task.run(&self.0);
    /// #         Ok(())
    /// #     }
    /// #     fn max_workers(&self) -> usize { 1 }
    /// #     fn stats(&self) -> Stats { self.0.snapshot(1) }
    /// #     fn shutdown(&self, _wait: bool, _cancel: bool) {}
    /// # }
    ///
    /// fn add(a: u64, b: u64) -> u64 { a + b }
    /// fn square(x: u64) -> u64 { x * x }
    /// fn volume(w: u64, h: u64, d: u64) -> u64 { w * h * d }
    ///
    /// # let pool = Inline::default();
    /// assert_eq!(pool.submit(add, (1, 2)).result(None)?, 3);
    /// assert_eq!(pool.submit(square, 5).result(None)?, 25);
    /// assert_eq!(pool.submit(volume, (2, 3, 4)).result(None)?, 24);
    /// let f: fn(u64, u64) -> u64 = add; // a fn pointer works too
    /// assert_eq!(pool.submit(f, (4, 5)).result(None)?, 9);
    /// # Ok::<(), Error>(())
    /// ```
    fn submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(&self, f: F, args: A) -> Future<R>
    where
        Self: Sized,
    {
        handed(TaskObj::new(f, args), |task| self.submit_task(task))
    }

    /// As [`submit`](Executor::submit), but refuses instead of queueing beyond the
    /// pool's `max_queued` bound.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] when the bound is reached, [`Error::Shutdown`] after shutdown.
    fn try_submit<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        args: A,
    ) -> Result<Future<R>, Error>
    where
        Self: Sized,
    {
        let (task, future) = TaskObj::new(f, args);
        self.try_submit_task(task).map(|()| future)
    }

    /// Schedules `f` over every item of `items` as one task (what `map` does with a
    /// `chunksize`); each item fails alone. [`run_chunk`](crate::run_chunk) is the
    /// body a backend runs. An item is `f`'s argument, or the tuple of its
    /// arguments, as for [`submit`](Executor::submit).
    fn submit_chunk<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
        &self,
        f: F,
        items: Vec<A>,
    ) -> Future<ChunkResult<R>>
    where
        Self: Sized,
    {
        handed(TaskObj::chunk(f, items), |task| self.submit_task(task))
    }

    /// The most tasks this executor runs at once.
    fn max_workers(&self) -> usize;

    /// The tasks [`map`](Executor::map) keeps in flight ahead of its consumer
    /// when its options set no `buffersize`: 4 × [`max_workers`](Executor::max_workers)
    /// unless the backend knows better. The process pool asks for more: a
    /// task's round trip to a worker process is long next to its run, and the
    /// workers idle whenever the consumer is away for longer than the window
    /// lasts.
    fn map_window(&self) -> usize {
        4 * self.max_workers().max(1)
    }

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
    /// The [`Map`] pulls the input from whichever thread or task consumes it:
    /// it is `Send` when the input iterator is, so a map over a `Send` input
    /// can move to another thread or, through [`Map::into_stream`], be a
    /// `Stream` on a multi-threaded runtime; a map over an input that is not
    /// `Send` (one that borrows an `Rc`) works too, on the thread that made it.
    ///
    /// An item is `f`'s argument, or the tuple of its arguments, as for
    /// [`submit`](Executor::submit) (Python's `map(fn, *iterables)` is
    /// `map(add, xs.zip(ys), ..)`), and `f` crosses to worker processes as
    /// it does there.
    ///
    /// ```compile_fail,E0277
    /// # use concur_core::{Executor, MapOptions};
    /// # fn double(x: u64) -> u64 { 2 * x }
    /// fn on_another_thread(pool: &impl Executor) {
    ///     let offset = std::rc::Rc::new(10u64);
    ///     let input = (0..3u64).map(move |x| x + *offset); // owns an `Rc`
    ///     let map = pool.map(double, input, MapOptions::new()).unwrap();
    ///     std::thread::scope(|s| {
    ///         s.spawn(move || map.count()); // the input borrows an `Rc`: not `Send`
    ///     });
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0;
    /// [`Error::Shutdown`] (or [`Error::Broken`]) when the executor no longer
    /// accepts work, as `try_submit` would say (an empty input submits nothing
    /// and is not refused).
    fn map<'a, F, A, R, M, I>(
        &'a self,
        f: F,
        items: I,
        options: MapOptions,
    ) -> Result<Map<'a, R, I::IntoIter>, Error>
    where
        F: TaskFn<A, R, M>,
        A: Payload,
        R: Payload,
        I: IntoIterator<Item = A>,
        I::IntoIter: 'a,
        Self: Sized,
    {
        options.validate()?;
        let window = options.buffersize.unwrap_or_else(|| self.map_window());
        Map::new(
            crate::map::Source::new(self, f, items.into_iter(), options.chunksize),
            window,
            options,
        )
        .or_refused()
    }
}

/// Hands a new task to `submit` (an executor's `submit_task`) and returns
/// its future, or one already failed with the refusal (the executor dropped
/// the task): what the provided `submit` and `submit_chunk` share.
/// (`try_submit` hands the refusal back instead: `Result::map`.)
#[inline(always)]
fn handed<R: Send + 'static>(
    (task, future): (TaskObj, Future<R>),
    submit: impl FnOnce(TaskObj) -> Result<(), Error>,
) -> Future<R> {
    match submit(task) {
        Ok(()) => future,
        Err(e) => Future::failed(e),
    }
}
