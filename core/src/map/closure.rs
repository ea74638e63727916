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
    /// the blocking iterator in input order without a `timeout` does this (a
    /// chunk run there could not be cut short at the deadline); completion
    /// order and the stream never do.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::TaskObj;
    use crate::{Promise, Stats};
    use std::sync::Mutex;
    use std::sync::mpsc;
    use std::thread::{self, ThreadId};

    type Held = Box<dyn FnOnce() + Send>;

    /// A pool whose first task runs on a thread of its own, and has started
    /// when `spawn_closure` returns; every later task is held, unstarted,
    /// until the test runs it.
    #[derive(Default)]
    struct FirstOnly {
        spawned: Mutex<usize>,
        held: Mutex<Vec<Held>>,
        started: Mutex<Option<mpsc::Receiver<()>>>,
        worker: Mutex<Option<thread::JoinHandle<()>>>,
    }

    impl Executor for FirstOnly {
        fn submit_task(&self, _task: TaskObj) -> Result<(), Error> {
            unreachable!("only closures are spawned")
        }
        fn max_workers(&self) -> usize {
            1
        }
        fn stats(&self) -> Stats {
            Stats::default()
        }
        fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
    }

    impl SpawnClosure for FirstOnly {
        fn spawn_closure<R, F>(&self, job: F) -> Future<R>
        where
            R: Send + 'static,
            F: FnOnce() -> R + Send + 'static,
        {
            let promise = Promise::new();
            let future = promise.future();
            let run = move || {
                promise.set_result(job());
            };
            let mut spawned = self.spawned.lock().unwrap();
            *spawned += 1;
            if *spawned == 1 {
                *self.worker.lock().unwrap() = Some(thread::spawn(run));
                // The task's first item tells when it runs.
                let started = self.started.lock().unwrap().take().expect("a signal");
                started.recv().unwrap();
            } else {
                self.held.lock().unwrap().push(Box::new(run));
            }
            future
        }

        fn caller_runs_unstarted_chunks(&self) -> bool {
            true
        }
    }

    #[test]
    fn the_consumer_runs_the_farthest_unstarted_chunk_while_a_worker_runs_the_head() {
        let pool = FirstOnly::default();
        let (started, on_start) = mpsc::channel();
        *pool.started.lock().unwrap() = Some(on_start);
        let (release, on_release) = mpsc::channel::<()>();
        let on_release = Mutex::new(on_release);
        let release = Mutex::new(release);
        let ran: Arc<Mutex<Vec<(u32, ThreadId)>>> = Arc::default();
        let log = Arc::clone(&ran);
        // Chunks of 2, a window of 4: chunk 0 on the worker, blocked in item
        // 0 until chunk 1 (the last the consumer reaches) releases it.
        let out: Vec<u32> = map_closure(
            &pool,
            move |x: u32| {
                log.lock().unwrap().push((x, thread::current().id()));
                if x == 0 {
                    started.send(()).unwrap();
                    on_release.lock().unwrap().recv().unwrap();
                }
                if x == 2 {
                    release.lock().unwrap().send(()).unwrap();
                }
                x * 10
            },
            0..12,
            MapOptions::new().chunksize(2).buffersize(4),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
        assert_eq!(out, (0..12).map(|x| x * 10).collect::<Vec<_>>());
        let worker = pool.worker.lock().unwrap().take().unwrap();
        let worker_id = worker.thread().id();
        worker.join().unwrap();
        let ran = ran.lock().unwrap().clone();
        let me = thread::current().id();
        // The worker ran chunk 0; the consumer ran chunks 3, 2, 1 (farthest
        // first) while it waited, then each later one as it became the head.
        let by = |who: ThreadId| -> Vec<u32> {
            ran.iter()
                .filter(|&&(_, t)| t == who)
                .map(|&(x, _)| x)
                .collect()
        };
        assert_eq!(by(worker_id), [0, 1]);
        assert_eq!(by(me), [6, 7, 4, 5, 2, 3, 8, 9, 10, 11]);
        // The held tasks, run now, find their items gone: nothing runs twice.
        for held in pool.held.lock().unwrap().drain(..) {
            held();
        }
        assert_eq!(ran.len(), 12);
    }
}
