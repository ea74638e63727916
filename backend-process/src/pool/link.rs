//! [`Link`]: the parent's side of one live worker — the channels to it, the
//! window of tasks sent to it and not done, and the bookkeeping that decides
//! what it gets next.
//!
//! A `Link` lives in `State::workers[slot]` from the moment its worker has
//! joined until its slot thread has seen the worker's channel close; the slot
//! thread takes it out under the state lock *before* reaping the process. So
//! whoever reaches a `Link` under the lock is talking about a child that has not
//! been reaped, whose pid cannot have been reused: that is the one argument
//! behind [`Link::signal`], the one place a worker is signalled (private: the
//! rest of the pool goes through [`Link::lose`], [`Link::terminate`] and the
//! watchdog's [`Link::watch`]).
//!
//! The rest of the pool asks a `Link` to act — send a task, an exit, a ping,
//! a revoke, an abort; take back a finished or revoked task; watch its
//! deadlines — and reads its bookkeeping (its window, whether it is exiting)
//! to decide whom to serve; the one place that takes a `Link` apart is the slot
//! thread settling a worker whose channel closed.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use std::sync::Arc;

use concur_core::{AnyFuture, backend};

use super::job::Task;
use crate::codec::batch::Batch;
use crate::codec::{self, ToWorker};
use crate::transport::Channel;

/// A task shorter than this is "fast" (see [`Link::fast`]).
const FAST_TASK: Duration = Duration::from_millis(1);

/// A worker told to exit (or that announced it retires) with nothing left to
/// run is killed if its channel is still open this long after.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// A worker not heard from for this long is pinged.
const PING_EVERY: Duration = Duration::from_secs(1);

/// A worker whose reader has not answered a ping for this long is deaf, and
/// lost. The reader thread does nothing but receive and queue (it never runs a
/// task), so a healthy one answers within a scheduling delay; 5 s of silence
/// means it is dead or stopped. A deaf worker is thus detected within
/// `PING_EVERY + DEAF_AFTER` = 6 s.
const DEAF_AFTER: Duration = Duration::from_secs(5);

/// The parent's side of one live worker.
pub(super) struct Link {
    pub(super) pid: u32,
    chan: Arc<Channel>,
    /// Tasks sent and not done, in the order sent; the first one runs.
    pub(super) inflight: VecDeque<Task>,
    /// Tasks sent over the worker's life (for `max_tasks_per_child`).
    pub(super) sent: u64,
    /// `Exit` was sent, or the worker announced it retires, or it was killed.
    pub(super) exiting: bool,
    /// The worker announced it retires (memory limit): it runs nothing more.
    pub(super) retired: bool,
    /// When the first task of the window started (about: when it was sent to an
    /// idle worker, or when the task before it finished).
    pub(super) front_since: Instant,
    /// A `Revoke` of this task is awaiting its answer.
    pub(super) revoking: Option<u64>,
    /// The worker's last task took less than [`FAST_TASK`]: only then are tasks
    /// sent ahead to it, where the saved round trip matters and a task is
    /// unlikely to wait behind a long one while another worker idles.
    pub(super) fast: bool,
    /// The running task's deadline, for `task_timeout`.
    pub(super) deadline: Option<(u64, Instant)>,
    /// The task whose timeout killed this worker.
    pub(super) timed_out: Option<u64>,
    /// When a worker that should be exiting is killed (see [`EXIT_GRACE`]).
    pub(super) exit_by: Option<Instant>,
    /// The ping awaiting its pong, and when it was sent.
    pub(super) ping: Option<(u64, Instant)>,
    /// When the worker's reader last answered (or the worker joined).
    pub(super) heard: Instant,
    /// Tasks of the window asked to abort (`ProcessPool::kill`), not answered yet.
    pub(super) aborting: Vec<u64>,
    /// Why the watchdog gave up on the worker, if it did (for the error).
    pub(super) lost_because: Option<&'static str>,
    /// The tasks staged by the current scheduling step, not sent yet.
    batch: Batch,
    /// The window takes tasks sent ahead in the current scheduling step.
    pub(super) open: bool,
}

impl Link {
    /// The link of a worker that just joined.
    pub(super) fn new(pid: u32, chan: Arc<Channel>) -> Self {
        Link {
            pid,
            chan,
            inflight: VecDeque::new(),
            sent: 0,
            exiting: false,
            retired: false,
            front_since: Instant::now(),
            revoking: None,
            fast: false,
            deadline: None,
            timed_out: None,
            exit_by: None,
            ping: None,
            heard: Instant::now(),
            aborting: Vec::new(),
            lost_because: None,
            batch: Batch::default(),
            open: false,
        }
    }

    /// Sends `signal` to the worker: the one place a worker is signalled.
    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) reads and writes no memory of this process. The pid is
        // that of a child that has not been reaped (see the module docs: a link
        // leaves the state before its process is waited for), so it names this
        // worker and no other process.
        unsafe { libc::kill(self.pid as i32, signal) };
    }

    /// Gives `task` to the worker: it joins the window now and travels with
    /// the other tasks staged by the same scheduling step, in one message, at
    /// [`flush`](Link::flush) (a task with a shared-memory argument, or too
    /// large for a batch, goes at once, alone). Returns true if it set a
    /// deadline (the watchdog must look).
    ///
    /// A send that fails loses the worker; the tasks it held stay in its
    /// window, where its slot thread settles them (requeued: the beacon shows
    /// that the worker never started them).
    pub(super) fn stage(&mut self, task: Task) -> bool {
        if task.shm.is_some() || !Batch::fits_alone(task.frame.len()) {
            self.flush();
            if !self.exiting && self.chan.send(&task.frame, task.shm.as_ref()).is_err() {
                self.lose();
            }
        } else {
            if !self.batch.fits(task.frame.len()) {
                self.flush();
            }
            self.batch.push(&task.frame);
        }
        self.sent += 1;
        let mut timed = false;
        if self.inflight.is_empty() {
            self.front_since = Instant::now();
            if let Some(at) = backend::deadline(task.timeout) {
                self.deadline = Some((task.id, at));
                timed = true;
            }
        }
        self.inflight.push_back(task);
        timed
    }

    /// Sends the tasks staged since the last flush: one `Run` message for one
    /// task, one `RunMany` for several.
    pub(super) fn flush(&mut self) {
        if self.batch.count() == 0 {
            return;
        }
        let bytes = self.batch.single().unwrap_or(self.batch.bytes());
        // A worker lost meanwhile gets nothing: its window is settled.
        // Otherwise a failure is the worker gone, or its socket full past the
        // send timeout (its reader is dead), or a partial message sent: the
        // link is unusable either way, and its slot thread sees the channel
        // close.
        if !self.exiting && self.chan.send(bytes, None).is_err() {
            self.lose();
        }
        self.batch.clear();
    }

    /// Opens the window to tasks sent ahead in this scheduling step if it has
    /// drained to `low_water` (see `Shared::pump`).
    pub(super) fn open_if_below(&mut self, low_water: usize) {
        self.open = self.inflight.len() <= low_water;
    }

    /// Gives up on the worker: it gets nothing more and is killed.
    pub(super) fn lose(&mut self) {
        self.terminate(libc::SIGKILL);
    }

    /// Gives up on the worker: it gets nothing more and is sent `signal`
    /// (`terminate_workers`, `kill_workers`).
    pub(super) fn terminate(&mut self, signal: i32) {
        self.exiting = true;
        self.signal(signal);
    }

    /// The watchdog's look at this worker at `now`: a worker still connected
    /// past its exit grace, or deaf to a ping for [`DEAF_AFTER`], is lost; one
    /// quiet for [`PING_EVERY`] is pinged (with the next of `seq`); one whose
    /// running task is past its deadline is killed, that task timed out.
    /// Returns when to look again, if anything is pending.
    pub(super) fn watch(&mut self, now: Instant, seq: &mut u64) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut at_most = |at: Instant| next = Some(next.map_or(at, |n: Instant| n.min(at)));
        match (self.exit_by, self.ping) {
            (Some(by), _) if by <= now => self.lose_because(
                "it was still connected 2 s after it was told to exit or said it would",
            ),
            (Some(by), _) => at_most(by),
            (None, _) if self.exiting => {}
            (None, Some((_, sent))) if sent + DEAF_AFTER <= now => {
                self.lose_because("it did not answer a ping within 5 s: its reader is deaf")
            }
            (None, Some((_, sent))) => at_most(sent + DEAF_AFTER),
            (None, None) if self.heard + PING_EVERY <= now => {
                *seq += 1;
                self.send_ping(*seq, now);
                at_most(now + DEAF_AFTER);
            }
            (None, None) => at_most(self.heard + PING_EVERY),
        }
        match self.deadline {
            Some((id, at)) if at <= now => {
                self.deadline = None;
                self.timed_out = Some(id);
                self.lose();
            }
            Some((_, at)) => at_most(at),
            None => {}
        }
        next
    }

    /// Gives up on the worker for a reason the task's error will name.
    pub(super) fn lose_because(&mut self, why: &'static str) {
        self.lost_because.get_or_insert(why);
        self.lose();
    }

    /// Sends a control message; a failure loses the worker.
    fn control(&mut self, msg: &ToWorker) -> bool {
        let ok = self.chan.send(&codec::encode_frame(msg, &[]), None).is_ok();
        if !ok {
            self.lose();
        }
        ok
    }

    /// Tells the worker to exit once its window is done.
    pub(super) fn send_exit(&mut self) {
        self.exiting = true;
        self.exit_by = Some(Instant::now() + EXIT_GRACE);
        self.control(&ToWorker::Exit);
    }

    /// Asks the worker to drop the task of its window that completes
    /// `future`, or to end itself if that task is running
    /// (`ProcessPool::kill`). False if no task of the window completes it.
    pub(super) fn abort(&mut self, future: &AnyFuture) -> bool {
        let Some(task) = self.inflight.iter().find(|t| t.sink.completes(future)) else {
            return false;
        };
        let id = task.id;
        if !self.aborting.contains(&id) && self.control(&ToWorker::Abort { id }) {
            self.aborting.push(id);
        }
        true
    }

    /// Whether task `id` was asked to abort and not answered yet; forgets it.
    pub(super) fn take_abort(&mut self, id: u64) -> bool {
        let pos = self.aborting.iter().position(|&a| a == id);
        pos.map(|p| self.aborting.swap_remove(p)).is_some()
    }

    /// Pings the worker's reader.
    pub(super) fn send_ping(&mut self, seq: u64, now: Instant) {
        if self.control(&ToWorker::Ping { seq }) {
            self.ping = Some((seq, now));
        }
    }

    /// The worker was heard from: no ping is awaited any more.
    pub(super) fn heard(&mut self, now: Instant) {
        self.ping = None;
        self.heard = now;
    }

    /// Asks the worker to give back task `id` if it has not started it.
    pub(super) fn send_revoke(&mut self, id: u64) -> bool {
        let ok = self.control(&ToWorker::Revoke { id });
        if ok {
            self.revoking = Some(id);
        }
        ok
    }

    /// The worker started the next task of its window now: its deadline runs.
    fn front_started(&mut self) {
        self.front_since = Instant::now();
        self.deadline = self
            .inflight
            .front()
            .and_then(|next| Some((next.id, backend::deadline(next.timeout)?)));
    }

    /// Task `id` is done: takes it out of the window (if it was there). Once
    /// a batch of results is taken, [`finished`](Link::finished) says how many.
    pub(super) fn take_finished(&mut self, id: u64) -> Option<Task> {
        let pos = self.inflight.iter().position(|t| t.id == id)?;
        self.inflight.remove(pos)
    }

    /// `n` results arrived together (at least one): the worker counts as fast
    /// if they took less than [`FAST_TASK`] each on average since the front
    /// of the window started, and the next task's deadline runs. Returns
    /// whether a new deadline runs.
    pub(super) fn finished(&mut self, n: usize) -> bool {
        if n == 0 {
            return false;
        }
        let each = Instant::now().duration_since(self.front_since) / n as u32;
        self.fast = each < FAST_TASK;
        self.front_started();
        self.deadline.is_some()
    }

    /// The answer to a `Revoke`: the task, if the worker gave it back unstarted.
    pub(super) fn take_revoked(&mut self, id: u64, ok: bool) -> Option<Task> {
        if self.revoking == Some(id) {
            self.revoking = None;
        }
        let pos = self.inflight.iter().position(|t| t.id == id)?;
        if !ok {
            return None;
        }
        let task = self.inflight.remove(pos);
        if pos == 0 {
            // The task before it finished meanwhile: the worker starts the next
            // one (if any) now, not this one.
            self.front_started();
        }
        task
    }

    /// The worker announced it retires: it runs nothing more.
    pub(super) fn retire(&mut self) {
        self.exiting = true;
        self.retired = true;
        self.exit_by = Some(Instant::now() + EXIT_GRACE);
    }
}
