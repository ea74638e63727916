//! The dispatch loop of rank 0's progress thread: every pool's queue, its
//! worker threads on the ranks, the tasks in flight, and the messages.
//!
//! A pool of `k` workers has `k` *slots*, each a worker thread on some rank
//! (round-robin over the worker ranks, so `k` may exceed the number of
//! ranks). A task goes to the slot with the fewest tasks in flight; it is sent
//! ahead to a busy slot — up to the pool's window — only if that slot's last
//! task was short, which hides the round trip for small tasks. A task sent
//! ahead is marked running (it has left rank 0, as Python marks what it moves
//! to its call queue). If its slot then turns out to be busy with a long task
//! while another slot of the pool idles, rank 0 revokes it after
//! [`REVOKE_AFTER`]; the worker gives it back if it has not started and it
//! runs elsewhere.
//!
//! Results are taken in completion order from whichever rank sends one
//! (`MPI_ANY_SOURCE`); each carries its `(pool, id)` and completes its
//! future here, on this thread — so done-callbacks run on the progress thread
//! and must not block.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use concur_core::{Error, StatsCounter};

use crate::pool::PoolShared;
use crate::protocol::{self, FromWorker, ToWorker};
use crate::task::CallRef;
use crate::transport::{Idle, Transport};

/// A slot whose task has run this long while another slot idles gets its
/// tasks sent ahead revoked.
pub(crate) const REVOKE_AFTER: Duration = Duration::from_millis(5);

/// A task shorter than this lets its slot receive tasks ahead.
const SHORT_TASK: Duration = Duration::from_millis(1);

/// The typed end of a task: marks its future running, completes it from the
/// encoded result. Dropping it cancels a pending future (or fails a running
/// one with `Broken`).
pub(crate) trait Sink: Send {
    /// `Promise::set_running`: false if the future was cancelled.
    fn set_running(&self) -> bool;
    /// Decodes the result, counts the task as finished in `stats` — before
    /// the future completes, so a caller that saw it done sees it counted —
    /// and completes the future.
    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter);
}

/// A task on its way: what to call, the encoded argument, its future.
pub(crate) struct Task {
    pub(crate) id: u64,
    pub(crate) call: CallRef,
    pub(crate) arg: Vec<u8>,
    pub(crate) sink: Box<dyn Sink>,
    /// Marked running (and counted as started) already: a revoked task
    /// coming back to the queue.
    pub(crate) started: bool,
}

/// A new pool, as the progress thread needs it.
pub(crate) struct Opening {
    pub(crate) id: u64,
    pub(crate) shared: Arc<PoolShared>,
    /// The rank of each slot.
    pub(crate) slots: Vec<i32>,
    pub(crate) window: usize,
    pub(crate) initializer: Option<(CallRef, Vec<u8>)>,
}

/// What pools ask of the progress thread.
pub(crate) enum Command {
    Open(Opening),
    Submit {
        pool: u64,
        task: Task,
    },
    /// Closes the pool; with `cancel`, cancels what has not left rank 0 and
    /// then answers on `cancelled`.
    Shutdown {
        pool: u64,
        cancel: bool,
        cancelled: Option<mpsc::Sender<()>>,
    },
    Finalize {
        ack: mpsc::Sender<()>,
    },
}

struct Slot {
    rank: i32,
    /// Its index among the pool's threads on that rank.
    local: u32,
    /// Tasks sent to it and not finished, oldest first.
    sent: VecDeque<u64>,
    /// Since when the oldest of `sent` has been the oldest.
    head_since: Instant,
    last_short: bool,
    revoking: HashSet<u64>,
}

struct PoolState {
    shared: Arc<PoolShared>,
    slots: Vec<Slot>,
    window: usize,
    queue: VecDeque<Task>,
    /// Tasks sent and not finished, with their slot.
    inflight: HashMap<u64, (usize, Task)>,
    ranks: Vec<i32>,
    closing: bool,
    close_acks: Option<usize>,
    broken: Option<String>,
}

/// The progress thread's state.
pub(crate) struct Progress<'t> {
    t: &'t mut Transport,
    inbox: mpsc::Receiver<Command>,
    size: i32,
    pools: HashMap<u64, PoolState>,
}

impl<'t> Progress<'t> {
    pub(crate) fn new(t: &'t mut Transport, inbox: mpsc::Receiver<Command>, size: i32) -> Self {
        Progress {
            t,
            inbox,
            size,
            pools: HashMap::new(),
        }
    }

    /// Runs until `Finalize` (answered by the caller once MPI is finalized) or
    /// until every pool handle and the runtime are gone.
    pub(crate) fn run(mut self) -> Option<mpsc::Sender<()>> {
        let mut idle = Idle::new();
        loop {
            let mut busy = self.t.reap();
            loop {
                match self.inbox.try_recv() {
                    Ok(Command::Finalize { ack }) => {
                        self.exit_workers();
                        return Some(ack);
                    }
                    Ok(command) => {
                        busy = true;
                        self.command(command);
                    }
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        self.exit_workers();
                        return None;
                    }
                }
            }
            while let Some((rank, bytes)) = self.t.try_recv() {
                busy = true;
                self.message(rank, &bytes);
            }
            let ids: Vec<u64> = self.pools.keys().copied().collect();
            for id in ids {
                busy |= self.advance(id);
            }
            if busy {
                idle.busy();
            } else {
                idle.wait();
            }
        }
    }

    fn exit_workers(&mut self) {
        for rank in 1..self.size {
            self.t.send(rank, protocol::frame(&ToWorker::Exit, &[]));
        }
        self.t.flush();
        // Whatever is still queued or running ends here: dropping the sinks
        // cancels pending futures and fails running ones with `Broken`.
        for (_, pool) in self.pools.drain() {
            pool.shared.mark_exited();
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Open(o) => {
                let mut ranks: Vec<i32> = o.slots.clone();
                ranks.sort_unstable();
                ranks.dedup();
                let mut locals: HashMap<i32, u32> = HashMap::new();
                let slots = o
                    .slots
                    .iter()
                    .map(|&rank| {
                        let local = locals.entry(rank).or_insert(0);
                        *local += 1;
                        Slot {
                            rank,
                            local: *local - 1,
                            sent: VecDeque::new(),
                            head_since: Instant::now(),
                            last_short: false,
                            revoking: HashSet::new(),
                        }
                    })
                    .collect();
                for &rank in &ranks {
                    let (initializer, arg) = match &o.initializer {
                        Some((call, arg)) => (Some(*call), arg.as_slice()),
                        None => (None, &[][..]),
                    };
                    let header = ToWorker::Open {
                        pool: o.id,
                        slots: locals[&rank],
                        initializer,
                    };
                    self.t.send(rank, protocol::frame(&header, arg));
                }
                self.pools.insert(
                    o.id,
                    PoolState {
                        shared: o.shared,
                        slots,
                        window: o.window,
                        queue: VecDeque::new(),
                        inflight: HashMap::new(),
                        ranks,
                        closing: false,
                        close_acks: None,
                        broken: None,
                    },
                );
            }
            Command::Submit { pool, task } => match self.pools.get_mut(&pool) {
                Some(p) => match &p.broken {
                    Some(reason) => fail_unsent(&p.shared, task, Error::broken(reason.clone())),
                    None => p.queue.push_back(task),
                },
                // Accepted before a shutdown that has completed: cannot happen
                // (shutdown waits for its queue), but never lose a future.
                None => drop(task),
            },
            Command::Shutdown {
                pool,
                cancel,
                cancelled,
            } => {
                if let Some(p) = self.pools.get_mut(&pool) {
                    p.closing = true;
                    if cancel {
                        let (keep, drop_these): (VecDeque<Task>, VecDeque<Task>) =
                            p.queue.drain(..).partition(|t| t.started);
                        p.queue = keep;
                        for task in drop_these {
                            cancel_unsent(&p.shared, task);
                        }
                    }
                }
                if let Some(ack) = cancelled {
                    let _ = ack.send(());
                }
            }
            Command::Finalize { .. } => unreachable!("handled by the loop"),
        }
    }

    fn message(&mut self, rank: i32, bytes: &[u8]) {
        let Ok((header, tail_at)) = protocol::unframe::<FromWorker>(bytes) else {
            eprintln!("concur-mpi: rank 0 ignored an undecodable message from rank {rank}");
            return;
        };
        match header {
            FromWorker::Done {
                pool,
                id,
                micros,
                outcome,
            } => {
                let Some(p) = self.pools.get_mut(&pool) else {
                    return;
                };
                let Some((slot, task)) = p.inflight.remove(&id) else {
                    return;
                };
                let s = &mut p.slots[slot];
                if s.sent.front() == Some(&id) {
                    s.head_since = Instant::now();
                }
                s.sent.retain(|&i| i != id);
                s.revoking.remove(&id);
                s.last_short = Duration::from_micros(micros) < SHORT_TASK;
                task.sink
                    .finish(outcome.map(|()| &bytes[tail_at..]), &p.shared.stats);
            }
            FromWorker::Revoked { pool, id, ok } => {
                let Some(p) = self.pools.get_mut(&pool) else {
                    return;
                };
                let Some((slot, _)) = p.inflight.get(&id) else {
                    return;
                };
                let slot = *slot;
                p.slots[slot].revoking.remove(&id);
                if ok && let Some((_, task)) = p.inflight.remove(&id) {
                    p.slots[slot].sent.retain(|&i| i != id);
                    p.queue.push_front(task);
                }
            }
            FromWorker::InitFailed { pool, error } => {
                let Some(p) = self.pools.get_mut(&pool) else {
                    return;
                };
                if p.broken.is_none() {
                    let reason = format!("the pool's initializer failed on rank {rank}: {error}");
                    p.shared.mark_broken(&reason);
                    for task in std::mem::take(&mut p.queue) {
                        fail_unsent(&p.shared, task, Error::broken(reason.clone()));
                    }
                    p.broken = Some(reason);
                }
            }
            FromWorker::Closed { pool } => {
                if let Some(p) = self.pools.get_mut(&pool)
                    && let Some(n) = &mut p.close_acks
                {
                    *n = n.saturating_sub(1);
                }
            }
            FromWorker::Hello { .. } => {}
        }
    }

    /// Sends what the pool's slots can take, revokes what waits behind a long
    /// task, closes a drained pool. True if it did anything.
    fn advance(&mut self, id: u64) -> bool {
        let Some(p) = self.pools.get_mut(&id) else {
            return false;
        };
        let mut busy = false;
        while !p.queue.is_empty() {
            let Some(slot) = pick_slot(&p.slots, p.window) else {
                break;
            };
            let mut task = p.queue.pop_front().expect("not empty");
            if !task.started {
                // Relaxed: a count for `try_submit`'s bound; the task itself
                // travels through the channel, which orders it.
                p.shared.queued.fetch_sub(1, Ordering::Relaxed);
                if !task.sink.set_running() {
                    p.shared.stats.cancelled();
                    continue;
                }
                p.shared.stats.started();
                task.started = true;
            }
            let s = &mut p.slots[slot];
            let header = ToWorker::Run {
                pool: id,
                slot: s.local,
                id: task.id,
                call: task.call,
            };
            self.t.send(s.rank, protocol::frame(&header, &task.arg));
            if s.sent.is_empty() {
                s.head_since = Instant::now();
            }
            s.sent.push_back(task.id);
            p.inflight.insert(task.id, (slot, task));
            busy = true;
        }
        if p.queue.is_empty() && p.slots.iter().any(|s| s.sent.is_empty()) {
            for s in &mut p.slots {
                if s.sent.len() > 1 && s.head_since.elapsed() >= REVOKE_AFTER {
                    for &task in s.sent.iter().skip(1) {
                        if s.revoking.insert(task) {
                            let header = ToWorker::Revoke {
                                pool: id,
                                slot: s.local,
                                id: task,
                            };
                            self.t.send(s.rank, protocol::frame(&header, &[]));
                            busy = true;
                        }
                    }
                }
            }
        }
        if p.closing && p.queue.is_empty() && p.inflight.is_empty() {
            match p.close_acks {
                None => {
                    for &rank in &p.ranks {
                        self.t
                            .send(rank, protocol::frame(&ToWorker::Close { pool: id }, &[]));
                    }
                    p.close_acks = Some(p.ranks.len());
                    busy = true;
                }
                Some(0) => {
                    p.shared.mark_exited();
                    self.pools.remove(&id);
                    busy = true;
                }
                Some(_) => {}
            }
        }
        busy
    }
}

/// The slot the next task goes to: an idle one, else the least loaded one that
/// may take a task ahead — its last task was short and the one it runs has
/// not yet run longer than a short task.
fn pick_slot(slots: &[Slot], window: usize) -> Option<usize> {
    slots
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.sent.is_empty()
                || (s.last_short && s.sent.len() < window && s.head_since.elapsed() < SHORT_TASK)
        })
        .min_by_key(|(_, s)| s.sent.len())
        .map(|(at, _)| at)
}

/// A task that never left rank 0 fails with `error`.
fn fail_unsent(shared: &PoolShared, task: Task, error: Error) {
    if !task.started {
        // Relaxed: as in `advance`.
        shared.queued.fetch_sub(1, Ordering::Relaxed);
        if !task.sink.set_running() {
            shared.stats.cancelled();
            return;
        }
        shared.stats.started();
    }
    task.sink.finish(Err(error), &shared.stats);
}

/// A task that never left rank 0 is cancelled (`shutdown(cancel_futures)`).
fn cancel_unsent(shared: &PoolShared, task: Task) {
    // Relaxed: as in `advance`.
    shared.queued.fetch_sub(1, Ordering::Relaxed);
    shared.stats.cancelled();
    drop(task); // the promise's drop cancels the pending future
}
