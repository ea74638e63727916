//! [`Sleepers`]: how many executor threads sleep, and whether a wake-up is
//! already on its way to one of them — the fast path that lets a push skip
//! the idle event's lock (an `event-listener` notification always takes it).
//!
//! # The protocol
//!
//! One word: the number of sleepers (times [`SLEEPER`]) and the
//! [`NOTIFIED`] bit.
//!
//! - A thread that found the queue empty inserts its listener in the idle
//!   event, counts itself in ([`sleep`](Sleepers::sleep)), then looks at the
//!   queue once more; it waits only if that look finds nothing. Whether it
//!   was woken or found work on that look, it first drops its listener, then
//!   counts itself out ([`wake_up`](Sleepers::wake_up)), which also clears
//!   [`NOTIFIED`], and then looks at the queue again.
//! - A push (or a thread that popped and left more behind) asks
//!   [`wake_one`](Sleepers::wake_one) after the work is queued: it answers
//!   true, setting [`NOTIFIED`], only when someone sleeps and the bit was
//!   clear; the caller then notifies one listener.
//!
//! Why no work is left queued with every thread asleep: the push's fence
//! and the sleeper's pair as a store buffer, so either `wake_one` sees the
//! sleeper counted, or the sleeper's second look sees the work. If
//! `wake_one` sees a sleeper and the bit clear, it notifies; if it sees the
//! bit set, the thread whose set it was saw a sleeper `S` counted in, and
//! `S`'s listener was in the event until `S` counts out: so its notification
//! reached `S` or a thread notified before, or `S` left on its own. Either
//! way some thread counts out after the bit was set — after this push — and
//! looks at the queue after that. Clearing the bit on every count-out, not
//! only the notified thread's, may wake a thread more than needed, never
//! fewer. A model of this with loom is `tests/loom_sleepers.rs`.
//!
//! At most one notification is on its way at a time, so a burst of spawns
//! while the threads sleep pays one wake-up, not one per task.

use crate::sync::atomic::{AtomicUsize, Ordering, fence};

/// The bit set while a notification is on its way to a sleeper.
const NOTIFIED: usize = 1;
/// One sleeper in the count.
const SLEEPER: usize = 2;

/// The sleepers' count and the notified bit (module docs).
#[derive(Debug, Default)]
pub(crate) struct Sleepers {
    state: AtomicUsize,
}

impl Sleepers {
    /// Counts the caller in as a sleeper. Its listener is in the event
    /// already; it must look for work once more before it waits.
    pub(crate) fn sleep(&self) {
        self.state.fetch_add(SLEEPER, Ordering::SeqCst);
        // The sleeper's half of the store buffer with `wake_one`'s fence:
        // the look for work that follows is ordered after the count.
        fence(Ordering::SeqCst);
    }

    /// Counts the caller out, after it dropped its listener (woken, or it
    /// found work on its second look), and clears the notified bit.
    pub(crate) fn wake_up(&self) {
        let _ = self
            .state
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
                Some((s - SLEEPER) & !NOTIFIED)
            });
    }

    /// Work was just queued: true when the caller must notify one listener
    /// (someone sleeps, no notification is on its way; the bit is now set).
    #[inline]
    pub(crate) fn wake_one(&self) -> bool {
        // The pusher's half of the store buffer with `sleep`'s fence: the
        // count read below is ordered after the work was queued.
        fence(Ordering::SeqCst);
        let mut s = self.state.load(Ordering::SeqCst);
        loop {
            if s < SLEEPER || s & NOTIFIED != 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                s,
                s | NOTIFIED,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }
}
