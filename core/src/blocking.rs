//! Blocking on a future from a plain thread: the wait hook first (a pool
//! worker runs other tasks meanwhile), then the parking loop.

use std::time::Instant;

use crate::state::{Inner, Registered, Waiter};
use crate::sync::thread;

/// Parks the current thread until `inner` is done or `deadline` passes; true
/// if it is done.
///
/// A pool can make its own threads do useful work instead of parking through
/// [`set_wait_hook`](crate::set_wait_hook).
pub(crate) fn wait_until<T>(inner: &Inner<T>, deadline: Option<Instant>) -> bool {
    if inner.is_done() {
        return true;
    }
    if crate::hook::run_wait_hook(&|| inner.is_done(), deadline) {
        return true;
    }
    park_until(inner, deadline)
}

/// The parking loop: registers this thread as a waiter, parks until the
/// completer's wake-up (or the deadline), and deregisters on a timeout.
///
/// The waiter is the thread's handle (a reference count, no allocation). A
/// wake-up is recognised by the phase itself: the completer makes it done
/// (Release) before it unparks anyone, and `is_done` reads it (Acquire), so a
/// spurious wake-up, or a stale unpark token from an earlier wait, only
/// costs another look.
fn park_until<T>(inner: &Inner<T>, deadline: Option<Instant>) -> bool {
    let id = match inner.register(Waiter::Thread(thread::current())) {
        Registered::Id(id) => id,
        Registered::AlreadyDone(_) => return true,
    };
    loop {
        if inner.is_done() {
            return true;
        }
        match deadline {
            None => thread::park(),
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    inner.deregister(id);
                    return inner.is_done();
                }
                thread::park_timeout(d - now);
            }
        }
    }
}
