//! [`map_stream`]: `Executor::map` as an async [`Stream`], over any backend.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use concur_core::{ChunkResult, Error, Executor, Future, MapOptions, Payload};
use futures_core::Stream;

/// One submitted unit: a single item, or a chunk of `len` items.
enum Task<R: Send + Sync + 'static> {
    Single(Future<R>),
    Chunk(Future<ChunkResult<R>>, usize),
}

impl<R: Send + Sync + 'static> Task<R> {
    /// Polls the task; when it is done, appends its items' outcomes to `out`.
    fn poll_into(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut VecDeque<Result<R, Error>>,
    ) -> Poll<()> {
        match self {
            Task::Single(f) => Pin::new(f).poll(cx).map(|r| out.push_back(r)),
            Task::Chunk(f, len) => Pin::new(f).poll(cx).map(|r| match r {
                Ok(items) => out.extend(items),
                Err(e) => out.extend(std::iter::repeat_n(e, *len).map(Err)),
            }),
        }
    }

    fn cancel(&self) {
        match self {
            Task::Single(f) => f.cancel(),
            Task::Chunk(f, _) => f.cancel(),
        };
    }
}

/// The async counterpart of [`Executor::map`]: a [`Stream`] of one `Result` per
/// item, over any executor — a process pool makes it aiomultiprocess's `Pool.map`.
/// Created by [`map_stream`].
///
/// Items are pulled from the input lazily: at most `buffersize` tasks are in
/// flight ahead of the consumer (default 4 × `max_workers`), so a slow consumer
/// holds back the producer (back-pressure) and an endless input is fine.
/// Results come in input order, or in completion order with `ordered(false)`.
/// When the `timeout` passes, the stream yields [`Error::Timeout`] once, cancels
/// what is outstanding and ends. Dropping it cancels what has not started.
#[must_use = "streams do nothing unless polled"]
pub struct MapStream<'a, E, A, R: Send + Sync + 'static, I> {
    executor: &'a E,
    f: fn(A) -> R,
    input: I,
    input_done: bool,
    chunksize: usize,
    window: usize,
    ordered: bool,
    timer: Option<smol::Timer>,
    in_flight: VecDeque<Task<R>>,
    /// Outcomes of finished tasks not yet yielded.
    items: VecDeque<Result<R, Error>>,
    ended: bool,
}

/// Applies `f` to every item on `executor`, as an async [`Stream`] of results
/// (see [`MapStream`]).
///
/// # Errors
///
/// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0.
///
/// ```
/// use concur_async::{AsyncPool, map_stream};
/// use concur_core::MapOptions;
/// use futures_lite::StreamExt;
///
/// fn square(x: u64) -> u64 { x * x }
///
/// let pool = AsyncPool::builder().max_workers(2).build()?;
/// // An endless input: only `buffersize` items are ever ahead of the consumer.
/// let squares = map_stream(&pool, square, 0.., MapOptions::new().buffersize(4))?;
/// let firsts: Vec<u64> = smol::block_on(squares.take(5).map(|r| r.unwrap()).collect());
/// assert_eq!(firsts, vec![0, 1, 4, 9, 16]);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub fn map_stream<'a, E, A, R, I>(
    executor: &'a E,
    f: fn(A) -> R,
    items: I,
    options: MapOptions,
) -> Result<MapStream<'a, E, A, R, I::IntoIter>, Error>
where
    E: Executor,
    A: Payload,
    R: Payload,
    I: IntoIterator<Item = A>,
{
    options.validate()?;
    let window = options
        .buffersize
        .unwrap_or_else(|| 4 * executor.max_workers().max(1));
    let timer = options
        .timeout
        .and_then(|t| Instant::now().checked_add(t))
        .map(smol::Timer::at);
    Ok(MapStream {
        executor,
        f,
        input: items.into_iter(),
        input_done: false,
        chunksize: options.chunksize,
        window,
        ordered: options.ordered,
        timer,
        in_flight: VecDeque::new(),
        items: VecDeque::new(),
        ended: false,
    })
}

impl<E, A, R, I> MapStream<'_, E, A, R, I>
where
    E: Executor,
    A: Payload,
    R: Payload,
    I: Iterator<Item = A>,
{
    /// Submits tasks until the window is full or the input ends.
    fn refill(&mut self) {
        while !self.input_done && self.in_flight.len() < self.window {
            let task = if self.chunksize == 1 {
                self.input
                    .next()
                    .map(|a| Task::Single(self.executor.submit(self.f, a)))
            } else {
                let chunk: Vec<A> = self.input.by_ref().take(self.chunksize).collect();
                let len = chunk.len();
                (len > 0).then(|| Task::Chunk(self.executor.submit_chunk(self.f, chunk), len))
            };
            match task {
                Some(task) => self.in_flight.push_back(task),
                None => self.input_done = true,
            }
        }
    }
}

impl<E, A, R: Send + Sync + 'static, I> MapStream<'_, E, A, R, I> {
    fn cancel_outstanding(&mut self) {
        for task in self.in_flight.drain(..) {
            task.cancel();
        }
    }
}

// Nothing in a `MapStream` is pinned: the input iterator is moved, never polled.
impl<E, A, R: Send + Sync + 'static, I> Unpin for MapStream<'_, E, A, R, I> {}

impl<E, A, R, I> Stream for MapStream<'_, E, A, R, I>
where
    E: Executor,
    A: Payload,
    R: Payload,
    I: Iterator<Item = A>,
{
    type Item = Result<R, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.items.pop_front() {
                return Poll::Ready(Some(item));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            this.refill();
            if this.in_flight.is_empty() {
                this.ended = true;
                return Poll::Ready(None);
            }
            let ready = if this.ordered {
                this.in_flight[0]
                    .poll_into(cx, &mut this.items)
                    .is_ready()
                    .then_some(0)
            } else {
                // Every pending task keeps this stream's waker (registered once
                // per task: the future ignores a waker it already holds).
                this.in_flight
                    .iter_mut()
                    .position(|t| t.poll_into(cx, &mut this.items).is_ready())
            };
            if let Some(i) = ready {
                this.in_flight.remove(i);
                // Keep the window full while the consumer handles this task's items.
                this.refill();
                continue;
            }
            if let Some(timer) = this.timer.as_mut()
                && Pin::new(timer).poll(cx).is_ready()
            {
                this.ended = true;
                this.cancel_outstanding();
                return Poll::Ready(Some(Err(Error::Timeout)));
            }
            return Poll::Pending;
        }
    }
}

impl<E, A, R: Send + Sync + 'static, I> Drop for MapStream<'_, E, A, R, I> {
    fn drop(&mut self) {
        self.cancel_outstanding();
    }
}

impl<E, A, R: Send + Sync + 'static, I> fmt::Debug for MapStream<'_, E, A, R, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapStream")
            .field("in_flight", &self.in_flight.len())
            .field("window", &self.window)
            .field("ordered", &self.ordered)
            .field("ended", &self.ended)
            .finish()
    }
}
