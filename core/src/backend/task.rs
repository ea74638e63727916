//! The task body every backend runs: mark the task running, count it, catch
//! its panic, complete its future — and the two ways a queued task ends
//! without running. Written once, so `stats()` and the future's state agree on
//! every backend.
//!
//! The order is the contract's: [`Promise::set_running`] first (false: the
//! caller cancelled the future while it was queued, and the body must not
//! run, as Python's `set_running_or_notify_cancel`), then the body under
//! [`catch_panic`](crate::catch_panic), then the counters, then the future —
//! counted before it completes, so a caller that saw the result also sees the
//! counters that include it.

use crate::{Error, Promise, StatsCounter};

/// Marks the task running and counts it started; returns false, counting it
/// cancelled, when its future was cancelled while it waited.
///
/// With [`finish`] it splits [`run`] for a body that runs in several steps (an
/// async task polled many times).
pub fn start<R: Send + 'static>(promise: &Promise<R>, stats: &StatsCounter) -> bool {
    if promise.set_running() {
        stats.started();
        true
    } else {
        stats.cancelled();
        false
    }
}

/// Counts a started task's outcome, then completes its future with it.
pub fn finish<R: Send + 'static>(
    promise: Promise<R>,
    stats: &StatsCounter,
    outcome: Result<R, Error>,
) {
    stats.finished(outcome.is_ok());
    promise.complete(outcome);
}

/// Runs one task: [`start`], `body` with its panic caught as
/// [`Error::Panicked`], [`finish`]. Returns whether the body ran.
///
/// ```
/// use concur_core::{Error, Promise, StatsCounter, backend};
///
/// let stats = StatsCounter::default();
/// let p = Promise::new();
/// let f = p.future();
/// assert!(backend::task::run(p, &stats, || 6 * 7));
/// assert_eq!(f.result(None), Ok(42));
///
/// let p = Promise::<u8>::new();
/// let boom = p.future();
/// backend::task::run(p, &stats, || panic!("boom"));
/// assert!(matches!(boom.result(None), Err(Error::Panicked { .. })));
///
/// let p = Promise::new();
/// let cancelled = p.future();
/// assert!(cancelled.cancel());
/// assert!(!backend::task::run(p, &stats, || unreachable!("never runs")));
/// let s = stats.snapshot(0);
/// assert_eq!((s.completed, s.failed, s.cancelled), (1, 1, 1));
/// ```
pub fn run<R: Send + 'static>(
    promise: Promise<R>,
    stats: &StatsCounter,
    body: impl FnOnce() -> R,
) -> bool {
    if !start(&promise, stats) {
        return false;
    }
    let outcome = crate::catch_panic(body);
    finish(promise, stats, outcome);
    true
}

/// Ends a queued task without running it: its future is cancelled
/// (`shutdown(cancel_futures = true)`).
pub fn cancel<R: Send + 'static>(promise: Promise<R>, stats: &StatsCounter) {
    // Dropping a pending promise cancels its future.
    drop(promise);
    stats.cancelled();
}

/// Ends a queued task without running it: its future fails with `error` (the
/// pool broke). A future cancelled meanwhile stays cancelled.
pub fn fail<R: Send + 'static>(promise: Promise<R>, stats: &StatsCounter, error: Error) {
    if start(&promise, stats) {
        finish(promise, stats, Err(error));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ending_counts_once_and_stats_add_up() {
        let stats = StatsCounter::default();
        let ends: Vec<(crate::Future<u8>, Result<u8, Error>)> = vec![
            {
                let p = Promise::new();
                let f = p.future();
                assert!(run(p, &stats, || 1));
                (f, Ok(1))
            },
            {
                let p = Promise::new();
                let f = p.future();
                cancel(p, &stats);
                (f, Err(Error::Cancelled))
            },
            {
                let p = Promise::new();
                let f = p.future();
                fail(p, &stats, Error::Shutdown);
                (f, Err(Error::Shutdown))
            },
            {
                // Cancelled before the pool broke: it stays cancelled.
                let p = Promise::new();
                let f = p.future();
                assert!(f.cancel());
                fail(p, &stats, Error::Shutdown);
                (f, Err(Error::Cancelled))
            },
        ];
        for (f, expected) in ends {
            assert_eq!(f.result(None), expected);
        }
        for _ in 0..4 {
            stats.submitted();
        }
        let s = stats.snapshot(0);
        assert_eq!(
            (
                s.submitted,
                s.queued,
                s.running,
                s.completed,
                s.failed,
                s.cancelled
            ),
            (4, 0, 0, 1, 1, 2)
        );
    }

    #[test]
    fn counters_are_final_when_the_result_is_seen() {
        let stats = StatsCounter::default();
        stats.submitted();
        let p = Promise::new();
        let f = p.future();
        f.add_done_callback(|_| {});
        let seen = std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let r = f.result(None);
                (r, stats.snapshot(0).completed)
            });
            run(p, &stats, || 5u8);
            waiter.join().expect("the waiter")
        });
        assert_eq!(seen, (Ok(5), 1));
    }
}
