//! The slot thread: the life of one worker slot. It spawns a worker, attaches
//! its [`Link`], serves every message the worker sends, and when the worker's
//! channel closes settles what the worker held (fails the running task,
//! requeues the rest) and starts the next worker.

use std::process::Child;
use std::sync::Arc;
use std::sync::mpsc::Sender;

use concur_core::{Error, ExitStatus};
use ipc_channel::ipc::{IpcBytesReceiver, IpcReceiver, IpcSharedMemory};

use super::link::Link;
use super::{POOL_THREAD, Shared};
use crate::codec::{self, Body, FromWorker};
use crate::spawn::{self, Spawned};

/// Where a slot reports how its first spawn went (`build` waits for it).
pub(super) type Ready = Sender<Result<(), Error>>;

fn exit_status(status: std::process::ExitStatus) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitStatus::Code(code),
        (None, Some(sig)) => ExitStatus::Signal(sig),
        _ => ExitStatus::Unknown,
    }
}

impl Shared {
    /// The life of one worker slot; `ready` hears how the first spawn went.
    pub(super) fn slot_main(self: &Arc<Self>, slot: usize, mut ready: Option<Ready>) {
        POOL_THREAD.with(|p| p.set(true));
        loop {
            {
                let st = self.lock();
                if st.broken.is_some() || (st.shutdown && st.queue.is_empty()) {
                    break;
                }
            }
            let worker = match spawn::spawn_worker(&self.config.spawn) {
                Ok(w) => w,
                Err(e) => {
                    match ready.take() {
                        Some(tx) => {
                            let _ = tx.send(Err(e));
                        }
                        None => self.break_pool(format!("cannot replace a worker: {e}")),
                    }
                    break;
                }
            };
            self.run_worker(slot, worker, ready.take());
        }
        if let Some(tx) = ready.take() {
            let _ = tx.send(Ok(()));
        }
        self.timer_cv.notify_all();
    }

    /// One worker's life in its slot: attach, serve, settle.
    fn run_worker(self: &Arc<Self>, slot: usize, worker: Spawned, ready: Option<Ready>) {
        let Spawned {
            child,
            pid,
            to_worker,
            from_worker,
            shm_to_worker,
            shm_from_worker,
        } = worker;
        self.attach(slot, Link::new(pid, to_worker, shm_to_worker));
        if let Some(tx) = ready {
            let _ = tx.send(Ok(()));
        }
        self.serve(slot, pid, &from_worker, &shm_from_worker);
        self.settle(slot, child);
    }

    /// Puts a joined worker's link in its slot and gives it work.
    fn attach(&self, slot: usize, link: Link) {
        let mut dead = Vec::new();
        {
            let mut st = self.lock();
            if st.broken.is_some() {
                link.signal(libc::SIGKILL);
            }
            st.workers[slot] = Some(link);
            self.pump(&mut st, &mut dead);
        }
        drop(dead);
    }

    /// Handles the worker's messages until its channel closes (or it sends a
    /// frame that does not decode, which kills it).
    fn serve(
        &self,
        slot: usize,
        pid: u32,
        from_worker: &IpcBytesReceiver,
        shm_from_worker: &IpcReceiver<IpcSharedMemory>,
    ) {
        while let Ok(frame) = from_worker.recv() {
            let Ok((msg, tail)) = codec::decode_frame::<FromWorker>(&frame) else {
                self.kill_slot(slot, pid);
                return;
            };
            match msg {
                FromWorker::Done { id, outcome } => {
                    let shm = match outcome {
                        Ok(Body::Shared) => match shm_from_worker.recv() {
                            Ok(shm) => Some(shm),
                            Err(_) => return,
                        },
                        _ => None,
                    };
                    let bytes = match (&outcome, &shm) {
                        (Err(e), _) => Err(e.clone()),
                        (Ok(_), Some(shm)) => Ok(&shm[..]),
                        (Ok(_), None) => Ok(tail),
                    };
                    self.on_done(slot, id, bytes);
                }
                FromWorker::InitFailed { error } => {
                    self.break_pool(format!("a worker's initializer failed: {error}"));
                }
                FromWorker::Revoked { id, ok } => self.on_revoked(slot, id, ok),
                FromWorker::Retire { .. } => {
                    if let Some(link) = self.lock().workers[slot].as_mut() {
                        link.retire();
                    }
                }
            }
        }
    }

    /// Kills the worker of `slot` (its slot thread then settles it).
    fn kill_slot(&self, slot: usize, pid: u32) {
        let mut st = self.lock();
        if let Some(link) = st.workers[slot].as_mut().filter(|l| l.pid == pid) {
            link.exiting = true;
            link.signal(libc::SIGKILL);
        }
    }

    /// Task `id` finished on the worker of `slot`: refill its window, then
    /// complete the future (outside the lock).
    fn on_done(&self, slot: usize, id: u64, outcome: Result<&[u8], Error>) {
        let mut dead = Vec::new();
        let task = {
            let mut st = self.lock();
            let task = st.workers[slot].as_mut().and_then(|link| {
                let (task, timed) = link.take_done(id);
                if timed {
                    self.timer_cv.notify_all();
                }
                task
            });
            self.pump(&mut st, &mut dead);
            let idle = st.workers[slot]
                .as_ref()
                .is_some_and(|l| l.inflight.is_empty());
            if idle && st.workers.iter().flatten().any(|l| l.inflight.len() >= 2) {
                // The watchdog may give this worker a task stuck behind a long
                // one elsewhere.
                self.timer_cv.notify_all();
            }
            task
        };
        drop(dead);
        if let Some(task) = task {
            task.sink.finish(outcome, &self.stats);
        }
    }

    /// The worker answered a `Revoke`: a task given back goes to the front of
    /// the queue.
    fn on_revoked(&self, slot: usize, id: u64, ok: bool) {
        let mut dead = Vec::new();
        let mut st = self.lock();
        if let Some(task) = st.workers[slot]
            .as_mut()
            .and_then(|link| link.take_revoked(id, ok))
        {
            st.queue.push_front(task);
            self.pump(&mut st, &mut dead);
        }
        drop(st);
        drop(dead);
        // Another window may be waiting behind a long task too.
        self.timer_cv.notify_all();
    }

    /// The worker's channel closed: reap it, fail the task it was running,
    /// requeue the ones it had not started, break the pool if so configured.
    fn settle(&self, slot: usize, mut child: Child) {
        let link = self.lock().workers[slot].take().expect("the slot's link");
        let pid = link.pid;
        let status = child.wait().map(exit_status).unwrap_or(ExitStatus::Unknown);
        let clean = link.exiting && status == ExitStatus::Code(0);
        let mut failed = Vec::new();
        let mut inflight = link.inflight;
        if !link.retired {
            // The first task of the window is the one the worker was running.
            if let Some(task) = inflight.pop_front() {
                let error = if link.timed_out == Some(task.id) {
                    Error::Timeout
                } else {
                    Error::WorkerLost {
                        pid,
                        status: status.clone(),
                    }
                };
                failed.push((task, error));
            }
        }
        let lost = !clean && link.timed_out.is_none();
        let lost_running = lost && !failed.is_empty();
        let mut dead = Vec::new();
        {
            let mut st = self.lock();
            for task in inflight.into_iter().rev() {
                st.queue.push_front(task);
            }
            if let Some(reason) = st.broken.clone() {
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
            self.break_pool(format!("worker {pid} was lost ({status})"));
        }
        self.timer_cv.notify_all();
    }
}
