//! The shared state behind a [`Future`](crate::Future) and its [`Promise`](crate::Promise).
//!
//! # The state word
//!
//! One `AtomicUsize` holds the phase and two flags:
//!
//! ```text
//!   bits 0-1  phase: PENDING -> RUNNING -> FINISHED, or PENDING -> CANCELLED
//!   bit  2    WAITERS: somebody registered in `waiters` (set under the mutex)
//!   bit  3    TAKEN: a consuming call moved the value out
//!   bit  4    READING: a cloning read is in progress (one at a time)
//! ```
//!
//! Completing a future is one read-modify-write on this word. Only when the
//! previous value carries `WAITERS` does the completer lock the waiter list and
//! wake what is there; with nobody waiting, completion takes no lock and makes no
//! system call.
//!
//! # Why no wake-up is missed
//!
//! A waiter locks the list, pushes itself, then sets `WAITERS` with `fetch_or`.
//! The completer moves the phase with `fetch_add`. Both are read-modify-writes of
//! the same word, so one comes first in its modification order:
//! - the completer first: the waiter's `fetch_or` returns a done phase, so the
//!   waiter pops its own entry (it still holds the lock) and handles completion
//!   itself;
//! - the waiter first: the completer's `fetch_add` returns `WAITERS`, so it locks
//!   the list (after the waiter released it) and finds the entry.
//!
//! # Who touches the value
//!
//! The value slot is written once, by the promise, while the phase is `RUNNING`
//! (a phase that only the promise can leave), and published by the `Release` half
//! of the `fetch_add` to `FINISHED`. Readers load the phase with `Acquire` first.
//! A consuming read sets `TAKEN` (`fetch_or`), then waits for `READING` to
//! clear before moving the value out; a cloning read sets `READING` with a
//! compare-exchange that only succeeds while both `TAKEN` and `READING` are
//! clear. Both are read-modify-writes of the one state word, so one comes
//! first: the reader first, and the taker sees `READING` until the reader's
//! `Release` clear, which the taker's `Acquire` load synchronizes with; the
//! taker first, and the reader sees `TAKEN` and leaves the slot alone. No
//! `SeqCst` store-load pairing is needed (the loom models in `tests/loom.rs`
//! check it, which they could not with a separate reader flag: loom models
//! `SeqCst` as `AcqRel`).
//!
//! # The cell's size
//!
//! Every task has one `Inner` (boxed by `Promise::new`, or inside a backend's
//! own allocation: `backend::FutureCell`) and keeps it until its result is
//! read, so a program holding many futures — a submit loop followed by a
//! result loop — holds many cells at once, and the cell's size is memory the
//! allocator must find, and the kernel fault in and zero, per task. The slot
//! keeps a failure's [`Error`] (72 bytes inline) boxed: an `Inner<u64>` is
//! 120 bytes instead of 176, a third fewer page faults in the bench's W1
//! (100 000 futures held at once), for one more allocation when a task fails.
//! The cell counts its own handles and holds the hook its last handle calls
//! (`handle.rs`: three words, as `Arc`'s two counts were plus one), and a
//! waiter entry is 32 bytes because a listener is an `Arc<Collector>` (one
//! word) rather than an `Arc<dyn _>` (two): together the same 120 bytes the
//! `Arc<Inner<u64>>` took.
//!
//! # Why values need `Send`, not `Sync`
//!
//! Cloning reads are exclusive: `READING` admits one at a time, and each
//! one's `Release` clear happens before the next one's `Acquire`
//! compare-exchange. So no two threads ever hold a `&T` into the slot at once
//! — the slot is used as a `Mutex<T>` uses its value, and like `Mutex<T>` the
//! cell is `Sync` when `T` is only `Send` (a `Result<_, Box<dyn Error +
//! Send>>` or a `Cell` can be a task's value). A consuming read moves the `T`
//! to the taking thread, which `Send` allows. Readers of one future rarely
//! overlap (each clone is short); when they do, the later one yields until
//! the earlier one is done.

use std::fmt;
use std::task::Waker;

use crate::Error;
use crate::Future;
use crate::handle::{Handle, Head};
use crate::sync::thread;
use crate::sync::{self, AtomicUsize, Mutex, MutexGuard, Ordering, UnsafeCell};
use crate::waiter::{Callback, Waiter, WaiterList, Waiters};

pub(crate) const PHASE: usize = 0b11;
pub(crate) const PENDING: usize = 0;
pub(crate) const RUNNING: usize = 1;
pub(crate) const FINISHED: usize = 2;
pub(crate) const CANCELLED: usize = 3;
const WAITERS: usize = 0b100;
const TAKEN: usize = 0b1000;
/// A cloning read in progress (they are exclusive, see "Why values need `Send`").
const READING: usize = 0b1_0000;

/// The cell shared by every handle of one future: boxed by `Promise::new`,
/// or in a backend's own allocation (`backend::FutureCell`).
///
/// `repr(C)` with the head first: a type-erased handle reaches the handle
/// count and the state word through a pointer to the head (`handle.rs`).
#[repr(C)]
pub(crate) struct Inner<T> {
    /// The handle count, the release hook, and the state word (phase and
    /// flags, see the module docs).
    pub(crate) head: Head,
    /// Written once while RUNNING, read after FINISHED. A failure's error is
    /// boxed, see "The cell's size".
    value: UnsafeCell<Option<Result<T, Box<Error>>>>,
    /// Registered waiters; only locked by waiters and by a completer that saw `WAITERS`.
    waiters: Mutex<Waiters<T>>,
}

// SAFETY: the value is written by one thread before being published with
// Release and read by others after an Acquire load. Reads that borrow it are
// exclusive (the READING bit, taken and released with Acquire/Release on the
// state word), so no two threads hold a `&T` at once and each access happens
// after the previous one ended — as a `Mutex<T>`, which needs only `T: Send`.
// A consuming read moves `T` to another thread (needs `T: Send`). The waiter
// list is behind a mutex and holds only `Send` items. Everything else is
// atomics.
unsafe impl<T: Send> Sync for Inner<T> {}
// SAFETY: sending the cell sends the `T` inside it, which `T: Send` allows.
unsafe impl<T: Send> Send for Inner<T> {}

pub(crate) enum Registered<T> {
    Id(u64),
    AlreadyDone(Waiter<T>),
}

impl<T> Inner<T> {
    /// A pending cell without handles.
    pub(crate) fn new() -> Self {
        Self::with_head(Head::new())
    }

    /// A pending cell with `head`.
    pub(crate) fn with_head(head: Head) -> Self {
        Inner {
            head,
            value: UnsafeCell::new(None),
            waiters: Mutex::new(Waiters {
                next_id: 0,
                list: WaiterList::new(),
            }),
        }
    }

    /// The current phase. `Acquire` pairs with the completer's `Release`, so a
    /// caller that sees FINISHED may read the value.
    #[inline]
    pub(crate) fn phase(&self) -> usize {
        self.head.phase()
    }

    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.phase() >= FINISHED
    }

    fn lock(&self) -> MutexGuard<'_, Waiters<T>> {
        // A panic never happens while the lock is held (callbacks run outside
        // it); `sync::lock` takes a poisoned one as it is all the same.
        sync::lock(&self.waiters)
    }

    /// Registers a waiter, or hands it back when the future is already done.
    pub(crate) fn register(&self, waiter: Waiter<T>) -> Registered<T> {
        if self.is_done() {
            return Registered::AlreadyDone(waiter);
        }
        let mut w = self.lock();
        let id = w.next_id;
        w.next_id += 1;
        w.list.push((id, waiter));
        // Pairs with the completer's fetch_add: see "Why no wake-up is missed".
        let prev = self.head.state.fetch_or(WAITERS, Ordering::AcqRel);
        if prev & PHASE >= FINISHED {
            let (_, waiter) = w.list.pop().expect("just pushed");
            return Registered::AlreadyDone(waiter);
        }
        Registered::Id(id)
    }

    /// Registers `waker` unless an equivalent one is already registered.
    /// Returns false when the future is already done.
    pub(crate) fn register_waker(&self, waker: &Waker) -> bool {
        if self.is_done() {
            return false;
        }
        {
            let w = self.lock();
            let present = w
                .list
                .iter()
                .any(|(_, x)| matches!(x, Waiter::Waker(old) if old.will_wake(waker)));
            if present {
                drop(w);
                return !self.is_done();
            }
        }
        match self.register(Waiter::Waker(waker.clone())) {
            Registered::Id(_) => true,
            Registered::AlreadyDone(_) => false,
        }
    }

    /// Removes a waiter that is no longer interested (a timed-out wait).
    pub(crate) fn deregister(&self, id: u64) {
        let mut w = self.lock();
        w.list.remove(id);
    }

    /// PENDING -> RUNNING. False if the future was cancelled (or already left PENDING).
    pub(crate) fn set_running(&self) -> bool {
        self.head
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (s & PHASE == PENDING).then_some((s & !PHASE) | RUNNING)
            })
            .is_ok()
    }

    /// PENDING -> CANCELLED. True also when already cancelled.
    pub(crate) fn cancel(&self) -> bool
    where
        T: Send + 'static,
    {
        let res = self
            .head
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (s & PHASE == PENDING).then_some((s & !PHASE) | CANCELLED)
            });
        match res {
            Ok(prev) => {
                if prev & WAITERS != 0 {
                    self.wake_all();
                }
                true
            }
            Err(now) => now & PHASE == CANCELLED,
        }
    }

    /// Stores the outcome and wakes the waiters. Returns the outcome back when
    /// the future was cancelled or already completed.
    pub(crate) fn complete(&self, outcome: Result<T, Error>) -> Result<(), Result<T, Error>>
    where
        T: Send + 'static,
    {
        // Claim the slot: from PENDING we move to RUNNING first, so a concurrent
        // cancel cannot win once we write.
        let mut s = self.head.state.load(Ordering::Acquire);
        loop {
            match s & PHASE {
                RUNNING => break,
                PENDING => match self.head.state.compare_exchange_weak(
                    s,
                    (s & !PHASE) | RUNNING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(now) => s = now,
                },
                _ => return Err(outcome),
            }
        }
        self.value.with_mut(|slot| {
            // SAFETY: the phase is RUNNING, which only the (unique) promise
            // leaves, and nobody reads the slot before FINISHED is published
            // below.
            unsafe { *slot = Some(outcome.map_err(Box::new)) }
        });
        // RUNNING (1) -> FINISHED (2). Release publishes the value; Acquire pairs
        // with a waiter's fetch_or of WAITERS.
        let prev = self
            .head
            .state
            .fetch_add(FINISHED - RUNNING, Ordering::AcqRel);
        debug_assert_eq!(prev & PHASE, RUNNING);
        if prev & WAITERS != 0 {
            self.wake_all();
        }
        Ok(())
    }

    /// Wakes every registered waiter and runs the callbacks, in registration order.
    ///
    /// Called by `cancel` and `complete`, whose callers hold a handle (every
    /// `&Inner` is borrowed from one), so the callbacks' future can count
    /// itself in.
    fn wake_all(&self)
    where
        T: Send + 'static,
    {
        let list = self.lock().list.take();
        let mut handle: Option<Future<T>> = None;
        for (_, waiter) in list {
            match waiter {
                // The phase was made done (Release) before this call; the
                // parked thread reads it (Acquire) after it wakes.
                Waiter::Thread(thread) => thread.unpark(),
                Waiter::Waker(w) => wake_waker(w),
                Waiter::Listener(l, token) => l.notify(token),
                Waiter::Callback(cb) => {
                    let fut = handle.get_or_insert_with(|| {
                        // SAFETY: `self` is borrowed from the caller's handle.
                        Future::from_inner(unsafe { Handle::from_ref(self) })
                    });
                    run_callback(cb, fut);
                }
            }
        }
    }

    /// Runs `f` on the stored outcome. The caller has seen a done phase.
    pub(crate) fn with_outcome<U>(
        &self,
        f: impl FnOnce(Result<&T, &Error>) -> U,
    ) -> Result<U, Error> {
        match self.phase() {
            FINISHED => {}
            CANCELLED => return Err(Error::Cancelled),
            _ => return Err(Error::invalid_state("the future is not done")),
        }
        // Take the READING bit while neither TAKEN nor READING is set.
        // Acquire pairs with the completer's Release (the value is visible)
        // and with the previous reader's Release clear (its access is over).
        let mut s = self.head.state.load(Ordering::Acquire);
        loop {
            if s & TAKEN != 0 {
                return Err(taken());
            }
            if s & READING != 0 {
                thread::yield_now();
                s = self.head.state.load(Ordering::Acquire);
                continue;
            }
            match self.head.state.compare_exchange_weak(
                s,
                s | READING,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        // Clears READING even if `f` (a user's `Clone`) panics, so the future
        // stays readable. Release: our access to the slot happens before the
        // next reader's or a taker's Acquire that sees the bit clear.
        struct Release<'a>(&'a AtomicUsize);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.fetch_and(!READING, Ordering::Release);
            }
        }
        let _release = Release(&self.head.state);
        self.value.with(|slot| {
            // SAFETY: FINISHED was observed with Acquire, so the write is
            // visible and final; we hold READING, set in a read-modify-write
            // that saw TAKEN clear, so a consuming read waits for our clear
            // before moving the value, and no other reader holds a reference
            // (see "Why values need `Send`").
            let slot = unsafe { &*slot };
            let outcome = slot.as_ref().expect("a finished future holds its outcome");
            Ok(f(outcome.as_ref().map_err(|e| &**e)))
        })
    }

    /// Moves the outcome out. The caller has seen a done phase.
    pub(crate) fn take_outcome(&self) -> Result<T, Error> {
        match self.phase() {
            FINISHED => {}
            CANCELLED => return Err(Error::Cancelled),
            _ => return Err(Error::invalid_state("the future is not done")),
        }
        // AcqRel: the same word the readers count themselves in (module docs).
        let prev = self.head.state.fetch_or(TAKEN, Ordering::AcqRel);
        if prev & TAKEN != 0 {
            return Err(taken());
        }
        // A reader that got in before TAKEN finishes its clone; wait for it.
        // Acquire pairs with the reader's Release clear.
        while self.head.state.load(Ordering::Acquire) & READING != 0 {
            thread::yield_now();
        }
        self.value.with_mut(|slot| {
            // SAFETY: we set TAKEN first and saw no reader afterwards, so no
            // reference into the slot exists and none will be created.
            let slot = unsafe { &mut *slot };
            slot.take()
                .expect("a finished future holds its outcome")
                .map_err(|e| *e)
        })
    }

    /// True when the outcome is an error (a cancelled future is not an error here,
    /// as in Python's FIRST_EXCEPTION).
    pub(crate) fn is_failed(&self) -> bool {
        self.phase() == FINISHED && self.with_outcome(|r| r.is_err()).unwrap_or(false)
    }
}

fn taken() -> Error {
    Error::invalid_state(
        "the value was already moved out by a consuming call (`take`, `into_result` or \
         `.await` by value); read it with `result` on every handle when it is shared",
    )
}

/// Runs a done-callback, reporting (not propagating) a panic.
/// Wakes one task's waker. A waker is another runtime's code: one that
/// panics must not keep the waiters after it from waking (a blocked
/// `result()` would sit out its timeout, an `.await` elsewhere would hang)
/// nor unwind into the thread completing the future. It is reported as a
/// panicking done-callback is.
fn wake_waker(waker: Waker) {
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
    if let Err(payload) = res {
        let msg = crate::panic::payload_message(&*payload);
        eprintln!("concur: a waker panicked when the future it waits on completed: {msg}");
    }
}

pub(crate) fn run_callback<T>(cb: Callback<T>, fut: &Future<T>) {
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(fut)));
    if let Err(payload) = res {
        let msg = crate::panic::payload_message(&*payload);
        eprintln!("concur: a done-callback panicked: {msg}");
    }
}

impl<T> fmt::Debug for Inner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(phase_name(self.phase()))
    }
}

pub(crate) fn phase_name(phase: usize) -> &'static str {
    match phase {
        PENDING => "pending",
        RUNNING => "running",
        FINISHED => "finished",
        _ => "cancelled",
    }
}

#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod size {
    use super::Inner;

    #[test]
    fn the_cell_of_a_word_sized_value_keeps_its_error_boxed() {
        // The whole allocation of `Promise::new`, its handle count and
        // release hook included (see "The cell's size"); an inline `Error`
        // would make it 176.
        let cell = size_of::<Inner<u64>>();
        assert!(cell <= 120, "Inner<u64> grew to {cell} bytes");
    }

    #[test]
    fn handles_are_as_small_as_the_arcs_they_replace() {
        use crate::{AnyFuture, Future, Promise};
        let word = size_of::<usize>();
        assert_eq!(size_of::<Future<u64>>(), word);
        assert_eq!(size_of::<Option<Future<u64>>>(), word);
        assert_eq!(size_of::<Promise<u64>>(), word);
        // A pointer and a table, as the `Arc<dyn _>` it was.
        assert_eq!(size_of::<AnyFuture>(), 2 * word);
        assert_eq!(size_of::<Option<AnyFuture>>(), 2 * word);
    }
}
