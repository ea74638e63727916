//! Admission: whether a pool takes a task. Two pieces every backend needs —
//! the submit/close protocol that lets shutdown know no task will arrive any
//! more ([`Gate`]), and the `max_queued` bound of `try_submit`
//! ([`QueueBound`]).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::CachePadded;
use crate::Error;

/// The submit/close protocol.
///
/// A submitter [`enter`](Gate::enter)s (increments `active`, then reads
/// `closed`) and [`leave`](Gate::leave)s once its task is where workers find
/// it (or, for a pool that counts live tasks, once the task is gone).
/// [`close`](Gate::close) sets `closed`, then reads `active`. Both sides write
/// one variable and then read the other, all `SeqCst`, so either the submitter
/// sees `closed` (and refuses) or `close` sees it active. Once the gate is
/// *quiescent* — closed with nobody active — no task will ever be pushed
/// again: a worker that then finds every queue empty may exit without
/// stranding one, and the last `leave` after `close` is told so.
///
/// Both counters sit on cache lines of their own; `closed` is read-mostly, so
/// workers polling it do not steal the line submitters write.
///
/// ```
/// use concur_core::backend::Gate;
///
/// let gate = Gate::default();
/// assert!(gate.enter());
/// assert!(!gate.close(), "one submitter is still active");
/// assert!(!gate.enter(), "closed: refused");
/// assert!(gate.leave(), "the last one out after close");
/// assert!(gate.is_quiescent());
/// ```
#[derive(Debug, Default)]
pub struct Gate {
    closed: CachePadded<AtomicBool>,
    active: CachePadded<AtomicUsize>,
}

impl Gate {
    /// Counts a submitter (or a live task) in; false, counting nothing, once
    /// the gate is closed.
    #[inline]
    pub fn enter(&self) -> bool {
        // SeqCst: pairs with `close` (store `closed`, load `active`).
        self.active.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.leave();
            return false;
        }
        true
    }

    /// Counts one out; true when it was the last one after [`close`](Gate::close):
    /// the gate became quiescent.
    #[inline]
    pub fn leave(&self) -> bool {
        // SeqCst: what the leaver did before (a push) happens before a
        // `closed()` check that reads the count it leaves.
        self.active.fetch_sub(1, Ordering::SeqCst) == 1 && self.closed.load(Ordering::SeqCst)
    }

    /// Refuses every later [`enter`](Gate::enter); true when nobody is active,
    /// so the gate is quiescent at once. Idempotent.
    pub fn close(&self) -> bool {
        // SeqCst: pairs with `enter` (add `active`, load `closed`).
        self.closed.store(true, Ordering::SeqCst);
        self.active.load(Ordering::SeqCst) == 0
    }

    /// [`close`](Gate::close), then waits (yielding) until nobody is active:
    /// for submitters that are only ever active for a push.
    pub fn close_and_wait(&self) {
        self.close();
        while !self.is_quiescent() {
            std::thread::yield_now();
        }
    }

    /// True once [`close`](Gate::close) was called.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// True once closed with nobody active: nothing will enter again.
    #[inline]
    pub fn is_quiescent(&self) -> bool {
        self.is_closed() && self.active.load(Ordering::SeqCst) == 0
    }

    /// Submitters (or live tasks) counted in now.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
}

/// The `max_queued` bound: tasks accepted and not yet started, counted only
/// when there is a bound (without one nobody reads the count, so nothing is
/// written). [`try_admit`](QueueBound::try_admit) refuses at the bound with
/// [`Error::Full`]; plain `submit` [`admit`](QueueBound::admit)s past it, and
/// its tasks count towards it.
///
/// ```
/// use concur_core::Error;
/// use concur_core::backend::QueueBound;
///
/// let bound = QueueBound::new(Some(1));
/// assert_eq!(bound.try_admit(), Ok(()));
/// assert_eq!(bound.try_admit(), Err(Error::Full { max_queued: 1 }));
/// bound.admit(); // `submit` never refuses
/// bound.leave();
/// bound.leave();
/// assert_eq!(bound.try_admit(), Ok(()));
/// assert_eq!(QueueBound::new(None).try_admit(), Ok(()));
/// ```
#[derive(Debug, Default)]
pub struct QueueBound {
    max: Option<usize>,
    queued: CachePadded<AtomicUsize>,
}

impl QueueBound {
    /// A bound of `max` queued tasks; `None`: unbounded. Validate it first
    /// with [`check_max_queued`](super::check_max_queued).
    pub fn new(max: Option<usize>) -> Self {
        QueueBound {
            max,
            queued: CachePadded::default(),
        }
    }

    /// The bound.
    pub fn max(&self) -> Option<usize> {
        self.max
    }

    /// Takes a place for `try_submit`.
    ///
    /// # Errors
    ///
    /// [`Error::Full`] with the bound when `max` tasks are queued.
    #[inline]
    pub fn try_admit(&self) -> Result<(), Error> {
        if let Some(max) = self.max {
            // Relaxed: a bound, it publishes no data.
            self.queued
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| {
                    (q < max).then_some(q + 1)
                })
                .map_err(|_| Error::Full { max_queued: max })?;
        }
        Ok(())
    }

    /// Takes a place past the bound (plain `submit`).
    #[inline]
    pub fn admit(&self) {
        if self.max.is_some() {
            // Relaxed: a bound, it publishes no data.
            self.queued.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A task left the queue: it started, or was dropped unrun.
    #[inline]
    pub fn leave(&self) {
        if self.max.is_some() {
            // Relaxed: a bound, it publishes no data.
            self.queued.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_racing_submitter_is_refused_or_seen() {
        // Whatever the interleaving, a submitter that got in is counted
        // before `close` returns false, or refused after it.
        for _ in 0..200 {
            let gate = Gate::default();
            let accepted = std::thread::scope(|s| {
                let submitter = s.spawn(|| {
                    let inside = gate.enter();
                    if inside {
                        gate.leave();
                    }
                    inside
                });
                gate.close_and_wait();
                submitter.join().expect("the submitter")
            });
            assert!(gate.is_quiescent());
            assert!(!gate.enter(), "closed stays closed (accepted: {accepted})");
            assert_eq!(gate.active(), 0);
        }
    }

    #[test]
    fn the_bound_holds_under_contention() {
        let bound = QueueBound::new(Some(8));
        let admitted = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        if bound.try_admit().is_ok() {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(admitted.load(Ordering::Relaxed), 8);
        bound.leave();
        assert_eq!(bound.try_admit(), Ok(()));
    }
}
