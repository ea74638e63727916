//! [`Sched`]: the async pool's own scheduler on `async-task`. One FIFO queue
//! of runnables that every executor thread pops from, and the idle threads'
//! sleep. The tasks' metadata is generic over their output type (the future's
//! cell is in it, `meta.rs`), so the queue holds them erased: a [`Queued`] is
//! the raw runnable and the function of its type that runs or drops it.
//!
//! # Waking an idle thread
//!
//! A thread that finds the queue empty listens on `idle` (an
//! `event-listener` `Event`), counts itself asleep in [`Sleepers`], looks at
//! the queue and the stop flag once more, and only then waits. A push asks
//! `Sleepers` whether to notify: only when a thread sleeps and no
//! notification is on its way already (the protocol and why no wake-up is
//! lost are in `sleepers.rs`). So a burst of spawns while the threads sleep
//! pays one wake-up, and a spawn while they work a fence and a load, not the
//! event's lock. A thread that pops a runnable and leaves more in the queue
//! asks the same before it runs its task, so a long task does not hold up
//! the ones behind it while another thread sleeps.
//!
//! # The reactor
//!
//! Each executor thread runs [`Sched::run`] under `smol::block_on`, which
//! drives the I/O reactor and the timers while the thread waits, so
//! `smol::Timer` and `smol::Async` work inside tasks. A busy thread yields
//! to `block_on` every [`BATCH`] tasks so that it also polls the reactor when
//! the queue never empties.

#![allow(unsafe_code)] // the queue's erased runnables (`Queued`)

use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use concurrent_queue::ConcurrentQueue;
use event_listener::{Event, IntoNotification, listener};

use super::meta::TaskMeta;
use super::sleepers::Sleepers;

/// A task of the pool whose metadata is `TaskMeta<C>`, ready to be polled.
pub(super) type Runnable<C> = async_task::Runnable<TaskMeta<C>>;

/// What [`Queued`] asks of the runnable it holds.
#[derive(Clone, Copy)]
enum Op {
    Run,
    Drop,
    IsPickedUp,
}

/// A runnable of any task type, as the run queue holds it: the raw task
/// pointer and the one function, instantiated for the task's metadata type,
/// that rebuilds the runnable to run or drop it (two words). Owning: a
/// `Queued` dropped unrun drops its runnable.
pub(super) struct Queued {
    ptr: NonNull<()>,
    op: unsafe fn(NonNull<()>, Op) -> bool,
}

// SAFETY: a `Queued` is a `Runnable<TaskMeta<C>>` in other words, and that is
// `Send` (`new` requires `TaskMeta<C>` to be `Send + Sync`, and the tasks'
// futures are `Send`).
unsafe impl Send for Queued {}

impl Queued {
    pub(super) fn new<C: Send + Sync + 'static>(runnable: Runnable<C>) -> Self {
        Queued {
            ptr: runnable.into_raw(),
            op: op::<C>,
        }
    }

    fn run(self) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `ptr` came from `into_raw` of a `Runnable<TaskMeta<C>>` and
        // `op` is `op::<C>` for that same `C` (`new`); the `ManuallyDrop`
        // hands the runnable to `op` once.
        unsafe { (this.op)(this.ptr, Op::Run) };
    }

    fn is_picked_up(&self) -> bool {
        // SAFETY: as in `run`; `IsPickedUp` only borrows the runnable.
        unsafe { (self.op)(self.ptr, Op::IsPickedUp) }
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        // SAFETY: as in `run`; a dropped `Queued` was not run.
        unsafe { (self.op)(self.ptr, Op::Drop) };
    }
}

/// The one function a [`Queued`] of a `TaskMeta<C>` task calls: rebuilds its
/// runnable and runs it (`Run`), drops it (`Drop`) or reads its metadata
/// (`IsPickedUp`, which keeps it).
///
/// # Safety
///
/// `ptr` is from `Runnable::<TaskMeta<C>>::into_raw`, not yet rebuilt for
/// `Run` or `Drop`; after those, `ptr` is spent.
unsafe fn op<C: Send + Sync + 'static>(ptr: NonNull<()>, op: Op) -> bool {
    // SAFETY: the caller's contract: the pointer is a runnable of this very
    // metadata type, owned by the caller.
    let runnable = unsafe { Runnable::<C>::from_raw(ptr) };
    match op {
        Op::Run => {
            run(runnable);
            false
        }
        Op::Drop => {
            drop(runnable);
            false
        }
        Op::IsPickedUp => {
            let picked_up = runnable.metadata().base.is_picked_up();
            // Only looked at: the caller still owns it.
            let _ = runnable.into_raw();
            picked_up
        }
    }
}

/// Tasks a busy thread runs between two looks at the reactor.
const BATCH: u32 = 128;

/// The run queue and the idle threads (see module docs).
pub(super) struct Sched {
    queue: ConcurrentQueue<Queued>,
    /// Idle executor threads listen here.
    idle: Event,
    /// Who sleeps, and whether a notification is on its way (`sleepers.rs`).
    sleepers: Sleepers,
    /// Set once the pool is shut down and no task is live: the threads return.
    stopping: AtomicBool,
}

impl Sched {
    pub(super) fn new() -> Self {
        Sched {
            queue: ConcurrentQueue::unbounded(),
            idle: Event::new(),
            sleepers: Sleepers::default(),
            stopping: AtomicBool::new(false),
        }
    }

    /// Queues `runnable` and wakes an idle thread, unless one is woken already.
    pub(super) fn push(&self, runnable: Queued) {
        if let Err(refused) = self.queue.push(runnable) {
            // The queue is unbounded and never closed.
            drop(refused);
            unreachable!("the run queue is unbounded and never closed");
        }
        self.wake_one();
    }

    /// Wakes a sleeping thread for work just queued, unless none sleeps or
    /// one is being woken already.
    #[inline]
    fn wake_one(&self) {
        if self.sleepers.wake_one() {
            // `Sleepers` has already made it at most one on its way: the
            // fence is `wake_one`'s.
            self.idle.notify(1.relaxed());
        }
    }

    /// Takes the next runnable, and hands the queue on to an idle thread when
    /// more are waiting.
    fn pop(&self) -> Option<Queued> {
        let runnable = self.queue.pop().ok()?;
        if !self.queue.is_empty() {
            self.wake_one();
        }
        Some(runnable)
    }

    /// Runs one queued task, if any (a task that blocks on a concur future
    /// lends its thread this way); false when the queue was empty.
    pub(super) fn try_run_one(&self) -> bool {
        match self.pop() {
            Some(runnable) => {
                runnable.run();
                true
            }
            None => false,
        }
    }

    /// The body of an executor thread: runs tasks until [`stop`](Sched::stop).
    pub(super) async fn run(&self) {
        let mut ran = 0;
        loop {
            if let Some(runnable) = self.pop() {
                runnable.run();
                ran += 1;
                if ran == BATCH {
                    ran = 0;
                    smol::future::yield_now().await;
                }
                continue;
            }
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            {
                listener!(self.idle => woken);
                self.sleepers.sleep();
                if self.queue.is_empty() && !self.stopping.load(Ordering::SeqCst) {
                    woken.await;
                }
                // The listener goes before the thread counts itself out.
            }
            self.sleepers.wake_up();
        }
    }

    /// Lets every executor thread return once the queue is empty. Called when
    /// the pool is shut down and no task is live, so none will be queued again.
    pub(super) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.idle.notify(usize::MAX);
    }

    /// `shutdown(cancel_futures)`: drops the runnable of every queued task that
    /// no thread has picked up yet, which cancels its future unpolled (the
    /// task's guard), and queues the others again (tasks that started and were
    /// woken: they run to the end).
    ///
    /// The drops run the user's code (a future's `Drop`, the callbacks of the
    /// cancelled future) on this thread; a panic there is caught and dropped,
    /// as an executor thread would.
    pub(super) fn cancel_queued(&self) {
        let mut started = Vec::new();
        while let Ok(runnable) = self.queue.pop() {
            if runnable.is_picked_up() {
                started.push(runnable);
            } else {
                let _ = panic::catch_unwind(AssertUnwindSafe(|| drop(runnable)));
            }
        }
        for runnable in started {
            self.push(runnable);
        }
    }
}

/// Polls a task once. Its own panics are caught inside it (`RunTask` polls
/// the user's future under `catch_panic` and catches a panic of its drop);
/// what else may unwind out of a poll — a waker of the task's future that
/// panics when the task completes it — is caught here, so that it does not
/// end the executor thread (async-task has closed the task by then).
fn run<C>(runnable: Runnable<C>) {
    let _ = panic::catch_unwind(AssertUnwindSafe(|| runnable.run()));
}

/// The schedule function of every task: a wake queues the task again on its
/// pool. (The first schedule is the spawner's own [`Sched::push`].)
///
/// The clone keeps the pool alive until the push has notified: once the
/// runnable is queued, another thread may run the task to its end and the
/// pool may go away with it.
pub(super) fn schedule<C: Send + Sync + 'static>(runnable: Runnable<C>) {
    let shared = Arc::clone(&runnable.metadata().base.shared);
    shared.sched.push(Queued::new(runnable));
}
