//! A worker thread: its deque, its main loop, and the help it gives while it
//! waits on a future.
//!
//! # Finding a task
//!
//! [`find_task`] is crossbeam-deque's own loop: pop the newest job of the
//! worker's own deque (LIFO: what a task just spawned is still hot in cache),
//! else take a batch from the global injector (FIFO: outside submissions start
//! in order) and pop one of it, else steal the oldest job of another worker.
//! `Steal::Retry` (a race with another thief) loops; only a clean `Empty`
//! everywhere means there is no work.
//!
//! A batch moved from the injector to a local deque is invisible to sleepers
//! for a moment, so after taking a job a worker that still holds local work
//! calls `notify_new_work` to wake a sleeper that could steal it.
//!
//! # Idling
//!
//! With no task found, a worker counts itself idle (so submitters wake it
//! rather than start a new thread), retries a few times with
//! `yield_now`, then sleeps (see sleep.rs). A submitter that saw it idle
//! relied on it; so when it finds a task and becomes busy, it checks the
//! queues once more and, if work is left, wakes a sleeper or starts a worker
//! for it. It exits once the pool is closed
//! (shut down, no submitter in flight) and every queue is empty.

use std::cell::{Cell, RefCell};
use std::iter;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};
use std::time::Instant;

use crossbeam_deque::{Steal, Worker};

use crate::job::{Action, Job};
use crate::registry::Registry;

/// How many times an idle worker looks again (yielding in between) before it sleeps.
const ROUNDS_BEFORE_SLEEP: usize = 32;

/// What a worker thread knows about itself, reachable from tasks it runs.
struct WorkerThread {
    registry: Arc<Registry>,
    index: usize,
    local: Worker<Job<'static>>,
}

/// How many waits may nest, each running queued jobs, on one worker.
const MAX_HELP_DEPTH: usize = 64;

thread_local! {
    /// The pool worker running on this thread, if any.
    static CURRENT: RefCell<Option<Rc<WorkerThread>>> = const { RefCell::new(None) };
    /// Nested `help_until` calls on this thread.
    static HELP_DEPTH: Cell<usize> = const { Cell::new(0) };
}

fn current() -> Option<Rc<WorkerThread>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Pushes `job` on the calling thread's own deque if it is a worker of
/// `registry`; otherwise hands it back.
#[inline]
pub(crate) fn push_local(registry: &Registry, job: Job<'static>) -> Option<Job<'static>> {
    CURRENT.with(|c| match &*c.borrow() {
        Some(w) if std::ptr::eq(Arc::as_ptr(&w.registry), registry) => {
            w.local.push(job);
            None
        }
        _ => Some(job),
    })
}

impl WorkerThread {
    /// Local pop, then a batch from the injector, then steal from the others.
    fn find_task(&self) -> Option<Job<'static>> {
        let registry = &*self.registry;
        self.local.pop().or_else(|| {
            iter::repeat_with(|| {
                registry
                    .injector
                    .steal_batch_and_pop(&self.local)
                    .or_else(|| {
                        registry
                            .stealers
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != self.index)
                            .filter_map(|(_, s)| s.get())
                            .map(|s| s.steal())
                            .collect::<Steal<_>>()
                    })
            })
            .find(|s| !s.is_retry())
            .and_then(Steal::success)
        })
    }

    /// Runs one job found by `find_task`.
    #[inline]
    fn run(&self, job: Job<'static>) {
        let registry = &self.registry;
        registry.dequeued();
        if !self.local.is_empty() {
            // Work we moved here from the injector: let a sleeper steal it.
            let _ = registry.notify_new_work();
        }
        job.execute(Action::Run, &registry.worker_stats[self.index]);
    }

    /// The wait hook: runs queued jobs while `done()` is false, until none is
    /// left or the deadline passes.
    ///
    /// concur-core takes a hook out of its thread while it runs, so a task
    /// run from here that waits in turn would park. Fork-join code (a task
    /// that spawns and waits, recursively) needs the help at every level, so
    /// the hook is installed again for the jobs run here, down to
    /// `MAX_HELP_DEPTH` nested waits (a bound on stack growth; deeper waits park).
    fn help_until(&self, done: &dyn Fn() -> bool, deadline: Option<Instant>) -> bool {
        let depth = HELP_DEPTH.with(|d| d.get());
        if depth < MAX_HELP_DEPTH {
            install_hook();
        }
        HELP_DEPTH.with(|d| d.set(depth + 1));
        let done = self.help_loop(done, deadline);
        HELP_DEPTH.with(|d| d.set(depth));
        done
    }

    fn help_loop(&self, done: &dyn Fn() -> bool, deadline: Option<Instant>) -> bool {
        loop {
            if done() {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            match self.find_task() {
                Some(job) => self.run(job),
                None => return done(),
            }
        }
    }
}

/// Installs the wait hook on the calling worker thread.
fn install_hook() {
    concur_core::set_wait_hook(Some(Box::new(|done, deadline| match current() {
        Some(w) => w.help_until(done, deadline),
        None => false,
    })));
}

/// The body of worker thread `index`.
pub(crate) fn main_loop(registry: Arc<Registry>, index: usize, local: Worker<Job<'static>>) {
    let me = Rc::new(WorkerThread {
        registry: registry.clone(),
        index,
        local,
    });
    CURRENT.with(|c| *c.borrow_mut() = Some(me.clone()));

    if let Some(init) = &registry.config.initializer
        && let Err(e) = concur_core::catch_panic(|| init())
    {
        let message = match e {
            concur_core::Error::Panicked { message, .. } => message,
            other => other.to_string(),
        };
        registry.break_pool(format!(
            "the initializer of worker {index} panicked: {message}"
        ));
        finish(&registry);
        return;
    }

    // After the initializer: no task may run on this thread before it.
    install_hook();

    'work: loop {
        if let Some(job) = me.find_task() {
            me.run(job);
            continue;
        }
        registry.idle.fetch_add(1, Ordering::SeqCst);
        let mut rounds = 0;
        loop {
            // Read `closed` before looking at the queues: once it is true no
            // job can be pushed any more, so empty queues stay empty.
            let closed = registry.closed();
            if let Some(job) = me.find_task() {
                registry.idle.fetch_sub(1, Ordering::SeqCst);
                // While we were counted idle, a submitter may have left its job
                // to us instead of starting a worker; we are busy now, so pass
                // on what is left. The fence pairs with the one a submitter
                // issues between its push and its look at `idle`: either it saw
                // us busy (and started a worker) or we see its job here.
                fence(Ordering::SeqCst);
                if !registry.queues_empty() {
                    let _ = registry.notify_new_work();
                }
                me.run(job);
                continue 'work;
            }
            if closed {
                registry.idle.fetch_sub(1, Ordering::SeqCst);
                break 'work;
            }
            if rounds < ROUNDS_BEFORE_SLEEP || registry.is_shutdown() {
                // Shutting down with a submitter in flight: its job is coming.
                rounds += 1;
                std::thread::yield_now();
                continue;
            }
            registry
                .sleep
                .sleep(|| registry.queues_empty() && !registry.is_shutdown());
            rounds = 0;
        }
    }
    finish(&registry);
}

fn finish(registry: &Registry) {
    concur_core::set_wait_hook(None);
    CURRENT.with(|c| c.borrow_mut().take());
    registry.worker_exited();
}
