//! Parking idle workers without losing a wake-up.
//!
//! # The protocol
//!
//! An idle worker must not spin (an idle pool uses no CPU), and a submitter
//! must not take a lock when every worker is busy. Both sides meet on one
//! atomic, `sleepy`: the number of workers that announced they are going to
//! sleep and have not been handed a wake-up token yet.
//!
//! A worker going to sleep ([`Sleep::sleep`]):
//! 1. locks `state`;
//! 2. increments `sleepy` (`SeqCst`);
//! 3. checks once more for work (`is_idle`, which looks at every queue and at the
//!    shutdown flag); if there is some, it decrements `sleepy` and returns;
//! 4. waits on the condvar until a token is available, takes it, and returns.
//!
//! A submitter ([`Sleep::wake_one`]), after pushing a job:
//! 1. issues a `SeqCst` fence and loads `sleepy`; zero means every worker is
//!    awake and will see the job: done, no lock taken;
//! 2. otherwise locks `state`, and if `sleepy` is still non-zero, moves one
//!    worker from `sleepy` to `tokens` and signals the condvar.
//!
//! Why nothing is lost: the worker's increment of `sleepy` followed by its look
//! at the queues, and the submitter's push followed by its load of `sleepy`,
//! are separated by `SeqCst` operations on both sides (a store-load pattern, as
//! in Dekker's algorithm), so at least one side sees the other. Either the
//! worker sees the job in step 3 and does not sleep, or the submitter sees
//! `sleepy > 0`; it then takes the lock, which the worker holds from step 1
//! until the condvar wait releases it, so the signal cannot slip in between
//! the check and the wait. Every change of `sleepy` happens under the lock; the
//! atomic only lets submitters skip the lock when nobody sleeps. Tokens make
//! the condvar immune to spurious wake-ups and to a signal that arrives before
//! the wait: a worker leaves only with a token, and a token is only created for
//! a worker counted in `sleepy`.

use crate::sync::{self, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering, fence};

/// The sleeping side of the pool: a token counter under a mutex, a condvar, and
/// the lock-free count of sleepers submitters look at.
#[derive(Debug, Default)]
pub(crate) struct Sleep {
    /// Wake-up tokens handed out and not yet taken by a sleeper.
    state: Mutex<usize>,
    /// Signalled when a token is added.
    cv: Condvar,
    /// Workers asleep (or committed to sleeping) without a token. Changed only
    /// under `state`; read without it by submitters.
    sleepy: AtomicUsize,
    /// How many times a worker actually went to sleep (for tests and tuning).
    naps: AtomicUsize,
}

impl Sleep {
    fn lock(&self) -> MutexGuard<'_, usize> {
        // Nothing panics while the lock is held; see `sync` for poisoning.
        sync::lock(&self.state)
    }

    /// Puts the calling worker to sleep unless `is_idle()` says there is work
    /// (or shutdown) after it announced itself. Returns when woken.
    pub(crate) fn sleep(&self, is_idle: impl FnOnce() -> bool) {
        let mut tokens = self.lock();
        self.sleepy.fetch_add(1, Ordering::SeqCst);
        // Pairs with the fence in `wake_one`: see the module docs.
        fence(Ordering::SeqCst);
        if !is_idle() {
            self.sleepy.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        self.naps.fetch_add(1, Ordering::Relaxed);
        while *tokens == 0 {
            tokens = sync::wait(&self.cv, tokens);
        }
        *tokens -= 1;
    }

    /// Wakes one sleeping worker, if any. Lock-free when none sleeps.
    /// Returns true if a worker was woken.
    #[inline]
    pub(crate) fn wake_one(&self) -> bool {
        // Pairs with the fence in `sleep`: the job pushed before this call is
        // visible to a worker whose increment we do not see.
        fence(Ordering::SeqCst);
        if self.sleepy.load(Ordering::SeqCst) == 0 {
            return false;
        }
        self.wake_one_slow()
    }

    #[cold]
    fn wake_one_slow(&self) -> bool {
        let mut tokens = self.lock();
        if self.sleepy.load(Ordering::SeqCst) == 0 {
            return false;
        }
        self.sleepy.fetch_sub(1, Ordering::SeqCst);
        *tokens += 1;
        self.cv.notify_one();
        true
    }

    /// Wakes every sleeping worker (shutdown).
    pub(crate) fn wake_all(&self) {
        fence(Ordering::SeqCst);
        let mut tokens = self.lock();
        let n = self.sleepy.swap(0, Ordering::SeqCst);
        *tokens += n;
        self.cv.notify_all();
    }

    /// True if some worker sleeps (or is about to) without a token.
    #[cfg(test)]
    pub(crate) fn has_sleepers(&self) -> bool {
        self.sleepy.load(Ordering::SeqCst) > 0
    }

    /// How many times a worker went to sleep so far.
    pub(crate) fn naps(&self) -> usize {
        self.naps.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn a_sleeper_that_sees_work_does_not_sleep() {
        let s = Sleep::default();
        s.sleep(|| false);
        assert_eq!(s.naps(), 0);
        assert!(!s.has_sleepers());
    }

    #[test]
    fn no_wake_up_is_lost() {
        // A "job" flag set by the waker before `wake_one`, checked by the sleeper.
        for _ in 0..2000 {
            let s = Arc::new(Sleep::default());
            let job = Arc::new(AtomicBool::new(false));
            let (s2, j2) = (s.clone(), job.clone());
            let sleeper = std::thread::spawn(move || {
                while !j2.load(Ordering::SeqCst) {
                    s2.sleep(|| !j2.load(Ordering::SeqCst));
                }
            });
            job.store(true, Ordering::SeqCst);
            s.wake_one();
            sleeper.join().unwrap();
        }
    }
}
