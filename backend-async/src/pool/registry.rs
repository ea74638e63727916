//! [`Registry`]: the futures of the async pool's tasks that may not have
//! started yet, which `shutdown(cancel_futures)` cancels. The executor's
//! queue cannot be searched, so the pool keeps its own list.

use std::cell::Cell;
use std::sync::Mutex;

use concur_core::AnyFuture;

use crate::sync::lock;

/// The futures of tasks that may still be pending. Entries are not removed when a
/// task starts (that would cost a lock per task); instead the list is swept of
/// started and finished futures whenever it doubles, so it stays within twice the
/// number of pending tasks (plus 64) and a push costs O(1) amortized.
///
/// Tasks start about in spawn order (the executor's queue is FIFO), so a
/// sweep first drops the run of started futures at the front, looking at each
/// once, and walks the whole list only when that freed less than half of it.
/// A front-only sweep leaves fewer than half, so the next sweep comes sooner;
/// the list only grows past its last size after a whole walk, to twice the
/// tasks then pending. Each look reads a cell another thread last wrote, a
/// cache miss: a W1 task is looked at about once instead of the 2–3 times a
/// whole walk per doubling came to.
#[derive(Default)]
pub(super) struct Registry {
    pub(super) futures: Vec<AnyFuture>,
    sweep_at: usize,
    /// Set by `shutdown(cancel_futures)`: a task accepted just before the pool
    /// closed, and registered after the list was taken, is cancelled at once.
    pub(super) cancel_all: bool,
}

thread_local! {
    /// Entries a sweep took off the list, to drop once the lock is released.
    /// Kept per spawning thread, so a sweep allocates nothing once it ran.
    static SWEPT: Cell<Vec<AnyFuture>> = const { Cell::new(Vec::new()) };
}

impl Registry {
    fn sweep(&mut self, swept: &mut Vec<AnyFuture>) {
        let started = |f: &AnyFuture| f.is_done() || f.is_running();
        let front = self.futures.iter().take_while(|f| started(f)).count();
        swept.extend(self.futures.drain(..front));
        if 2 * self.futures.len() >= self.sweep_at {
            swept.extend(self.futures.extract_if(.., |f| started(f)));
        }
        self.sweep_at = (2 * self.futures.len()).max(64);
    }
}

/// Lists `future` for `shutdown(cancel_futures)`, or cancels it when that
/// shutdown has begun.
///
/// A swept entry may hold the last handle of a finished future, whose value
/// (or a callback's captures) then drops with it: user code, which may spawn
/// on this pool and so take this lock. Swept entries are dropped after the
/// lock is released.
pub(super) fn register(registry: &Mutex<Registry>, future: AnyFuture) {
    let mut list = lock(registry);
    if list.cancel_all {
        // A fresh future: no callback yet, nothing of the user's runs.
        future.cancel();
        return;
    }
    if list.futures.len() < list.sweep_at {
        list.futures.push(future);
        return;
    }
    let mut swept = SWEPT.take();
    list.sweep(&mut swept);
    list.futures.push(future);
    drop(list);
    // A spawn from a `Drop` in here finds `SWEPT` empty and uses its own.
    swept.clear();
    SWEPT.set(swept);
}

#[cfg(test)]
mod tests {
    use super::{Registry, register};
    use concur_core::{Future, Promise};
    use std::sync::Mutex;

    fn pending() -> (Promise<u32>, Future<u32>) {
        let p = Promise::new();
        let f = p.future();
        (p, f)
    }

    #[test]
    fn a_sweep_keeps_every_pending_future_and_drops_the_started_ones() {
        let registry = Mutex::new(Registry::default());
        let mut promises = Vec::new();
        let mut futures = Vec::new();
        for i in 0..200 {
            let (p, f) = pending();
            register(&registry, f.as_any());
            // The first 100 start in spawn order (the front-only sweep);
            // after that every third one stays pending (the whole walk).
            if i < 100 || i % 3 != 0 {
                assert!(p.set_running());
                if i % 2 == 0 {
                    p.set_result(i);
                } else {
                    promises.push(p);
                }
            } else {
                promises.push(p);
            }
            futures.push(f);
        }
        let list = registry.lock().unwrap();
        let listed = |f: &Future<u32>| list.futures.iter().any(|a| a.same_as(&f.as_any()));
        for f in &futures {
            if !f.is_running() && !f.is_done() {
                assert!(listed(f), "a pending future left the list: {f:?}");
            }
        }
        // 200 pushes, 34 of them pending: without sweeps the list would
        // hold all 200.
        assert!(list.futures.len() < 100, "{}", list.futures.len());
        drop(list);
        drop(promises);
    }

    #[test]
    fn the_list_stays_within_twice_the_pending_tasks() {
        let registry = Mutex::new(Registry::default());
        let mut running = Vec::new();
        let mut still = Vec::new();
        for i in 0..10_000u32 {
            let (p, f) = pending();
            register(&registry, f.as_any());
            // One task in a hundred never starts; the rest start at once.
            if i % 100 == 0 {
                still.push(p);
            } else {
                assert!(p.set_running());
                running.push(p);
            }
        }
        let bound = 2 * still.len() + 64;
        let len = registry.lock().unwrap().futures.len();
        assert!(len <= bound, "{len} > {bound}");
    }
}
