//! A queue of completion tokens fed by many futures, drained by one `wait`,
//! `as_completed` or unordered `map`.

use crate::sync::{self, Condvar, Mutex, MutexGuard};
use std::collections::VecDeque;
use std::task::{Context, Waker};
use std::time::Instant;

#[derive(Default)]
struct Ready {
    tokens: VecDeque<usize>,
    waker: Option<Waker>,
}

/// Receives `notify(token)` from completing futures (their `Waiter::Listener`).
#[derive(Default)]
pub(crate) struct Collector {
    ready: Mutex<Ready>,
    cond: Condvar,
}

impl Collector {
    fn lock(&self) -> MutexGuard<'_, Ready> {
        sync::lock(&self.ready)
    }

    /// Queues a token without a wake-up (for futures already done at registration).
    pub(crate) fn push(&self, token: usize) {
        self.lock().tokens.push_back(token);
    }

    /// The next token, blocking until one arrives or `deadline` passes.
    pub(crate) fn next_blocking(&self, deadline: Option<Instant>) -> Option<usize> {
        if let Some(t) = self.lock().tokens.pop_front() {
            return Some(t);
        }
        // Inside a pool worker, run other tasks while waiting.
        crate::hook::run_wait_hook(&|| !self.lock().tokens.is_empty(), deadline);
        let mut ready = self.lock();
        loop {
            if let Some(t) = ready.tokens.pop_front() {
                return Some(t);
            }
            match deadline {
                None => ready = sync::wait(&self.cond, ready),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return None;
                    }
                    ready = sync::wait_timeout(&self.cond, ready, d - now);
                }
            }
        }
    }

    /// The next token if one is there; otherwise remembers the task's waker.
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Option<usize> {
        let mut ready = self.lock();
        match ready.tokens.pop_front() {
            Some(t) => Some(t),
            None => {
                match &ready.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => ready.waker = Some(cx.waker().clone()),
                }
                None
            }
        }
    }

    /// Queues `token` and wakes the one waiting: called once, on the
    /// completing thread, with the token given at registration.
    pub(crate) fn notify(&self, token: usize) {
        let waker = {
            let mut ready = self.lock();
            ready.tokens.push_back(token);
            ready.waker.take()
        };
        self.cond.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}
