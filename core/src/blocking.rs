//! Blocking on a future from a plain thread: the wait hook first (a pool
//! worker runs other tasks meanwhile), then the parking loop.

use std::sync::Arc;
use std::time::Instant;

use crate::state::{Inner, Registered, ThreadSignal, Waiter};
use crate::sync::thread;
use crate::sync::{AtomicBool, Ordering};

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
fn park_until<T>(inner: &Inner<T>, deadline: Option<Instant>) -> bool {
    let sig = Arc::new(ThreadSignal {
        done: AtomicBool::new(false),
        thread: thread::current(),
    });
    let id = match inner.register(Waiter::Thread(sig.clone())) {
        Registered::Id(id) => id,
        Registered::AlreadyDone(_) => return true,
    };
    loop {
        // Acquire pairs with the Release store in `wake_all`.
        if sig.done.load(Ordering::Acquire) {
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
