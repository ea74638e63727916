//! The watchdog thread of a pool: kills the worker of a task past its
//! `task_timeout`, and undoes head-of-line blocking (a task sent ahead to a
//! worker that turned out to run a long task, while another worker idles).
//!
//! It also keeps every worker honest: a worker told to exit (or that announced
//! it retires) and still connected after `EXIT_GRACE` is killed, and a worker
//! whose reader does not answer a ping within `DEAF_AFTER` is lost (see
//! `link.rs` for the bounds).
//!
//! It sleeps on `Shared::timer_cv` until the nearest deadline or rebalancing
//! check; slot threads notify it when a deadline is set, when a worker goes idle
//! while another holds a window, and when they leave.

use std::sync::Arc;
use std::time::Instant;

use concur_core::backend;

use super::shared::{POOL_THREAD, REBALANCE_AFTER, Shared, State};
use crate::sync;

impl Shared {
    /// Starts the watchdog thread (once).
    pub(super) fn start_timer(self: &Arc<Self>) {
        let mut st = self.lock();
        if st.timer_started {
            return;
        }
        st.timer_started = true;
        drop(st);
        let shared = self.clone();
        let handle = std::thread::Builder::new()
            .name("concur-process-timeout".into())
            .spawn(move || {
                POOL_THREAD.with(|p| p.set(true));
                shared.timer_main();
            })
            .expect("cannot start the timeout thread");
        sync::lock(&self.threads).push(handle);
    }

    /// Watches every worker ([`Link::watch`](super::link::Link::watch)) and
    /// rebalances, then sleeps until the nearest instant either asked for.
    fn timer_main(&self) {
        let mut st = self.lock();
        loop {
            if st.shutdown && st.workers.iter().all(Option::is_none) {
                return;
            }
            let now = Instant::now();
            let mut next: Option<Instant> = self.rebalance(&mut st, now);
            let mut seq = st.ping_seq;
            for link in st.workers.iter_mut().flatten() {
                if let Some(at) = link.watch(now, &mut seq) {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
            st.ping_seq = seq;
            st = match next {
                Some(at) => {
                    let wait = backend::remaining(Some(at)).unwrap_or_default();
                    sync::wait_timeout(&self.timer_cv, st, wait).0
                }
                None => sync::wait(&self.timer_cv, st),
            };
        }
    }

    /// Head-of-line blocking: a task sent ahead to a worker that turned out to
    /// run a long task, while another worker idles, is revoked (the worker gives
    /// it back if it has not started it) and requeued. Returns when to look again.
    fn rebalance(&self, st: &mut State, now: Instant) -> Option<Instant> {
        let cap = self.config.max_tasks_per_child;
        let mut idle = st
            .workers
            .iter()
            .flatten()
            .filter(|l| !l.exiting && l.inflight.is_empty() && cap.is_none_or(|c| l.sent < c))
            .count();
        let mut next: Option<Instant> = None;
        for link in st.workers.iter_mut().flatten() {
            if idle == 0 {
                break;
            }
            if link.exiting || link.revoking.is_some() || link.inflight.len() < 2 {
                continue;
            }
            let at = link.front_since + REBALANCE_AFTER;
            if at > now {
                next = Some(next.map_or(at, |n| n.min(at)));
                continue;
            }
            let id = link.inflight.back().expect("two in flight").id;
            if link.send_revoke(id) {
                idle -= 1;
            }
        }
        next
    }
}
