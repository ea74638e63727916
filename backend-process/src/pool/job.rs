//! One accepted task as the parent holds it: its encoded frame, its shared-memory
//! argument if any, and a type-erased promise that decodes the result.

use std::time::Duration;

use concur_core::{AnyFuture, Error, Payload, Promise, StatsCounter};

use crate::codec::{self, Codec};
use crate::shm::Region;

/// One accepted task.
pub(super) struct Task {
    pub(super) id: u64,
    pub(super) frame: Vec<u8>,
    pub(super) shm: Option<Region>,
    pub(super) sink: Box<dyn Sink>,
    pub(super) timeout: Option<Duration>,
    /// `set_running` succeeded (on its first dispatch).
    pub(super) marked: bool,
    /// Runs lost with their worker so far (for `retries`).
    pub(super) lost: u32,
}

/// A type-erased promise: decodes the result and completes the future.
pub(super) trait Sink: Send {
    fn set_running(&self) -> bool;
    /// Decodes, counts the outcome in `stats`, completes the future.
    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter);
    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter);
    /// True if this completes `future`.
    fn completes(&self, future: &AnyFuture) -> bool;
}

/// The [`Sink`] of a task whose result is an `R`, decoded with the pool's codec.
pub(super) struct PromiseSink<R: Payload>(pub(super) Promise<R>, pub(super) Codec);

impl<R: Payload> Sink for PromiseSink<R> {
    fn set_running(&self) -> bool {
        self.0.set_running()
    }
    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter) {
        let outcome = outcome.and_then(|bytes| codec::decode_payload::<R>(self.1, bytes));
        stats.finished(outcome.is_ok());
        self.0.complete(outcome);
    }
    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter) {
        stats.finished(false);
        self.0.set_error(error);
    }
    fn completes(&self, future: &AnyFuture) -> bool {
        self.0.future().as_any().same_as(future)
    }
}
