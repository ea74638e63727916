//! [`Source`]: the one chunking path of a [`Map`](super::Map) — `chunksize`
//! items of the input per task, submitted through a `&dyn` [`Submit`], so
//! that a map names its input's type (and is `Send` exactly when the input
//! is) but not its executor's.

use super::Task;
use crate::backend::ChunkResult;
use crate::{Executor, Future, Payload};

/// What a map submits to: an executor's `submit` and `submit_chunk` for one
/// argument and result type, as a trait object, so that [`Map`] names its
/// input's type (and is `Send` exactly when the input is) but not the
/// executor's.
pub(crate) trait Submit<A, R>: Sync {
    fn one(&self, f: fn(A) -> R, arg: A) -> Future<R>;
    fn chunk(&self, f: fn(A) -> R, items: Vec<A>) -> Future<ChunkResult<R>>;
}

impl<A: Payload, R: Payload, E: Executor> Submit<A, R> for E {
    fn one(&self, f: fn(A) -> R, arg: A) -> Future<R> {
        self.submit(f, arg)
    }
    fn chunk(&self, f: fn(A) -> R, items: Vec<A>) -> Future<ChunkResult<R>> {
        self.submit_chunk(f, items)
    }
}

/// The one chunking path: `chunksize` items of `input` per task, submitted to
/// the executor (a single item through `submit`, more through `submit_chunk`).
pub(crate) struct Source<'a, R, I: Iterator> {
    input: I,
    executor: &'a dyn Submit<I::Item, R>,
    f: fn(I::Item) -> R,
    chunksize: usize,
}

impl<'a, R, I: Iterator> Source<'a, R, I> {
    pub(crate) fn new<E: Executor>(
        executor: &'a E,
        f: fn(I::Item) -> R,
        input: I,
        chunksize: usize,
    ) -> Self
    where
        I::Item: Payload,
        R: Payload,
    {
        Source {
            input,
            executor,
            f,
            chunksize,
        }
    }

    /// Pulls the next chunk from the input and submits it; `None` when the
    /// input ends.
    pub(super) fn next_task(&mut self) -> Option<Task<R>>
    where
        R: Send + 'static,
    {
        if self.chunksize == 1 {
            let a = self.input.next()?;
            Some(Task::Single(self.executor.one(self.f, a)))
        } else {
            let chunk: Vec<I::Item> = self.input.by_ref().take(self.chunksize).collect();
            let len = chunk.len();
            (len > 0).then(|| Task::Chunk(self.executor.chunk(self.f, chunk), len))
        }
    }
}
