//! [`map_stream`]: `Executor::map` as an async `Stream`, over any backend — a
//! name for `executor.map(..)?.into_stream()`, whose window, chunking and
//! wake-ups are core's ([`MapStream`]).

use concur_core::{Error, Executor, MapOptions, MapStream, Payload, TaskFn};

/// Applies `f` to every item on `executor`, as an async
/// [`Stream`](futures_core::Stream) of one result per item (`f` takes up to
/// four arguments, each item the tuple of them, as [`Executor::map`]'s): the same as
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
///
/// // Two arguments per task: each item is their tuple.
/// fn add(a: u64, b: u64) -> u64 { a + b }
/// let sums = map_stream(&pool, add, [(1, 2), (3, 4)], MapOptions::new())?;
/// let sums: Vec<u64> = smol::block_on(sums.map(|r| r.unwrap()).collect());
/// assert_eq!(sums, vec![3, 7]);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub fn map_stream<'a, E, F, A, R, M, I>(
    executor: &'a E,
    f: F,
    items: I,
    options: MapOptions,
) -> Result<MapStream<'a, R, I::IntoIter>, Error>
where
    E: Executor,
    F: TaskFn<A, R, M>,
    A: Payload,
    R: Payload,
    I: IntoIterator<Item = A>,
    I::IntoIter: 'a,
{
    Ok(executor.map(f, items, options)?.into_stream())
}
