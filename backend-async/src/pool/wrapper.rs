//! How one task of the async pool runs: [`RunTask`] is the future every typed
//! task is spawned as — started through core's task body, cancelled unpolled
//! when its future was cancelled while queued or `shutdown(cancel_futures)`
//! had begun, each poll under `catch_panic` — and [`TaskGuard`] counts it from
//! acceptance until its future is dropped (polled or not).
//!
//! `RunTask` is written by hand rather than as an `async fn`: an `async fn`
//! keeps its arguments and the locals they are moved into side by side, and
//! the task (async-task's header with the pool's
//! [`TaskMeta`](super::meta::TaskMeta) and the future's cell, and this
//! future, one allocation) would grow larger than it needs
//! (`tests/task_size.rs` checks what a W1 task allocates).

use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use concur_core::backend::task;
use concur_core::{Promise, catch_panic};

use super::Shared;
use super::meta::TaskBase;

/// Counts a task from acceptance until its future is dropped, even unpolled.
/// It reaches the pool through the task's metadata, which outlives the future
/// (`meta.rs`): no reference count of the pool's is taken per task beyond the
/// metadata's own.
pub(super) struct TaskGuard<'a> {
    meta: &'a TaskBase,
    picked_up: bool,
}

impl<'a> TaskGuard<'a> {
    /// A guard for a task `shared.accept` has just counted live.
    pub(super) fn new(meta: &'a TaskBase) -> Self {
        TaskGuard {
            meta,
            picked_up: false,
        }
    }

    /// The pool this task belongs to.
    pub(super) fn shared(&self) -> &'a Shared {
        &self.meta.shared
    }

    /// Whether the first poll has happened.
    pub(super) fn picked_up(&self) -> bool {
        self.picked_up
    }

    /// The first poll: the task leaves the queue bound.
    pub(super) fn pick_up(&mut self) {
        self.picked_up = true;
        self.meta.pick_up();
        self.shared().unqueue();
    }
}

impl Drop for TaskGuard<'_> {
    fn drop(&mut self) {
        let shared = self.shared();
        if !self.picked_up {
            // Dropped without a poll: its promise (dropped before it) cancelled the future.
            shared.unqueue();
            shared.stats.cancelled();
        }
        // The last use of the pool by this task; the metadata keeps it alive
        // through `release` even when that lets the executor threads return.
        shared.release();
    }
}

pin_project_lite::pin_project! {
    /// The future every typed task runs as. A task dropped unpolled cancels
    /// its future (the promise's drop), then drops the user's future, then
    /// its guard counts it out: a `shutdown(wait)` that returns has seen
    /// every task's drop.
    pub(super) struct RunTask<'a, T, F>
    where
        T: Send,
        T: 'static,
    {
        // `None` once completed (or cancelled at the first poll).
        promise: Option<Promise<T>>,
        // `None` once dropped (in `drop`, where its panic is caught).
        #[pin]
        future: Option<F>,
        guard: TaskGuard<'a>,
    }

    impl<'a, T, F> PinnedDrop for RunTask<'a, T, F>
    where
        T: Send,
        T: 'static,
    {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            drop(this.promise.take());
            if this.future.is_some() {
                // async-task aborts on a panic in a task's drop; a panic in
                // the user's `Drop` is the user's, and stays in this task.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
            }
        }
    }
}

impl<'a, T: Send + 'static, F> RunTask<'a, T, F> {
    pub(super) fn new(guard: TaskGuard<'a>, promise: Promise<T>, future: F) -> Self {
        RunTask {
            promise: Some(promise),
            future: Some(future),
            guard,
        }
    }
}

impl<T, F> std::future::Future for RunTask<'_, T, F>
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let Some(promise) = this.promise.as_ref() else {
            // Not polled again after Ready; nothing to do if it were.
            return Poll::Ready(());
        };
        if !this.guard.picked_up() {
            this.guard.pick_up();
            let stats = &this.guard.shared().stats;
            // Acquire: pairs with the store in `shutdown`. Not started before
            // shutdown(cancel_futures) began: cancelled, as if the drain had
            // got to it.
            let cancelling = this.guard.shared().cancelling.load(Ordering::Acquire);
            if cancelling {
                // Cancels the future (dropping the pending promise) and counts it.
                task::cancel(this.promise.take().expect("checked above"), stats);
                return Poll::Ready(());
            }
            if !task::start(promise, stats) {
                // Cancelled while queued (`start` counted it): the user's
                // future is dropped unpolled.
                *this.promise = None;
                return Poll::Ready(());
            }
        }
        let Some(future) = this.future.as_pin_mut() else {
            return Poll::Ready(());
        };
        let outcome = match catch_panic(|| future.poll(cx)) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(v)) => Ok(v),
            Err(e) => Err(e),
        };
        if let Some(promise) = this.promise.take() {
            task::finish(promise, &this.guard.shared().stats, outcome);
        }
        Poll::Ready(())
    }
}
