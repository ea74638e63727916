//! The lock-poison policy of the pool's own locks, in one place.
//!
//! No lock of the pool is held while user code runs (tasks and the
//! initializer run after it is released), so a poisoned lock still guards a
//! valid value: [`lock`] and [`wait`] take it as it is instead of spreading
//! one panic to every later caller.
//!
//! There is no `cfg(loom)` switch here: smol's crates read `cfg(loom)`
//! themselves and do not build with it (their loom support is an optional
//! dependency). The pool's own sleep protocol (`pool/sleepers.rs`) takes its
//! atomics from [`atomic`] alone, so that `tests/loom_sleepers.rs` can build
//! that file against loom's atomics instead; the rest of the state the pool
//! shares is core's (whose loom models are in `concur-core`) and core's
//! `Gate`.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The atomics of the sleep protocol (see the module docs).
pub(crate) use std::sync::atomic;

/// Locks `m`, taking a poisoned lock as it is (see the module docs).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cv`, taking a poisoned lock as it is.
pub(crate) fn wait<'a, T>(cv: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(guard).unwrap_or_else(PoisonError::into_inner)
}
