//! The worker side: a re-executed copy of the pool's binary that, once it
//! became a worker (`hook.rs`: before `main`, or through `init`), connects
//! back to its pool and runs tasks until told to exit or its pool is gone.
//!
//! Two threads: a reader that drains the pool's channel into a local queue (so the
//! pool's sends never wait on a busy worker, and a closed channel — the pool
//! died — ends the process at once, even while a task runs), and the main thread
//! that runs tasks one at a time, in the order received, and reports `Done`.
//! The reader also answers the pool's `Ping` at once, so the pool can tell a
//! worker busy with a long task from one whose reader is gone. Outcomes go
//! through the outbox (`outbox.rs`): into the pool's result ring, announced
//! several at a time, or on the socket.

use std::collections::VecDeque;
use std::ops::Range;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::codec::{self, Body, CallRef, FromWorker, Hello, ToWorker};
use crate::handshake::{
    ENV_FD, ENV_PARENT, EXIT_ABORTED, EXIT_NOT_JOINED, PROTOCOL_VERSION, SELF_EXE, identity,
};
use crate::hook::inherited_fd;
use crate::outbox::{LATE_AFTER, Outbox, send};
use crate::shm::{Beacon, Region};
use crate::transport::{Channel, Inbox};
use crate::{sync, task};

/// The worker's life; exits the process. Reached only through
/// `hook::become_worker_if_started_as_one`, once per process.
pub(crate) fn worker_main() -> ! {
    let code = match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("concur-process worker {}: {message}", std::process::id());
            EXIT_NOT_JOINED
        }
    };
    std::process::exit(code)
}

enum Job {
    /// A task whose argument is `message[arg]`: a `Run` message's tail, or
    /// one record's of a `RunMany` (its tasks share the message).
    Run {
        id: u64,
        call: CallRef,
        message: Arc<Vec<u8>>,
        arg: Range<usize>,
        report_now: bool,
    },
    RunShared {
        id: u64,
        call: CallRef,
        region: Region,
        report_now: bool,
    },
    Exit,
}

impl Job {
    fn id(&self) -> Option<u64> {
        match self {
            Job::Run { id, .. } | Job::RunShared { id, .. } => Some(*id),
            Job::Exit => None,
        }
    }
}

/// The jobs received and not started, and the one running; one lock for both,
/// so that `Abort` sees each task either queued, running or done.
#[derive(Default)]
struct Jobs {
    queue: VecDeque<Job>,
    running: Option<u64>,
    /// The main thread waits on the condvar: only then does the reader
    /// notify it (a notify is a system call, whoever listens).
    waiting: bool,
}

type Queue = Arc<(Mutex<Jobs>, Condvar)>;

/// Takes the socket the pool handed over, once per process.
fn take_channel() -> Result<Channel, String> {
    static TAKEN: AtomicBool = AtomicBool::new(false);
    let fd = inherited_fd().ok_or_else(|| format!("{ENV_FD} names no socket"))?;
    if TAKEN.swap(true, Ordering::SeqCst) {
        return Err("the pool's socket was taken already".into());
    }
    // Not inherited by the processes a task starts.
    // SAFETY: fcntl with an integer argument on an open descriptor.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    // SAFETY: `fd` is open and a seqpacket socket (checked above): the end the
    // pool made this process inherit. Nothing else in the process owns it: no
    // code of this crate names it but this function, which runs once (`TAKEN`,
    // and only past `hook::BECAME_WORKER`), and code elsewhere could only have taken
    // it by its number with an `unsafe` claim of its own that it owns it.
    Ok(Channel::from_fd(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// The worker's life, step by step: the conventions of `main`, the tie to the
/// parent, the handshake, the reader, the initializer, then tasks until told
/// to exit. Returns the exit code; an error is a worker that could not join.
fn run() -> Result<i32, String> {
    adopt_main_conventions();
    die_with_parent()?;
    let Joined {
        chan,
        inbox,
        beacon,
        initializer,
        max_memory,
        shared_threshold,
        results_batch,
    } = join_pool()?;
    let outbox = Arc::new(Outbox::new(chan.clone(), beacon, results_batch));
    // The reader first: it answers the pool's pings while the initializer
    // runs, however long that takes.
    let queue = start_reader(&outbox, inbox)?;
    if let Some((init, arg)) = initializer {
        // SAFETY: the pool built `init` with `init_ref` and accepted this worker as
        // the same binary in the handshake.
        if let Err(error) = unsafe { task::invoke(init, &arg, usize::MAX) } {
            send(&chan, &FromWorker::InitFailed { error }, &[], None);
            return Ok(1);
        }
    }
    send(&chan, &FromWorker::Ready, &[], None);
    Ok(serve(&outbox, &queue, beacon, max_memory, shared_threshold))
}

/// What Rust's `main` would have set up and a worker relies on (the hook runs
/// before it): a write to a closed pipe is an `EPIPE` error, not the end of
/// the process; a stack overflow is reported as one, not as a bare `SIGSEGV`.
fn adopt_main_conventions() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    crate::overflow::install();
}

/// Dies with the parent: the kernel sends `SIGKILL` when the parent's spawning
/// thread ends; the check after it covers a parent that died before.
fn die_with_parent() -> Result<(), String> {
    let parent: i32 = std::env::var(ENV_PARENT)
        .ok()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("{ENV_PARENT} missing or invalid"))?;
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory of ours.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != parent {
        return Err("the pool's process is already gone".into());
    }
    Ok(())
}

/// A worker the pool welcomed, and what the pool told it.
struct Joined {
    chan: Arc<Channel>,
    inbox: Inbox,
    /// Where the worker records the task it starts.
    beacon: Option<&'static Beacon>,
    /// The initializer and its encoded argument.
    initializer: Option<(CallRef, Vec<u8>)>,
    /// Resident memory past which the worker retires.
    max_memory: Option<u64>,
    /// Results above this many bytes go through shared memory.
    shared_threshold: usize,
    /// Results that may stay unannounced while tasks are queued.
    results_batch: u64,
}

/// The worker's side of the handshake (see `handshake.rs`): takes the
/// inherited socket, says hello, reads the welcome.
fn join_pool() -> Result<Joined, String> {
    let chan = Arc::new(take_channel()?);
    let mut inbox = Inbox::accepting_plain_fds();
    let hello = Hello {
        version: PROTOCOL_VERSION,
        identity: identity().map_err(|e| format!("cannot read {SELF_EXE}: {e}"))?,
        pid: std::process::id(),
    };
    let hello = codec::encode_value(&hello).map_err(|e| e.to_string())?;
    chan.send(&hello, None)
        .map_err(|e| format!("cannot send the handshake: {e}"))?;

    let (welcome, fd) = inbox
        .recv(&chan)
        .map(|m| (m.bytes.into_owned(), m.fd))
        .map_err(|e| format!("no answer to the handshake: {e}"))?;
    let (header, tail) = codec::decode_frame::<ToWorker>(&welcome).map_err(|e| e.to_string())?;
    let beacon: Option<&'static Beacon> = match fd {
        // Kept for the life of the process: the overflow handler may write it
        // at any instant.
        Some(fd) => Some(Box::leak(Box::new(
            Beacon::from_pool(fd).map_err(|e| format!("the pool's beacon: {e}"))?,
        ))),
        None => None,
    };
    if let Some(beacon) = beacon {
        crate::overflow::report_to(beacon.overflow_flag());
    }
    match header {
        ToWorker::Welcome {
            initializer,
            max_memory,
            shared_threshold,
            results_batch,
        } => Ok(Joined {
            chan,
            inbox,
            beacon,
            initializer: initializer.map(|init| (init, tail.to_vec())),
            max_memory,
            shared_threshold: usize::try_from(shared_threshold).unwrap_or(usize::MAX),
            results_batch,
        }),
        ToWorker::Refused { reason } => Err(format!("refused by the pool: {reason}")),
        other => Err(format!("unexpected first message {other:?}")),
    }
}

/// Starts the reader thread, which drains the pool's channel into the queue.
fn start_reader(outbox: &Arc<Outbox>, inbox: Inbox) -> Result<Queue, String> {
    let queue: Queue = Arc::new((Mutex::new(Jobs::default()), Condvar::new()));
    let reader_queue = queue.clone();
    let reader_outbox = outbox.clone();
    std::thread::Builder::new()
        .name("concur-worker-reader".into())
        .spawn(move || read_loop(&reader_outbox, inbox, &reader_queue))
        .map_err(|e| e.to_string())?;
    Ok(queue)
}

/// Runs tasks in the order received until told to exit (or, past
/// `max_memory`, until it announces it retires); returns the exit code.
fn serve(
    outbox: &Outbox,
    queue: &Queue,
    beacon: Option<&Beacon>,
    max_memory: Option<u64>,
    shared_threshold: usize,
) -> i32 {
    let mut frame = Vec::new();
    loop {
        let job = next_job(queue, beacon, outbox);
        let (task, outcome) = match &job {
            Job::Exit => return 0,
            Job::Run {
                id,
                call,
                message,
                arg,
                report_now,
            } => {
                // SAFETY: built by `call_ref`/`chunk_ref` in the pool, which
                // checked in the handshake that this worker runs the same binary.
                ((*id, *report_now), unsafe {
                    task::invoke(*call, &message[arg.clone()], shared_threshold)
                })
            }
            Job::RunShared {
                id,
                call,
                region,
                report_now,
            } => {
                // SAFETY: as above.
                ((*id, *report_now), unsafe {
                    task::invoke(*call, region, shared_threshold)
                })
            }
        };
        drop(job);
        // From here on an `Abort` of this task finds it done.
        sync::lock(&queue.0).running = None;
        outbox.report(task, outcome, &mut frame);
        if let Some(limit) = max_memory {
            let rss = resident_memory();
            if rss > limit {
                send(outbox.chan(), &FromWorker::Retire { rss }, &[], None);
                return 0;
            }
        }
    }
}

/// Waits for the next job and marks it running, in the queue (for `Abort`)
/// and in the beacon (for the pool, should this worker die now). Before it
/// waits, it announces the results the outbox holds.
fn next_job(queue: &Queue, beacon: Option<&Beacon>, outbox: &Outbox) -> Job {
    let (lock, cv) = &**queue;
    let mut q = sync::lock(lock);
    loop {
        if let Some(job) = q.queue.pop_front() {
            q.running = job.id();
            if let (Some(id), Some(beacon)) = (q.running, beacon) {
                beacon.started(id);
            }
            return job;
        }
        if outbox.pending() {
            drop(q);
            outbox.flush();
            q = sync::lock(lock);
            continue;
        }
        q.waiting = true;
        q = sync::wait(cv, q);
        q.waiting = false;
    }
}

/// The pool's end of the channel closed: the pool is gone, and so is this worker.
pub(crate) fn pool_gone() -> ! {
    exit_now(0)
}

/// Ends the worker process at once with `code`: no destructor, no `atexit`
/// handler, no flush, no other thread runs again. The one way a worker ends
/// itself abruptly, used when its pool is gone and to abort its running task.
fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` takes an exit code and never returns; it touches no
    // memory of this process. Skipping the orderly shutdown is sound (nothing
    // of Rust's relies on it) and wanted: the pool is gone, or it is waiting
    // for this process to end and will settle what it sent.
    unsafe { libc::_exit(code) }
}

/// True once the channel has a message to read; false if `LATE_AFTER`
/// passed first.
fn readable_soon(chan: &Channel) -> bool {
    let mut fd = libc::pollfd {
        fd: chan.raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = LATE_AFTER.as_millis() as libc::c_int;
    // SAFETY: poll reads and writes the one pollfd it is given.
    let n = unsafe { libc::poll(&mut fd, 1, ms) };
    // An error (EINTR) counts as readable: the receive that follows decides.
    n != 0
}

/// The reader: drains the pool's channel into the queue, answers pings and
/// revokes; from the moment it queues tasks until [`LATE_AFTER`] passes with
/// no message and nothing pending, it watches the ring and rings the doorbell
/// for results left unannounced that long (see `outbox.rs`).
fn read_loop(outbox: &Outbox, mut inbox: Inbox, queue: &Queue) {
    let (lock, cv) = &**queue;
    let chan = outbox.chan();
    let mut jobs = Vec::new();
    let mut watching = false;
    loop {
        if watching && !readable_soon(chan) {
            // Quiet for `LATE_AFTER`: announce what is pending, or stop
            // watching (the main thread then announces at once).
            if outbox.pending() {
                outbox.flush();
            } else {
                watching = !outbox.unwatch();
            }
            continue;
        }
        let Ok(msg) = inbox.recv(chan) else {
            pool_gone()
        };
        let Ok((header, tail)) = codec::decode_frame::<ToWorker>(&msg.bytes) else {
            undecodable()
        };
        let tail_at = msg.bytes.len() - tail.len();
        match header {
            ToWorker::Run {
                id,
                call,
                body: Body::Inline,
                report_now,
            } => {
                let end = msg.bytes.len();
                jobs.push(Job::Run {
                    id,
                    call,
                    message: Arc::new(msg.bytes.into_owned()),
                    arg: tail_at..end,
                    report_now,
                });
            }
            ToWorker::Run {
                id,
                call,
                body: Body::Shared,
                report_now,
            } => {
                let Some(region) = msg.region else {
                    pool_gone()
                };
                jobs.push(Job::RunShared {
                    id,
                    call,
                    region,
                    report_now,
                });
            }
            ToWorker::RunMany => {
                let message = Arc::new(msg.bytes.into_owned());
                unbatch(&message, tail_at, &mut jobs);
            }
            ToWorker::Revoke { id } | ToWorker::Abort { id } => {
                let mut q = sync::lock(lock);
                if matches!(header, ToWorker::Abort { .. }) && q.running == Some(id) {
                    // The task to abort is running: end the process, lock held,
                    // so the main thread can neither report it nor start
                    // another one. The pool fails it with `Cancelled`.
                    exit_now(EXIT_ABORTED)
                }
                let ok = match q.queue.iter().position(|job| job.id() == Some(id)) {
                    Some(pos) => q.queue.remove(pos).is_some(),
                    None => false,
                };
                drop(q);
                send(chan, &FromWorker::Revoked { id, ok }, &[], None);
                continue;
            }
            ToWorker::Ping { seq } => {
                send(chan, &FromWorker::Pong { seq }, &[], None);
                continue;
            }
            ToWorker::Exit => jobs.push(Job::Exit),
            ToWorker::Welcome { .. } | ToWorker::Refused { .. } => continue,
        }
        // The tasks of a batch are queued together: one lock, at most one
        // wake-up.
        // Watching before the main thread can take the tasks.
        outbox.watch();
        watching = true;
        let mut q = sync::lock(lock);
        q.queue.extend(jobs.drain(..));
        let waiting = q.waiting;
        drop(q);
        if waiting {
            cv.notify_one();
        }
    }
}

/// The tasks of a `RunMany` message whose records start at `at`, in order.
fn unbatch(message: &Arc<Vec<u8>>, at: usize, jobs: &mut Vec<Job>) {
    for record in codec::batch::records(&message[at..]) {
        let Ok(record) = record else { undecodable() };
        let Ok((
            ToWorker::Run {
                id,
                call,
                body: Body::Inline,
                report_now,
            },
            tail,
        )) = codec::decode_frame::<ToWorker>(record)
        else {
            undecodable()
        };
        // Where the record's argument lies in the message.
        let end = record.as_ptr() as usize + record.len() - message.as_ptr() as usize;
        jobs.push(Job::Run {
            id,
            call,
            message: message.clone(),
            arg: end - tail.len()..end,
            report_now,
        });
    }
}

/// The pool sent what this worker cannot read: a pool of another build (the
/// handshake makes that unlikely) or a broken one. Nothing run since is at risk.
fn undecodable() -> ! {
    eprintln!(
        "concur-process worker {}: undecodable frame from the pool",
        std::process::id()
    );
    pool_gone()
}

/// This process's resident set size in bytes.
pub(crate) fn resident_memory() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
}
