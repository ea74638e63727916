//! [`StatsCounter`]: the counters a backend keeps to answer `stats()`.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Stats;

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
#[derive(Debug, Default)]
pub struct StatsCounter {
    submitted: AtomicU64,
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
        self.started.fetch_add(1, Ordering::Relaxed);
    }
    /// A started task finished, with a value (`ok`) or an error.
    pub fn finished(&self, ok: bool) {
        if ok { &self.completed } else { &self.failed }.fetch_add(1, Ordering::Relaxed);
    }
    /// A task was dropped without running because it had been cancelled.
    pub fn cancelled(&self) {
        self.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    /// A consistent-enough snapshot: counters are read from the last stage to the
    /// first, so every derived count is non-negative.
    pub fn snapshot(&self, workers: usize) -> Stats {
        // SeqCst loads give one order for the reads; each counter only grows, so
        // reading later stages first keeps `queued` and `running` non-negative.
        let completed = self.completed.load(Ordering::SeqCst);
        let failed = self.failed.load(Ordering::SeqCst);
        let started = self.started.load(Ordering::SeqCst);
        let cancelled = self.cancelled.load(Ordering::SeqCst);
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
