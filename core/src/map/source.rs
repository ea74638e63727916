//! [`Source`]: the one chunking path of a [`Map`](super::Map) — `chunksize`
//! items of the input per task, submitted through a boxed [`Submit`] (an
//! executor's `submit` / `submit_chunk`, or a backend's own submitters for
//! `map_with`), so that a map names its input's type — and is `Send` exactly
//! when the input is — but not its executor's.

use std::sync::Arc;

use super::Task;
use super::claim::Reclaim;
use crate::backend::ChunkResult;
use crate::{Executor, Future, Payload, TaskFn};

/// A submitted chunk's future, and the claim on its items when the map's
/// consumer may take them back (see claim.rs).
pub(crate) type Submitted<R> = (Future<ChunkResult<R>>, Option<Arc<dyn Reclaim<R>>>);

/// What a map submits to, for one argument and result type.
pub(crate) trait Submit<A, R>: Send {
    fn one(&mut self, arg: A) -> Future<R>;
    fn chunk(&mut self, items: Vec<A>) -> Submitted<R>;
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
    fn chunk(&mut self, items: Vec<A>) -> Submitted<R> {
        ((self.1)(items), None)
    }
}

/// The one chunking path: `chunksize` items of `input` per task (a single
/// item through `one`, more through `chunk`).
pub(crate) struct Source<'a, R, I: Iterator> {
    input: I,
    submit: Box<dyn Submit<I::Item, R> + 'a>,
    chunksize: usize,
    /// An empty buffer for the next chunk's items: a walked chunk's values'
    /// buffer, when `R` is laid out as the items are ([`recycle`](Source::recycle)).
    spare: Option<Vec<I::Item>>,
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
        Source::with_submit(input, chunksize, Box::new(ByClosures(submit, submit_chunk)))
    }

    /// The source whose tasks `submit` starts.
    pub(crate) fn with_submit(
        input: I,
        chunksize: usize,
        submit: Box<dyn Submit<I::Item, R> + 'a>,
    ) -> Self {
        Source {
            input,
            submit,
            chunksize,
            spare: None,
        }
    }

    /// Keeps `buffer`, the emptied values of a walked chunk, for the next
    /// chunk's items if it can hold them: when `R` is laid out as the items
    /// and it has room for a whole chunk (else it is freed).
    pub(super) fn recycle(&mut self, buffer: Vec<R>) {
        if self.chunksize > 1 && self.spare.is_none() && buffer.capacity() >= self.chunksize {
            self.spare = crate::backend::reuse(buffer);
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
            let input = self.input.by_ref().take(self.chunksize);
            let chunk: Vec<I::Item> = match self.spare.take() {
                // The items written over a buffer this thread just read the
                // values of: no allocation here, no free on the worker, and
                // the buffer's lines still in this core's cache.
                Some(mut buffer) => {
                    buffer.extend(input);
                    buffer
                }
                None => input.collect(),
            };
            let len = chunk.len();
            (len > 0).then(|| {
                let (future, claim) = self.submit.chunk(chunk);
                Task::Chunk(future, len, claim)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_chunk;
    use std::sync::{Arc, Mutex};

    /// A source whose chunks run at once, recording each chunk's buffer.
    fn recording(
        seen: &Arc<Mutex<Vec<(usize, usize)>>>,
    ) -> Source<'static, u64, std::ops::Range<u64>> {
        let seen = Arc::clone(seen);
        Source::with(0..100, 4, Future::ready, move |items: Vec<u64>| {
            seen.lock()
                .unwrap()
                .push((items.as_ptr() as usize, items.capacity()));
            Future::ready(run_chunk(|x| x + 1, items))
        })
    }

    #[test]
    fn a_recycled_buffer_carries_the_next_chunk() {
        let seen = Arc::default();
        let mut source = recording(&seen);
        let buffer: Vec<u64> = Vec::with_capacity(16);
        let at = buffer.as_ptr() as usize;
        source.recycle(buffer);
        let Some(Task::Chunk(f, 4, None)) = source.next_task() else {
            panic!("a chunk of 4")
        };
        assert_eq!(
            f.into_result().unwrap().into_vec(),
            [Ok(1), Ok(2), Ok(3), Ok(4)]
        );
        assert_eq!(seen.lock().unwrap()[0], (at, 16), "the recycled buffer");
        // Used once: nothing is kept for the next chunk.
        assert!(source.spare.is_none());
        let Some(Task::Chunk(f, 4, None)) = source.next_task() else {
            panic!("a chunk of 4")
        };
        assert_eq!(
            f.into_result().unwrap().into_vec(),
            [Ok(5), Ok(6), Ok(7), Ok(8)]
        );
    }

    #[test]
    fn a_buffer_too_small_or_laid_out_otherwise_is_not_kept() {
        let seen = Arc::default();
        let mut source = recording(&seen);
        let small: Vec<u64> = Vec::with_capacity(3);
        source.recycle(small);
        assert!(source.spare.is_none(), "room for 3 of a chunk of 4");

        // Values laid out otherwise than the items: (u32, u32) is 8 bytes, aligned to 4.
        let mut other: Source<'static, (u32, u32), _> =
            Source::with(0..10u64, 4, |_| unreachable!(), |_| unreachable!());
        other.recycle(Vec::with_capacity(8));
        assert!(other.spare.is_none());
    }
}
