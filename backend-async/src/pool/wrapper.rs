//! How one task of the async pool runs: [`RunTask`] is the future every typed
//! task is spawned as — started through core's task body, cancelled unpolled
//! when its future was cancelled while queued or `shutdown(cancel_futures)`
//! had begun, each poll under `catch_panic` — and [`TaskGuard`] counts it from
//! acceptance until the executor drops it (polled or not).
//!
//! `RunTask` is written by hand rather than as an `async fn`: an `async fn`
//! keeps its arguments and the locals they are moved into side by side, and
//! the task (the executor's header, its bookkeeping and this future, one
//! allocation) grew past what the allocator recycles on its cheap path (a
//! W1 task was 176 bytes; it is 104 now, as small as the user's future allows).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use concur_core::backend::task;
use concur_core::{Promise, catch_panic};

use super::Shared;

/// Counts a task from acceptance until the executor drops it, even unpolled.
pub(super) struct TaskGuard {
    shared: Arc<Shared>,
    pub(super) picked_up: bool,
}

impl TaskGuard {
    /// A guard for a task `shared.accept` has just counted live.
    pub(super) fn new(shared: &Arc<Shared>) -> Self {
        TaskGuard {
            shared: shared.clone(),
            picked_up: false,
        }
    }

    /// The pool this task belongs to.
    pub(super) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(super) fn pick_up(&mut self) {
        self.picked_up = true;
        self.shared().unqueue();
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let shared = self.shared();
        if !self.picked_up {
            // Dropped without a poll: its promise (dropped before it) cancelled the future.
            shared.unqueue();
            shared.stats.cancelled();
        }
        shared.release();
    }
}

pin_project_lite::pin_project! {
    /// The future every typed task runs as. Fields drop in declaration
    /// order, so a task dropped unpolled cancels its future (the promise's
    /// drop) and drops the user's future before its guard counts it out:
    /// a `shutdown(wait)` that returns has seen every task's drop.
    pub(super) struct RunTask<T, F>
    where
        T: Send,
        T: 'static,
    {
        // `None` once completed (or cancelled at the first poll).
        promise: Option<Promise<T>>,
        #[pin]
        future: F,
        guard: TaskGuard,
    }
}

impl<T: Send + 'static, F> RunTask<T, F> {
    pub(super) fn new(guard: TaskGuard, promise: Promise<T>, future: F) -> Self {
        RunTask {
            promise: Some(promise),
            future,
            guard,
        }
    }
}

impl<T, F> std::future::Future for RunTask<T, F>
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
        if !this.guard.picked_up {
            this.guard.pick_up();
            let stats = &this.guard.shared().stats;
            // Acquire: pairs with the store in `shutdown`. Not started before
            // shutdown(cancel_futures) began: cancelled, as if the loop had
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
        let outcome = match catch_panic(|| this.future.poll(cx)) {
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
