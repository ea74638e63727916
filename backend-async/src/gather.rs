//! [`gather`] and [`try_gather`]: await many futures — any
//! `std::future::Future`, concur's or not — results in input order.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::join::FutureSet;

/// Awaits every future and returns their outputs in the order given (Python's
/// `asyncio.gather`).
///
/// The futures may be anything awaitable: concur futures from any backend
/// (thread, process or async pool, [`to_thread`](crate::to_thread)), whose
/// output is a `Result<T, Error>` (a failure does not stop the others, as
/// `return_exceptions=True`), or plain `async fn`s and other crates' futures.
/// They are polled together inside the awaiting task, each re-polled only when
/// it wakes it, so waiting on all of them takes as long as the slowest. A
/// concur future's value is moved out of it: one given twice yields
/// [`Error::InvalidState`](concur_core::Error::InvalidState) the second time.
/// A panic in a plain future unwinds out of the `gather` (concur futures
/// catch theirs into `Error::Panicked`).
///
/// Futures of different types go together boxed
/// (`FutureExt::boxed`, in `futures-lite` and in `concur::asyncio`).
///
/// ```
/// use concur_async::{AsyncPool, gather};
/// use std::time::Duration;
///
/// async fn double_later(x: u32) -> u32 {
///     smol::Timer::after(Duration::from_millis(u64::from(5 - x))).await;
///     2 * x
/// }
///
/// // Plain `async fn`s, polled together: the results keep the input order.
/// assert_eq!(smol::block_on(gather((1..=4).map(double_later))), [2, 4, 6, 8]);
///
/// // concur futures: one `Result` each.
/// let pool = AsyncPool::new(2)?;
/// let futures: Vec<_> = (0..4u32).map(|i| pool.spawn(async move { i * i })).collect();
/// let results = smol::block_on(gather(futures));
/// assert_eq!(results, vec![Ok(0), Ok(1), Ok(4), Ok(9)]);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub fn gather<I>(futures: I) -> Gather<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let set = FutureSet::new(futures);
    let outputs = (0..set.len()).map(|_| None).collect();
    Gather { set, outputs }
}

/// Awaits every future and returns all values in order, or the first error in
/// input order (Python's `asyncio.gather` without `return_exceptions`, except
/// that it always waits for every future, so none is left running unobserved).
///
/// Takes what [`gather`] takes, as long as each output is a `Result`: concur
/// futures (`Result<T, Error>`), or `async fn`s returning their own error type.
///
/// # Errors
///
/// The error of the first future (in input order) that failed.
///
/// ```
/// use concur_async::{AsyncPool, try_gather};
/// use concur_core::Error;
/// let pool = AsyncPool::new(2)?;
/// let ok = smol::block_on(try_gather(vec![pool.spawn(async { 1 }), pool.spawn(async { 2 })]));
/// assert_eq!(ok, Ok(vec![1, 2]));
/// let bad = smol::block_on(try_gather(vec![pool.spawn(async { 1 }), pool.spawn(async { panic!("no") })]));
/// assert!(matches!(bad, Err(Error::Panicked { .. })));
///
/// // `async fn`s with an error type of their own.
/// async fn parse(s: &str) -> Result<u8, std::num::ParseIntError> { s.parse() }
/// assert_eq!(smol::block_on(try_gather(["1", "2"].map(parse))), Ok(vec![1, 2]));
/// assert!(smol::block_on(try_gather(["1", "x"].map(parse))).is_err());
/// # Ok::<(), concur_core::Error>(())
/// ```
pub async fn try_gather<T, E, I>(futures: I) -> Result<Vec<T>, E>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    gather(futures).await.into_iter().collect()
}

/// The future of [`gather`]: the outputs of every future, in input order.
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<F: Future> {
    set: FutureSet<F>,
    /// One slot per input future, filled as each finishes.
    outputs: Vec<Option<F::Output>>,
}

// Nothing in a `Gather` is pinned: the futures are boxed inside the set, and
// the outputs are only moved out.
impl<F: Future> Unpin for Gather<F> {}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match this.set.poll_next(cx) {
                Poll::Ready(Some((i, output))) => this.outputs[i] = Some(output),
                Poll::Ready(None) => {
                    let outputs = std::mem::take(&mut this.outputs);
                    return Poll::Ready(
                        outputs
                            .into_iter()
                            .map(|o| o.expect("every future of the set finished"))
                            .collect(),
                    );
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<F: Future> std::fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gather").field("set", &self.set).finish()
    }
}
