//! The worker side: a re-executed copy of the pool's binary, intercepted before
//! `main` by a `ctor` hook (or by [`init`]), that connects back to its pool and
//! runs tasks until told to exit or its pool is gone.
//!
//! Two threads: a reader that drains the pool's channel into a local queue (so the
//! pool's sends never wait on a busy worker, and a closed channel — the pool
//! died — ends the process at once, even while a task runs), and the main thread
//! that runs tasks one at a time, in the order received, and reports `Done`.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};

use ipc_channel::ipc::{self, IpcBytesSender, IpcSender, IpcSharedMemory};

use crate::codec::{self, Body, Bootstrap, CallRef, Encoded, FromWorker, Hello, ToWorker};
use crate::spawn::{ENV_PARENT, ENV_SERVER, ENV_TOKEN, identity};
use crate::task;

/// Exit code of a worker that could not join its pool (refused, no pool).
const EXIT_NOT_JOINED: i32 = 70;

/// The pre-main hook: in a process started as a pool's worker, become the
/// worker and never return to `main` (nor to a test harness's main).
#[ctor::ctor(unsafe)]
fn intercept() {
    if std::env::var_os(ENV_SERVER).is_some() {
        worker_main();
    }
}

/// Keeps the pre-main hook linked: the pool calls this when it spawns workers,
/// so the object holding [`intercept`] (and its `.init_array` entry) is part of
/// every binary that can start a pool.
pub(crate) fn keep_hook() {
    std::hint::black_box(intercept as fn());
}

/// True in a process started as a worker whose pre-main hook has not taken over
/// (yet).
pub(crate) fn is_worker_process() -> bool {
    std::env::var_os(ENV_SERVER).is_some()
}

/// Becomes a worker if this process was started as one; returns at once
/// otherwise.
///
/// Workers are normally intercepted before `main` by a pre-main hook that this
/// crate installs, so calling `init` is not needed. It is the documented fallback
/// for platforms or link setups where the hook does not run: call it first thing
/// in `main`, before any thread is started.
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
        shm: IpcSharedMemory,
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

type Queue = Arc<(Mutex<VecDeque<Job>>, Condvar)>;

/// The channel to the pool, shared by the main thread (results) and the reader
/// (answers to `Revoke`), one whole message at a time.
type Outbox = Arc<Mutex<IpcBytesSender>>;

fn run() -> Result<i32, String> {
    let server = std::env::var(ENV_SERVER).map_err(|e| format!("{ENV_SERVER}: {e}"))?;
    let token = std::env::var(ENV_TOKEN).map_err(|e| format!("{ENV_TOKEN}: {e}"))?;
    let parent: i32 = std::env::var(ENV_PARENT)
        .ok()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("{ENV_PARENT} missing or invalid"))?;
    for var in [ENV_SERVER, ENV_TOKEN, ENV_PARENT] {
        // SAFETY: this runs before `main` (from the pre-main hook) or, through
        // `init`, at the top of `main` before the program starts threads, so no
        // other thread reads or writes the environment concurrently.
        unsafe { std::env::remove_var(var) };
    }
    // Die with the parent: the kernel sends SIGKILL when the parent's spawning
    // thread ends; the check after it covers a parent that died before.
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory of ours.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != parent {
        return Err("the pool's process is already gone".into());
    }

    let (to_worker, inbox) = ipc::bytes_channel().map_err(|e| e.to_string())?;
    let (outbox, from_worker) = ipc::bytes_channel().map_err(|e| e.to_string())?;
    let (shm_to_worker, shm_inbox) =
        ipc::channel::<IpcSharedMemory>().map_err(|e| e.to_string())?;
    let (shm_outbox, shm_from_worker) =
        ipc::channel::<IpcSharedMemory>().map_err(|e| e.to_string())?;
    let hello = Hello {
        version: codec::PROTOCOL_VERSION,
        token,
        identity: identity().map_err(|e| format!("cannot read /proc/self/exe: {e}"))?,
        pid: std::process::id(),
    };
    let bootstrap = Bootstrap {
        hello: codec::encode_value(&hello).map_err(|e| e.to_string())?,
        to_worker,
        from_worker,
        shm_to_worker,
        shm_from_worker,
    };
    IpcSender::<Bootstrap>::connect(server)
        .map_err(|e| format!("cannot connect to the pool: {e}"))?
        .send(bootstrap)
        .map_err(|e| format!("cannot send the handshake: {e}"))?;

    let welcome = inbox
        .recv()
        .map_err(|e| format!("no answer to the handshake: {e:?}"))?;
    let (header, tail) = codec::decode_frame::<ToWorker>(&welcome).map_err(|e| e.to_string())?;
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
    let outbox: Outbox = Arc::new(Mutex::new(outbox));
    if let Some(init) = initializer {
        // SAFETY: the pool built `init` with `init_ref` and accepted this worker as
        // the same binary in the handshake.
        if let Err(error) = unsafe { task::invoke(init, tail, usize::MAX) } {
            send(&outbox, &FromWorker::InitFailed { error }, &[]);
            return Ok(1);
        }
    }

    let queue: Queue = Arc::new((Mutex::new(VecDeque::new()), Condvar::new()));
    let reader_queue = queue.clone();
    let reader_outbox = outbox.clone();
    std::thread::Builder::new()
        .name("concur-worker-reader".into())
        .spawn(move || read_loop(&inbox, &shm_inbox, &reader_queue, &reader_outbox))
        .map_err(|e| e.to_string())?;

    loop {
        let job = {
            let (lock, cv) = &*queue;
            let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(job) = q.pop_front() {
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
            Job::RunShared { id, call, shm } => {
                // SAFETY: as above.
                (*id, unsafe { task::invoke(*call, shm, shared_threshold) })
            }
        };
        drop(job);
        match outcome {
            Ok(Encoded::Shared(region)) => {
                if shm_outbox.send(region).is_err() {
                    pool_gone();
                }
                send(
                    &outbox,
                    &FromWorker::Done {
                        id,
                        outcome: Ok(Body::Shared),
                    },
                    &[],
                );
            }
            Ok(Encoded::Inline(bytes)) => send(
                &outbox,
                &FromWorker::Done {
                    id,
                    outcome: Ok(Body::Inline),
                },
                &bytes,
            ),
            Err(error) => send(
                &outbox,
                &FromWorker::Done {
                    id,
                    outcome: Err(error),
                },
                &[],
            ),
        }
        if let Some(limit) = max_memory {
            let rss = resident_memory();
            if rss > limit {
                send(&outbox, &FromWorker::Retire { rss }, &[]);
                return Ok(0);
            }
        }
    }
}

fn send(outbox: &Outbox, msg: &FromWorker, tail: &[u8]) {
    let frame = codec::encode_frame(msg, tail);
    if outbox
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(&frame)
        .is_err()
    {
        pool_gone();
    }
}

/// The pool's end of a channel closed: the pool is gone, and so is this worker.
fn pool_gone() -> ! {
    // SAFETY: `_exit` ends the process without running anything else; nothing in
    // this process needs an orderly shutdown once its pool is gone.
    unsafe { libc::_exit(0) }
}

fn read_loop(
    inbox: &ipc::IpcBytesReceiver,
    shm_inbox: &ipc::IpcReceiver<IpcSharedMemory>,
    queue: &Queue,
    outbox: &Outbox,
) {
    let (lock, cv) = &**queue;
    loop {
        let Ok(frame) = inbox.recv() else { pool_gone() };
        let Ok((header, tail)) = codec::decode_frame::<ToWorker>(&frame) else {
            eprintln!(
                "concur-process worker {}: undecodable frame from the pool",
                std::process::id()
            );
            pool_gone();
        };
        let tail_at = frame.len() - tail.len();
        let job = match header {
            ToWorker::Run {
                id,
                call,
                body: Body::Inline,
            } => Job::Run {
                id,
                call,
                frame,
                tail_at,
            },
            ToWorker::Run {
                id,
                call,
                body: Body::Shared,
            } => {
                let Ok(shm) = shm_inbox.recv() else {
                    pool_gone()
                };
                Job::RunShared { id, call, shm }
            }
            ToWorker::Revoke { id } => {
                let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
                let ok = match q.iter().position(|job| job.id() == Some(id)) {
                    Some(pos) => q.remove(pos).is_some(),
                    None => false,
                };
                drop(q);
                send(outbox, &FromWorker::Revoked { id, ok }, &[]);
                continue;
            }
            ToWorker::Exit => Job::Exit,
            ToWorker::Welcome { .. } | ToWorker::Refused { .. } => continue,
        };
        lock.lock()
            .unwrap_or_else(|e| e.into_inner())
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
