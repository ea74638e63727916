//! One lazily started timer thread that wakes async tasks at their deadlines, so
//! `as_completed` and `map` streams can time out on any runtime.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;
use std::task::Waker;
use std::time::Instant;

use crate::sync::{self, Condvar, Mutex};

struct Entry {
    at: Instant,
    seq: u64,
    waker: Waker,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
struct Timers {
    heap: Mutex<(BinaryHeap<Reverse<Entry>>, u64)>,
    cond: Condvar,
}

fn timers() -> &'static Timers {
    static TIMERS: OnceLock<&'static Timers> = OnceLock::new();
    TIMERS.get_or_init(|| {
        let t: &'static Timers = Box::leak(Box::default());
        std::thread::Builder::new()
            .name("concur-timer".into())
            .spawn(move || run(t))
            .expect("spawn the concur timer thread");
        t
    })
}

fn run(t: &'static Timers) {
    let mut guard = sync::lock(&t.heap);
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while guard.0.peek().is_some_and(|Reverse(e)| e.at <= now) {
            due.push(guard.0.pop().expect("peeked").0.waker);
        }
        if !due.is_empty() {
            drop(guard);
            due.into_iter().for_each(Waker::wake);
            guard = sync::lock(&t.heap);
            continue;
        }
        guard = match guard.0.peek().map(|Reverse(e)| e.at) {
            None => sync::wait(&t.cond, guard),
            Some(at) => sync::wait_timeout(&t.cond, guard, at - now),
        };
    }
}

/// Wakes `waker` at (or soon after) `at`.
pub(crate) fn wake_at(at: Instant, waker: Waker) {
    let t = timers();
    let mut guard = sync::lock(&t.heap);
    guard.1 += 1;
    let seq = guard.1;
    guard.0.push(Reverse(Entry { at, seq, waker }));
    drop(guard);
    t.cond.notify_one();
}
