//! [`map_with`]: core's [`Map`] over tasks a backend submits its own way.
//!
//! [`Executor::map`](crate::Executor::map) submits `fn(A) -> R` tasks through
//! the trait. A backend that can run more — the thread and async pools run
//! closures — hands [`map_with`] two submitters instead (one item, one chunk)
//! and gets the same window, order, deadline, failure per item and
//! cancellation on drop, from the same code.

use crate::backend::ChunkResult;
use crate::{Error, Future, MapOptions};

use super::{Map, Source};

/// A [`Map`] whose tasks `submit` (one item) and `submit_chunk` (a chunk of
/// `chunksize` items) start: what a backend's own `map` over closures is
/// built on.
///
/// Everything else is [`Executor::map`](crate::Executor::map)'s: `options`
/// are validated here, the window defaults to 4 × `max_workers` (at least 4),
/// the input is pulled lazily, each item fails alone (a chunk's future must
/// hold one outcome per item, as [`run_chunk`](crate::run_chunk) makes it),
/// and dropping the map cancels the tasks that have not started.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0;
/// [`Error::Shutdown`] (or [`Error::Broken`]) when the first task is refused
/// at once, its future already failed with that error, as `submit` after
/// shutdown hands it back.
///
/// ```
/// use concur_core::backend::map_with;
/// use concur_core::{Future, MapOptions, run_chunk};
///
/// // A "backend" that runs each task at once, on the caller's thread.
/// let offset = 10;
/// let f = move |x: u64| x + offset; // a closure: no `fn(A) -> R` here
/// let map = map_with(
///     1,
///     1..=6,
///     MapOptions::new().chunksize(4),
///     |x| Future::ready(f(x)),
///     |chunk| Future::ready(run_chunk(f, chunk)),
/// )?;
/// let out: Vec<u64> = map.collect::<Result<_, _>>()?;
/// assert_eq!(out, [11, 12, 13, 14, 15, 16]);
/// # Ok::<(), concur_core::Error>(())
/// ```
pub fn map_with<'a, A, R, I, S, C>(
    max_workers: usize,
    items: I,
    options: MapOptions,
    submit: S,
    submit_chunk: C,
) -> Result<Map<'a, R, I::IntoIter>, Error>
where
    R: Send + 'static,
    I: IntoIterator<Item = A>,
    I::IntoIter: 'a,
    S: FnMut(A) -> Future<R> + Send + 'a,
    C: FnMut(Vec<A>) -> Future<ChunkResult<R>> + Send + 'a,
{
    options.validate()?;
    let source = Source::with(items.into_iter(), options.chunksize, submit, submit_chunk);
    Map::new(source, window(options, max_workers), options).or_refused()
}

/// The tasks a map keeps in flight: `buffersize`, else 4 × `max_workers`
/// (at least 4).
pub(super) fn window(options: MapOptions, max_workers: usize) -> usize {
    options.buffersize.unwrap_or_else(|| 4 * max_workers.max(1))
}

impl<R: Send + 'static, I: Iterator> Map<'_, R, I> {
    /// The map, or the error its first task was refused with at once —
    /// [`Error::Shutdown`] (or [`Error::Broken`]) when the executor no longer
    /// accepts work, which `submit` reports as a future already failed — so
    /// that `map` after shutdown fails up front as `submit` does, on any
    /// executor and with no way to ask it. (An empty input submits nothing
    /// and is not refused.) Dropping the refused map cancels the rest.
    pub(crate) fn or_refused(self) -> Result<Self, Error> {
        let first = if self.ordered {
            self.queue.front()
        } else {
            self.by_token.get(&0).map(|(task, _)| task)
        };
        let Some(first) = first else {
            return Ok(self);
        };
        let any = first.any();
        match any.error() {
            Some(e @ (Error::Shutdown | Error::Broken { .. })) if any.is_done() => Err(e),
            _ => Ok(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Promise, run_chunk};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    #[test]
    fn invalid_options_are_refused_before_any_item_is_pulled() {
        let pulled = Arc::new(AtomicUsize::new(0));
        let p = pulled.clone();
        let input = (0..10u32).inspect(move |_| {
            p.fetch_add(1, Ordering::Relaxed);
        });
        let err = map_with(
            1,
            input,
            MapOptions::new().chunksize(0),
            Future::ready,
            |c: Vec<u32>| Future::ready(run_chunk(|x| x, c)),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
        assert_eq!(pulled.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_window_bounds_what_is_submitted_and_drop_cancels_the_rest() {
        // Tasks that never complete until the test says so: only `buffersize`
        // of them may be submitted, and dropping the map cancels them.
        let promises: Arc<Mutex<Vec<Promise<u32>>>> = Arc::default();
        let held = promises.clone();
        let map = map_with(
            8,
            0..1000u32,
            MapOptions::new().buffersize(3),
            move |_| {
                let p = Promise::new();
                let f = p.future();
                held.lock().unwrap().push(p);
                f
            },
            |c: Vec<u32>| Future::ready(run_chunk(|x| x, c)),
        )
        .unwrap();
        let futures: Vec<Future<u32>> = promises
            .lock()
            .unwrap()
            .iter()
            .map(|p| p.future())
            .collect();
        assert_eq!(futures.len(), 3, "the window, not the input, decides");
        drop(map);
        assert!(futures.iter().all(Future::is_cancelled));
    }

    #[test]
    fn a_refused_first_task_refuses_the_map_in_either_order() {
        for ordered in [true, false] {
            for refusal in [Error::Shutdown, Error::broken("an initializer panicked")] {
                let e = refusal.clone();
                let got = map_with(
                    1,
                    0..10u32,
                    MapOptions::new().ordered(ordered),
                    move |_| Future::<u32>::failed(e.clone()),
                    |c: Vec<u32>| Future::ready(run_chunk(|x| x, c)),
                );
                assert_eq!(got.unwrap_err(), refusal, "ordered: {ordered}");
            }
            // Any other failure of the first task is that item's, not the map's.
            let mut map = map_with(
                1,
                0..2u32,
                MapOptions::new().ordered(ordered),
                |x| {
                    if x == 0 {
                        Future::failed(Error::Cancelled)
                    } else {
                        Future::ready(x)
                    }
                },
                |c: Vec<u32>| Future::ready(run_chunk(|x| x, c)),
            )
            .unwrap();
            let first = map.next();
            assert!(
                first == Some(Err(Error::Cancelled)) || first == Some(Ok(1)),
                "{first:?}"
            );
            // Nothing submitted, nothing refused.
            let empty = map_with(
                1,
                std::iter::empty::<u32>(),
                MapOptions::new().ordered(ordered),
                |_| Future::<u32>::failed(Error::Shutdown),
                |c: Vec<u32>| Future::ready(run_chunk(|x| x, c)),
            );
            assert_eq!(empty.unwrap().count(), 0);
        }
    }

    #[test]
    fn chunks_keep_input_order_and_fail_item_by_item() {
        let map = map_with(
            2,
            0..10u32,
            MapOptions::new().chunksize(3),
            |_| unreachable!("chunksize 3 submits chunks only"),
            |c: Vec<u32>| {
                Future::ready(run_chunk(
                    |x: u32| {
                        assert!(x != 4, "four");
                        x * 2
                    },
                    c,
                ))
            },
        )
        .unwrap();
        let out: Vec<Result<u32, Error>> = map.collect();
        assert_eq!(out.len(), 10);
        for (i, r) in out.iter().enumerate() {
            if i == 4 {
                assert!(
                    matches!(r, Err(Error::Panicked { message, .. }) if message.contains("four"))
                );
            } else {
                assert_eq!(r, &Ok(2 * i as u32));
            }
        }
    }

    #[test]
    fn walked_buffers_carry_later_chunks_and_no_value_changes() {
        // Values laid out as the items (u64 -> u64), so each walked chunk's
        // buffer carries a later chunk's items: every value must still be
        // its own item's, walked by `next`, by `fold`, or both, with failures
        // inside chunks and a short last chunk.
        let f = |x: u64| {
            assert!(x % 1000 != 999, "item {x}");
            x * 3
        };
        let check = |i: u64, r: Result<u64, Error>| match r {
            Ok(v) => assert!(i % 1000 != 999 && v == i * 3, "item {i}: {v}"),
            Err(Error::Panicked { message, .. }) => {
                assert_eq!(message, format!("item {i}"));
            }
            Err(e) => panic!("item {i}: {e:?}"),
        };
        for chunksize in [2, 7, 1000] {
            let mut map = map_with(
                2,
                0..10_007u64,
                MapOptions::new().chunksize(chunksize).buffersize(3),
                |_| unreachable!("chunks only"),
                move |c: Vec<u64>| Future::ready(run_chunk(f, c)),
            )
            .unwrap();
            for i in 0..5003 {
                check(i, map.next().expect("an item"));
            }
            let mut i = 5003;
            let n = map.fold(0u64, |n, r| {
                check(i, r);
                i += 1;
                n + 1
            });
            assert_eq!((n, i), (5004, 10_007), "chunksize {chunksize}");
        }
    }
}
