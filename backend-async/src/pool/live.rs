//! [`LiveTasks`]: the async pool's admission gate. It keeps core's
//! [`Gate`](concur_core::backend::Gate) protocol — either a spawn is refused
//! or `shutdown` sees its task live, and the last task to go after shutdown
//! is told so — with the count split in two: tasks counted in by the
//! spawning threads, tasks counted out by the executor threads. A single
//! count is written by both sides on every task, and its cache line travels
//! between the spawner's core and an executor thread's core twice per task;
//! split, each side writes a line of its own and reads the other's only
//! after shutdown.
//!
//! # Why the count is exact
//!
//! Every operation is `SeqCst`, so they all fall in one total order. Let `S`
//! be `entered` (accepted tasks, plus refused spawns until they undo their
//! entry), `D` be `left` (tasks gone) and `C` be `closed`.
//!
//! - An accepted spawn adds to `S`, then reads `C` false: that read comes
//!   before `close`'s store, so every accepted task is in `S` before `C` is
//!   set. A spawn that reads `C` true undoes its entry and is refused.
//! - No false "quiescent": whoever reads `C` true and then `D` and `S` equal
//!   read an `S` that holds every accepted task (they entered before `C`),
//!   and a `D` of at most the accepted tasks; equal means every accepted task
//!   has gone and no refused entry is still counted.
//! - Someone always sees it: take the last change to `S`, `D` or `C` in the
//!   total order. Its author reads the others after it — `close` then
//!   `is_quiescent`, a leave then `S`, a refused spawn's undo then
//!   `is_quiescent` — and sees the final, equal counts with `C` set.
//!
//! More than one may see it (two tasks ending at once); closing the stop
//! channel twice is harmless.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use concur_core::backend::CachePadded;

/// Live tasks of one pool, and whether it is closed to new ones.
#[derive(Debug, Default)]
pub(super) struct LiveTasks {
    /// Read by every spawn and every task's end; written once.
    closed: CachePadded<AtomicBool>,
    /// Tasks counted in (wrapping), written by spawning threads only.
    entered: CachePadded<AtomicUsize>,
    /// Tasks counted out (wrapping), written by the tasks' ends only.
    left: CachePadded<AtomicUsize>,
}

impl LiveTasks {
    /// Counts a task in; false, counting nothing, once closed. A refused
    /// caller checks [`is_quiescent`](LiveTasks::is_quiescent) next: its
    /// undo may have been the last change (module docs).
    #[inline]
    pub(super) fn enter(&self) -> bool {
        // SeqCst, as every operation here: see "Why the count is exact".
        self.entered.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.entered.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Counts a task out; true when it was the last one after
    /// [`close`](LiveTasks::close).
    #[inline]
    pub(super) fn leave(&self) -> bool {
        let left = self.left.fetch_add(1, Ordering::SeqCst).wrapping_add(1);
        self.closed.load(Ordering::SeqCst) && self.entered.load(Ordering::SeqCst) == left
    }

    /// Refuses every later [`enter`](LiveTasks::enter). Idempotent.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// True once closed.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// True once closed with no task live: none will be again.
    pub(super) fn is_quiescent(&self) -> bool {
        // `left` before `entered`: see "No false quiescent".
        self.closed.load(Ordering::SeqCst) && {
            let left = self.left.load(Ordering::SeqCst);
            self.entered.load(Ordering::SeqCst) == left
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LiveTasks;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_protocol_in_order() {
        let live = LiveTasks::default();
        assert!(live.enter());
        assert!(live.enter());
        assert!(!live.leave(), "not closed");
        live.close();
        assert!(!live.is_quiescent(), "one task is live");
        assert!(!live.enter(), "closed: refused");
        assert!(!live.is_quiescent(), "the refusal undid only itself");
        assert!(live.leave(), "the last one out after close");
        assert!(live.is_quiescent());
    }

    #[test]
    fn exactly_when_the_last_task_goes_someone_sees_it() {
        // Spawners race `close`; every accepted task ends on another thread.
        // Whatever the interleaving: quiescence is seen at least once, never
        // while a task is live, and every accepted task is counted out.
        for _ in 0..300 {
            let live = LiveTasks::default();
            let running = AtomicUsize::new(0);
            let seen = AtomicUsize::new(0);
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            std::thread::scope(|s| {
                let (live, running, seen) = (&live, &running, &seen);
                let ender = s.spawn(move || {
                    for () in rx {
                        // Counted down before `leave`, as a task's drop
                        // happens before its guard counts it out.
                        running.fetch_sub(1, Ordering::SeqCst);
                        if live.leave() {
                            assert_eq!(running.load(Ordering::SeqCst), 0);
                            seen.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
                let spawners: Vec<_> = (0..2)
                    .map(|_| {
                        let tx = tx.clone();
                        s.spawn(move || {
                            for _ in 0..20 {
                                if live.enter() {
                                    running.fetch_add(1, Ordering::SeqCst);
                                    tx.send(()).expect("the ender");
                                } else if live.is_quiescent() {
                                    assert_eq!(running.load(Ordering::SeqCst), 0);
                                    seen.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                        })
                    })
                    .collect();
                drop(tx);
                live.close();
                if live.is_quiescent() {
                    assert_eq!(running.load(Ordering::SeqCst), 0);
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                for h in spawners {
                    h.join().expect("a spawner");
                }
                ender.join().expect("the ender");
            });
            assert!(live.is_quiescent());
            assert_eq!(running.load(Ordering::SeqCst), 0);
            assert!(seen.load(Ordering::SeqCst) >= 1, "nobody saw the end");
        }
    }
}
