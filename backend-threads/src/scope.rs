//! [`Scope`]: tasks that borrow from the caller's stack, as `std::thread::scope`.
//!
//! # Why the lifetime erasure is sound
//!
//! A scoped task is a `Job<'scope>`: its closure may hold references that are
//! only valid until [`ThreadPool::scope`] returns. The queues hold
//! `Job<'static>`, so [`Scope::spawn`] erases the lifetime (the only `unsafe`
//! outside job.rs's type erasure). That is sound because `scope` cannot return, normally
//! or by unwinding, before every job it spawned is gone:
//!
//! - `pending` counts the scope itself plus every job spawned and not yet
//!   dropped. The scope's own unit is released only after the user's closure
//!   returned or panicked (the panic is caught, and resumed only after the wait).
//! - Each job is wrapped in a `Guarded`, whose `Drop` first drops the job (the
//!   user's closure, run or not, and with it every borrow it holds) and only
//!   then decrements `pending`. Every way a job leaves the queues — run by a
//!   worker, cancelled by `shutdown(cancel_futures)`, failed by a broken pool,
//!   refused at submission, or dropped with a dead worker's deque — ends in
//!   that `Drop`. Jobs are never leaked: the pool's workers only exit once the
//!   queues are empty, and the pool cannot be dropped while `scope` borrows it.
//! - The decrement that reaches zero completes the scope's `done` future, and
//!   `scope` waits for it before returning. If that wait were to unwind (it
//!   does not: tasks run under `catch_panic`), `scope` keeps waiting by
//!   yielding until `done`, so it still does not return early.

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use concur_core::{Future, Promise, StatsCounter};

use crate::ThreadPool;
use crate::job::{Action, Job};
use crate::registry::Registry;
use crate::sync::Mutex;

/// A scope to spawn tasks that borrow from the stack of [`ThreadPool::scope`]'s
/// caller. Every task spawned in it is done (run, or dropped unrun after a
/// shutdown) before `scope` returns.
pub struct Scope<'scope, 'env: 'scope> {
    registry: Arc<Registry>,
    state: Arc<ScopeState>,
    /// Invariant in `'scope`, as `std::thread::Scope`.
    scope: PhantomData<&'scope mut &'scope ()>,
    /// Invariant in `'env`.
    env: PhantomData<&'env mut &'env ()>,
}

impl std::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("pending", &self.state.pending.load(Ordering::Relaxed))
            .finish()
    }
}

/// The count of live jobs (plus one for the scope) and the future that
/// completes when it reaches zero.
struct ScopeState {
    pending: AtomicUsize,
    promise: Mutex<Option<Promise<()>>>,
    done: Future<()>,
}

impl ScopeState {
    fn new() -> Self {
        let promise = Promise::new();
        let done = promise.future();
        ScopeState {
            pending: AtomicUsize::new(1),
            promise: Mutex::new(Some(promise)),
            done,
        }
    }

    fn decrement(&self) {
        // AcqRel: the last decrement sees every earlier one (and the drops
        // before them), and publishes them through the `done` future.
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            let promise = crate::sync::lock(&self.promise).take();
            if let Some(p) = promise {
                p.set_running();
                p.set_result(());
            }
        }
    }
}

/// A scoped job with its place in `pending`; see the module docs.
struct Guarded<'scope> {
    job: Option<Job<'scope>>,
    state: Arc<ScopeState>,
}

impl Guarded<'_> {
    fn run(mut self, action: Action, stats: &StatsCounter) {
        if let Some(job) = self.job.take() {
            job.execute(action, stats);
        }
    }
}

impl Drop for Guarded<'_> {
    fn drop(&mut self) {
        // First the job and every borrow it holds, then the count.
        drop(self.job.take());
        self.state.decrement();
    }
}

impl<'scope> Scope<'scope, '_> {
    /// Runs `f` on the pool. `f` may borrow anything that outlives the scope.
    /// A panic in `f` fails the returned future with
    /// [`Error::Panicked`](concur_core::Error::Panicked) and does not propagate
    /// out of `scope`.
    pub fn spawn<R, F>(&'scope self, f: F) -> Future<R>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'scope,
    {
        // The scope's own unit (or the spawning task's) is held: no zero here.
        // Relaxed: the job is published to its runner by the queue, and the
        // decrements that may reach zero are ordered by `fetch_sub`'s AcqRel.
        self.state.pending.fetch_add(1, Ordering::Relaxed);
        let promise = Promise::new();
        let future = promise.future();
        let guarded = Guarded {
            job: Some(Job::new(f, promise)),
            state: self.state.clone(),
        };
        let job = Job::from_fn(move |action, stats: &StatsCounter| guarded.run(action, stats));
        // SAFETY: the job cannot outlive 'scope: `ThreadPool::scope` does not
        // return before `pending` is zero, and `Guarded::drop` decrements it only
        // after the closure and its borrows were dropped (see the module docs).
        let job = unsafe { job.erase() };
        if let Err((job, error)) = self.registry.inject(job, false) {
            job.execute(Action::Fail(error), &StatsCounter::default());
        }
        future
    }
}

impl ThreadPool {
    /// Runs `f` with a [`Scope`] whose tasks may borrow from the caller's stack,
    /// and returns once every task spawned in it is done, as
    /// [`std::thread::scope`].
    ///
    /// A task's panic is caught and fails its future; a panic of `f` itself is
    /// resumed after the tasks are done. Called from a worker of this pool, the
    /// waiting worker runs queued tasks meanwhile.
    ///
    /// ```
    /// let pool = concur_threads::ThreadPool::new(2).unwrap();
    /// let mut numbers = vec![1, 2, 3, 4];
    /// let total = std::sync::atomic::AtomicU64::new(0);
    /// pool.scope(|s| {
    ///     for chunk in numbers.chunks_mut(2) {
    ///         let total = &total;
    ///         let _task = s.spawn(move || {
    ///             for n in chunk.iter_mut() {
    ///                 *n *= 10;
    ///                 total.fetch_add(*n, std::sync::atomic::Ordering::Relaxed);
    ///             }
    ///         });
    ///     }
    /// });
    /// assert_eq!(numbers, [10, 20, 30, 40]);
    /// assert_eq!(total.into_inner(), 100);
    /// ```
    ///
    /// The scope cannot escape the closure, so no task outlives the call:
    ///
    /// ```compile_fail,E0521
    /// let pool = concur_threads::ThreadPool::new(1).unwrap();
    /// let mut escaped = None;
    /// pool.scope(|s| escaped = Some(s));
    /// ```
    pub fn scope<'env, F, T>(&self, f: F) -> T
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
    {
        let scope = Scope {
            registry: self.registry().clone(),
            state: Arc::new(ScopeState::new()),
            scope: PhantomData,
            env: PhantomData,
        };
        let result = catch_unwind(AssertUnwindSafe(|| f(&scope)));
        scope.state.decrement();
        let done = &scope.state.done;
        let waited = catch_unwind(AssertUnwindSafe(|| done.wait_timeout(None)));
        while !done.is_done() {
            std::thread::yield_now();
        }
        if let Err(payload) = waited {
            resume_unwind(payload);
        }
        match result {
            Ok(value) => value,
            Err(payload) => resume_unwind(payload),
        }
    }
}
