//! The body of an executor thread of the async pool: it runs the pool's
//! scheduler until it stops, lends itself to tasks that block on a concur
//! future (the wait hook), and on the way out says so to the pool.

use std::sync::Arc;

use concur_core::backend;
use concur_core::set_wait_hook;

use super::{CURRENT, Shared};
use crate::sync::lock;

/// The body of an executor thread; `serve` is false when its initializer
/// panicked (the pool is being dropped: the thread only takes part in that).
pub(super) fn worker(shared: Arc<Shared>, serve: bool) {
    struct Exit(Arc<Shared>);
    impl Drop for Exit {
        fn drop(&mut self) {
            set_wait_hook(None);
            CURRENT.with(|c| c.set(0));
            *lock(&self.0.running) -= 1;
            self.0.exited.notify_all();
        }
    }
    let exit = Exit(shared);
    let shared = &exit.0;
    if !serve {
        return;
    }
    CURRENT.with(|c| c.set(Arc::as_ptr(shared) as usize));
    // A task that blocks on a concur future (`result()`, `wait`) runs other
    // queued tasks meanwhile, so a 1-thread pool does not deadlock on a task
    // waiting for a task queued behind it.
    let hook = shared.clone();
    set_wait_hook(Some(Box::new(move |done, deadline| {
        loop {
            if done() {
                return true;
            }
            if backend::expired(deadline) || !hook.sched.try_run_one() {
                return done();
            }
        }
    })));
    // `smol::block_on` drives the I/O reactor and timers while the thread
    // waits for work. Task panics are caught inside the tasks (`RunTask`).
    smol::block_on(shared.sched.run());
}
