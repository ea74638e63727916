//! [`TaskMeta`]: what every task of the async pool carries in its header
//! (async-task's metadata), beside the state and the waker of its awaiter.
//!
//! The header lives from the spawn until the last waker or runnable of the
//! task is gone, so everything here outlives the task's future: the future
//! borrows it (its [`TaskGuard`](super::TaskGuard) reaches the pool through
//! [`TaskBase`]), and the scheduler reads it from a queued runnable without
//! touching the future.
//!
//! # The future's cell, in the task
//!
//! A typed task's metadata also holds its future's [`FutureCell`]: the
//! spawner's [`Future`](concur_core::Future) and the task's promise point
//! into the task's own allocation, and a spawn allocates once. The handles
//! can outlive the task's run (a future read long after the task completed),
//! so the metadata keeps one [`Waker`] of the task (`keep`), taken from the
//! runnable before it is first queued: while it is held, async-task does not
//! free the allocation. The cell's [`ReleaseHook`] ([`release`]) takes that
//! waker out and drops it once the future's last handle is gone.
//!
//! Why dropping it is always sound (async-task 4.7, `raw.rs`, `drop_waker`):
//! the promise lives in the task's future until the task completes or its
//! future is dropped, so the hook runs only (a) inside a run (the promise is
//! consumed by the poll that completes or cancels the task), when the run
//! holds a reference of its own and the drop only counts down; (b) inside
//! `Runnable::drop` (the future's drop drops the promise), which holds the
//! runnable's reference likewise and has set `CLOSED` first; (c) after the
//! task completed or its future was dropped, when the state has `COMPLETED`
//! or `CLOSED`. If the kept waker is the last reference, async-task then
//! `destroy`s the task: drops the header (this metadata, the cell without
//! handles) and frees the allocation. The branch of `drop_waker` that would
//! schedule a live task "one more time" needs neither `COMPLETED` nor
//! `CLOSED`, so a live future, so a live promise: it cannot be reached from
//! the hook. The cell is dropped only with the header, in `destroy`.

#![allow(unsafe_code)] // the cell in the task header, its keep-alive waker

use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;

use concur_core::Promise;
use concur_core::backend::{FutureCell, ReleaseHook};

use super::Shared;

/// The part of the metadata every task has, whatever its output type: the
/// pool it belongs to, and whether an executor thread has picked it up.
pub(super) struct TaskBase {
    /// The task's one reference to its pool: the guard's counts, the stats,
    /// and the queue a wake pushes the task back to all go through it.
    pub(super) shared: Arc<Shared>,
    /// Set by the first poll; read by `shutdown(cancel_futures)`, which drops
    /// only the queued runnables of tasks not picked up.
    picked_up: AtomicBool,
}

impl TaskBase {
    fn new(shared: Arc<Shared>) -> Self {
        TaskBase {
            shared,
            picked_up: AtomicBool::new(false),
        }
    }

    /// Marks the task picked up; called once, by its first poll.
    pub(super) fn pick_up(&self) {
        // Release: pairs with the Acquire in `is_picked_up`. (A runnable the
        // scheduler pops was pushed after that poll ended anyway: by the end
        // of the poll itself, or by a wake that synchronised with it through
        // the task's state.)
        self.picked_up.store(true, Ordering::Release);
    }

    /// Whether the task's first poll has happened.
    pub(super) fn is_picked_up(&self) -> bool {
        // Acquire: pairs with the Release in `pick_up`.
        self.picked_up.load(Ordering::Acquire)
    }
}

/// The metadata of one task: [`TaskBase`], and what its kind of task adds:
/// for a typed task, [`Owned`] (its future's cell and the waker that keeps
/// the task allocated for the cell's handles, module docs); nothing for the
/// erased path (`TaskObj`, whose future has a cell of its own).
pub(super) struct TaskMeta<C> {
    pub(super) base: TaskBase,
    own: C,
}

impl TaskMeta<()> {
    /// The metadata of an erased task.
    pub(super) fn erased(shared: Arc<Shared>) -> Self {
        TaskMeta {
            base: TaskBase::new(shared),
            own: (),
        }
    }
}

/// What a typed task's metadata holds besides [`TaskBase`].
pub(super) struct Owned<T> {
    cell: FutureCell<T>,
    /// Written once, by the spawner, before the runnable is first queued;
    /// taken once, by [`release`], after the cell's last handle.
    keep: UnsafeCell<Option<Waker>>,
}

// SAFETY: `cell` is `Sync` (`FutureCell<T>` for `T: Send`). The only
// unsynchronised field is `keep`, whose two accesses cannot overlap: the
// spawner writes it before any other thread can reach the task (before the
// runnable is queued and before the spawn returns the future handle), and
// the one read is the release hook's, after the cell's last handle, which
// happens after the write (every handle was made before it on the spawner's
// thread, or reached its thread through the queue or the returned future).
unsafe impl<T: Send> Sync for Owned<T> {}

impl<T: Send + 'static> TaskMeta<Owned<T>> {
    /// The metadata of a typed task, its cell without handles yet.
    pub(super) fn typed(shared: Arc<Shared>) -> Self {
        TaskMeta {
            base: TaskBase::new(shared),
            own: Owned {
                cell: FutureCell::new(),
                keep: UnsafeCell::new(None),
            },
        }
    }

    /// The promise of this task's cell; called once, by the spawn, from the
    /// `spawn_unchecked` closure (which has the metadata in place).
    ///
    /// # Safety
    ///
    /// `self` is the metadata of a task not yet queued, in async-task's
    /// header; the caller stores a waker of the task with
    /// [`keep`](TaskMeta::keep) before the task is queued and before any
    /// handle of the cell can drop.
    pub(super) unsafe fn promise(&self) -> Promise<T> {
        let hook = ReleaseHook::new(release::<T>, self as *const Self as *const ());
        // SAFETY: `FutureCell::promise`'s contract. The cell is in the task's
        // header, which async-task neither moves nor reuses until it frees the
        // allocation, and it does not free it while the kept waker is held,
        // which only `release` drops. `release` runs once, after the last
        // handle (the cell's promise), on any thread: it drops the waker,
        // which frees the allocation with the cell in it, now or when the
        // task's last reference goes (module docs), and makes no handle. The
        // spawn calls this once per task.
        unsafe { self.own.cell.promise(hook) }
    }

    /// Stores the waker that keeps the task allocated for its cell's handles.
    ///
    /// # Safety
    ///
    /// Called once, by the spawner, before the task is queued (no other
    /// thread can reach the metadata yet).
    pub(super) unsafe fn keep(&self, waker: Waker) {
        // SAFETY: no other access to `keep` can happen yet (the caller's
        // contract): `release` needs the last handle, and the spawner holds
        // one.
        unsafe { *self.own.keep.get() = Some(waker) };
    }
}

/// The release hook of a typed task's cell: drops the waker that kept the
/// task allocated, which may free the allocation this metadata is in.
///
/// # Safety
///
/// `data` is the address of a `TaskMeta<Owned<T>>` whose waker was stored with
/// [`TaskMeta::keep`], and the cell's last handle is gone; called once.
unsafe fn release<T>(data: *const ()) {
    let meta = data as *const TaskMeta<Owned<T>>;
    // SAFETY: the metadata is alive (the kept waker holds the allocation),
    // and nothing else touches `keep` now (the write happened before the
    // handles this call follows; this is the one read). No reference to the
    // metadata outlives this line: the drop below may free it.
    let waker = unsafe { (*(*meta).own.keep.get()).take() };
    drop(waker);
}
