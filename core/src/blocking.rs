//! Blocking on a future from a plain thread.

use std::time::Instant;

use crate::state::Inner;

/// Parks the current thread until `inner` is done or `deadline` passes.
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
    crate::future::blocking_impl::wait_until(inner, deadline)
}
