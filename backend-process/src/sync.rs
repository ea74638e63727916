//! The lock-poison policy of the crate's own locks, in one place (as
//! `sync.rs` in the thread and async crates).
//!
//! # Poisoned locks
//!
//! No lock of the pool or of a worker is held while user code runs: the
//! pool's state lock is released before a future is completed or a promise
//! dropped (both run callbacks), and a worker runs its task outside its
//! queue's lock. So a lock poisoned by a panic of the crate's own code still
//! guards a valid value, and [`lock`], [`wait`] and [`wait_timeout`] take it as
//! it is instead of spreading one panic to every later caller — for a slot
//! thread, that would be one worker's fault breaking the pool.
//!
//! Unlike the thread crate's, this module has no `cfg(loom)` switch: what is
//! concurrent here is mostly between processes, which loom does not model,
//! and core's loom models cover the future state machine every backend uses.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, WaitTimeoutResult};
use std::time::Duration;

/// Locks `m`, taking a poisoned lock as it is (see the module docs).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cv`, taking a poisoned lock as it is.
pub(crate) fn wait<'a, T>(cv: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cv` for at most `timeout`, taking a poisoned lock as it is.
pub(crate) fn wait_timeout<'a, T>(
    cv: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Duration,
) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
    cv.wait_timeout(guard, timeout)
        .unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_taken_as_it_is() {
        let m = Mutex::new(1);
        let _ = std::panic::catch_unwind(|| {
            let mut g = m.lock().unwrap();
            *g = 2;
            panic!("poison it");
        });
        assert!(m.is_poisoned());
        assert_eq!(*lock(&m), 2, "the value the panicking holder left");
        let cv = Condvar::new();
        let (g, timed_out) = wait_timeout(&cv, lock(&m), Duration::from_millis(1));
        assert!(timed_out.timed_out());
        assert_eq!(*g, 2);
    }
}
