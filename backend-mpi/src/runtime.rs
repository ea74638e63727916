//! The process-wide MPI runtime of rank 0: one progress thread that
//! initializes MPI, greets the worker ranks, and then makes every MPI call of
//! the process on behalf of every pool.
//!
//! MPI can be initialized once per process, so the runtime is a lazily started
//! singleton: the first pool starts it and every later pool shares it. Pools
//! talk to it through one command channel (a submit is a channel send and an
//! unpark); the progress thread owns all dispatch state (`dispatch.rs`), so
//! no lock is shared between pools. It asks MPI for `MPI_THREAD_FUNNELED` —
//! only the thread that initialized MPI calls it — and refuses a lower level.
//!
//! When rank 0 exits, an `atexit` handler asks the progress thread to send
//! `Exit` to every worker rank and to call `MPI_Finalize`, so `mpirun` sees
//! every rank finalize and exit 0.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::{Thread, ThreadId};
use std::time::{Duration, Instant};

use concur_core::Error;
use mpi::Threading;

use crate::dispatch::{Command, Progress};
use crate::launch;
use crate::protocol::{self, FromWorker, Identity, PROTOCOL_VERSION, ToWorker};
use crate::transport::Transport;

/// How long rank 0 waits for every worker rank's `Hello`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the exit handler waits for the progress thread to finalize MPI.
const FINALIZE_TIMEOUT: Duration = Duration::from_secs(30);

/// The runtime shared by every pool of this process.
#[derive(Debug)]
pub(crate) struct Runtime {
    commands: mpsc::Sender<Command>,
    progress: Thread,
    /// The worker ranks, or why there are none to use.
    world: Result<Vec<i32>, Error>,
    next_pool: AtomicU64,
    /// Where the next pool's first thread goes, so pools spread over the ranks.
    next_rank: AtomicUsize,
}

static RUNTIME: OnceLock<Result<Runtime, Error>> = OnceLock::new();

/// The runtime, started on first use.
///
/// # Errors
///
/// [`Error::InvalidConfig`] outside an MPI launcher; the error of starting it
/// (MPI refused, thread level too low, a rank running another binary, a rank
/// that never answered, a world of one rank) on every call.
pub(crate) fn get() -> Result<&'static Runtime, Error> {
    RUNTIME.get_or_init(start).as_ref().map_err(Clone::clone)
}

/// The worker ranks, for a pool about to be built.
pub(crate) fn workers() -> Result<(&'static Runtime, &'static [i32]), Error> {
    let rt = get()?;
    match &rt.world {
        Ok(workers) => Ok((rt, workers)),
        Err(e) => Err(e.clone()),
    }
}

fn start() -> Result<Runtime, Error> {
    launch::keep_hook();
    match launch::launcher_rank() {
        None => {
            return Err(Error::invalid_config(format!(
                "concur-mpi: this process was not started by an MPI launcher (none of {} is set): \
                 run it as `mpirun -n N <program>` (or `srun`), with N >= 2: rank 0 runs the \
                 program and owns the pool, ranks 1..N-1 are its workers",
                launch::RANK_VARS.join(", ")
            )));
        }
        // The pre-main hook did not run here: become the worker now.
        Some(rank) if rank > 0 => crate::worker::worker_main(),
        Some(_) => {}
    }
    let (commands, inbox) = mpsc::channel();
    let (ready, started) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("concur-mpi-progress".into())
        .spawn(move || progress_main(inbox, &ready))
        .map_err(|e| Error::broken(format!("cannot start the MPI progress thread: {e}")))?;
    let world = started
        .recv()
        .unwrap_or_else(|_| Err(Error::broken("the MPI progress thread died while starting")));
    // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds (it only
    // sends on a channel and waits on another), as atexit requires.
    if unsafe { libc::atexit(at_exit) } != 0 {
        return Err(Error::broken("atexit refused the MPI finalizer"));
    }
    Ok(Runtime {
        commands,
        progress: handle.thread().clone(),
        world,
        next_pool: AtomicU64::new(1),
        next_rank: AtomicUsize::new(0),
    })
}

impl Runtime {
    /// Hands `command` to the progress thread and wakes it.
    pub(crate) fn send(&self, command: Command) {
        // A closed channel means the progress thread has finalized (the process
        // is exiting): the command's promises are dropped with it, which fails
        // or cancels their futures.
        let _ = self.commands.send(command);
        self.progress.unpark();
    }

    /// A fresh pool number.
    pub(crate) fn pool_id(&self) -> u64 {
        // Relaxed: only uniqueness matters, which the read-modify-write gives.
        self.next_pool.fetch_add(1, Ordering::Relaxed)
    }

    /// The index of the worker rank where a new pool of `threads` threads starts.
    pub(crate) fn first_rank(&self, threads: usize) -> usize {
        // Relaxed: a balancing hint, no data hangs on it.
        self.next_rank.fetch_add(threads, Ordering::Relaxed)
    }

    /// True on the progress thread (a done-callback runs there).
    pub(crate) fn is_progress_thread(&self) -> bool {
        std::thread::current().id() == self.progress_id()
    }

    fn progress_id(&self) -> ThreadId {
        self.progress.id()
    }
}

extern "C" fn at_exit() {
    let Some(Ok(rt)) = RUNTIME.get() else { return };
    let (ack, done) = mpsc::channel();
    rt.send(Command::Finalize { ack });
    let _ = done.recv_timeout(FINALIZE_TIMEOUT);
}

/// The progress thread: MPI init and handshake, then the dispatch loop until
/// `Finalize`.
fn progress_main(inbox: mpsc::Receiver<Command>, ready: &mpsc::Sender<Result<Vec<i32>, Error>>) {
    let Some((universe, provided)) = mpi::initialize_with_threading(Threading::Funneled) else {
        let _ = ready.send(Err(Error::broken(
            "MPI was already initialized in this process by other code: concur-mpi must own MPI_Init",
        )));
        return finalize_without_mpi(&inbox);
    };
    let mut transport = Transport::new(universe.world());
    let world = if provided < Threading::Funneled {
        Err(Error::broken(format!(
            "MPI granted thread level {provided:?}; concur-mpi needs at least Funneled"
        )))
    } else {
        handshake(&mut transport)
    };
    let size = transport.size();
    let _ = ready.send(world);
    let ack = Progress::new(&mut transport, inbox, size).run();
    drop(transport);
    // MPI_Finalize.
    drop(universe);
    if let Some(ack) = ack {
        let _ = ack.send(());
    }
}

/// Without MPI there is nothing to finalize: answer the exit handler.
fn finalize_without_mpi(inbox: &mpsc::Receiver<Command>) {
    for command in inbox {
        if let Command::Finalize { ack } = command {
            let _ = ack.send(());
            return;
        }
    }
}

/// Greets every worker rank; the worker ranks on success. Every rank gets an
/// answer either way (a refused rank waits for `Exit`).
fn handshake(t: &mut Transport) -> Result<Vec<i32>, Error> {
    let size = t.size();
    let own = Identity::of_this_process()
        .map_err(|e| Error::broken(format!("rank 0 cannot read /proc/self/exe: {e}")))?;
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    let mut problems = Vec::new();
    let mut answers = Vec::new();
    for rank in 1..size {
        let Some(bytes) = t.recv_from(rank, Some(deadline)) else {
            problems.push(format!(
                "rank {rank} sent no handshake within {HANDSHAKE_TIMEOUT:?}"
            ));
            continue;
        };
        let refusal = match protocol::unframe::<FromWorker>(&bytes) {
            Ok((FromWorker::Hello { version, .. }, _)) if version != PROTOCOL_VERSION => Some(
                format!("rank {rank} speaks protocol {version}, rank 0 speaks {PROTOCOL_VERSION}"),
            ),
            Ok((FromWorker::Hello { identity, .. }, _)) if identity != own => Some(format!(
                "rank {rank} runs another executable than rank 0 ({} bytes, hash {:#x} vs {} bytes, \
                 hash {:#x}): every rank must run the same binary",
                identity.size, identity.hash, own.size, own.hash
            )),
            Ok((FromWorker::Hello { .. }, _)) => None,
            Ok((other, _)) => Some(format!("rank {rank} sent {other:?} instead of a handshake")),
            Err(e) => Some(format!("rank {rank} sent an undecodable handshake: {e}")),
        };
        answers.push((rank, refusal));
    }
    for (rank, refusal) in &answers {
        let answer = match refusal {
            None => ToWorker::Welcome,
            Some(reason) => {
                problems.push(reason.clone());
                ToWorker::Refused {
                    reason: reason.clone(),
                }
            }
        };
        t.send(*rank, protocol::frame(&answer, &[]));
    }
    if !problems.is_empty() {
        return Err(Error::broken(format!(
            "concur-mpi: {}",
            problems.join("; ")
        )));
    }
    if size < 2 {
        return Err(Error::invalid_config(
            "concur-mpi: the MPI world has one rank, so no worker: start the program with \
             `mpirun -n N`, N >= 2 (rank 0 runs the program, ranks 1..N-1 are workers)",
        ));
    }
    Ok(answers.into_iter().map(|(rank, _)| rank).collect())
}
