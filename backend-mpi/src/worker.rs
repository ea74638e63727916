//! A worker rank: ranks 1..N-1 of the job, intercepted before `main`, serving
//! every pool of rank 0 until rank 0 exits.
//!
//! The main thread owns MPI (`MPI_THREAD_FUNNELED`: only it calls MPI). A pool
//! that uses `k` threads of this rank gets `k` worker threads here, created
//! on the pool's first task for each and running its initializer first; each
//! runs its own queue of tasks in the order received and hands outcomes back
//! to the main thread, which sends them to rank 0. Several pools thus share
//! the rank without waiting on one another, as several process pools share a
//! machine.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::Instant;

use concur_core::Error;
use mpi::Threading;

use crate::protocol::{self, FromWorker, Identity, PROTOCOL_VERSION, ToWorker};
use crate::task::{self, CallRef};
use crate::transport::{Idle, Transport};

/// Exit code of a worker rank that could not serve (MPI refused, bad handshake).
const EXIT_NOT_SERVED: i32 = 70;

/// The worker's life; finalizes MPI and exits the process.
pub(crate) fn worker_main() -> ! {
    let code = match run() {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("concur-mpi worker rank: {message}");
            EXIT_NOT_SERVED
        }
    };
    std::process::exit(code)
}

fn run() -> Result<(), String> {
    let (universe, provided) = mpi::initialize_with_threading(Threading::Funneled)
        .ok_or("MPI was already initialized in this process")?;
    if provided < Threading::Funneled {
        return Err(format!(
            "MPI granted thread level {provided:?}, concur-mpi needs at least Funneled"
        ));
    }
    let mut transport = Transport::new(universe.world());
    let rank = transport.rank();
    let identity = Identity::of_this_process()
        .map_err(|e| format!("rank {rank}: cannot read /proc/self/exe: {e}"))?;
    transport.send(
        0,
        protocol::frame(
            &FromWorker::Hello {
                version: PROTOCOL_VERSION,
                identity,
            },
            &[],
        ),
    );
    let answer = transport
        .recv_from(0, None)
        .ok_or("rank 0 never answered the handshake")?;
    let outcome = match protocol::unframe::<ToWorker>(&answer) {
        Ok((ToWorker::Welcome, _)) => Serve::new(rank).run(&mut transport),
        Ok((ToWorker::Refused { reason }, _)) => {
            eprintln!("concur-mpi worker rank {rank}: refused by rank 0: {reason}");
            wait_for_exit(&mut transport);
            Ok(())
        }
        Ok((other, _)) => Err(format!("rank {rank}: unexpected first message {other:?}")),
        Err(e) => Err(format!("rank {rank}: undecodable first message: {e}")),
    };
    // Sends complete, then `MPI_Finalize` (the universe's drop), then exit.
    drop(transport);
    drop(universe);
    outcome
}

/// A refused rank serves nothing and leaves with the others.
fn wait_for_exit(transport: &mut Transport) {
    while let Some(bytes) = transport.recv_from(0, None) {
        if matches!(
            protocol::unframe::<ToWorker>(&bytes),
            Ok((ToWorker::Exit, _))
        ) {
            return;
        }
    }
}

/// What a worker thread is given to do.
enum Job {
    Run {
        id: u64,
        call: CallRef,
        frame: Vec<u8>,
        tail_at: usize,
    },
    Close,
}

/// A worker thread's queue, shared with the main thread (which pushes and
/// revokes).
#[derive(Default)]
struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

impl Queue {
    fn push(&self, job: Job) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
        self.ready.notify_one();
    }

    fn pop(&self) -> Job {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(job) = jobs.pop_front() {
                return job;
            }
            jobs = self.ready.wait(jobs).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Removes task `id` if it is still waiting; true if it was.
    fn revoke(&self, id: u64) -> bool {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        match jobs
            .iter()
            .position(|j| matches!(j, Job::Run { id: i, .. } if *i == id))
        {
            Some(at) => jobs.remove(at).is_some(),
            None => false,
        }
    }
}

/// What worker threads hand back to the main thread.
enum Outcome {
    Done {
        pool: u64,
        id: u64,
        micros: u64,
        result: Result<Vec<u8>, Error>,
    },
    InitFailed {
        pool: u64,
        error: Error,
    },
}

/// One pool's worker threads on this rank.
struct PoolHere {
    initializer: Option<(CallRef, Arc<Vec<u8>>)>,
    threads: HashMap<u32, (Arc<Queue>, JoinHandle<()>)>,
    closing: bool,
}

/// The serving loop of the main thread.
struct Serve {
    rank: i32,
    pools: HashMap<u64, PoolHere>,
    outcomes: mpsc::Receiver<Outcome>,
    sender: mpsc::Sender<Outcome>,
    main: Thread,
}

impl Serve {
    fn new(rank: i32) -> Serve {
        let (sender, outcomes) = mpsc::channel();
        Serve {
            rank,
            pools: HashMap::new(),
            outcomes,
            sender,
            main: std::thread::current(),
        }
    }

    /// Serves until rank 0 sends `Exit`.
    fn run(mut self, t: &mut Transport) -> Result<(), String> {
        let mut idle = Idle::new();
        loop {
            let mut busy = t.reap();
            while let Some((from, bytes)) = t.try_recv() {
                busy = true;
                if from != 0 {
                    continue; // only rank 0 speaks to workers
                }
                match protocol::unframe::<ToWorker>(&bytes) {
                    Ok((ToWorker::Exit, _)) => return Ok(()),
                    Ok((header, tail_at)) => self.handle(t, header, bytes, tail_at)?,
                    Err(e) => return Err(format!("rank {}: undecodable message: {e}", self.rank)),
                }
            }
            while let Ok(outcome) = self.outcomes.try_recv() {
                busy = true;
                send_outcome(t, outcome);
            }
            busy |= self.reap_closed(t);
            if busy {
                idle.busy();
            } else {
                idle.wait();
            }
        }
    }

    fn handle(
        &mut self,
        t: &mut Transport,
        header: ToWorker,
        frame: Vec<u8>,
        tail_at: usize,
    ) -> Result<(), String> {
        match header {
            ToWorker::Open {
                pool, initializer, ..
            } => {
                let init = initializer.map(|call| (call, Arc::new(frame[tail_at..].to_vec())));
                self.pools.insert(
                    pool,
                    PoolHere {
                        initializer: init,
                        threads: HashMap::new(),
                        closing: false,
                    },
                );
            }
            ToWorker::Run {
                pool,
                slot,
                id,
                call,
            } => {
                let rank = self.rank;
                let sender = self.sender.clone();
                let main = self.main.clone();
                let here = self
                    .pools
                    .get_mut(&pool)
                    .ok_or_else(|| format!("rank {rank}: a task of unknown pool {pool}"))?;
                let init = here.initializer.clone();
                let (queue, _) = here.threads.entry(slot).or_insert_with(|| {
                    let queue = Arc::new(Queue::default());
                    let q = queue.clone();
                    let handle = std::thread::Builder::new()
                        .name(format!("concur-mpi-{pool}-{slot}"))
                        .spawn(move || worker_thread(rank, pool, &q, init, &sender, &main))
                        .expect("cannot start a worker thread");
                    (queue, handle)
                });
                queue.push(Job::Run {
                    id,
                    call,
                    frame,
                    tail_at,
                });
            }
            ToWorker::Revoke { pool, slot, id } => {
                let ok = self
                    .pools
                    .get(&pool)
                    .and_then(|p| p.threads.get(&slot))
                    .is_some_and(|(q, _)| q.revoke(id));
                t.send(
                    0,
                    protocol::frame(&FromWorker::Revoked { pool, id, ok }, &[]),
                );
            }
            ToWorker::Close { pool } => match self.pools.get_mut(&pool) {
                Some(here) => {
                    here.closing = true;
                    for (queue, _) in here.threads.values() {
                        queue.push(Job::Close);
                    }
                }
                None => t.send(0, protocol::frame(&FromWorker::Closed { pool }, &[])),
            },
            ToWorker::Welcome | ToWorker::Refused { .. } | ToWorker::Exit => {}
        }
        Ok(())
    }

    /// Joins the threads of closing pools that have all exited and tells rank 0.
    fn reap_closed(&mut self, t: &mut Transport) -> bool {
        let done: Vec<u64> = self
            .pools
            .iter()
            .filter(|(_, p)| p.closing && p.threads.values().all(|(_, h)| h.is_finished()))
            .map(|(id, _)| *id)
            .collect();
        for pool in &done {
            if let Some(here) = self.pools.remove(pool) {
                for (_, (_, handle)) in here.threads {
                    let _ = handle.join();
                }
            }
            t.send(0, protocol::frame(&FromWorker::Closed { pool: *pool }, &[]));
        }
        !done.is_empty()
    }
}

fn send_outcome(t: &mut Transport, outcome: Outcome) {
    let bytes = match outcome {
        Outcome::Done {
            pool,
            id,
            micros,
            result: Ok(value),
        } => protocol::frame(
            &FromWorker::Done {
                pool,
                id,
                micros,
                outcome: Ok(()),
            },
            &value,
        ),
        Outcome::Done {
            pool,
            id,
            micros,
            result: Err(error),
        } => protocol::frame(
            &FromWorker::Done {
                pool,
                id,
                micros,
                outcome: Err(error),
            },
            &[],
        ),
        Outcome::InitFailed { pool, error } => {
            protocol::frame(&FromWorker::InitFailed { pool, error }, &[])
        }
    };
    t.send(0, bytes);
}

/// One worker thread of one pool: the initializer, then tasks until `Close`.
fn worker_thread(
    rank: i32,
    pool: u64,
    queue: &Queue,
    init: Option<(CallRef, Arc<Vec<u8>>)>,
    out: &mpsc::Sender<Outcome>,
    main: &Thread,
) {
    let init_error = init.and_then(|(call, arg)| {
        // SAFETY: rank 0 built `call` with `init_ref` and accepted this rank as
        // running the same binary in the handshake.
        unsafe { task::invoke(call, &arg) }.err()
    });
    if let Some(error) = &init_error {
        let _ = out.send(Outcome::InitFailed {
            pool,
            error: error.clone(),
        });
        main.unpark();
    }
    loop {
        let Job::Run {
            id,
            call,
            frame,
            tail_at,
        } = queue.pop()
        else {
            return;
        };
        let start = Instant::now();
        let result = match &init_error {
            Some(e) => Err(Error::broken(format!(
                "the pool's initializer failed on rank {rank}: {e}"
            ))),
            // SAFETY: as for the initializer: built by `call_ref` / `chunk_ref`
            // on rank 0, which checked this rank runs the same binary.
            None => unsafe { task::invoke(call, &frame[tail_at..]) },
        };
        drop(frame);
        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let _ = out.send(Outcome::Done {
            pool,
            id,
            micros,
            result,
        });
        main.unpark();
    }
}
