//! [`gather`] and [`try_gather`]: await many futures, results in input order.

use concur_core::{Error, Future};

/// Awaits every future and returns their outcomes in the order given (Python's
/// `asyncio.gather(..., return_exceptions=True)`).
///
/// The futures may come from any backend (thread, process or async pool, or
/// [`to_thread`](crate::to_thread)); they already run, so awaiting them one after
/// the other takes as long as the slowest. A failure does not stop the others.
/// Each value is moved out of its future: a future given twice yields
/// [`Error::InvalidState`] the second time.
///
/// ```
/// use concur_async::{AsyncPool, gather};
/// let pool = AsyncPool::builder().max_workers(2).build()?;
/// let futures: Vec<_> = (0..4u32).map(|i| pool.spawn(async move { i * i })).collect();
/// let results = smol::block_on(gather(futures));
/// assert_eq!(results, vec![Ok(0), Ok(1), Ok(4), Ok(9)]);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub async fn gather<T, I>(futures: I) -> Vec<Result<T, Error>>
where
    I: IntoIterator<Item = Future<T>>,
    T: Send + 'static,
{
    let futures: Vec<Future<T>> = futures.into_iter().collect();
    let mut out = Vec::with_capacity(futures.len());
    for f in futures {
        out.push(f.await);
    }
    out
}

/// Awaits every future and returns all values in order, or the first error in
/// input order (Python's `asyncio.gather` without `return_exceptions`, except
/// that it always waits for every future, so none is left running unobserved).
///
/// # Errors
///
/// The error of the first future (in input order) that failed or was cancelled.
///
/// ```
/// use concur_async::{AsyncPool, try_gather};
/// use concur_core::Error;
/// let pool = AsyncPool::builder().max_workers(2).build()?;
/// let ok = smol::block_on(try_gather(vec![pool.spawn(async { 1 }), pool.spawn(async { 2 })]));
/// assert_eq!(ok, Ok(vec![1, 2]));
/// let bad = smol::block_on(try_gather(vec![pool.spawn(async { 1 }), pool.spawn(async { panic!("no") })]));
/// assert!(matches!(bad, Err(Error::Panicked { .. })));
/// # Ok::<(), concur_core::Error>(())
/// ```
pub async fn try_gather<T, I>(futures: I) -> Result<Vec<T>, Error>
where
    I: IntoIterator<Item = Future<T>>,
    T: Send + 'static,
{
    gather(futures).await.into_iter().collect()
}
