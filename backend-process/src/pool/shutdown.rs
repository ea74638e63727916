//! How a pool ends: `shutdown` (Python's, with `wait` and `cancel_futures`),
//! broken (a worker's initializer failed, or a worker was lost with
//! `break_on_worker_loss`), abandoned (dropped while its thread panics), and
//! its workers terminated or killed at the caller's request.

use std::collections::VecDeque;
use std::thread::JoinHandle;

use concur_core::Error;

use super::job::Task;
use super::shared::{POOL_THREAD, Shared};
use crate::sync;

impl Shared {
    /// Python's `shutdown`: no more submissions; with `cancel_futures` the
    /// tasks still queued are cancelled; workers are told to exit once the
    /// queue is empty; with `wait` (and not on a pool thread) joins the pool's
    /// threads, so every worker has been reaped when it returns.
    pub(super) fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let mut dead = Vec::new();
        let mut cancelled = VecDeque::new();
        {
            let mut st = self.lock();
            st.shutdown = true;
            if cancel_futures {
                // Tasks marked running (requeued after a lost worker) stay.
                let keep;
                (keep, cancelled) = std::mem::take(&mut st.queue)
                    .into_iter()
                    .partition(|t: &Task| t.marked);
                st.queue = keep;
            }
            self.pump(&mut st, &mut dead);
        }
        // Outside the lock: cancelling a future runs its callbacks.
        self.cancel_all(cancelled.into());
        drop(dead);
        self.timer_cv.notify_all();
        if wait && !POOL_THREAD.with(|p| p.get()) {
            self.join();
        }
    }

    /// Joins the slot threads and the watchdog.
    pub(super) fn join(&self) {
        let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *sync::lock(&self.threads));
        for h in handles {
            let _ = h.join();
        }
    }

    /// The pool is dropped while its thread panics: nothing more runs. Every
    /// queued task is cancelled (a pending one becomes cancelled, one requeued
    /// after a lost worker fails with `Cancelled`), every worker is killed (its
    /// running task fails with `WorkerLost`), and nothing is requeued or
    /// retried after that.
    pub(super) fn abandon(&self) {
        let queued: Vec<Task> = {
            let mut st = self.lock();
            st.shutdown = true;
            st.abandoned = true;
            for link in st.workers.iter_mut().flatten() {
                link.lose();
            }
            st.queue.drain(..).collect()
        };
        self.timer_cv.notify_all();
        self.cancel_all(queued);
        if !POOL_THREAD.with(|p| p.get()) {
            self.join();
        }
    }

    /// Cancels tasks taken out of the queue (outside the lock): a queued one's
    /// future is cancelled, one requeued after its worker was lost fails with
    /// `Cancelled`.
    pub(super) fn cancel_all(&self, tasks: Vec<Task>) {
        for task in tasks {
            task.cancel_unsent(&self.stats, &self.bound);
        }
    }

    /// `terminate_workers` / `kill_workers`: shuts down cancelling the queue,
    /// sends `signal` to every worker, and waits until they are reaped.
    pub(super) fn signal_workers(&self, signal: i32) {
        self.shutdown(false, true);
        {
            let mut st = self.lock();
            // Nothing runs after this: a task its worker had been sent but not
            // yet taken up is not requeued onto a replacement (there is none),
            // and no slot respawns. Set before any signal, under the lock the
            // slots take to settle, so every death it causes sees it.
            st.abandoned = true;
            for link in st.workers.iter_mut().flatten() {
                link.terminate(signal);
            }
        }
        if !POOL_THREAD.with(|p| p.get()) {
            self.join();
        }
    }

    /// Breaks the pool (Python's `BrokenProcessPool`): no more work, every
    /// queued task fails with [`Error::Broken`], every worker is killed.
    pub(super) fn break_pool(&self, reason: String) {
        let mut st = self.lock();
        if st.broken.is_some() {
            return;
        }
        st.broken = Some(reason.clone());
        st.shutdown = true;
        let dead: Vec<Task> = st.queue.drain(..).collect();
        for link in st.workers.iter_mut().flatten() {
            link.lose();
        }
        drop(st);
        self.timer_cv.notify_all();
        for task in dead {
            self.fail_unstarted(task, Error::broken(reason.clone()));
        }
    }

    /// Fails a task that is not in a worker (queued, or requeued after a loss).
    pub(super) fn fail_unstarted(&self, task: Task, error: Error) {
        task.fail_unsent(error, &self.stats, &self.bound);
    }
}
