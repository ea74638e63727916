//! [`as_completed`]: futures in the order they finish.

use std::collections::HashSet;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::collector::Collector;
use crate::{AnyFuture, Error, Waitable};

struct Slot<F> {
    fut: Option<F>,
    any: AnyFuture,
    listen_id: Option<u64>,
}

/// Yields futures as they complete: those already done first (in the order
/// given), then the others in completion order, each once even if it was given
/// twice. When `timeout` passes first, yields `Err(Error::Timeout)` once and
/// stops. Created by [`as_completed`].
///
/// It is a blocking [`Iterator`]; [`into_stream`](AsCompleted::into_stream) turns it
/// into an async [`Stream`](futures_core::Stream) whose timeout works on any runtime.
#[must_use = "as_completed does nothing unless iterated"]
pub struct AsCompleted<F> {
    slots: Vec<Slot<F>>,
    collector: Arc<Collector>,
    deadline: Option<Instant>,
    left: usize,
    ended: bool,
    /// The waker the timer thread will wake at the deadline (stream use).
    timer_waker: Option<std::task::Waker>,
}

/// Iterates over `futures` as they complete (Python's `as_completed`).
///
/// ```
/// use concur_core::{as_completed, Promise};
/// use std::time::Duration;
///
/// let a = Promise::new();
/// let b = Promise::new();
/// let futs = vec![a.future(), b.future()];
/// std::thread::spawn(move || { b.set_result("b"); a.set_result("a"); });
/// let order: Vec<&str> = as_completed(&futs, Some(Duration::from_secs(30)))
///     .map(|f| f.unwrap().result(None).unwrap())
///     .collect();
/// assert_eq!(order.len(), 2);
/// ```
pub fn as_completed<F, I>(futures: I, timeout: Option<Duration>) -> AsCompleted<F>
where
    I: IntoIterator<Item = F>,
    F: Waitable,
{
    let deadline = crate::backend::deadline(timeout);
    let collector = Arc::new(Collector::default());
    let mut seen = HashSet::new();
    let mut slots: Vec<Slot<F>> = Vec::new();
    for f in futures {
        let any = f.as_any();
        if seen.insert(any.key()) {
            slots.push(Slot {
                fut: Some(f),
                any,
                listen_id: None,
            });
        }
    }
    // Already finished ones first, in the order given.
    let already: Vec<bool> = slots.iter().map(|s| s.any.is_done()).collect();
    for (i, _) in already.iter().enumerate().filter(|(_, done)| **done) {
        collector.push(i);
    }
    // Listen to the others. One may finish between the two passes: `listen`
    // then reports it done and it is queued here (checking `is_done` again
    // instead would skip it for good).
    for (i, s) in slots.iter_mut().enumerate() {
        if !already[i] {
            match s.any.listen(collector.clone(), i) {
                Some(id) => s.listen_id = Some(id),
                None => collector.push(i),
            }
        }
    }
    let left = slots.len();
    AsCompleted {
        slots,
        collector,
        deadline,
        left,
        ended: false,
        timer_waker: None,
    }
}

impl<F> AsCompleted<F> {
    /// How many futures have not been yielded yet.
    pub fn remaining(&self) -> usize {
        if self.ended { 0 } else { self.left }
    }

    fn take(&mut self, i: usize) -> Option<Result<F, Error>> {
        let slot = &mut self.slots[i];
        slot.listen_id = None;
        let f = slot.fut.take()?;
        self.left -= 1;
        Some(Ok(f))
    }

    fn time_out(&mut self) -> Option<Result<F, Error>> {
        self.ended = true;
        self.unlisten();
        Some(Err(Error::Timeout))
    }

    fn unlisten(&mut self) {
        for s in &mut self.slots {
            if let Some(id) = s.listen_id.take() {
                s.any.unlisten(id);
            }
        }
    }
}

impl<F> Iterator for AsCompleted<F> {
    type Item = Result<F, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.ended && self.left > 0 {
            match self.collector.next_blocking(self.deadline) {
                Some(i) => {
                    if let Some(item) = self.take(i) {
                        return Some(item);
                    }
                }
                None => return self.time_out(),
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (
            0,
            Some(self.remaining() + usize::from(self.deadline.is_some())),
        )
    }
}

/// [`AsCompleted`] as an async [`Stream`](futures_core::Stream), for `async` code on any
/// runtime: no thread blocks while it waits. Created by [`AsCompleted::into_stream`].
///
/// ```
/// use concur_core::{as_completed, Promise};
/// use futures_lite::StreamExt;
/// use std::time::Duration;
///
/// let p = Promise::new();
/// let futs = vec![p.future()];
/// std::thread::spawn(move || p.set_result(1u8));
/// let done = futures_lite::future::block_on(async {
///     let mut s = as_completed(&futs, Some(Duration::from_secs(30))).into_stream();
///     let mut n = 0;
///     while let Some(f) = s.next().await {
///         n += f.unwrap().await.unwrap();
///     }
///     n
/// });
/// assert_eq!(done, 1);
/// ```
#[must_use = "streams do nothing unless polled"]
#[derive(Debug)]
pub struct AsCompletedStream<F>(AsCompleted<F>);

impl<F> AsCompleted<F> {
    /// This iterator as an async stream.
    pub fn into_stream(self) -> AsCompletedStream<F> {
        AsCompletedStream(self)
    }
}

impl<F: Unpin> futures_core::Stream for AsCompletedStream<F> {
    type Item = Result<F, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut self.get_mut().0;
        while !this.ended && this.left > 0 {
            match this.collector.poll_next(cx) {
                Some(i) => {
                    if let Some(item) = this.take(i) {
                        return Poll::Ready(Some(item));
                    }
                }
                None => {
                    if let Some(d) = this.deadline {
                        if Instant::now() >= d {
                            return Poll::Ready(this.time_out());
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
        Poll::Ready(None)
    }
}

impl<F> Drop for AsCompleted<F> {
    fn drop(&mut self) {
        self.unlisten();
    }
}

impl<F> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining())
            .finish()
    }
}
