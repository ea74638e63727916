//! [`to_thread`] / [`unblock`]: blocking calls from async code, off the executor threads.

use concur_core::{Future, Promise, catch_panic};

/// Runs the blocking closure `f` on smol's blocking thread pool and returns its
/// concur [`Future`], to `.await` from async code (Python's `asyncio.to_thread`).
///
/// The executor threads stay free while `f` blocks, so other async tasks go on.
/// The future is an ordinary concur future: it can be cancelled until `f` starts,
/// waited on with `wait` / `as_completed` beside futures of other backends, and a
/// panic in `f` fails it with [`Error::Panicked`](concur_core::Error::Panicked).
///
/// The blocking pool is smol's (the `blocking` crate): threads start on demand,
/// up to 500, and exit after a second idle.
///
/// ```
/// use concur_async::{AsyncPool, to_thread};
/// let pool = AsyncPool::builder().max_workers(1).build()?;
/// let len = pool.spawn(async {
///     // A blocking call (file system, a C library, a sync HTTP client...).
///     let text = to_thread(|| std::fs::read_to_string("Cargo.toml").unwrap_or_default()).await?;
///     Ok::<_, concur_core::Error>(text.len())
/// });
/// assert!(len.result(None)?? > 0);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub fn to_thread<T, F>(f: F) -> Future<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let promise = Promise::new();
    let future = promise.future();
    smol::unblock(move || {
        if promise.set_running() {
            promise.complete(catch_panic(f));
        }
    })
    .detach();
    future
}

/// The same as [`to_thread`], under smol's name.
///
/// ```
/// let n = smol::block_on(concur_async::unblock(|| 6 * 7));
/// assert_eq!(n, Ok(42));
/// ```
pub fn unblock<T, F>(f: F) -> Future<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    to_thread(f)
}
