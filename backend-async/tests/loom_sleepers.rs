//! A loom model of the executor threads' sleep protocol
//! (`src/pool/sleepers.rs`, built here against loom's atomics): producers
//! queue work and ask `Sleepers::wake_one`; consumers run the loop of
//! `Sched::run` — pop, hand on, or listen, count in, look again, wait, count
//! out. Every interleaving (and weak-memory outcome loom produces) must end
//! with all work done and every consumer returned: a lost wake-up leaves a
//! consumer waiting forever, which loom reports as a deadlock.
//!
//! The idle event is modelled with loom's `Mutex` and `Condvar` with
//! `event-listener`'s semantics that the protocol relies on: listeners in
//! order, `notify(1)` not additive (nothing when a listener is already
//! notified), a notified listener dropped unwaited hands its notification to
//! the next one. Unlike core's models these need no `--cfg loom` (smol's
//! crates do not build with it): `cargo test` runs them with 2 preemptions
//! unless `LOOM_MAX_PREEMPTIONS` says otherwise (`cargo xtask loom` runs 3;
//! exhaustively they take far longer than is useful).

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// The protocol's atomics are loom's here.
mod sync {
    pub(crate) use loom::sync::atomic;
}

#[allow(dead_code, unreachable_pub)]
#[path = "../src/pool/sleepers.rs"]
mod sleepers;

use sleepers::Sleepers;

/// `event-listener`'s semantics, as far as the protocol needs them.
#[derive(Default)]
struct Event {
    /// Listeners in the order they listened: (id, notified).
    list: Mutex<Vec<(usize, bool)>>,
    changed: Condvar,
}

impl Event {
    fn listen(&self, id: usize) {
        self.list.lock().unwrap().push((id, false));
    }

    /// `notify(n)`, not additive: notifies until `n` listeners are notified.
    fn notify(&self, n: usize) {
        let mut list = self.list.lock().unwrap();
        let mut notified = list.iter().filter(|(_, n)| *n).count();
        for entry in list.iter_mut() {
            if notified >= n {
                break;
            }
            if !entry.1 {
                entry.1 = true;
                notified += 1;
            }
        }
        self.changed.notify_all();
    }

    /// Waits until notified; the listener is gone afterwards.
    fn wait(&self, id: usize) {
        let mut list = self.list.lock().unwrap();
        loop {
            let at = list.iter().position(|(i, _)| *i == id).expect("listening");
            if list[at].1 {
                list.remove(at);
                return;
            }
            list = self.changed.wait(list).unwrap();
        }
    }

    /// Drops the listener unwaited; a notification it had goes to the next one.
    fn unlisten(&self, id: usize) {
        let mut list = self.list.lock().unwrap();
        let at = list.iter().position(|(i, _)| *i == id).expect("listening");
        let (_, was_notified) = list.remove(at);
        if was_notified {
            if let Some(next) = list.iter_mut().find(|(_, n)| !*n) {
                next.1 = true;
            }
            self.changed.notify_all();
        }
    }
}

struct Pool {
    /// The run queue, as a count of queued items.
    queued: AtomicUsize,
    done: AtomicUsize,
    total: usize,
    stopping: AtomicBool,
    sleepers: Sleepers,
    idle: Event,
}

impl Pool {
    fn new(total: usize) -> Self {
        Pool {
            queued: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            total,
            stopping: AtomicBool::new(false),
            sleepers: Sleepers::default(),
            idle: Event::default(),
        }
    }

    fn push(&self) {
        // concurrent-queue's push is a release store at least.
        self.queued.fetch_add(1, Ordering::Release);
        if self.sleepers.wake_one() {
            self.idle.notify(1);
        }
    }

    fn pop(&self) -> bool {
        let mut n = self.queued.load(Ordering::Acquire);
        while n > 0 {
            match self
                .queued
                .compare_exchange(n, n - 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => n = now,
            }
        }
        false
    }

    fn is_empty(&self) -> bool {
        self.queued.load(Ordering::Acquire) == 0
    }

    /// `Sched::run`: returns once stopped with nothing queued.
    fn consume(&self, id: usize) {
        loop {
            if self.pop() {
                if !self.is_empty() && self.sleepers.wake_one() {
                    self.idle.notify(1);
                }
                // The last task's end stops the threads (the live count).
                if self.done.fetch_add(1, Ordering::SeqCst) + 1 == self.total {
                    self.stopping.store(true, Ordering::SeqCst);
                    self.idle.notify(usize::MAX);
                }
                continue;
            }
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            self.idle.listen(id);
            self.sleepers.sleep();
            if self.is_empty() && !self.stopping.load(Ordering::SeqCst) {
                self.idle.wait(id);
            } else {
                self.idle.unlisten(id);
            }
            self.sleepers.wake_up();
        }
    }
}

/// `loom::model`, with 2 preemptions unless `LOOM_MAX_PREEMPTIONS` is set.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(f);
}

#[test]
fn two_pushes_and_two_sleepers_lose_no_wake_up() {
    model(|| {
        let pool = Arc::new(Pool::new(2));
        let consumer = {
            let pool = pool.clone();
            thread::spawn(move || pool.consume(1))
        };
        let producer = {
            let pool = pool.clone();
            thread::spawn(move || {
                pool.push();
                pool.push();
            })
        };
        pool.consume(0);
        producer.join().unwrap();
        consumer.join().unwrap();
        assert_eq!(pool.done.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn two_producers_and_one_sleeper_lose_no_wake_up() {
    model(|| {
        let pool = Arc::new(Pool::new(2));
        let producers: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                thread::spawn(move || pool.push())
            })
            .collect();
        pool.consume(0);
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(pool.done.load(Ordering::SeqCst), 2);
    });
}
