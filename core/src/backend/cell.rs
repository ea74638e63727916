//! [`FutureCell`]: a future's shared state that a backend places in an
//! allocation of its own, and the [`ReleaseHook`] its last handle calls.
//!
//! [`Promise::new`] boxes the cell: one allocation per task besides the
//! backend's own. A backend that allocates per task anyway (an async task, a
//! queued job) can put the cell in that allocation instead, and give the cell
//! a hook that frees (or releases its reference to) the enclosing allocation
//! when the future's last handle drops: one allocation per task in all.

use std::fmt;
use std::ptr::NonNull;

use crate::Promise;
use crate::handle::Handle;
use crate::state::Inner;

/// What a [`FutureCell`] calls when its last handle drops: a function and the
/// address it needs (typically the enclosing allocation's).
///
/// The hook runs once, on whichever thread drops the last handle (a future's
/// reader, the completing worker, a done-callback), after every use of the
/// cell by any handle; it is the last thing that touches the cell, and it may
/// drop and free it. See [`FutureCell::promise`] for what it must do.
#[derive(Clone, Copy)]
pub struct ReleaseHook {
    hook: unsafe fn(*const ()),
    data: *const (),
}

// SAFETY: a `ReleaseHook` is a function pointer and an address, called only
// through `FutureCell::promise`'s contract, which requires the call to be
// sound on any thread.
unsafe impl Send for ReleaseHook {}
// SAFETY: as for `Send`; `&ReleaseHook` only copies the two words.
unsafe impl Sync for ReleaseHook {}

impl ReleaseHook {
    /// A hook that calls `hook(data)`.
    pub const fn new(hook: unsafe fn(*const ()), data: *const ()) -> Self {
        ReleaseHook { hook, data }
    }

    /// Calls the hook.
    ///
    /// # Safety
    ///
    /// As the hook's owner promised: once, after the cell's last handle.
    #[inline]
    pub(crate) unsafe fn call(self) {
        // SAFETY: the caller's contract is the hook's.
        unsafe { (self.hook)(self.data) }
    }
}

impl fmt::Debug for ReleaseHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReleaseHook")
            .field("hook", &(self.hook as *const ()))
            .field("data", &self.data)
            .finish()
    }
}

/// The shared state of one future, for a backend to embed in an allocation
/// of its own instead of the box [`Promise::new`] makes.
///
/// A cell is inert until [`promise`](FutureCell::promise) gives it its first
/// handle and its [`ReleaseHook`]; from then on it counts its handles (the
/// promise, every [`Future`](crate::Future) and
/// [`AnyFuture`](crate::AnyFuture) of it) and, when the last one drops, calls
/// the hook, which frees — or releases its reference to — the allocation the
/// cell is in. Everything else behaves exactly as a future from
/// [`Promise::new`]. A cell that never got a promise is an ordinary value
/// its owner drops.
///
/// The cell is an ordinary field: put it anywhere in a struct of your own
/// (`#[repr(C)]` or not) and compute the struct's address from the hook's
/// `data`.
///
/// ```
/// use concur_core::backend::{FutureCell, ReleaseHook};
/// use concur_core::Future;
///
/// // A task of our own, with the future's cell inside: one allocation.
/// struct Job {
///     name: String,
///     cell: FutureCell<u64>,
/// }
///
/// /// # Safety
/// /// `data` is a `Box<Job>` from `Box::into_raw`, whose cell has no handles left.
/// unsafe fn free_job(data: *const ()) {
///     // SAFETY: as the contract says; nothing uses the job any more.
///     drop(unsafe { Box::from_raw(data as *mut Job) });
/// }
///
/// let job = Box::into_raw(Box::new(Job { name: "answer".into(), cell: FutureCell::new() }));
/// // SAFETY: the job stays where it is until `free_job` runs, which frees it
/// // once, on any thread, after the last handle; `promise` is called once.
/// let promise = unsafe {
///     (*job).cell.promise(ReleaseHook::new(free_job, job as *const ()))
/// };
/// let future: Future<u64> = promise.future();
/// // SAFETY: the promise keeps the job alive.
/// assert_eq!(unsafe { &(*job).name }, "answer");
/// assert!(promise.set_result(42));
/// assert_eq!(future.result(None), Ok(42));
/// drop(future); // the last handle: `free_job` runs here.
/// ```
#[repr(transparent)]
pub struct FutureCell<T> {
    inner: Inner<T>,
}

impl<T: Send + 'static> FutureCell<T> {
    /// A pending cell without handles.
    pub fn new() -> Self {
        FutureCell {
            inner: Inner::new(),
        }
    }

    /// The cell's promise, its first handle, with the hook its last handle
    /// will call. Make futures with [`Promise::future`].
    ///
    /// # Panics
    ///
    /// If the cell already has handles (a second call while any handle of
    /// the first is alive).
    ///
    /// # Safety
    ///
    /// - From this call until `release` runs, the cell is neither moved nor
    ///   dropped, nor its memory reused: handles point at it.
    /// - Calling `release`'s function with its address, once, from any thread,
    ///   after the last handle is gone, is sound; it must drop the cell (drop
    ///   or free the enclosing allocation, now or later) and must not create
    ///   a new handle to it. It may free the memory the cell is in.
    /// - The cell gets a promise once: after `release` has run, the cell is
    ///   spent and must not be given another.
    pub unsafe fn promise(&self, release: ReleaseHook) -> Promise<T> {
        // SAFETY: the caller's contract is `claim`'s.
        if !unsafe { self.inner.head.claim(release) } {
            panic!("FutureCell::promise: the cell already has handles (a promise was made)");
        }
        // SAFETY: `claim` counted this handle; the caller keeps the cell in
        // place until the hook runs.
        Promise::from_handle(unsafe { Handle::adopt(NonNull::from(&self.inner)) })
    }
}

impl<T: Send + 'static> Default for FutureCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for FutureCell<T> {
    fn drop(&mut self) {
        // A cell dropped under live handles would leave them dangling: stop
        // before they use it (a bug in the backend that owns the cell).
        if self.inner.head.has_handles() {
            eprintln!("concur: a FutureCell was dropped while handles to it were alive");
            std::process::abort();
        }
    }
}

impl<T> fmt::Debug for FutureCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FutureCell")
            .field("state", &self.inner)
            .finish()
    }
}
