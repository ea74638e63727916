//! [`as_completed`]: any futures — concur's or not — as a `Stream` of their
//! outputs in completion order, with an optional deadline (Python's
//! `asyncio.as_completed`).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use concur_core::Error;
use smol::Timer;

use crate::join::FutureSet;

/// The outputs of `futures` as they finish, as an async
/// [`Stream`](futures_core::Stream) (Python's `asyncio.as_completed`): the
/// async counterpart of `concur_core::as_completed`, which blocks a thread
/// and takes concur futures only.
///
/// The futures may be anything awaitable — concur futures of any backend
/// (their output is a `Result<T, Error>`; by value for any `T`, by reference
/// `&Future<T>` for a `T: Clone`), `async fn`s, timers, other crates'
/// futures. They are polled together inside the task that polls the stream,
/// each re-polled only when it wakes it. With a `timeout` (from this call),
/// the stream yields [`Error::Timeout`] once when it passes, drops the futures
/// not finished (a concur future's task goes on: dropping its handle does not
/// cancel it) and ends.
///
/// ```
/// use concur_async::{AsyncPool, as_completed};
/// use futures_lite::{FutureExt, StreamExt};
/// use std::time::Duration;
///
/// async fn after(ms: u64) -> u64 {
///     smol::Timer::after(Duration::from_millis(ms)).await;
///     ms
/// }
///
/// // Plain `async fn`s, in the order they finish: here each waits for the
/// // one before it, whatever the machine's load.
/// let (one_done, after_one) = smol::channel::bounded(1);
/// let (two_done, after_two) = smol::channel::bounded(1);
/// let third = async move { after_two.recv().await.ok(); "third" };
/// let first = async move { one_done.send(()).await.ok(); "first" };
/// let second = async move {
///     after_one.recv().await.ok();
///     two_done.send(()).await.ok();
///     "second"
/// };
/// let order: Vec<&str> = smol::block_on(
///     as_completed([third.boxed(), first.boxed(), second.boxed()], None)
///         .map(|r| r.unwrap())
///         .collect(),
/// );
/// assert_eq!(order, ["first", "second", "third"]);
///
/// // concur futures from a pool: each output is the task's `Result`.
/// let pool = AsyncPool::new(2)?;
/// let futures: Vec<_> = (1..=3u64).map(|i| pool.spawn(after(i))).collect();
/// let total = smol::block_on(async {
///     let mut done = as_completed(futures, Some(Duration::from_secs(30)));
///     let mut total = 0;
///     while let Some(outcome) = done.next().await {
///         total += outcome??; // the deadline, then the task
///     }
///     Ok::<u64, concur_core::Error>(total)
/// })?;
/// assert_eq!(total, 6);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub fn as_completed<I>(
    futures: I,
    timeout: Option<Duration>,
) -> AsCompleted<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    AsCompleted {
        set: FutureSet::new(futures),
        // A deadline too far to represent is no deadline.
        timer: timeout
            .and_then(|t| Instant::now().checked_add(t))
            .map(Timer::at),
        ended: false,
    }
}

/// The stream of [`as_completed`]: one `Ok(output)` per future, in completion
/// order, or one `Err(Error::Timeout)` at the deadline and the end.
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F: Future> {
    set: FutureSet<F>,
    timer: Option<Timer>,
    ended: bool,
}

// Nothing in it is pinned: the futures are boxed inside the set, and a
// `Timer` is `Unpin`.
impl<F: Future> Unpin for AsCompleted<F> {}

impl<F: Future> futures_core::Stream for AsCompleted<F> {
    type Item = Result<F::Output, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        match this.set.poll_next(cx) {
            Poll::Ready(Some((_, output))) => return Poll::Ready(Some(Ok(output))),
            Poll::Ready(None) => {
                this.ended = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        if let Some(timer) = this.timer.as_mut()
            && Pin::new(timer).poll(cx).is_ready()
        {
            this.ended = true;
            // Drop what did not finish now, not when the stream is dropped.
            this.set = FutureSet::new(Vec::<F>::new());
            return Poll::Ready(Some(Err(Error::Timeout)));
        }
        Poll::Pending
    }
}

impl<F: Future> std::fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsCompleted")
            .field("set", &self.set)
            .field("deadline", &self.timer.is_some())
            .field("ended", &self.ended)
            .finish()
    }
}
