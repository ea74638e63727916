//! The synchronization primitives the future state machine is built on, in
//! one place: std's, or loom's when built with `--cfg loom` (`cargo xtask
//! loom` runs the models in `tests/loom.rs` that way) — and the lock-poison
//! policy.
//!
//! # Poisoned locks
//!
//! Every mutex in core guards a plain list or queue that a panic cannot leave
//! half-written: no user code runs while one is held (callbacks and wakers run
//! after the lock is released). A poisoned lock therefore still holds a valid
//! value, and [`lock`], [`wait`] and [`wait_timeout`] take it as it is instead
//! of spreading one panic to every later caller.
//!
//! `Arc` stays std's under loom too: loom's cannot hold a `dyn Listener`, and
//! the models check the state word, the waiter list, the value slot and
//! parking — not reference counting.

use std::sync::PoisonError;
use std::time::Duration;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

/// Parking and yielding: std's, or loom's.
pub(crate) mod thread {
    #[cfg(not(loom))]
    pub(crate) use std::thread::{Thread, current, park, park_timeout, yield_now};

    #[cfg(loom)]
    pub(crate) use loom::thread::{Thread, current, park, yield_now};

    /// Under loom there is no clock: a timed park is a yield (the models
    /// wait without deadlines).
    #[cfg(loom)]
    pub(crate) fn park_timeout(_: std::time::Duration) {
        yield_now();
    }
}

/// A cell written once and read by many, whose accesses loom checks for data
/// races under `--cfg loom`; `std::cell::UnsafeCell` otherwise.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(
    #[cfg(not(loom))] std::cell::UnsafeCell<T>,
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
);

impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(loom))]
        return UnsafeCell(std::cell::UnsafeCell::new(value));
        #[cfg(loom)]
        return UnsafeCell(loom::cell::UnsafeCell::new(value));
    }

    /// Runs `f` with a shared pointer to the value.
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.0.get());
        #[cfg(loom)]
        return self.0.with(f);
    }

    /// Runs `f` with a unique pointer to the value.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.0.get());
        #[cfg(loom)]
        return self.0.with_mut(f);
    }
}

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
) -> MutexGuard<'a, T> {
    match cv.wait_timeout(guard, timeout) {
        Ok((guard, _)) => guard,
        Err(poisoned) => poisoned.into_inner().0,
    }
}
