//! The lock primitives the pool's own code uses, in one place: the
//! lock-poison policy, and a `cfg(loom)` switch to loom's primitives for
//! models of the parking protocol (`sleep.rs`) — core's state machine has its
//! models in `concur-core`; the queues are crossbeam-deque's, checked there.
//!
//! # Poisoned locks
//!
//! No lock of the pool is held while user code runs (tasks, initializers and
//! callbacks run after it is released), so a poisoned lock still guards a
//! valid value: [`lock`] and [`wait`] take it as it is instead of spreading
//! one panic to every later caller.

use std::sync::PoisonError;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

/// Locks `m`, taking a poisoned lock as it is (see the module docs).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cv`, taking a poisoned lock as it is.
pub(crate) fn wait<'a, T>(cv: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(guard).unwrap_or_else(PoisonError::into_inner)
}
