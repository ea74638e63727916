//! The worker side: a re-executed copy of the pool's binary, intercepted before
//! `main` by a `ctor` hook (or by [`init`]), that connects back to its pool and
//! runs tasks until told to exit or its pool is gone.
//!
//! Two threads: a reader that drains the pool's channel into a local queue (so the
//! pool's sends never wait on a busy worker, and a closed channel — the pool
//! died — ends the process at once, even while a task runs), and the main thread
//! that runs tasks one at a time, in the order received, and reports `Done`.
//! The reader also answers the pool's `Ping` at once, so the pool can tell a
//! worker busy with a long task from one whose reader is gone.

use std::collections::VecDeque;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::codec::{self, Body, CallRef, Encoded, FromWorker, Hello, ToWorker};
use crate::handshake::{
    ENV_FD, ENV_PARENT, EXIT_ABORTED, EXIT_NOT_JOINED, PROTOCOL_VERSION, SELF_EXE, identity,
};
use crate::shm::{Beacon, Region};
use crate::task;
use crate::transport::{Channel, Inbox};

/// The pre-main hook: in a process started as a pool's worker, become the
/// worker and never return to `main` (nor to a test harness's main).
///
/// Running before `main` is sound here because the hook uses nothing that
/// needs `main`'s runtime setup: it reads the environment (initialised by the
/// loader before any constructor), makes system calls, starts one thread and
/// ends the process with `exit`. The runtime setup `main` would have done that
/// a worker relies on (ignoring `SIGPIPE`) is done by [`run`] itself. In any
/// other process the hook reads two environment variables and returns.
#[ctor::ctor(unsafe)]
fn intercept() {
    if is_worker_process() {
        worker_main();
    }
}

/// Keeps the pre-main hook linked: the pool calls this when it spawns workers,
/// so the object holding [`intercept`] (and its `.init_array` entry) is part of
/// every binary that can start a pool.
pub(crate) fn keep_hook() {
    std::hint::black_box(intercept as fn());
}

/// True in a process started as a pool's worker: the environment names a
/// descriptor, and that descriptor is an open seqpacket socket. A process a
/// task starts inherits the environment but not the descriptor (the worker
/// makes it close-on-exec), so it is not taken for a worker; a worker whose
/// pool died before it got here is one, and exits at once (see [`run`]).
pub(crate) fn is_worker_process() -> bool {
    inherited_fd().is_some()
}

/// The descriptor named by the environment, if it is an open seqpacket socket.
fn inherited_fd() -> Option<RawFd> {
    let fd: RawFd = std::env::var(ENV_FD).ok()?.parse().ok()?;
    let mut ty: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `ty`; on a descriptor
    // that is not open or not a socket it fails and touches nothing.
    let ok = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut ty as *mut libc::c_int).cast(),
            &mut len,
        )
    } == 0;
    (ok && ty == libc::SOCK_SEQPACKET).then_some(fd)
}

/// Becomes a worker if this process was started as one; returns at once
/// otherwise.
///
/// Workers are normally intercepted before `main` by a pre-main hook that this
/// crate installs, so calling `init` is not needed. It is the documented fallback
/// for platforms or link setups where the hook does not run: call it first thing
/// in `main`. It is safe to call anywhere, any number of times: in a process that
/// is not a worker it reads two environment variables and returns; in a worker
/// it never returns.
///
/// ```
/// // First thing in `main`: returns at once in the parent.
/// concur_process::init();
/// // ... build pools, submit tasks ...
/// ```
pub fn init() {
    if is_worker_process() {
        worker_main();
    }
}

/// The worker's life; exits the process.
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
    Run {
        id: u64,
        call: CallRef,
        frame: Vec<u8>,
        tail_at: usize,
    },
    RunShared {
        id: u64,
        call: CallRef,
        region: Region,
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
    // code of this crate names it but this function, which runs once (`TAKEN`).
    Ok(Channel::from_fd(unsafe { OwnedFd::from_raw_fd(fd) }))
}

fn run() -> Result<i32, String> {
    let parent: i32 = std::env::var(ENV_PARENT)
        .ok()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("{ENV_PARENT} missing or invalid"))?;
    // As Rust's `main` would have it: a write to a closed pipe is an `EPIPE`
    // error, not the end of the process.
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    // And a stack overflow is reported as one, not as a bare SIGSEGV.
    crate::overflow::install();
    // Die with the parent: the kernel sends SIGKILL when the parent's spawning
    // thread ends; the check after it covers a parent that died before.
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory of ours.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != parent {
        return Err("the pool's process is already gone".into());
    }
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

    let welcome = inbox
        .recv(&chan)
        .map_err(|e| format!("no answer to the handshake: {e}"))?;
    let (header, tail) =
        codec::decode_frame::<ToWorker>(&welcome.bytes).map_err(|e| e.to_string())?;
    let beacon = match welcome.fd {
        Some(fd) => Some(Beacon::from_pool(fd).map_err(|e| format!("the pool's beacon: {e}"))?),
        None => None,
    };
    let (initializer, max_memory, shared_threshold) = match header {
        ToWorker::Welcome {
            initializer,
            max_memory,
            shared_threshold,
        } => (
            initializer,
            max_memory,
            usize::try_from(shared_threshold).unwrap_or(usize::MAX),
        ),
        ToWorker::Refused { reason } => return Err(format!("refused by the pool: {reason}")),
        other => return Err(format!("unexpected first message {other:?}")),
    };
    // The reader first: it answers the pool's pings while the initializer
    // runs, however long that takes.
    let queue: Queue = Arc::new((Mutex::new(Jobs::default()), Condvar::new()));
    let reader_queue = queue.clone();
    let reader_chan = chan.clone();
    std::thread::Builder::new()
        .name("concur-worker-reader".into())
        .spawn(move || read_loop(&reader_chan, inbox, &reader_queue))
        .map_err(|e| e.to_string())?;

    if let Some(init) = initializer {
        // SAFETY: the pool built `init` with `init_ref` and accepted this worker as
        // the same binary in the handshake.
        if let Err(error) = unsafe { task::invoke(init, tail, usize::MAX) } {
            send(&chan, &FromWorker::InitFailed { error }, &[], None);
            return Ok(1);
        }
    }
    send(&chan, &FromWorker::Ready, &[], None);

    loop {
        let job = {
            let (lock, cv) = &*queue;
            let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(job) = q.queue.pop_front() {
                    q.running = job.id();
                    if let (Some(id), Some(beacon)) = (q.running, &beacon) {
                        beacon.started(id);
                    }
                    break job;
                }
                q = cv.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        let (id, outcome) = match &job {
            Job::Exit => return Ok(0),
            Job::Run {
                id,
                call,
                frame,
                tail_at,
            } => {
                // SAFETY: as for the initializer: built by `call_ref`/`chunk_ref`
                // in the pool, which checked this worker runs the same binary.
                (*id, unsafe {
                    task::invoke(*call, &frame[*tail_at..], shared_threshold)
                })
            }
            Job::RunShared { id, call, region } => {
                // SAFETY: as above.
                (*id, unsafe {
                    task::invoke(*call, region, shared_threshold)
                })
            }
        };
        drop(job);
        // From here on an `Abort` of this task finds it done.
        queue.0.lock().unwrap_or_else(|e| e.into_inner()).running = None;
        match outcome {
            Ok(Encoded::Shared(region)) => send(
                &chan,
                &FromWorker::Done {
                    id,
                    outcome: Ok(Body::Shared),
                },
                &[],
                Some(&region),
            ),
            Ok(Encoded::Inline(bytes)) => send(
                &chan,
                &FromWorker::Done {
                    id,
                    outcome: Ok(Body::Inline),
                },
                &bytes,
                None,
            ),
            Err(error) => send(
                &chan,
                &FromWorker::Done {
                    id,
                    outcome: Err(error),
                },
                &[],
                None,
            ),
        }
        if let Some(limit) = max_memory {
            let rss = resident_memory();
            if rss > limit {
                send(&chan, &FromWorker::Retire { rss }, &[], None);
                return Ok(0);
            }
        }
    }
}

fn send(chan: &Channel, msg: &FromWorker, tail: &[u8], region: Option<&Region>) {
    let frame = codec::encode_frame(msg, tail);
    if chan.send(&frame, region).is_err() {
        pool_gone();
    }
}

/// The pool's end of the channel closed: the pool is gone, and so is this worker.
fn pool_gone() -> ! {
    // SAFETY: `_exit` ends the process without running anything else; nothing in
    // this process needs an orderly shutdown once its pool is gone.
    unsafe { libc::_exit(0) }
}

fn read_loop(chan: &Channel, mut inbox: Inbox, queue: &Queue) {
    let (lock, cv) = &**queue;
    loop {
        let Ok(msg) = inbox.recv(chan) else {
            pool_gone()
        };
        let Ok((header, tail)) = codec::decode_frame::<ToWorker>(&msg.bytes) else {
            eprintln!(
                "concur-process worker {}: undecodable frame from the pool",
                std::process::id()
            );
            pool_gone();
        };
        let tail_at = msg.bytes.len() - tail.len();
        let job = match header {
            ToWorker::Run {
                id,
                call,
                body: Body::Inline,
            } => Job::Run {
                id,
                call,
                frame: msg.bytes,
                tail_at,
            },
            ToWorker::Run {
                id,
                call,
                body: Body::Shared,
            } => {
                let Some(region) = msg.region else {
                    pool_gone()
                };
                Job::RunShared { id, call, region }
            }
            ToWorker::Revoke { id } | ToWorker::Abort { id } => {
                let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
                if matches!(header, ToWorker::Abort { .. }) && q.running == Some(id) {
                    // The task to abort is running: end the process, lock held,
                    // so the main thread can neither report it nor start
                    // another one. The pool fails it with `Cancelled`.
                    // SAFETY: `_exit` ends the process at once; nothing needs
                    // an orderly shutdown, the pool settles what it sent.
                    unsafe { libc::_exit(EXIT_ABORTED) }
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
            ToWorker::Exit => Job::Exit,
            ToWorker::Welcome { .. } | ToWorker::Refused { .. } => continue,
        };
        lock.lock()
            .unwrap_or_else(|e| e.into_inner())
            .queue
            .push_back(job);
        cv.notify_one();
    }
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
