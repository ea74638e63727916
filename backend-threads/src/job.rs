//! A queued task: the user's body and the promise it completes, boxed once.
//!
//! A [`Job`] is what sits in the deques. Whoever takes it out decides its fate
//! with an [`Action`]: a worker runs it, `shutdown(cancel_futures = true)`
//! cancels it, a broken pool fails it. Every path moves the promise to a final
//! state and bumps exactly one of the pool's counters, so `stats()` adds up.

use concur_core::{Error, Promise, StatsCounter, catch_panic};

/// What to do with a job taken out of a queue.
#[derive(Debug)]
pub(crate) enum Action {
    /// Run the body on this thread (unless its future was cancelled meanwhile).
    Run,
    /// Drop the body unrun; its future becomes cancelled.
    Cancel,
    /// Drop the body unrun; its future fails with this error.
    Fail(Error),
}

pub(crate) type Body<'a> = Box<dyn FnOnce(Action, &StatsCounter) + Send + 'a>;

/// One boxed task. `'a` is `'static` except inside [`scope`](crate::Scope),
/// which erases it (see scope.rs for why that is sound).
pub(crate) struct Job<'a>(Body<'a>);

impl std::fmt::Debug for Job<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl<'a> Job<'a> {
    /// A job that runs `body` and completes `promise` with its value, or with
    /// [`Error::Panicked`] if it panics.
    pub(crate) fn new<R, F>(body: F, promise: Promise<R>) -> Self
    where
        R: Send + Sync + 'static,
        F: FnOnce() -> R + Send + 'a,
    {
        Job(Box::new(move |action, stats| {
            execute(body, promise, action, stats)
        }))
    }

    /// A job from a raw body (used by `scope` to wrap a job with its guard).
    pub(crate) fn from_fn(f: impl FnOnce(Action, &StatsCounter) + Send + 'a) -> Self {
        Job(Box::new(f))
    }

    /// Carries out `action`, counting the outcome in `stats`.
    #[inline]
    pub(crate) fn execute(self, action: Action, stats: &StatsCounter) {
        (self.0)(action, stats)
    }

    /// The box inside, for `scope`'s lifetime erasure.
    pub(crate) fn into_body(self) -> Body<'a> {
        self.0
    }

    /// Rebuilds a job from its box.
    pub(crate) fn from_body(body: Body<'a>) -> Self {
        Job(body)
    }
}

#[inline]
fn execute<R, F>(body: F, promise: Promise<R>, action: Action, stats: &StatsCounter)
where
    R: Send + Sync + 'static,
    F: FnOnce() -> R,
{
    match action {
        Action::Run => {
            if !promise.set_running() {
                // Cancelled while queued: skip it, as Python's
                // `set_running_or_notify_cancel`.
                stats.cancelled();
                return;
            }
            stats.started();
            let outcome = catch_panic(body);
            // Count before completing, so a caller that sees the result also
            // sees the counter.
            stats.finished(outcome.is_ok());
            promise.complete(outcome);
        }
        Action::Cancel => {
            drop(body);
            // Dropping a pending promise cancels its future.
            drop(promise);
            stats.cancelled();
        }
        Action::Fail(error) => {
            drop(body);
            if promise.set_running() {
                stats.started();
                stats.finished(false);
                promise.set_error(error);
            } else {
                stats.cancelled();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_counts_once() {
        let stats = StatsCounter::default();
        let p = Promise::new();
        let ok = p.future();
        Job::new(|| 1, p).execute(Action::Run, &stats);
        let p = Promise::<u8>::new();
        let panicked = p.future();
        Job::new(|| panic!("boom"), p).execute(Action::Run, &stats);
        let p = Promise::new();
        let cancelled = p.future();
        Job::new(|| 3, p).execute(Action::Cancel, &stats);
        let p = Promise::new();
        let failed = p.future();
        Job::new(|| 4, p).execute(Action::Fail(Error::Shutdown), &stats);
        let p = Promise::new();
        let pre_cancelled = p.future();
        assert!(pre_cancelled.cancel());
        Job::new(|| 5, p).execute(Action::Run, &stats);

        assert_eq!(ok.result(None), Ok(1));
        assert!(matches!(panicked.result(None), Err(Error::Panicked { .. })));
        assert_eq!(cancelled.result(None), Err(Error::Cancelled));
        assert_eq!(failed.result(None), Err(Error::Shutdown));
        assert_eq!(pre_cancelled.result(None), Err(Error::Cancelled));
        let s = stats.snapshot(0);
        assert_eq!((s.completed, s.failed, s.cancelled), (1, 2, 2));
    }
}
