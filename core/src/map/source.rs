//! [`Source`]: the one chunking path of a [`Map`](super::Map) — `chunksize`
//! items of the input per task, submitted through a boxed [`Submit`] (an
//! executor's `submit` / `submit_chunk`, or a backend's own submitters for
//! `map_with`), so that a map names its input's type — and is `Send` exactly
//! when the input is — but not its executor's.

use super::Task;
use crate::backend::ChunkResult;
use crate::{Executor, Future, Payload, TaskFn};

/// What a map submits to, for one argument and result type.
pub(crate) trait Submit<A, R>: Send {
    fn one(&mut self, arg: A) -> Future<R>;
    fn chunk(&mut self, items: Vec<A>) -> Future<ChunkResult<R>>;
}

/// A backend's own submitters (`map_with`).
struct ByClosures<S, C>(S, C);

impl<A, R, S, C> Submit<A, R> for ByClosures<S, C>
where
    S: FnMut(A) -> Future<R> + Send,
    C: FnMut(Vec<A>) -> Future<ChunkResult<R>> + Send,
{
    fn one(&mut self, arg: A) -> Future<R> {
        (self.0)(arg)
    }
    fn chunk(&mut self, items: Vec<A>) -> Future<ChunkResult<R>> {
        (self.1)(items)
    }
}

/// The one chunking path: `chunksize` items of `input` per task (a single
/// item through `one`, more through `chunk`).
pub(crate) struct Source<'a, R, I: Iterator> {
    input: I,
    submit: Box<dyn Submit<I::Item, R> + 'a>,
    chunksize: usize,
}

impl<'a, R, I: Iterator> Source<'a, R, I> {
    /// The source whose tasks are an executor's `submit` and `submit_chunk`
    /// of `f`.
    pub(crate) fn new<E: Executor, F, M>(executor: &'a E, f: F, input: I, chunksize: usize) -> Self
    where
        F: TaskFn<I::Item, R, M>,
        I::Item: Payload,
        R: Payload,
    {
        Source::with(
            input,
            chunksize,
            move |arg| executor.submit(f, arg),
            move |items| executor.submit_chunk(f, items),
        )
    }

    /// The source whose tasks `submit` and `submit_chunk` start.
    pub(crate) fn with<S, C>(input: I, chunksize: usize, submit: S, submit_chunk: C) -> Self
    where
        S: FnMut(I::Item) -> Future<R> + Send + 'a,
        C: FnMut(Vec<I::Item>) -> Future<ChunkResult<R>> + Send + 'a,
    {
        Source {
            input,
            submit: Box::new(ByClosures(submit, submit_chunk)),
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
            Some(Task::Single(self.submit.one(a)))
        } else {
            let chunk: Vec<I::Item> = self.input.by_ref().take(self.chunksize).collect();
            let len = chunk.len();
            (len > 0).then(|| Task::Chunk(self.submit.chunk(chunk), len))
        }
    }
}
