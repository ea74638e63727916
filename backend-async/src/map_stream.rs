//! [`map_stream`]: `Executor::map` as an async `Stream`, over any backend — a
//! name for `executor.map(..)?.into_stream()`, whose window, chunking and
//! wake-ups are core's ([`MapStream`]).

use concur_core::{Error, Executor, MapOptions, MapStream, Payload};

/// Applies `f` to every item on `executor`, as an async
/// [`Stream`](futures_core::Stream) of one result per item: the same as
/// [`Executor::map`] followed by [`Map::into_stream`](concur_core::Map::into_stream).
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
) -> Result<MapStream<'a, R, I::IntoIter>, Error>
where
    E: Executor,
    A: Payload,
    R: Payload,
    I: IntoIterator<Item = A>,
    I::IntoIter: 'a,
{
    Ok(executor.map(f, items, options)?.into_stream())
}
