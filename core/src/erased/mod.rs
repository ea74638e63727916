//! [`TaskObj`]: one task with its types erased, what [`Executor::submit_task`]
//! takes, so that `dyn Executor` exists and `concur::Pool` can hold any
//! backend, ours or a third party's.
//!
//! A `TaskObj` is made where the types are known — in the generic
//! [`Executor::submit`] / [`submit_chunk`](Executor::submit_chunk) — and
//! carries everything either kind of backend needs, monomorphized there:
//!
//! - an **in-process** backend (threads, async, a third party's) runs it where
//!   it is: [`run`](TaskObj::run) is the shared task body
//!   ([`backend::task::run`](crate::backend::task::run): mark running, call,
//!   catch the panic, count, complete), [`cancel`](TaskObj::cancel) and
//!   [`fail`](TaskObj::fail) the two ways a queued task ends unrun. Values
//!   stay in memory: nothing is serialized.
//! - an **out-of-process** backend (processes, MPI) takes it apart with
//!   [`into_remote`](TaskObj::into_remote): a [`RemoteTask`] holds the function
//!   and a remote runner (addresses in this binary, for a worker that runs
//!   the same binary), the argument as an erased `Serialize` its codec
//!   encodes, and a [`RemoteResult`] that decodes the result in the parent as
//!   the type known at submit, from a deserializer the codec bounds. The
//!   worker decodes the argument and encodes the result with the same codec
//!   (see `remote.rs`): the type chosen at submit is the only one either side
//!   ever decodes, and no address a worker sends is ever called.
//!
//! [`Executor::submit_task`]: crate::Executor::submit_task
//! [`Executor::submit`]: crate::Executor::submit
//! [`Executor`]: crate::Executor

use std::fmt;
use std::marker::PhantomData;

use crate::backend::{ChunkResult, run_chunk, task};
use crate::{AnyFuture, Error, Future, Payload, Promise, StatsCounter};

mod remote;
mod wire;

pub use remote::{Encode, Prepared, RemoteCall, RemoteResult, RemoteTask};
pub use wire::{ArgSeed, ResultSeed, WireArg};

/// What a task computes from its function: one call, or a chunk of calls
/// (`submit_chunk`). Monomorphized with the task, so the remote runner of a
/// worker knows it without being told.
pub(crate) trait Shape<A: Payload, R: Payload>: Send + 'static {
    /// The argument that travels: an `A`, or a `Vec<A>`.
    type Input: Payload;
    /// The value that comes back: an `R`, or a [`ChunkResult<R>`].
    type Output: Payload;
    /// Runs `f` over `input`; a panic of one call of a chunk fails that item only.
    fn call(f: fn(A) -> R, input: Self::Input) -> Self::Output;
}

/// `f(arg)`.
pub(crate) struct One;

/// `f` over every item, each failing alone ([`run_chunk`]).
pub(crate) struct Chunk;

impl<A: Payload, R: Payload> Shape<A, R> for One {
    type Input = A;
    type Output = R;
    fn call(f: fn(A) -> R, input: A) -> R {
        f(input)
    }
}

impl<A: Payload, R: Payload> Shape<A, R> for Chunk {
    type Input = Vec<A>;
    type Output = ChunkResult<R>;
    fn call(f: fn(A) -> R, input: Vec<A>) -> ChunkResult<R> {
        run_chunk(f, input)
    }
}

/// The operations of a task whose types are erased.
trait Erased: Send {
    fn run(self: Box<Self>, stats: &StatsCounter) -> bool;
    fn cancel(self: Box<Self>, stats: &StatsCounter);
    fn fail(self: Box<Self>, stats: &StatsCounter, error: Error);
    fn future(&self) -> AnyFuture;
    fn into_remote(self: Box<Self>) -> RemoteTask;
}

/// A task of known types: the function, its input, the promise of its output.
struct Typed<A: Payload, R: Payload, S: Shape<A, R>> {
    f: fn(A) -> R,
    input: S::Input,
    promise: Promise<S::Output>,
    _shape: PhantomData<fn() -> S>,
}

impl<A: Payload, R: Payload, S: Shape<A, R>> Erased for Typed<A, R, S> {
    fn run(self: Box<Self>, stats: &StatsCounter) -> bool {
        let Typed {
            f, input, promise, ..
        } = *self;
        task::run(promise, stats, move || S::call(f, input))
    }

    fn cancel(self: Box<Self>, stats: &StatsCounter) {
        task::cancel(self.promise, stats);
    }

    fn fail(self: Box<Self>, stats: &StatsCounter, error: Error) {
        task::fail(self.promise, stats, error);
    }

    fn future(&self) -> AnyFuture {
        self.promise.future().as_any()
    }

    fn into_remote(self: Box<Self>) -> RemoteTask {
        let Typed {
            f, input, promise, ..
        } = *self;
        RemoteTask::new::<A, R, S>(f, input, promise)
    }
}

/// One task with its argument and result types erased: what
/// [`Executor::submit_task`](crate::Executor::submit_task) takes.
///
/// The generic methods of [`Executor`](crate::Executor) make one (one
/// allocation) and hand it to the backend, which either runs it in process
/// ([`run`](TaskObj::run), [`cancel`](TaskObj::cancel),
/// [`fail`](TaskObj::fail), each exactly once) or sends it to another process
/// ([`into_remote`](TaskObj::into_remote)). A `TaskObj` dropped unrun
/// cancels its future.
///
/// ```
/// use concur_core::backend::TaskObj;
/// use concur_core::StatsCounter;
///
/// fn double(x: u32) -> u32 { 2 * x }
///
/// let stats = StatsCounter::default();
/// let (task, future) = TaskObj::new(double, 21);
/// assert!(!future.is_done());
/// assert!(task.run(&stats)); // what an in-process backend's worker does
/// assert_eq!(future.result(None), Ok(42));
/// assert_eq!(stats.snapshot(0).completed, 1);
/// ```
#[must_use = "a task does nothing unless a backend runs it; dropped, it cancels its future"]
pub struct TaskObj {
    inner: Box<dyn Erased>,
}

impl TaskObj {
    /// The task `f(arg)` and the future of its value.
    pub fn new<A: Payload, R: Payload>(f: fn(A) -> R, arg: A) -> (TaskObj, Future<R>) {
        let promise = Promise::new();
        let future = promise.future();
        let inner: Box<dyn Erased> = Box::new(Typed::<A, R, One> {
            f,
            input: arg,
            promise,
            _shape: PhantomData,
        });
        (TaskObj { inner }, future)
    }

    /// The task `f` over every item of `items`, each failing alone (what
    /// [`run_chunk`] does), and the future of the chunk's outcomes.
    pub fn chunk<A: Payload, R: Payload>(
        f: fn(A) -> R,
        items: Vec<A>,
    ) -> (TaskObj, Future<ChunkResult<R>>) {
        let promise = Promise::new();
        let future = promise.future();
        let inner: Box<dyn Erased> = Box::new(Typed::<A, R, Chunk> {
            f,
            input: items,
            promise,
            _shape: PhantomData,
        });
        (TaskObj { inner }, future)
    }

    /// Runs the task on this thread: marks it running (returning false,
    /// counted cancelled, if its future was cancelled while it waited), calls
    /// it with its panic caught as [`Error::Panicked`], counts the outcome in
    /// `stats`, completes the future — [`backend::task::run`](crate::backend::task::run).
    pub fn run(self, stats: &StatsCounter) -> bool {
        self.inner.run(stats)
    }

    /// Ends the task unrun: its future is cancelled, counted in `stats`
    /// (`shutdown(cancel_futures = true)`).
    pub fn cancel(self, stats: &StatsCounter) {
        self.inner.cancel(stats);
    }

    /// Ends the task unrun: its future fails with `error` (the pool broke),
    /// unless it was cancelled meanwhile.
    pub fn fail(self, stats: &StatsCounter, error: Error) {
        self.inner.fail(stats, error);
    }

    /// The task's future, type-erased (for a registry of pending futures).
    pub fn future(&self) -> AnyFuture {
        self.inner.future()
    }

    /// The task taken apart for a worker in another process running this
    /// same binary: see [`RemoteTask`].
    pub fn into_remote(self) -> RemoteTask {
        self.inner.into_remote()
    }
}

impl fmt::Debug for TaskObj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskObj")
            .field("future", &self.future())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(x: u32) -> u32 {
        2 * x
    }

    fn boom(_: ()) -> u8 {
        panic!("boom")
    }

    #[test]
    fn every_ending_completes_the_future_once() {
        let stats = StatsCounter::default();
        let (t, ok) = TaskObj::new(double, 4);
        assert!(t.run(&stats));
        assert_eq!(ok.result(None), Ok(8));

        let (t, panicked) = TaskObj::new(boom, ());
        assert!(t.run(&stats));
        assert!(matches!(panicked.result(None), Err(Error::Panicked { .. })));

        let (t, cancelled) = TaskObj::new(double, 1);
        t.cancel(&stats);
        assert_eq!(cancelled.result(None), Err(Error::Cancelled));

        let (t, failed) = TaskObj::new(double, 1);
        t.fail(&stats, Error::Shutdown);
        assert_eq!(failed.result(None), Err(Error::Shutdown));

        let (t, dropped) = TaskObj::new(double, 1);
        drop(t);
        assert_eq!(dropped.result(None), Err(Error::Cancelled));

        let (t, pre) = TaskObj::new(double, 1);
        assert!(pre.cancel());
        assert!(!t.run(&stats), "a cancelled task does not run");

        let s = stats.snapshot(0);
        assert_eq!((s.completed, s.failed, s.cancelled), (1, 2, 2));
    }

    #[test]
    fn a_chunk_fails_item_by_item() {
        fn half(x: u32) -> u32 {
            assert!(x.is_multiple_of(2), "odd");
            x / 2
        }
        let stats = StatsCounter::default();
        let (t, f) = TaskObj::chunk(half, vec![2, 3, 4]);
        assert!(t.future().same_as(&f.as_any()));
        assert!(t.run(&stats));
        let items = f.into_result().expect("the chunk ran").into_vec();
        assert_eq!(items[0], Ok(1));
        assert!(matches!(items[1], Err(Error::Panicked { .. })));
        assert_eq!(items[2], Ok(2));
    }
}
