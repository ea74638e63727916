//! How one task of the async pool runs: [`TaskGuard`] counts it from
//! acceptance until the executor drops it (polled or not), and [`run_task`] is
//! the wrapper every typed task is spawned in — started through core's task
//! body, cancelled unpolled when its future was cancelled while queued or
//! `shutdown(cancel_futures)` had begun, each poll under `catch_panic`.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;

use concur_core::backend::task;
use concur_core::{Promise, catch_panic};

use super::Shared;

/// Counts a task from acceptance until the executor drops it, even unpolled.
pub(super) struct TaskGuard {
    pub(super) shared: Arc<Shared>,
    pub(super) picked_up: bool,
}

impl TaskGuard {
    pub(super) fn pick_up(&mut self) {
        self.picked_up = true;
        self.shared.unqueue();
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if !self.picked_up {
            // Dropped without a poll: its promise (dropped beside it) cancels the future.
            self.shared.unqueue();
            self.shared.stats.cancelled();
        }
        self.shared.release();
    }
}

/// The wrapper every task runs in. Its arguments live in the returned future, so
/// dropping it unpolled drops `guard` and `promise` (cancelling the future).
pub(super) async fn run_task<T, F>(mut guard: TaskGuard, promise: Promise<T>, future: F)
where
    F: std::future::Future<Output = T>,
    T: Send + 'static,
{
    guard.pick_up();
    let stats = &guard.shared.stats;
    // Acquire: pairs with the store in `shutdown`. Not started before
    // shutdown(cancel_futures) began: cancelled, as if the loop had got to it.
    if guard.shared.cancelling.load(Ordering::Acquire) {
        promise.future().cancel();
    }
    if !task::start(&promise, stats) {
        // Cancelled while queued: drop the user's future without polling it.
        return;
    }
    let outcome = {
        let mut future = pin!(future);
        std::future::poll_fn(|cx| match catch_panic(|| future.as_mut().poll(cx)) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(e) => Poll::Ready(Err(e)),
        })
        .await
    };
    task::finish(promise, stats, outcome);
}
