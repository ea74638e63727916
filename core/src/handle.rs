//! Counting a future's handles, and what runs when the last one goes.
//!
//! Every [`Future`](crate::Future), [`Promise`](crate::Promise) and
//! [`AnyFuture`](crate::AnyFuture) points at one cell, an `Inner<T>`, which
//! counts its own handles as `Arc` counts its strong references — but the cell
//! is not an `Arc`: it lives in whatever memory its creator chose, and the last
//! handle calls the [`ReleaseHook`] the cell was given. [`Promise::new`]
//! (crate::Promise::new) boxes the cell and its hook frees the box; a backend
//! that embeds a [`FutureCell`](crate::backend::FutureCell) in its own
//! allocation gives a hook that releases that allocation.
//!
//! # The protocol (`Arc`'s)
//!
//! - A new handle is made only from an existing one (or is the cell's first):
//!   the count is at least one throughout, so the increment is `Relaxed`;
//!   handing the new handle to another thread synchronizes by its own means.
//!   A count past `isize::MAX` aborts, as `Arc`'s does, before it can wrap.
//! - Dropping a handle decrements with `Release`: everything this handle did
//!   with the cell happens before the decrement.
//! - The handle that takes the count to zero runs an `Acquire` fence before it
//!   reads the hook: it pairs with every other handle's `Release` decrement, so
//!   all their uses of the cell happen before the hook may free it. The hook is
//!   the last thing that touches the cell.
//!
//! The count, the hook and the state word sit in [`Head`], first in the
//! `repr(C)` cell, so a type-erased handle counts (and reads the phase)
//! without knowing `T`.

use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::backend::ReleaseHook;
use crate::state::{Inner, PENDING, PHASE};
use crate::sync::{AtomicUsize, Ordering, UnsafeCell, fence};

/// Past this many handles the count aborts the process instead of wrapping
/// (`Arc`'s bound): each handle is at least a pointer, so a program reaching
/// it leaks handles in a loop.
const MAX_HANDLES: usize = isize::MAX as usize;

/// The part of every cell that does not depend on `T`.
pub(crate) struct Head {
    /// Live handles (promise, futures, erased futures) of this cell.
    handles: AtomicUsize,
    /// Written once, when the cell is made (`Handle::boxed`) or while it has
    /// its first handle and no other (`FutureCell::promise`), read once by the last
    /// handle after its `Acquire` fence. Every other handle is made after the
    /// write on the thread that wrote it, or reaches another thread through a
    /// synchronizing hand-over, so the write happens before the read.
    release: UnsafeCell<Option<ReleaseHook>>,
    /// Phase and flags: see `state.rs`.
    pub(crate) state: AtomicUsize,
}

impl Head {
    /// The head of a pending cell without handles.
    pub(crate) fn new() -> Self {
        Head {
            handles: AtomicUsize::new(0),
            release: UnsafeCell::new(None),
            state: AtomicUsize::new(PENDING),
        }
    }

    /// The current phase (`state.rs`). `Acquire` pairs with the completer's
    /// `Release`, so a caller that sees FINISHED may read the value.
    #[inline]
    pub(crate) fn phase(&self) -> usize {
        self.state.load(Ordering::Acquire) & PHASE
    }

    /// The head of a pending cell that counts one handle already, its
    /// first, and has `release` as its hook (see `Handle::boxed`).
    fn first(release: ReleaseHook) -> Self {
        Head {
            handles: AtomicUsize::new(1),
            release: UnsafeCell::new(Some(release)),
            state: AtomicUsize::new(PENDING),
        }
    }

    /// True while some handle counts in this cell.
    pub(crate) fn has_handles(&self) -> bool {
        // Relaxed: a check for a backend's bug (a cell dropped under live
        // handles); the release hook's own ordering comes from `release`.
        self.handles.load(Ordering::Relaxed) != 0
    }

    /// Counts one more handle. The caller holds one, which keeps the count
    /// above zero meanwhile.
    #[inline]
    pub(crate) fn acquire(&self) {
        // Relaxed: see "The protocol" — an existing handle keeps the cell
        // alive, and the new one is handed over by synchronizing means.
        let old = self.handles.fetch_add(1, Ordering::Relaxed);
        if old > MAX_HANDLES {
            eprintln!("concur: a future's handle count overflowed (handles leaked in a loop)");
            std::process::abort();
        }
    }

    /// Makes the caller the cell's first handle: the count goes from zero to
    /// one and `release` becomes the cell's hook. False (and nothing changes)
    /// when the cell already has handles.
    ///
    /// # Safety
    ///
    /// `release` must be sound to call once, from any thread, after the last
    /// handle of this cell is gone (see
    /// [`FutureCell::promise`](crate::backend::FutureCell::promise)).
    pub(crate) unsafe fn claim(&self, release: ReleaseHook) -> bool {
        // Relaxed: a cell without handles is reached by one thread only (its
        // creator's); the CAS only refuses a cell that has handles already.
        if self
            .handles
            .compare_exchange(0, 1, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        self.release.with_mut(|slot| {
            // SAFETY: the count was zero, so no other handle exists to read
            // the slot; ours is the first, made on this thread after the
            // write (see the field's doc).
            unsafe { *slot = Some(release) }
        });
        true
    }

    /// Gives up one handle; the last one runs the release hook.
    ///
    /// # Safety
    ///
    /// `head` points at the head of a live cell, and the caller gives up a
    /// handle counted in it (it must not use the cell afterwards).
    #[inline]
    pub(crate) unsafe fn release(head: NonNull<Head>) {
        // SAFETY: the caller's handle, counted until the decrement below,
        // keeps the cell alive.
        let this = unsafe { head.as_ref() };
        // Release: pairs with the last handle's Acquire fence below.
        if this.handles.fetch_sub(1, Ordering::Release) != 1 {
            // Another handle may free the cell from here on: touch nothing.
            return;
        }
        // Acquire: pairs with every other handle's Release decrement, so all
        // their uses of the cell happen before the hook frees it.
        fence(Ordering::Acquire);
        let hook = this.release.with(|slot| {
            // SAFETY: written once before any other handle existed (see the
            // field's doc); we are the last handle, nobody writes it now.
            unsafe { *slot }
        });
        if let Some(hook) = hook {
            // SAFETY: the count reached zero on this call alone, so the hook
            // runs once, after the last handle, which is its contract
            // (`Head::claim`); the cell is not touched after it.
            unsafe { hook.call() }
        }
    }
}

/// One counted handle to an `Inner<T>`: what `Future`, `Promise` (and, with
/// its type erased, `AnyFuture`) hold.
pub(crate) struct Handle<T> {
    ptr: NonNull<Inner<T>>,
    /// Owns a share of an `Inner<T>`, for drop check and variance (`Arc`'s).
    _owns: PhantomData<Inner<T>>,
}

// SAFETY: a handle shares the cell as `Arc<Inner<T>>` would, and `Inner<T>`
// is `Send + Sync` exactly when `T: Send` (see `state.rs`); the count is
// atomic and the release hook may run on any thread (its contract).
unsafe impl<T: Send> Send for Handle<T> {}
// SAFETY: as for `Send`: `&Handle` only gives `&Inner<T>`, which is `Sync`
// for `T: Send`.
unsafe impl<T: Send> Sync for Handle<T> {}

/// The release hook of a boxed cell: frees the box.
///
/// # Safety
///
/// `data` is the `Box<Inner<T>>` of `Handle::boxed`, whose last handle is gone.
unsafe fn free_box<T>(data: *const ()) {
    // SAFETY: `data` came from `Box::leak` in `Handle::boxed` and nobody uses
    // the cell any more (the hook runs after the last handle).
    drop(unsafe { Box::from_raw(data as *mut Inner<T>) });
}

impl<T> Handle<T> {
    /// A new pending cell in a box of its own (what `Promise::new` makes): one
    /// allocation, freed by the last handle.
    pub(crate) fn boxed() -> Self {
        // The hook needs the box's address, so the box is allocated first and
        // the cell written into it already counting this handle: no atomic
        // operation, no second write of the hook.
        let mut slot = Box::<Inner<T>>::new_uninit();
        let hook = ReleaseHook::new(free_box::<T>, slot.as_mut_ptr() as *const ());
        let cell = Box::write(slot, Inner::with_head(Head::first(hook)));
        // SAFETY: the cell counts this handle (`Head::first`); it stays in
        // its box until `free_box::<T>` frees exactly that box, which is
        // sound once its last handle is gone, on any thread (the value is
        // `Send` wherever a handle can reach another thread).
        unsafe { Handle::adopt(NonNull::from(Box::leak(cell))) }
    }

    /// A handle the cell already counts (its first, after `Head::claim`).
    ///
    /// # Safety
    ///
    /// `ptr` points at a live cell whose count includes this handle.
    pub(crate) unsafe fn adopt(ptr: NonNull<Inner<T>>) -> Self {
        Handle {
            ptr,
            _owns: PhantomData,
        }
    }

    /// One more handle to a cell the caller reaches through a handle of its
    /// own (a done-callback's argument, made while the promise completes).
    ///
    /// # Safety
    ///
    /// `inner` is borrowed from a live handle (so the count is at least one
    /// while this runs).
    pub(crate) unsafe fn from_ref(inner: &Inner<T>) -> Self {
        inner.head.acquire();
        // SAFETY: just counted.
        unsafe { Handle::adopt(NonNull::from(inner)) }
    }

    /// The cell's address: the future's identity.
    pub(crate) fn as_ptr(&self) -> *const Inner<T> {
        self.ptr.as_ptr()
    }

    /// Gives up this value without giving up its count: the head of the cell,
    /// for a type-erased handle that takes the count over.
    pub(crate) fn into_head(self) -> NonNull<Head> {
        let head = self.ptr.cast::<Head>();
        std::mem::forget(self);
        head
    }
}

impl<T> std::ops::Deref for Handle<T> {
    type Target = Inner<T>;

    fn deref(&self) -> &Inner<T> {
        // SAFETY: this handle is counted, so the cell is alive until it drops.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        // SAFETY: borrowed from this live handle.
        unsafe { Handle::from_ref(self) }
    }
}

impl<T> Drop for Handle<T> {
    fn drop(&mut self) {
        // SAFETY: `Inner<T>` is `repr(C)` with its `Head` first, so the cast
        // points at the head; this handle is counted and used no more.
        unsafe { Head::release(self.ptr.cast::<Head>()) }
    }
}
