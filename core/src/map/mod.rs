//! [`Map`]: the lazy, windowed iterator behind [`Executor::map`](crate::Executor::map),
//! the same map as an async stream ([`MapStream`], from [`Map::into_stream`]),
//! and [`MapOptions`], what it is asked for.
//!
//! One window serves both: the input is chunked and submitted by one
//! [`source`], at most `window` tasks are in flight, results come in input
//! order (the head task) or completion order (a [`Collector`] the tasks
//! report to). The iterator blocks on what it waits for; the stream registers
//! its waker there only — the head task, or the collector — so a wake-up
//! means something is ready, and a poll never walks the window.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::Error;
use crate::collector::Collector;
use task::{Outcomes, Task};

mod claim;
mod closure;
mod custom;
mod options;
mod source;
mod task;

pub use closure::{SpawnClosure, map_closure};
pub use custom::map_with;
pub use options::MapOptions;
pub(crate) use source::Source;

/// The results of [`Executor::map`](crate::Executor::map), one `Result` per input item.
///
/// Dropping it cancels every task that has not started.
#[must_use = "map submits lazily: iterate to run the tasks"]
pub struct Map<'a, R: Send + 'static, I: Iterator> {
    source: Source<'a, R, I>,
    input_done: bool,
    window: usize,
    deadline: Option<Instant>,
    ordered: bool,
    /// Ordered mode: tasks in input order.
    queue: VecDeque<Task<R>>,
    /// Unordered mode: tasks by token, and the collector they report to.
    by_token: HashMap<usize, (Task<R>, Option<u64>)>,
    collector: Arc<Collector>,
    next_token: usize,
    /// Outcomes of the last finished task not yet yielded.
    items: Outcomes<R>,
    ended: bool,
}

/// What the window offers next.
enum Step<R: Send + 'static> {
    /// An item's outcome, or the end (`None`).
    Yield(Option<Result<R, Error>>),
    /// Tasks are in flight: wait for the next one to finish.
    Wait,
}

impl<'a, R: Send + 'static, I: Iterator> Map<'a, R, I> {
    pub(crate) fn new(source: Source<'a, R, I>, window: usize, options: MapOptions) -> Self {
        let deadline = crate::backend::deadline(options.timeout);
        let mut map = Map {
            source,
            input_done: false,
            window,
            deadline,
            ordered: options.ordered,
            queue: VecDeque::new(),
            by_token: HashMap::new(),
            collector: Arc::new(Collector::default()),
            next_token: 0,
            items: Outcomes::empty(),
            ended: false,
        };
        map.refill();
        map
    }

    /// This map as an async [`Stream`](futures_core::Stream), for `async` code
    /// on any runtime: no thread blocks while it waits, and a wake-up comes
    /// only from the task it waits for (the head one in input order, any one
    /// in completion order). The window, chunks, order, deadline and the
    /// cancellation on drop are the iterator's.
    ///
    /// ```
    /// use concur_core::{Executor, Future, MapOptions};
    /// # use concur_core::{Error, Stats};
    /// # #[derive(Debug)]
    /// # struct Inline;
    /// # impl Executor for Inline {
    /// #     fn submit_task(&self, task: concur_core::backend::TaskObj) -> Result<(), Error> {
    /// #         task.run(&Default::default());
    /// #         Ok(())
    /// #     }
    /// #     fn max_workers(&self) -> usize { 1 }
    /// #     fn stats(&self) -> Stats { Stats::default() }
    /// #     fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
    /// # }
    /// use futures_lite::StreamExt;
    ///
    /// fn square(x: u64) -> u64 { x * x }
    ///
    /// let pool = Inline; // any executor
    /// // An endless input: only `buffersize` items are ever ahead of the consumer.
    /// let squares = pool.map(square, 0.., MapOptions::new().buffersize(4))?.into_stream();
    /// let firsts: Vec<u64> =
    ///     futures_lite::future::block_on(squares.take(5).map(|r| r.unwrap()).collect());
    /// assert_eq!(firsts, vec![0, 1, 4, 9, 16]);
    /// # Ok::<(), concur_core::Error>(())
    /// ```
    pub fn into_stream(self) -> MapStream<'a, R, I> {
        MapStream {
            map: self,
            timer_waker: None,
        }
    }

    fn in_flight(&self) -> usize {
        self.queue.len() + self.by_token.len()
    }

    /// Submits tasks until the window is full or the input ends.
    fn refill(&mut self) {
        while !self.input_done && self.in_flight() < self.window {
            match self.source.next_task() {
                None => self.input_done = true,
                Some(task) if self.ordered => self.queue.push_back(task),
                Some(task) => {
                    let token = self.next_token;
                    self.next_token += 1;
                    let id = task.any().listen(self.collector.clone(), token);
                    if id.is_none() {
                        self.collector.push(token);
                    }
                    self.by_token.insert(token, (task, id));
                }
            }
        }
    }

    /// What comes next without waiting: a pending outcome, the end, or `Wait`.
    fn step(&mut self) -> Step<R> {
        if let Some(item) = self.items.next() {
            return Step::Yield(Some(item));
        }
        if self.ended {
            return Step::Yield(None);
        }
        self.refill();
        if self.in_flight() == 0 {
            self.ended = true;
            return Step::Yield(None);
        }
        Step::Wait
    }

    /// A task finished: its outcomes are next, and the window is refilled
    /// while the caller consumes them.
    fn finished(&mut self, task: Task<R>) {
        let walked = std::mem::replace(&mut self.items, task.outcomes());
        self.recycle(walked);
        self.refill();
    }

    /// Hands the buffer of a walked chunk to the source, for the next
    /// chunk's items.
    #[inline]
    fn recycle(&mut self, walked: Outcomes<R>) {
        if let Outcomes::Chunk(items) = walked
            && let Some(buffer) = items.into_buffer()
        {
            self.source.recycle(buffer);
        }
    }

    /// The next finished task, taken out of the window, if one is ready now;
    /// otherwise the waker of `cx` is registered with what is awaited.
    fn poll_task(&mut self, cx: &mut Context<'_>) -> Option<Task<R>> {
        if self.ordered {
            if self.queue[0].poll_done(cx) {
                self.queue.pop_front()
            } else {
                None
            }
        } else {
            let token = self.collector.poll_next(cx)?;
            Some(self.by_token.remove(&token).expect("a live token").0)
        }
    }

    /// The next finished task, blocking until one is or the deadline passes.
    fn wait_task(&mut self) -> Option<Task<R>> {
        if self.ordered {
            // Without a deadline: a chunk run here cannot make the wait late.
            if self.deadline.is_none() {
                self.run_unstarted();
            }
            if !self.queue[0].wait(self.deadline) {
                return None;
            }
            self.queue.pop_front()
        } else {
            let token = self.collector.next_blocking(self.deadline)?;
            Some(self.by_token.remove(&token).expect("a live token").0)
        }
    }

    /// While the head task is not done, runs here the chunks no worker has
    /// started (when the backend offers them, see [`Reclaim`]): the head
    /// itself first, whose outcomes are next; else, while a worker runs the
    /// head, the chunk farthest back, the last one a worker would reach.
    /// The consumer then never waits for a worker to start a chunk, only for
    /// one to finish it.
    fn run_unstarted(&mut self) {
        while !self.queue[0].is_done() && !self.queue[0].reclaim() {
            if !self.queue.iter_mut().skip(1).rev().any(Task::reclaim) {
                return;
            }
        }
    }

    fn cancel_outstanding(&mut self) {
        for task in self.queue.drain(..) {
            task.cancel();
        }
        for (_, (task, id)) in self.by_token.drain() {
            if let Some(id) = id {
                task.any().unlisten(id);
            }
            task.cancel();
        }
    }

    fn time_out(&mut self) -> Option<Result<R, Error>> {
        self.ended = true;
        self.cancel_outstanding();
        Some(Err(Error::Timeout))
    }
}

impl<R: Send + 'static, I: Iterator> Iterator for Map<'_, R, I> {
    type Item = Result<R, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // The common case, the next item of the chunk being walked, first.
        if let Some(item) = self.items.next() {
            return Some(item);
        }
        self.next_slow()
    }

    /// Walks each finished chunk in one tight loop (what `sum`, `for_each`
    /// and `fold` take), refilling the window once per task, not per item.
    fn fold<B, G>(mut self, init: B, mut g: G) -> B
    where
        G: FnMut(B, Self::Item) -> B,
    {
        let mut acc = init;
        loop {
            acc = match std::mem::replace(&mut self.items, Outcomes::empty()) {
                Outcomes::Chunk(mut items) => {
                    let acc = items.fold_in_place(acc, &mut g);
                    self.recycle(Outcomes::Chunk(items));
                    acc
                }
                items => items.fold_items(acc, &mut g),
            };
            match self.next_slow() {
                Some(item) => acc = g(acc, item),
                None => return acc,
            }
        }
    }
}

impl<R: Send + 'static, I: Iterator> Map<'_, R, I> {
    /// The next item once the current task's outcomes are used up: waits for
    /// the next task (refilling the window), the end, or the deadline.
    fn next_slow(&mut self) -> Option<Result<R, Error>> {
        loop {
            if let Step::Yield(item) = self.step() {
                return item;
            }
            match self.wait_task() {
                Some(task) => self.finished(task),
                None => return self.time_out(),
            }
        }
    }
}

impl<R: Send + 'static, I: Iterator> Drop for Map<'_, R, I> {
    fn drop(&mut self) {
        self.cancel_outstanding();
    }
}

impl<R: Send + 'static, I: Iterator> fmt::Debug for Map<'_, R, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.in_flight())
            .field("window", &self.window)
            .field("ordered", &self.ordered)
            .field("ended", &self.ended)
            .finish()
    }
}

/// [`Map`] as an async [`Stream`](futures_core::Stream) of one `Result` per
/// item: a process pool's makes it aiomultiprocess's `Pool.map`. Created by
/// [`Map::into_stream`].
///
/// Items are pulled from the input lazily: at most `buffersize` tasks are in
/// flight ahead of the consumer, so a slow consumer holds back the producer
/// and an endless input is fine. When the `timeout` passes, the stream yields
/// [`Error::Timeout`] once, cancels what is outstanding and ends. Dropping it
/// cancels what has not started.
#[must_use = "streams do nothing unless polled"]
pub struct MapStream<'a, R: Send + 'static, I: Iterator> {
    map: Map<'a, R, I>,
    /// The waker the timer thread holds for the deadline, if armed.
    timer_waker: Option<Waker>,
}

// Nothing in a `MapStream` is pinned: the input is an iterator, never polled.
impl<R: Send + 'static, I: Iterator> Unpin for MapStream<'_, R, I> {}

impl<R: Send + 'static, I: Iterator> futures_core::Stream for MapStream<'_, R, I> {
    type Item = Result<R, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let map = &mut this.map;
        loop {
            if let Step::Yield(item) = map.step() {
                return Poll::Ready(item);
            }
            if let Some(task) = map.poll_task(cx) {
                map.finished(task);
                continue;
            }
            if let Some(d) = map.deadline {
                if Instant::now() >= d {
                    return Poll::Ready(map.time_out());
                }
                let armed = this
                    .timer_waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()));
                if !armed {
                    this.timer_waker = Some(cx.waker().clone());
                    crate::timer::wake_at(d, cx.waker().clone());
                }
            }
            return Poll::Pending;
        }
    }
}

impl<R: Send + 'static, I: Iterator> fmt::Debug for MapStream<'_, R, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MapStream").field(&self.map).finish()
    }
}
