//! [`Registry`]: the futures of the async pool's tasks that may not have
//! started yet, which `shutdown(cancel_futures)` cancels. The executor's
//! queue cannot be searched, so the pool keeps its own list.

use concur_core::AnyFuture;

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
/// tasks then pending. Each look reads a cell another thread last wrote, a cache miss: a W1 task
/// is looked at about once instead of the 2–3 times a whole walk per doubling
/// came to.
#[derive(Default)]
pub(super) struct Registry {
    pub(super) futures: Vec<AnyFuture>,
    sweep_at: usize,
    /// Set by `shutdown(cancel_futures)`: a task accepted just before the pool
    /// closed, and registered after the list was taken, is cancelled at once.
    pub(super) cancel_all: bool,
}

impl Registry {
    pub(super) fn push(&mut self, future: AnyFuture) {
        if self.futures.len() >= self.sweep_at {
            self.sweep();
        }
        self.futures.push(future);
    }

    fn sweep(&mut self) {
        let started = |f: &AnyFuture| f.is_done() || f.is_running();
        let front = self.futures.iter().take_while(|f| started(f)).count();
        self.futures.drain(..front);
        if 2 * self.futures.len() >= self.sweep_at {
            self.futures.retain(|f| !started(f));
        }
        self.sweep_at = (2 * self.futures.len()).max(64);
    }
}

#[cfg(test)]
mod tests {
    use super::Registry;
    use concur_core::{Future, Promise};

    fn pending() -> (Promise<u32>, Future<u32>) {
        let p = Promise::new();
        let f = p.future();
        (p, f)
    }

    #[test]
    fn a_sweep_keeps_every_pending_future_and_drops_the_started_ones() {
        let mut registry = Registry::default();
        let mut promises = Vec::new();
        let mut futures = Vec::new();
        for i in 0..200 {
            let (p, f) = pending();
            registry.push(f.as_any());
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
        let listed = |f: &Future<u32>| registry.futures.iter().any(|a| a.same_as(&f.as_any()));
        for f in &futures {
            if !f.is_running() && !f.is_done() {
                assert!(listed(f), "a pending future left the list: {f:?}");
            }
        }
        // 200 pushes, 34 of them pending: without sweeps the list would
        // hold all 200.
        assert!(registry.futures.len() < 100, "{}", registry.futures.len());
        drop(promises);
    }

    #[test]
    fn the_list_stays_within_twice_the_pending_tasks() {
        let mut registry = Registry::default();
        let mut running = Vec::new();
        let mut still = Vec::new();
        for i in 0..10_000u32 {
            let (p, f) = pending();
            registry.push(f.as_any());
            // One task in a hundred never starts; the rest start at once.
            if i % 100 == 0 {
                still.push(p);
            } else {
                assert!(p.set_running());
                running.push(p);
            }
        }
        let bound = 2 * still.len() + 64;
        assert!(
            registry.futures.len() <= bound,
            "{} > {bound}",
            registry.futures.len()
        );
    }
}
