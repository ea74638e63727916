//! [`CachePadded`]: a value on cache lines of its own.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// Keeps `T` on cache lines of its own — 128 bytes, two 64-byte lines, because
/// the adjacent-line prefetcher of x86 cores pulls lines in pairs — so a
/// counter one thread writes does not slow the threads that write its
/// neighbours (false sharing).
///
/// crossbeam-utils has the same type; concur-core keeps to std, serde and
/// futures-core, so it carries this small one.
///
/// ```
/// use concur_core::backend::CachePadded;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// let hits = CachePadded::new(AtomicU64::new(0));
/// hits.fetch_add(1, Ordering::Relaxed);
/// assert_eq!(hits.load(Ordering::Relaxed), 1);
/// assert_eq!(std::mem::align_of_val(&hits), 128);
/// ```
#[derive(Default, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(align(128))]
pub struct CachePadded<T>(T);

impl<T> CachePadded<T> {
    /// `value`, padded.
    pub const fn new(value: T) -> Self {
        CachePadded(value)
    }

    /// The value, unpadded.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for CachePadded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T> From<T> for CachePadded<T> {
    fn from(value: T) -> Self {
        CachePadded(value)
    }
}
