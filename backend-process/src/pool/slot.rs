//! The slot thread: the life of one worker slot. It spawns a worker, attaches
//! its [`Link`], serves every message the worker sends, and when the worker's
//! channel closes settles what the worker held (fails the running task,
//! requeues the rest) and starts the next worker. A slot thread never dies of
//! what a worker sends: every receive and every message is handled under
//! `catch_unwind`, and whatever goes wrong is that worker lost.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use concur_core::{Error, ExitStatus, LostCause};

use super::link::Link;
use super::results::{Drain, deliver_to_window};
use super::shared::{POOL_THREAD, Shared};
use crate::codec::{self, Body, FromWorker};
use crate::handshake::EXIT_ABORTED;
use crate::shm::Beacon;
use crate::spawn::{self, Spawned};
use crate::sync;
use crate::transport::{Channel, Inbox, Message, RecvError};

/// Where a slot reports how its first spawn went (`build` waits for it).
pub(super) type Ready = Sender<Result<(), Error>>;

/// Spawn attempts in a row that fail before the worker joins (not counting
/// workers killed from outside) after which the pool gives up: workers cannot
/// be started at all.
const MAX_FAILED_SPAWNS: u32 = 5;

/// The first back-off after a failed spawn; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// How long a worker whose channel closed has to exit before it is killed.
const REAP_GRACE: Duration = Duration::from_secs(1);

impl Shared {
    /// The life of one worker slot, one worker after another, until the pool
    /// no longer needs one; `ready` hears how the first spawn went.
    pub(super) fn slot_main(self: &Arc<Self>, slot: usize, mut ready: Option<Ready>) {
        POOL_THREAD.with(|p| p.set(true));
        while let Some(worker) = self.next_worker(&mut ready) {
            self.run_worker(slot, worker, ready.take());
        }
        if let Some(tx) = ready.take() {
            let _ = tx.send(Ok(()));
        }
        self.timer_cv.notify_all();
    }

    /// Starts the slot's next worker; `None` once the pool needs none (broken,
    /// abandoned, shut down with nothing queued) or workers cannot be started.
    ///
    /// A spawn that fails is retried, each time with a fresh socket pair, after
    /// a back-off that doubles from 10 ms to 1 s. The pool breaks only after
    /// [`MAX_FAILED_SPAWNS`] failures in a row, with the last one's message (or,
    /// for the first spawn, `build` fails with it); a worker killed by
    /// `SIGKILL` before it joined does not count (an outside killer says
    /// nothing about whether workers can start) and does not grow the
    /// back-off either: the next start comes 10 ms later, so a killer that
    /// hits most starts slows the slot to a start per 10 ms, not per second.
    fn next_worker(&self, ready: &mut Option<Ready>) -> Option<Spawned> {
        let mut failures = 0;
        let mut backoff = FIRST_BACKOFF;
        loop {
            {
                let st = self.lock();
                if st.broken.is_some() || st.abandoned || (st.shutdown && st.queue.is_empty()) {
                    return None;
                }
            }
            let failure = match spawn::spawn_worker(&self.config.spawn) {
                Ok(worker) => return Some(worker),
                Err(failure) => failure,
            };
            failures += u32::from(failure.counts);
            if failures >= MAX_FAILED_SPAWNS {
                let e = failure.error;
                match ready.take() {
                    Some(tx) => {
                        let _ = tx.send(Err(e));
                    }
                    None => self.break_pool(format!(
                        "cannot replace a worker ({failures} attempts in a row failed): {e}"
                    )),
                }
                return None;
            }
            // Shutdown wakes the wait (it notifies `timer_cv`).
            let st = self.lock();
            drop(sync::wait_timeout(&self.timer_cv, st, backoff));
            if failure.counts {
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }

    /// One worker's life in its slot: attach, serve, settle.
    fn run_worker(self: &Arc<Self>, slot: usize, worker: Spawned, ready: Option<Ready>) {
        let Spawned {
            child,
            pid,
            chan,
            mut inbox,
            beacon,
        } = worker;
        self.attach(slot, Link::new(pid, chan.clone()));
        if let Some(tx) = ready {
            let _ = tx.send(Ok(()));
        }
        let mut drain = Drain::default();
        let mut ready = false;
        let lost = self.serve(slot, (&chan, &mut inbox), (&beacon, &mut drain), &mut ready);
        self.settle(slot, child, (&beacon, &mut drain, ready), lost);
    }

    /// Puts a joined worker's link in its slot and gives it work.
    fn attach(&self, slot: usize, mut link: Link) {
        let mut dead = Vec::new();
        {
            let mut st = self.lock();
            if st.broken.is_some() {
                link.lose();
            }
            st.workers[slot] = Some(link);
            self.pump(&mut st, &mut dead);
        }
        drop(dead);
    }

    /// Handles the worker's messages until its channel closes. Anything else —
    /// a receive error, broken framing, a frame that does not decode, a message
    /// out of place, a panic anywhere in receiving or handling — loses the
    /// worker: it is killed, and the reason is returned. Before each message
    /// is handled, the worker's result ring is drained. `ready`: the worker
    /// said `Ready` (its initializer succeeded).
    fn serve(
        &self,
        slot: usize,
        (chan, inbox): (&Channel, &mut Inbox),
        (beacon, drain): (&Beacon, &mut Drain),
        ready: &mut bool,
    ) -> Option<String> {
        loop {
            // The message borrows the inbox's buffer: the closure takes the
            // reborrow by value, so that what it returns may outlive its call.
            let this_recv = &mut *inbox;
            let reason = match catch_unwind(AssertUnwindSafe(move || {
                let inbox = this_recv;
                inbox.recv(chan)
            })) {
                Ok(Ok(msg)) => {
                    let handled = catch_unwind(AssertUnwindSafe(|| {
                        self.handle(slot, msg, (beacon, &mut *drain), ready)
                    }));
                    match handled {
                        Ok(Ok(())) => continue,
                        Ok(Err(reason)) => reason,
                        Err(_) => "a panic while handling its message".to_owned(),
                    }
                }
                Ok(Err(RecvError::Closed)) => return None,
                Ok(Err(e)) => e.to_string(),
                Err(_) => "a panic while receiving from it".to_owned(),
            };
            self.kill_slot(slot);
            return Some(reason);
        }
    }

    /// Handles one message of the worker of `slot`, after the results its
    /// ring holds (written before the message was sent: after `Ready`, if
    /// this is `Ready`).
    fn handle(
        &self,
        slot: usize,
        msg: Message<'_>,
        (beacon, drain): (&Beacon, &mut Drain),
        ready: &mut bool,
    ) -> Result<(), String> {
        let (header, tail) = codec::decode_frame::<FromWorker>(&msg.bytes)
            .map_err(|e| format!("an undecodable frame: {e}"))?;
        let running = *ready || header == FromWorker::Ready;
        self.drain(slot, beacon, drain, running)?;

        if msg.region.is_some() && !matches!(header, FromWorker::Done { .. }) {
            return Err("a shared-memory region with a control message".into());
        }
        match header {
            FromWorker::Done { .. } if !*ready => return Err("a result before Ready".into()),
            FromWorker::Done { id, outcome } => {
                let bytes = match (outcome, &msg.region) {
                    (Ok(Body::Shared), Some(region)) => Ok(&region[..]),
                    (Ok(Body::Inline), None) => Ok(tail),
                    (Err(e), None) => Err(e),
                    (_, region) => {
                        return Err(format!(
                            "a result whose body does not match its region ({})",
                            if region.is_some() {
                                "one attached"
                            } else {
                                "none"
                            }
                        ));
                    }
                };
                self.on_done(slot, id, bytes)?;
            }
            FromWorker::Results => {
                // The ring was drained before this message was handled.
            }
            FromWorker::InitFailed { error } => {
                if *ready {
                    return Err("an initializer failure after Ready".into());
                }
                self.break_pool(format!("a worker's initializer failed: {error}"));
            }
            FromWorker::Ready if *ready => return Err("a second Ready".into()),
            FromWorker::Ready => *ready = true,
            FromWorker::Revoked { id, ok } => self.on_revoked(slot, id, ok),
            FromWorker::Retire { .. } => {
                if let Some(link) = self.lock().workers[slot].as_mut() {
                    link.retire();
                }
            }
            FromWorker::Pong { .. } => {
                if let Some(link) = self.lock().workers[slot].as_mut() {
                    link.heard(Instant::now());
                }
            }
        }
        Ok(())
    }

    /// Kills the worker of `slot` (its slot thread then settles it).
    fn kill_slot(&self, slot: usize) {
        if let Some(link) = self.lock().workers[slot].as_mut() {
            link.lose();
        }
    }

    /// Task `id` finished on the worker of `slot` (its result came on the
    /// socket): refill its window, then complete the future (outside the
    /// lock).
    ///
    /// # Errors
    ///
    /// A result for a task not in the worker's window (see
    /// [`Shared::take_results`]).
    fn on_done(&self, slot: usize, id: u64, outcome: Result<&[u8], Error>) -> Result<(), String> {
        let mut task = Vec::with_capacity(1);
        self.take_results(slot, std::iter::once(id), &mut task)?;
        if let Some(task) = task.pop() {
            task.sink.finish(outcome, &self.stats);
        }
        Ok(())
    }

    /// The worker answered a `Revoke`: a task given back goes to the front of
    /// the queue.
    fn on_revoked(&self, slot: usize, id: u64, ok: bool) {
        let mut dead = Vec::new();
        let mut cancelled = None;
        let mut st = self.lock();
        let given_back = st.workers[slot].as_mut().and_then(|link| {
            let abort = link.take_abort(id);
            link.take_revoked(id, ok).map(|task| (task, abort))
        });
        match given_back {
            // Dropped unstarted at `ProcessPool::kill`'s request.
            Some((task, true)) => cancelled = Some(task),
            Some((task, false)) => {
                st.queue.push_front(task);
                self.pump(&mut st, &mut dead);
            }
            None => {}
        }
        drop(st);
        drop(dead);
        if let Some(task) = cancelled {
            task.sink.fail(Error::Cancelled, &self.stats);
        }
        // Another window may be waiting behind a long task too.
        self.timer_cv.notify_all();
    }

    /// The worker's channel closed: reap it, fail the task it was running,
    /// requeue the ones it had not started (the first of its window too, if
    /// its beacon says it never took it up), break the pool if so configured.
    fn settle(
        &self,
        slot: usize,
        mut child: Child,
        (beacon, drain, ready): (&Beacon, &mut Drain, bool),
        why_lost: Option<String>,
    ) {
        let (mut link, abandoned) = {
            let mut st = self.lock();
            (
                st.workers[slot].take().expect("the slot's link"),
                st.abandoned,
            )
        };
        let pid = link.pid;
        let why_lost = why_lost.or_else(|| link.lost_because.map(str::to_owned));
        let status = spawn::reap(&mut child, REAP_GRACE);
        // Dead and reaped: what it wrote to its ring is all there is. Its
        // results complete their tasks before the rest of its window is
        // settled (a result written is never lost, nor its task run again).
        let bad_ring = deliver_to_window(&mut link, beacon, drain, ready, &self.stats);
        let why_lost = why_lost.or(bad_ring);
        let clean = why_lost.is_none() && link.exiting && status == ExitStatus::Code(0);
        let cause = match (&why_lost, beacon.overflowed()) {
            (Some(reason), _) => LostCause::Misbehaved {
                reason: reason.clone(),
            },
            (None, true) => LostCause::StackOverflow,
            (None, false) => LostCause::Died,
        };
        let mut failed = Vec::new();
        let mut retry = None;
        let mut cancelled = false;
        let mut inflight = link.inflight;
        // A worker that announced it retires ran nothing more, if it then
        // exited as it said; one that had to be killed was lying.
        if !(link.retired && status == ExitStatus::Code(0)) {
            // The first task of the window is the one the worker was running.
            if let Some(mut task) = inflight.pop_front() {
                if link.timed_out == Some(task.id) {
                    failed.push((task, Error::Timeout));
                } else if status == ExitStatus::Code(EXIT_ABORTED)
                    && link.aborting.contains(&task.id)
                {
                    // The worker ended itself to abort it (`ProcessPool::kill`).
                    cancelled = true;
                    failed.push((task, Error::Cancelled));
                } else if !beacon.has_started(task.id) && !abandoned {
                    // Sent, never started (the worker died before it took it
                    // up): requeued with the rest, never reported lost. Not
                    // once the pool is abandoned or its workers terminated:
                    // nothing runs any more, and the task its worker held
                    // fails with that worker.
                    inflight.push_front(task);
                } else if task.lost < self.config.retries
                    && !self.config.break_on_worker_loss
                    && cause != LostCause::StackOverflow
                {
                    // (An overflow is the task's own doing, as a panic is: it
                    // would overflow again, so it is not retried.)
                    task.lost += 1;
                    retry = Some(task);
                } else {
                    let error = Error::WorkerLost {
                        pid,
                        status: status.clone(),
                        attempts: task.lost + 1,
                        cause: cause.clone(),
                    };
                    failed.push((task, error));
                }
            }
        }
        let lost = !clean && link.timed_out.is_none() && !cancelled;
        let lost_running = lost && (!failed.is_empty() || retry.is_some());
        let mut dead = Vec::new();
        {
            let mut st = self.lock();
            for task in inflight.into_iter().rev() {
                st.queue.push_front(task);
            }
            // A task lost with its worker and allowed another run goes first
            // (unless nothing runs any more).
            if let Some(task) = retry.take_if(|_| st.abandoned) {
                let error = Error::WorkerLost {
                    pid,
                    status: status.clone(),
                    // `lost` already counts this loss.
                    attempts: task.lost,
                    cause: cause.clone(),
                };
                failed.push((task, error));
            }
            if let Some(task) = retry {
                self.retried.fetch_add(1, Ordering::Relaxed);
                st.queue.push_front(task);
            }
            if st.abandoned {
                let queued: Vec<_> = st.queue.drain(..).collect();
                drop(st);
                self.cancel_all(queued);
            } else if let Some(reason) = st.broken.clone() {
                dead.extend(st.queue.drain(..));
                drop(st);
                for (task, _) in failed.drain(..) {
                    task.sink.fail(Error::broken(reason.clone()), &self.stats);
                }
                for task in dead.drain(..) {
                    self.fail_unstarted(task, Error::broken(reason.clone()));
                }
            } else {
                self.pump(&mut st, &mut dead);
            }
        }
        drop(dead);
        for (task, error) in failed {
            task.sink.fail(error, &self.stats);
        }
        if lost && self.config.break_on_worker_loss && (lost_running || !self.lock().shutdown) {
            let why = why_lost.map_or(String::new(), |r| format!(": {r}"));
            self.break_pool(format!("worker {pid} was lost ({status}){why}"));
        }
        self.timer_cv.notify_all();
    }
}
