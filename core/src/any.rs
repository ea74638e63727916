//! [`AnyFuture`]: a future with its type erased, and [`Waitable`], what `wait` and
//! `as_completed` accept.

use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::collector::Collector;
use crate::handle::{Handle, Head};
use crate::state::{self, Inner, Registered};
use crate::waiter::Waiter;
use crate::{Error, Future};

/// What an erased handle does that depends on `T`: one static table per
/// value type (`OpsOf::<T>::OPS`). The count and the phase live in the
/// cell's `Head` and need no table.
///
/// Every function takes the head of a live `Inner<T>` (the `T` of the table),
/// borrowed from a handle the caller holds.
struct Ops {
    is_failed: unsafe fn(NonNull<Head>) -> bool,
    error: unsafe fn(NonNull<Head>) -> Option<Error>,
    listen: unsafe fn(NonNull<Head>, Arc<Collector>, usize) -> Option<u64>,
    unlisten: unsafe fn(NonNull<Head>, u64),
    cancel: unsafe fn(NonNull<Head>) -> bool,
    wait_until: unsafe fn(NonNull<Head>, Option<Instant>) -> bool,
}

struct OpsOf<T>(PhantomData<T>);

impl<T: Send + 'static> OpsOf<T> {
    const OPS: &'static Ops = &Ops {
        is_failed: is_failed::<T>,
        error: error::<T>,
        listen: listen::<T>,
        unlisten: unlisten::<T>,
        cancel: cancel::<T>,
        wait_until: wait_until::<T>,
    };
}

/// The cell a head belongs to.
///
/// # Safety
///
/// `head` is the head of a live `Inner<T>`, kept alive for `'a` by a handle.
unsafe fn cell<'a, T>(head: NonNull<Head>) -> &'a Inner<T> {
    // SAFETY: `Inner<T>` is `repr(C)` with its head first, and the pointer
    // came from the cell itself (`Handle::into_head`), so it addresses the
    // whole cell; the caller's handle keeps it alive.
    unsafe { head.cast::<Inner<T>>().as_ref() }
}

/// # Safety
///
/// As [`cell`]'s.
unsafe fn is_failed<T>(head: NonNull<Head>) -> bool {
    // SAFETY: the caller's contract is `cell`'s.
    unsafe { cell::<T>(head) }.is_failed()
}

/// # Safety
///
/// As [`cell`]'s.
unsafe fn error<T>(head: NonNull<Head>) -> Option<Error> {
    // SAFETY: the caller's contract is `cell`'s.
    let inner = unsafe { cell::<T>(head) };
    match inner.phase() {
        state::CANCELLED => Some(Error::Cancelled),
        state::FINISHED => inner.with_outcome(|r| r.err().cloned()).unwrap_or(None),
        _ => None,
    }
}

/// # Safety
///
/// As [`cell`]'s.
unsafe fn listen<T>(head: NonNull<Head>, collector: Arc<Collector>, token: usize) -> Option<u64> {
    // SAFETY: the caller's contract is `cell`'s.
    match unsafe { cell::<T>(head) }.register(Waiter::Listener(collector, token)) {
        Registered::Id(id) => Some(id),
        Registered::AlreadyDone(_) => None,
    }
}

/// # Safety
///
/// As [`cell`]'s.
unsafe fn unlisten<T>(head: NonNull<Head>, id: u64) {
    // SAFETY: the caller's contract is `cell`'s.
    unsafe { cell::<T>(head) }.deregister(id)
}

/// # Safety
///
/// As [`cell`]'s.
unsafe fn cancel<T: Send + 'static>(head: NonNull<Head>) -> bool {
    // SAFETY: the caller's contract is `cell`'s.
    unsafe { cell::<T>(head) }.cancel()
}

/// # Safety
///
/// As [`cell`]'s.
unsafe fn wait_until<T>(head: NonNull<Head>, deadline: Option<Instant>) -> bool {
    // SAFETY: the caller's contract is `cell`'s.
    crate::blocking::wait_until(unsafe { cell::<T>(head) }, deadline)
}

/// A handle to a future of any value type, for code that watches futures of
/// different types (or from different backends) together.
///
/// ```
/// use concur_core::{wait, Future, ReturnWhen, Waitable};
/// let a = Future::ready(1u8);
/// let b = Future::ready("two");
/// let done = wait([a.as_any(), b.as_any()], None, ReturnWhen::AllCompleted);
/// assert_eq!(done.done.len(), 2);
/// ```
pub struct AnyFuture {
    /// The head of the cell, counted as one handle (`handle.rs`).
    head: NonNull<Head>,
    /// The operations of the cell's `Inner<T>`.
    ops: &'static Ops,
}

// SAFETY: an `AnyFuture` is a counted handle to an `Inner<T>` with
// `T: Send` (`AnyFuture::new` requires it), which is `Send + Sync`; the
// count is atomic and the cell's release hook may run on any thread.
unsafe impl Send for AnyFuture {}
// SAFETY: as for `Send`: `&AnyFuture` reaches only `&Inner<T>`, `Sync` for
// `T: Send`.
unsafe impl Sync for AnyFuture {}

impl AnyFuture {
    /// Erases `handle`'s type; the count it held is this handle's.
    pub(crate) fn new<T: Send + 'static>(handle: Handle<T>) -> Self {
        AnyFuture {
            head: handle.into_head(),
            ops: OpsOf::<T>::OPS,
        }
    }

    fn head(&self) -> &Head {
        // SAFETY: this handle is counted, so the cell is alive until it drops.
        unsafe { self.head.as_ref() }
    }

    fn phase(&self) -> usize {
        self.head().phase()
    }

    /// True once finished or cancelled.
    pub fn is_done(&self) -> bool {
        self.phase() >= state::FINISHED
    }

    /// True while running.
    pub fn is_running(&self) -> bool {
        self.phase() == state::RUNNING
    }

    /// True when cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.phase() == state::CANCELLED
    }

    /// As [`Future::cancel`].
    pub fn cancel(&self) -> bool {
        // SAFETY: `ops` is the table of the cell's `T`, and this handle keeps
        // the cell alive for the call.
        unsafe { (self.ops.cancel)(self.head) }
    }

    /// Blocks until done or `timeout` passes; true if done.
    pub fn wait_timeout(&self, timeout: Option<Duration>) -> bool {
        if self.is_done() {
            return true;
        }
        if timeout == Some(Duration::ZERO) {
            return false;
        }
        let deadline = crate::backend::deadline(timeout);
        // SAFETY: as in `cancel`.
        unsafe { (self.ops.wait_until)(self.head, deadline) }
    }

    /// The error of a done future (`Cancelled` for a cancelled one), `None` while
    /// not done or when it succeeded.
    pub fn error(&self) -> Option<Error> {
        // SAFETY: as in `cancel`.
        unsafe { (self.ops.error)(self.head) }
    }

    /// True when finished with an error (not when cancelled).
    pub(crate) fn is_failed(&self) -> bool {
        // SAFETY: as in `cancel`.
        unsafe { (self.ops.is_failed)(self.head) }
    }

    /// Registers `collector` to hear `token` when the future is done; `None`
    /// when it already is (nothing was registered).
    pub(crate) fn listen(&self, collector: Arc<Collector>, token: usize) -> Option<u64> {
        // SAFETY: as in `cancel`.
        unsafe { (self.ops.listen)(self.head, collector, token) }
    }

    /// Removes the registration `listen` returned.
    pub(crate) fn unlisten(&self, id: u64) {
        // SAFETY: as in `cancel`.
        unsafe { (self.ops.unlisten)(self.head, id) }
    }

    /// True when both handles refer to the same future.
    pub fn same_as(&self, other: &AnyFuture) -> bool {
        self.head == other.head
    }

    pub(crate) fn key(&self) -> usize {
        self.head.as_ptr() as usize
    }
}

impl Clone for AnyFuture {
    fn clone(&self) -> Self {
        self.head().acquire();
        AnyFuture {
            head: self.head,
            ops: self.ops,
        }
    }
}

impl Drop for AnyFuture {
    fn drop(&mut self) {
        // SAFETY: this handle is counted and used no more.
        unsafe { Head::release(self.head) }
    }
}

/// Identity, as [`Future`]'s: equal when both refer to the same future.
impl PartialEq for AnyFuture {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other)
    }
}

impl Eq for AnyFuture {}

/// Hashes the identity, consistent with `Eq`.
impl std::hash::Hash for AnyFuture {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl fmt::Debug for AnyFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnyFuture")
            .field("state", &state::phase_name(self.phase()))
            .finish()
    }
}

/// Anything [`wait`](crate::wait) and [`as_completed`](crate::as_completed) can watch:
/// a [`Future<T>`], a reference to one, or an [`AnyFuture`].
pub trait Waitable {
    /// The type-erased handle of this future.
    fn as_any(&self) -> AnyFuture;
}

impl<T: Send + 'static> Waitable for Future<T> {
    fn as_any(&self) -> AnyFuture {
        Future::as_any(self)
    }
}

impl Waitable for AnyFuture {
    fn as_any(&self) -> AnyFuture {
        self.clone()
    }
}

impl<W: Waitable + ?Sized> Waitable for &W {
    fn as_any(&self) -> AnyFuture {
        (**self).as_any()
    }
}

impl<T: Send + 'static> From<Future<T>> for AnyFuture {
    fn from(f: Future<T>) -> Self {
        Future::as_any(&f)
    }
}
