//! [`TaskMeta`]: what every task of the async pool carries in its header
//! (async-task's metadata), beside the state and the waker of its awaiter.
//!
//! The header lives from the spawn until the last waker or runnable of the
//! task is gone, so everything here outlives the task's future: the future
//! borrows it (its [`TaskGuard`](super::TaskGuard) reaches the pool through
//! it), and the scheduler reads it from a queued runnable without touching
//! the future.
//!
//! This is also where the core future cell is to live once core can place one
//! in memory it does not allocate: the task would then be one allocation
//! (the header with the cell, the schedule function, the future), and the
//! spawner's `Future` handle a reference to that header.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Shared;

/// The metadata of one task: the pool it belongs to, and whether an executor
/// thread has picked it up (polled it once).
pub(super) struct TaskMeta {
    /// The task's one reference to its pool: the guard's counts, the stats,
    /// and the queue a wake pushes the task back to all go through it.
    pub(super) shared: Arc<Shared>,
    /// Set by the first poll; read by `shutdown(cancel_futures)`, which drops
    /// only the queued runnables of tasks not picked up.
    picked_up: AtomicBool,
}

impl TaskMeta {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        TaskMeta {
            shared,
            picked_up: AtomicBool::new(false),
        }
    }

    /// Marks the task picked up; called once, by its first poll.
    pub(super) fn pick_up(&self) {
        // Release: pairs with the Acquire in `is_picked_up`. (A runnable the
        // scheduler pops was pushed after that poll ended anyway: by the end
        // of the poll itself, or by a wake that synchronised with it through
        // the task's state.)
        self.picked_up.store(true, Ordering::Release);
    }

    /// Whether the task's first poll has happened.
    pub(super) fn is_picked_up(&self) -> bool {
        // Acquire: pairs with the Release in `pick_up`.
        self.picked_up.load(Ordering::Acquire)
    }
}
