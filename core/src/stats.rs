//! [`Stats`], what `stats()` answers, and [`StatsCounter`], the counters a
//! backend keeps to answer it.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::backend::CachePadded;

/// A snapshot of an executor's task counters. Tasks are counted as submitted
/// (a `map` chunk is one task); at any moment
/// `submitted == queued + running + completed + failed + cancelled`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Tasks accepted.
    pub submitted: u64,
    /// Accepted, not yet started.
    pub queued: u64,
    /// Started, not yet finished.
    pub running: u64,
    /// Finished with a value.
    pub completed: u64,
    /// Finished with an error (panic, lost worker, timeout, ...).
    pub failed: u64,
    /// Cancelled before they started (counted when the executor drops them).
    pub cancelled: u64,
    /// Live workers (threads or processes).
    pub workers: usize,
}

/// Monotonic task counters a backend bumps on its hot paths (one relaxed atomic
/// add each) and turns into a [`Stats`] snapshot.
///
/// ```
/// let c = concur_core::StatsCounter::default();
/// c.submitted();
/// c.submitted();
/// c.started();
/// c.finished(true);
/// let s = c.snapshot(1);
/// assert_eq!((s.submitted, s.queued, s.running, s.completed), (2, 1, 0, 1));
/// ```
///
/// The counter submitters write and the counters workers write sit on separate
/// cache lines, so a submitting thread and a busy worker do not bounce one line
/// between their cores on every task.
#[derive(Debug, Default)]
pub struct StatsCounter {
    /// Written by submitting threads.
    submitted: CachePadded<AtomicU64>,
    /// Written by workers.
    done: CachePadded<WorkerCounts>,
}

#[derive(Debug, Default)]
struct WorkerCounts {
    started: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    cancelled: AtomicU64,
}

impl StatsCounter {
    /// A task was accepted.
    pub fn submitted(&self) {
        self.submitted.fetch_add(1, Ordering::Relaxed);
    }
    /// `n` tasks were accepted.
    pub fn submitted_n(&self, n: u64) {
        self.submitted.fetch_add(n, Ordering::Relaxed);
    }
    /// A task started running.
    pub fn started(&self) {
        self.done.started.fetch_add(1, Ordering::Relaxed);
    }
    /// A started task finished, with a value (`ok`) or an error.
    pub fn finished(&self, ok: bool) {
        if ok {
            &self.done.completed
        } else {
            &self.done.failed
        }
        .fetch_add(1, Ordering::Relaxed);
    }
    /// A task was dropped without running because it had been cancelled.
    pub fn cancelled(&self) {
        self.done.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    /// A consistent-enough snapshot: counters are read from the last stage to the
    /// first, so every derived count is non-negative.
    pub fn snapshot(&self, workers: usize) -> Stats {
        // SeqCst loads give one order for the reads; each counter only grows, so
        // reading later stages first keeps `queued` and `running` non-negative.
        let completed = self.done.completed.load(Ordering::SeqCst);
        let failed = self.done.failed.load(Ordering::SeqCst);
        let started = self.done.started.load(Ordering::SeqCst);
        let cancelled = self.done.cancelled.load(Ordering::SeqCst);
        let submitted = self.submitted.load(Ordering::SeqCst);
        let started = started.max(completed + failed);
        let submitted = submitted.max(started + cancelled);
        Stats {
            submitted,
            queued: submitted - started - cancelled,
            running: started - completed - failed,
            completed,
            failed,
            cancelled,
            workers,
        }
    }
}
