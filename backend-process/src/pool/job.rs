//! One accepted task as the parent holds it — its encoded frame, its
//! shared-memory argument if any, and a type-erased promise that decodes the
//! result — and every way it ends, through core's task body
//! (`concur_core::backend::task`), so that `stats()` and the futures agree
//! here as on every pool.
//!
//! The body is split across two processes, so core's `task::run` (start, run
//! under `catch_panic`, finish, in one call) cannot be used whole: the parent
//! marks a task running when it sends it to a worker ([`Task::start`], core's
//! `task::start`), the worker runs the body under core's `catch_panic` (or
//! `run_chunk` for a chunk; see `task.rs`), and the parent completes the future
//! when the result arrives ([`Sink::finish`], core's `task::finish`). A task
//! that ends without reaching a worker ends as core's `task::cancel` and
//! `task::fail` end it.
//!
//! A task counts towards the `max_queued` bound (core's `QueueBound`) from its
//! admission until it leaves the queue unstarted, which it does once: started,
//! found cancelled, cancelled or failed. Every such exit is a method here, so
//! none forgets the bound.

use std::time::Duration;

use concur_core::backend::{QueueBound, task};
use concur_core::{AnyFuture, Error, Payload, Promise, StatsCounter};

use crate::codec::{self, Codec, Frame};
use crate::shm::Region;

/// One accepted task.
pub(super) struct Task {
    pub(super) id: u64,
    pub(super) frame: Frame,
    pub(super) shm: Option<Region>,
    pub(super) sink: Box<dyn Sink>,
    pub(super) timeout: Option<Duration>,
    /// Marked running (on its first dispatch): it left the queue's bound, and
    /// from now on it ends as a started task, requeued or not.
    pub(super) marked: bool,
    /// Runs lost with their worker so far (for `retries`).
    pub(super) lost: u32,
}

impl Task {
    /// The task is about to be sent to a worker. On its first dispatch it is
    /// marked running (core's `task::start`) and leaves the bound; false when
    /// its future was cancelled while it waited (counted cancelled: drop it).
    pub(super) fn start(&mut self, stats: &StatsCounter, bound: &QueueBound) -> bool {
        if self.marked {
            return true;
        }
        bound.leave();
        self.marked = self.sink.start(stats);
        self.marked
    }

    /// Ends a task that no worker holds with `error`: one marked running fails
    /// with it; one still queued leaves the bound and fails unless its future
    /// was cancelled meanwhile (core's `task::fail`).
    pub(super) fn fail_unsent(self, error: Error, stats: &StatsCounter, bound: &QueueBound) {
        if self.marked {
            self.sink.fail(error, stats);
        } else {
            bound.leave();
            self.sink.fail_queued(error, stats);
        }
    }

    /// Cancels a task that no worker holds: one still queued leaves the bound
    /// and its future is cancelled (core's `task::cancel`); one marked running
    /// (requeued after its worker was lost) fails with `Cancelled`.
    pub(super) fn cancel_unsent(self, stats: &StatsCounter, bound: &QueueBound) {
        if self.marked {
            self.sink.fail(Error::Cancelled, stats);
        } else {
            bound.leave();
            self.sink.cancel_queued(stats);
        }
    }
}

/// A type-erased promise: marks, decodes, counts and completes through core's
/// task body.
pub(super) trait Sink: Send {
    /// Marks the future running and counts it started; false (counted
    /// cancelled) if it was cancelled (`task::start`).
    fn start(&self, stats: &StatsCounter) -> bool;
    /// A started task's result arrived: decodes it, counts the outcome,
    /// completes the future (`task::finish`).
    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter);
    /// A started task failed (`task::finish` with the error).
    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter);
    /// A queued task fails without running (`task::fail`).
    fn fail_queued(self: Box<Self>, error: Error, stats: &StatsCounter);
    /// A queued task is cancelled without running (`task::cancel`).
    fn cancel_queued(self: Box<Self>, stats: &StatsCounter);
    /// True if this completes `future`.
    fn completes(&self, future: &AnyFuture) -> bool;
}

/// The [`Sink`] of a task whose result is an `R`, decoded with the pool's codec.
pub(super) struct PromiseSink<R: Payload>(pub(super) Promise<R>, pub(super) Codec);

impl<R: Payload> Sink for PromiseSink<R> {
    fn start(&self, stats: &StatsCounter) -> bool {
        task::start(&self.0, stats)
    }
    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter) {
        let outcome = outcome.and_then(|bytes| codec::decode_payload::<R>(self.1, bytes));
        task::finish(self.0, stats, outcome);
    }
    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter) {
        task::finish(self.0, stats, Err(error));
    }
    fn fail_queued(self: Box<Self>, error: Error, stats: &StatsCounter) {
        task::fail(self.0, stats, error);
    }
    fn cancel_queued(self: Box<Self>, stats: &StatsCounter) {
        task::cancel(self.0, stats);
    }
    fn completes(&self, future: &AnyFuture) -> bool {
        self.0.future().as_any().same_as(future)
    }
}
