//! [`Shared`]: what a pool's threads share — the queue, the live workers and
//! the flags under one lock ([`State`]) — and the scheduling that moves tasks
//! from the queue into the workers' windows ([`Shared::pump`]).
//!
//! Lock discipline: `Shared::state` is never held while a future is completed or
//! a promise dropped (both can run user callbacks, which may submit). Tasks
//! removed under the lock go to a `dead` list dropped after unlocking.
//!
//! Admission uses core's toolkit where it fits: the `max_queued` bound is
//! core's `QueueBound` (the same `Error::Full`, counted the same way as on
//! every pool: from admission until the task leaves the queue, see `job.rs`).
//! Core's lock-free `Gate` is not used: submission and shutdown both take the
//! state lock here (a submission must also see `broken`, and be queued in the
//! same critical section that sends it), and that lock already orders every
//! submitter before or after `shutdown`.

use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use concur_core::backend::QueueBound;
use concur_core::{Error, StatsCounter};

use super::job::Task;
use super::link::Link;
use crate::builder::Config;
use crate::sync;

pub(crate) struct Shared {
    pub(super) config: Config,
    /// Queue, workers and flags; see the lock discipline in the module docs.
    pub(super) state: Mutex<State>,
    pub(super) stats: StatsCounter,
    /// The `max_queued` bound of `try_submit`.
    pub(super) bound: QueueBound,
    pub(super) next_id: AtomicU64,
    /// Tasks requeued after their worker was lost (`retries`); a counter only,
    /// read with `Relaxed` as it orders nothing.
    pub(super) retried: AtomicU64,
    /// Wakes the timeout watchdog (a deadline was set, a worker left, shutdown).
    pub(super) timer_cv: Condvar,
    /// Slot threads and the watchdog, joined by `shutdown(wait = true)`.
    pub(super) threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPool")
            .field("config", &self.config)
            .field("stats", &self.stats)
            .finish()
    }
}

pub(super) struct State {
    /// Accepted tasks not yet sent to a worker, in submission order.
    pub(super) queue: VecDeque<Task>,
    /// The live worker of each slot.
    pub(super) workers: Vec<Option<Link>>,
    pub(super) shutdown: bool,
    pub(super) broken: Option<String>,
    pub(super) timer_started: bool,
    /// The last ping sent (by the watchdog).
    pub(super) ping_seq: u64,
    /// Nothing more runs: the pool was dropped during a panic (see `abandon`)
    /// or its workers were terminated or killed (`signal_workers`).
    pub(super) abandoned: bool,
}

/// A task sent ahead to a worker whose current task has run this long while
/// another worker idles is revoked and given to the idle one.
pub(super) const REBALANCE_AFTER: Duration = Duration::from_millis(5);

thread_local! {
    /// True on the pool's own threads, where `shutdown(wait)` must not join.
    pub(super) static POOL_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        sync::lock(&self.state)
    }

    pub(super) fn enqueue(&self, task: Task, bounded: bool) -> Result<(), Box<(Error, Task)>> {
        let mut dead = Vec::new();
        let mut st = self.lock();
        if let Some(reason) = &st.broken {
            return Err(Box::new((Error::broken(reason.clone()), task)));
        }
        if st.shutdown {
            return Err(Box::new((Error::Shutdown, task)));
        }
        if !bounded {
            self.bound.admit();
        } else if let Err(full) = self.bound.try_admit() {
            return Err(Box::new((full, task)));
        }
        self.stats.submitted();
        st.queue.push_back(task);
        self.pump(&mut st, &mut dead);
        drop(st);
        drop(dead);
        Ok(())
    }

    /// Sends queued tasks to workers with room in their window, and `Exit` to
    /// workers that are done.
    ///
    /// Level by level (an idle worker is served before a busy one gets a
    /// second task), a worker takes tasks sent ahead only while it is fast and
    /// only once its window has drained to half (the low-water mark): it is
    /// then topped up in one go, and the tasks each worker took in this step
    /// travel in one message (`Link::flush`). With the default window of 8, a
    /// stream of short tasks costs a worker one message per 4 tasks rather
    /// than one per task, where the round trip and the wake-ups are.
    pub(super) fn pump(&self, st: &mut State, dead: &mut Vec<Task>) {
        let State {
            queue,
            workers,
            shutdown,
            ..
        } = st;
        let cap = self.config.max_tasks_per_child;
        let low_water = self.config.window / 2;
        // Which windows take tasks sent ahead in this step, fixed before any
        // is filled.
        for link in workers.iter_mut().flatten() {
            link.open_if_below(low_water);
        }
        // The levels worth a look (a step of W1's submit loop, every window
        // full, looks at none): from the lowest window that can take a task,
        // up to the window's size if some window takes tasks sent ahead.
        let live = || workers.iter().flatten().filter(|l| !l.exiting);
        let top = if live().any(|l| l.fast && l.open) {
            self.config.window
        } else {
            1
        };
        let bottom = live().map(|l| l.inflight.len()).min().unwrap_or(top);
        let levels = if queue.is_empty() { 0..0 } else { bottom..top };
        'levels: for level in levels {
            for link in workers.iter_mut().flatten() {
                if link.exiting
                    || link.inflight.len() != level
                    || (level > 0 && !(link.fast && link.open))
                    || cap.is_some_and(|c| link.sent >= c)
                {
                    continue;
                }
                let task = loop {
                    let Some(mut t) = queue.pop_front() else {
                        break 'levels;
                    };
                    if t.start(&self.stats, &self.bound) {
                        break t;
                    }
                    // Cancelled while it waited: counted, dropped unlocked.
                    dead.push(t);
                };
                if link.stage(task) {
                    self.timer_cv.notify_all();
                }
            }
        }
        for link in workers.iter_mut().flatten() {
            link.flush();
            let done = cap.is_some_and(|c| link.sent >= c) || (*shutdown && queue.is_empty());
            if done && !link.exiting && link.inflight.is_empty() {
                link.send_exit();
            }
        }
    }
}
