//! A per-thread hook that lets a pool's worker thread do useful work while it
//! blocks on a future, instead of parking (and, on a saturated pool, deadlocking
//! as Python's `ThreadPoolExecutor` does when a task waits on another task).

use std::cell::RefCell;

use std::time::Instant;

/// What a pool installs on its worker threads: called by a blocking wait with a
/// predicate that turns true when the awaited future is done, and the wait's
/// deadline. The hook may run other queued tasks until `done()` is true, and
/// returns `done()` when it gives up (for example because no work is left);
/// the waiting thread then parks as usual.
pub type WaitHook = Box<dyn Fn(&dyn Fn() -> bool, Option<Instant>) -> bool>;

thread_local! {
    static HOOK: RefCell<Option<WaitHook>> = const { RefCell::new(None) };
}

/// Installs (or with `None`, removes) the wait hook of the current thread.
///
/// Backends call this once on each worker thread they own. A hook is not
/// re-entered: a blocking wait inside a task run by the hook parks normally.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// let calls = Arc::new(AtomicUsize::new(0));
/// let c = calls.clone();
/// concur_core::set_wait_hook(Some(Box::new(move |done, _deadline| {
///     c.fetch_add(1, Ordering::Relaxed);
///     done()
/// })));
/// let promise = concur_core::Promise::new();
/// let fut = promise.future();
/// std::thread::spawn(move || promise.set_result(1));
/// assert_eq!(fut.result(None), Ok(1));
/// concur_core::set_wait_hook(None);
/// ```
pub fn set_wait_hook(hook: Option<WaitHook>) {
    HOOK.with(|h| *h.borrow_mut() = hook);
}

/// Runs the current thread's hook, if any and not already running.
pub(crate) fn run_wait_hook(done: &dyn Fn() -> bool, deadline: Option<Instant>) -> bool {
    // Take the hook out while it runs so a nested wait does not re-enter it.
    let Some(hook) = HOOK.with(|h| h.try_borrow_mut().ok().and_then(|mut h| h.take())) else {
        return false;
    };
    struct Restore(Option<WaitHook>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let hook = self.0.take();
            HOOK.with(|h| {
                if let Ok(mut h) = h.try_borrow_mut()
                    && h.is_none()
                {
                    *h = hook;
                }
            });
        }
    }
    let restore = Restore(Some(hook));
    let hook = restore.0.as_ref().expect("present");
    hook(done, deadline)
}
