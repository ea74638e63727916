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
use crate::{AnyFuture, Error, Future, Payload, Promise, StatsCounter, TaskFn};

mod remote;
mod trampoline;
mod wire;

pub use remote::{
    Encode, Prepared, RemoteCall, RemoteResult, RemoteTask, fn_address, fn_from_address,
};
pub use trampoline::{
    ErasedWire, Trampoline, WorkerCodec, address_of, call_trampoline, chunk_trampoline,
    erased_trampoline, invoke, offset_of, renamed,
};
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
    fn call(f: impl Fn(A) -> R, input: Self::Input) -> Self::Output;
}

/// `f(arg)`.
pub(crate) struct One;

/// `f` over every item, each failing alone ([`run_chunk`]).
pub(crate) struct Chunk;

impl<A: Payload, R: Payload> Shape<A, R> for One {
    type Input = A;
    type Output = R;
    fn call(f: impl Fn(A) -> R, input: A) -> R {
        f(input)
    }
}

impl<A: Payload, R: Payload> Shape<A, R> for Chunk {
    type Input = Vec<A>;
    type Output = ChunkResult<R>;
    fn call(f: impl Fn(A) -> R, input: Vec<A>) -> ChunkResult<R> {
        run_chunk(f, input)
    }
}

/// The operations of a task whose types are erased.
trait Erased: Send {
    fn run(self: Box<Self>, stats: &StatsCounter) -> bool;
    fn cancel(self: Box<Self>, stats: &StatsCounter);
    fn fail(self: Box<Self>, stats: &StatsCounter, error: Error);
    fn future(&self) -> AnyFuture;
    fn into_remote(self: Box<Self>) -> Result<RemoteTask, Error>;
}

/// A task of known types: the function, its input, the promise of its
/// output, and the two uses of its [`TaskFn`] impl as fn pointers (so that
/// the impl's marker, never `'static`-bounded, is not part of the type).
struct Typed<F, A: Payload, R: Payload, S: Shape<A, R>> {
    f: F,
    input: S::Input,
    promise: Promise<S::Output>,
    call: fn(F, A) -> R,
    remote: ToRemote<F, S::Input, S::Output>,
    _shape: PhantomData<fn() -> S>,
}

/// [`RemoteTask::new`] for one function type and shape.
type ToRemote<F, I, O> = fn(F, I, Promise<O>) -> Result<RemoteTask, Error>;

/// The task of `f` over `input` in shape `S`, and its future.
fn typed<F, A, R, M, S>(f: F, input: S::Input) -> (TaskObj, Future<S::Output>)
where
    F: TaskFn<A, R, M>,
    A: Payload,
    R: Payload,
    S: Shape<A, R>,
{
    let promise = Promise::new();
    let future = promise.future();
    let inner: Box<dyn Erased> = Box::new(Typed::<F, A, R, S> {
        f,
        input,
        promise,
        call: F::call,
        remote: RemoteTask::new::<F, A, R, M, S>,
        _shape: PhantomData,
    });
    (TaskObj { inner }, future)
}

impl<F, A, R, S> Erased for Typed<F, A, R, S>
where
    F: Copy + Send + 'static,
    A: Payload,
    R: Payload,
    S: Shape<A, R>,
{
    fn run(self: Box<Self>, stats: &StatsCounter) -> bool {
        let Typed {
            f,
            input,
            promise,
            call,
            ..
        } = *self;
        task::run(promise, stats, move || S::call(|a| call(f, a), input))
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

    fn into_remote(self: Box<Self>) -> Result<RemoteTask, Error> {
        let Typed {
            f,
            input,
            promise,
            remote,
            ..
        } = *self;
        remote(f, input, promise)
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
    /// The task `f(args)` and the future of its value: `args` is the
    /// function's one argument, or a tuple of its arguments ([`TaskFn`]).
    pub fn new<F, A, R, M>(f: F, args: A) -> (TaskObj, Future<R>)
    where
        F: TaskFn<A, R, M>,
        A: Payload,
        R: Payload,
    {
        typed::<F, A, R, M, One>(f, args)
    }

    /// The task `f` over every item of `items`, each failing alone (what
    /// [`run_chunk`] does), and the future of the chunk's outcomes.
    pub fn chunk<F, A, R, M>(f: F, items: Vec<A>) -> (TaskObj, Future<ChunkResult<R>>)
    where
        F: TaskFn<A, R, M>,
        A: Payload,
        R: Payload,
    {
        typed::<F, A, R, M, Chunk>(f, items)
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
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when the task's function is a closure that captures
    /// values (only fn items, closures that capture nothing and fn pointers
    /// cross to another process): the task's future fails with the same
    /// error, so the backend only has to refuse it.
    pub fn into_remote(self) -> Result<RemoteTask, Error> {
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
