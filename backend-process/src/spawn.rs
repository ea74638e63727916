//! Starting one worker: re-execute this binary with one end of a fresh socket
//! pair, and check its handshake.
//!
//! # Who can join a pool
//!
//! The worker inherits its end of a `SOCK_SEQPACKET` socket pair across `exec`
//! (see [`crate::transport`]); the pair has no name, so no other process can
//! connect to it, and there is nothing on disk to find, race or leave behind. The
//! environment carries no secret: the number of the inherited descriptor and the
//! pool's pid, which a process of the same user reading `/proc` learns but cannot
//! use (a socket cannot be opened through `/proc/PID/fd`). The worker's hello is
//! received with `SO_PASSCRED`, and the pid the kernel vouches for must be the
//! child just spawned; the hello must carry the protocol version and the
//! identity of this very binary, or the pool refuses it and kills its child.
//!
//! # Threat model
//!
//! Other users cannot reach a pool (its sockets have no name; its workers run as
//! the pool's user). A process of the same user that can read `/proc` but cannot
//! ptrace the pool or its workers (Yama `ptrace_scope` ≥ 1, a sandbox) gains
//! nothing: no name, no secret, no descriptor. A process that can ptrace the
//! pool can read and write its memory and is out of scope.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use concur_core::{Error, ExitStatus};

use crate::codec::{self, CallRef, Hello, Identity, ToWorker};
use crate::handshake::{
    CONNECT_TIMEOUT, ENV_FD, ENV_PARENT, PROTOCOL_VERSION, SELF_EXE, SEND_TIMEOUT, identity,
};
use crate::shm::Beacon;
use crate::transport::{Channel, Inbox, RecvError};

/// What every worker of a pool is started with.
#[derive(Debug, Clone)]
pub(crate) struct SpawnConfig {
    /// The executable to run; `/proc/self/exe` unless overridden.
    pub(crate) program: PathBuf,
    /// The initializer and its encoded argument.
    pub(crate) initializer: Option<(CallRef, Vec<u8>)>,
    /// Resident memory above which a worker retires after its task.
    pub(crate) max_memory: Option<u64>,
    /// Payloads above this many bytes go through shared memory.
    pub(crate) shared_threshold: usize,
    /// Results the worker may leave unannounced in its ring while it has
    /// tasks queued: half the window, when the pool refills it.
    pub(crate) results_batch: u64,
}

/// A connected, welcomed worker.
#[derive(Debug)]
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) pid: u32,
    pub(crate) chan: Arc<Channel>,
    pub(crate) inbox: Inbox,
    /// Which task the worker last started.
    pub(crate) beacon: Beacon,
}

/// A spawn attempt that failed.
#[derive(Debug)]
pub(crate) struct SpawnFailure {
    /// What was seen, as the error the pool reports if it gives up.
    pub(crate) error: Error,
    /// False when the child was killed from outside (`SIGKILL`) before it could
    /// join: that says nothing about whether workers can start, so it does not
    /// count towards giving up.
    pub(crate) counts: bool,
}

fn own_identity() -> Result<&'static Identity, Error> {
    static ID: OnceLock<Result<Identity, String>> = OnceLock::new();
    ID.get_or_init(|| identity().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::broken(format!("cannot read {SELF_EXE}: {e}")))
}

pub(crate) fn exit_status(status: std::process::ExitStatus) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitStatus::Code(code),
        (None, Some(sig)) => ExitStatus::Signal(sig),
        _ => ExitStatus::Unknown,
    }
}

/// Waits for `child`, which closed its channel, to exit; kills it if it is
/// still running after `grace` (it closed its end and went on: it is done
/// with the pool either way).
pub(crate) fn reap(child: &mut Child, grace: Duration) -> ExitStatus {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or
    // -1; the pid is our unreaped child, so it names no other process.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id(), 0) };
    if let Ok(raw) = i32::try_from(pidfd)
        && raw >= 0
    {
        // SAFETY: a descriptor just returned by pidfd_open, owned by nobody else.
        let pidfd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut pfd = libc::pollfd {
            fd: pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(grace.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: poll reads and writes the one pollfd it is given.
        if unsafe { libc::poll(&mut pfd, 1, ms) } == 0 {
            let _ = child.kill();
        }
    } else {
        // No pidfd (kernel before 5.3): the worker is told to die.
        let _ = child.kill();
    }
    child.wait().map(exit_status).unwrap_or(ExitStatus::Unknown)
}

fn failed(mut child: Child, pid: u32, seen: String) -> SpawnFailure {
    let _ = child.kill();
    let status = child.wait().map(exit_status).unwrap_or(ExitStatus::Unknown);
    SpawnFailure {
        error: Error::broken(format!("worker {pid} {seen} ({status})")),
        counts: true,
    }
}

/// Starts one worker and completes its handshake.
///
/// # Errors
///
/// A [`SpawnFailure`] naming what was seen: the spawn failed, the child exited
/// before its handshake (its binary does not link this crate's hook and does not
/// call `init`, or it was killed), or it was refused.
pub(crate) fn spawn_worker(config: &SpawnConfig) -> Result<Spawned, SpawnFailure> {
    crate::hook::keep_hook();
    let broken = |error: Error| SpawnFailure {
        error,
        counts: true,
    };
    let identity = own_identity().map_err(broken)?;
    let io_broken = |what: &str, e: io::Error| broken(Error::broken(format!("{what}: {e}")));
    let (chan, theirs) =
        Channel::pair().map_err(|e| io_broken("cannot create a socket pair", e))?;
    chan.pass_credentials(true)
        .and_then(|()| chan.set_recv_timeout(Some(CONNECT_TIMEOUT)))
        .map_err(|e| io_broken("cannot configure the worker socket", e))?;
    let fd = theirs.raw_fd();
    let mut command = Command::new(&config.program);
    command
        .env(ENV_FD, fd.to_string())
        .env(ENV_PARENT, std::process::id().to_string())
        .stdin(Stdio::null())
        // A group of its own: a Ctrl-C at the terminal reaches the parent only,
        // which decides what to cancel; running tasks finish (the parent's death
        // still ends every worker, through PR_SET_PDEATHSIG and the channel).
        .process_group(0);
    // SAFETY: the closure runs in the forked child before exec and only calls
    // fcntl, which is async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            // The one descriptor the worker inherits: clear its close-on-exec
            // flag in this child only (every other child closes it at exec).
            if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(|e| {
        broken(Error::broken(format!(
            "cannot start a worker ({}): {e}",
            config.program.display()
        )))
    })?;
    drop(theirs);
    let pid = child.id();

    let mut inbox = Inbox::default();
    let hello = match inbox.recv(&chan) {
        Ok(msg) => msg,
        Err(RecvError::Closed) => {
            let mut child = child;
            let status = reap(&mut child, Duration::from_secs(1));
            let hint = if matches!(status, ExitStatus::Code(_)) {
                "; a worker is this binary re-executed and is intercepted before main by \
                 concur-process's pre-main hook: if the hook cannot run here, call \
                 concur_process::init() first thing in main"
            } else {
                ""
            };
            return Err(SpawnFailure {
                error: Error::broken(format!(
                    "worker {pid} did not connect: it exited before its handshake ({status}){hint}"
                )),
                counts: status != ExitStatus::Signal(libc::SIGKILL),
            });
        }
        Err(RecvError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
            return Err(failed(
                child,
                pid,
                format!("did not connect within {CONNECT_TIMEOUT:?}"),
            ));
        }
        Err(e) => return Err(failed(child, pid, format!("failed the handshake: {e}"))),
    };

    let refuse = |child: Child, reason: String| -> SpawnFailure {
        let _ = chan.send(
            &codec::encode_frame(
                &ToWorker::Refused {
                    reason: reason.clone(),
                },
                &[],
            ),
            None,
        );
        failed(child, pid, format!("refused: {reason}"))
    };
    if hello.sender_pid != Some(pid as i32) {
        let reason = format!(
            "the kernel says the hello came from process {:?}, not the spawned worker {pid}",
            hello.sender_pid
        );
        return Err(refuse(child, reason));
    }
    if hello.region.is_some() {
        return Err(refuse(child, "a hello with a shared-memory region".into()));
    }
    match codec::peek_version(&hello.bytes) {
        Some(PROTOCOL_VERSION) => {}
        other => {
            let reason =
                format!("protocol version {other:?}, this pool speaks version {PROTOCOL_VERSION}");
            return Err(refuse(child, reason));
        }
    }
    let hello: Hello = match codec::decode_value(&hello.bytes) {
        Ok(hello) => hello,
        Err(e) => return Err(refuse(child, format!("bad handshake: {e}"))),
    };
    if hello.pid != pid {
        let reason = format!("the peer says it is process {}, not {pid}", hello.pid);
        return Err(refuse(child, reason));
    }
    if &hello.identity != identity {
        let reason = format!(
            "the worker runs a different build of the binary ({:?}, expected {:?})",
            hello.identity, identity
        );
        return Err(refuse(child, reason));
    }
    if let Err(e) = chan
        .pass_credentials(false)
        .and_then(|()| chan.set_recv_timeout(None))
        .and_then(|()| chan.set_send_timeout(Some(SEND_TIMEOUT)))
    {
        return Err(failed(child, pid, format!("socket setup failed: {e}")));
    }

    let (initializer, init_arg) = match &config.initializer {
        Some((call, arg)) => (Some(*call), arg.as_slice()),
        None => (None, &[][..]),
    };
    let welcome = ToWorker::Welcome {
        initializer,
        max_memory: config.max_memory,
        shared_threshold: config.shared_threshold as u64,
        results_batch: config.results_batch,
    };
    let beacon = match Beacon::new() {
        Ok(b) => b,
        Err(e) => return Err(failed(child, pid, format!("cannot create its beacon: {e}"))),
    };
    if let Err(e) = chan.send_fd(&codec::encode_frame(&welcome, init_arg), beacon.fd()) {
        return Err(failed(
            child,
            pid,
            format!("hung up during the handshake: {e}"),
        ));
    }
    Ok(Spawned {
        child,
        pid,
        chan: Arc::new(chan),
        inbox,
        beacon,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SpawnConfig {
        SpawnConfig {
            program: SELF_EXE.into(),
            initializer: None,
            max_memory: None,
            shared_threshold: codec::SHARED_THRESHOLD,
            results_batch: 1,
        }
    }

    #[test]
    fn a_worker_joins_and_exits_on_request() {
        let mut w = spawn_worker(&config()).expect("spawn");
        w.chan
            .send(&codec::encode_frame(&ToWorker::Exit, &[]), None)
            .unwrap();
        let status = w.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }

    #[test]
    fn a_program_that_exits_before_its_handshake_counts() {
        let cfg = SpawnConfig {
            program: "/bin/sleep".into(),
            ..config()
        };
        // `sleep` with no argument exits at once with a usage error: it counts.
        let err = spawn_worker(&cfg).unwrap_err();
        assert!(err.counts, "{:?}", err.error);
        assert!(err.error.to_string().contains("init()"), "{}", err.error);
    }
}
