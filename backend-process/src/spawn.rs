//! Starting one worker: re-execute this binary, let it connect back through a
//! one-shot server, and check its handshake.
//!
//! # Who can join a pool
//!
//! ipc-channel's one-shot server on Linux is a `SOCK_SEQPACKET` unix socket bound
//! in a fresh temporary directory (created under the process umask, typically
//! `0755`); [`rendezvous`] restricts the directory to `0700` and the socket to
//! `0600`, so other users can neither reach nor connect to it. The name travels to the child only in its environment,
//! and the server accepts exactly one connection, after which the directory is
//! removed. A process of the same user that races the worker to that connection
//! gains nothing: the first message must carry the 128-bit random token handed to
//! the child (from `/dev/urandom`, never reused), the pid of the child that was
//! spawned, the protocol version and the identity of this very binary, or the pool
//! refuses it and kills its child. All later traffic flows over socket pairs
//! created by the worker and passed as file descriptors, never bound to a name.

use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use concur_core::Error;
use ipc_channel::ipc::{
    IpcBytesReceiver, IpcBytesSender, IpcOneShotServer, IpcReceiver, IpcSender, IpcSharedMemory,
};

use crate::codec::{self, Bootstrap, CallRef, Hello, Identity, ToWorker};
use crate::task;

/// The one-shot server's name, set only in a worker's environment.
pub(crate) const ENV_SERVER: &str = "CONCUR_PROCESS_SERVER";
/// The per-worker secret token.
pub(crate) const ENV_TOKEN: &str = "CONCUR_PROCESS_TOKEN";
/// The pool's pid, checked against `getppid()`.
pub(crate) const ENV_PARENT: &str = "CONCUR_PROCESS_PARENT";

/// How long a new worker has to connect and say hello.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

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
}

/// A connected, welcomed worker.
#[derive(Debug)]
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) pid: u32,
    pub(crate) to_worker: IpcBytesSender,
    pub(crate) from_worker: IpcBytesReceiver,
    pub(crate) shm_to_worker: IpcSender<IpcSharedMemory>,
    pub(crate) shm_from_worker: IpcReceiver<IpcSharedMemory>,
}

/// The identity of the running binary (see [`Identity`]).
pub(crate) fn identity() -> io::Result<Identity> {
    let meta = std::fs::metadata("/proc/self/exe")?;
    Ok(Identity {
        dev: meta.dev(),
        ino: meta.ino(),
        size: meta.size(),
        mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        probe: task::offset_of(crate::worker::worker_main as fn() -> ! as usize),
    })
}

fn own_identity() -> Result<&'static Identity, Error> {
    static ID: OnceLock<Result<Identity, String>> = OnceLock::new();
    ID.get_or_init(|| identity().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::broken(format!("cannot read /proc/self/exe: {e}")))
}

fn random_token() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::broken(format!("cannot read /dev/urandom: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The one-shot server a new worker connects to, in a directory only this user
/// can enter (ipc-channel makes it with the process umask, typically `0755`:
/// the socket is then not writable, so not connectable, by other users; the
/// `chmod` makes that independent of the umask).
fn rendezvous() -> Result<(IpcOneShotServer<Bootstrap>, String), Error> {
    use std::os::unix::fs::PermissionsExt;
    let (server, name) = IpcOneShotServer::<Bootstrap>::new()
        .map_err(|e| Error::broken(format!("cannot create the worker rendezvous: {e}")))?;
    let path = std::path::Path::new(&name);
    let private = |p: &std::path::Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
    };
    path.parent()
        .map_or(Ok(()), |dir| private(dir, 0o700))
        .and_then(|()| private(path, 0o600))
        .map_err(|e| Error::broken(format!("cannot restrict the worker rendezvous: {e}")))?;
    Ok((server, name))
}

/// Starts one worker and completes its handshake.
///
/// # Errors
///
/// [`Error::Broken`] naming what failed: the spawn, a worker that exited before
/// connecting (its binary does not link this crate's hook and does not call
/// `init`), or a refused handshake.
pub(crate) fn spawn_worker(config: &SpawnConfig) -> Result<Spawned, Error> {
    spawn_inner(config, None)
}

pub(crate) fn spawn_inner(
    config: &SpawnConfig,
    token_override: Option<&str>,
) -> Result<Spawned, Error> {
    crate::worker::keep_hook();
    let identity = own_identity()?;
    let (server, name) = rendezvous()?;
    let token = random_token()?;
    let mut child = Command::new(&config.program)
        .env(ENV_SERVER, &name)
        .env(ENV_TOKEN, token_override.unwrap_or(&token))
        .env(ENV_PARENT, std::process::id().to_string())
        .stdin(Stdio::null())
        // A group of its own: a Ctrl-C at the terminal reaches the parent only,
        // which decides what to cancel; running tasks finish (the parent's death
        // still ends every worker, through PR_SET_PDEATHSIG and the channel).
        .process_group(0)
        .spawn()
        .map_err(|e| {
            Error::broken(format!(
                "cannot start a worker ({}): {e}",
                config.program.display()
            ))
        })?;
    let pid = child.id();

    // Accept on a helper thread, so that a child that dies before connecting is
    // noticed instead of blocking here forever.
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("concur-process-accept".into())
        .spawn(move || {
            let _ = tx.send(server.accept());
        })
        .map_err(|e| Error::broken(format!("cannot start a thread: {e}")))?;
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    let accepted = loop {
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(accepted) => break accepted,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let exited = child.try_wait().ok().flatten();
                if exited.is_some() || Instant::now() > deadline {
                    // Unblock the acceptor: connect and hang up.
                    drop(IpcSender::<Bootstrap>::connect(name.clone()));
                    let _ = child.kill();
                    let status = child.wait().ok();
                    return Err(Error::broken(format!(
                        "worker {pid} did not connect ({}); a worker is this binary re-executed and \
                         is intercepted before main by concur-process's pre-main hook: if the hook \
                         cannot run here, call concur_process::init() first thing in main",
                        status.map_or("timed out".into(), |s| s.to_string())
                    )));
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Error::broken("the worker rendezvous thread died"));
            }
        }
    };
    let (_conn, boot) = match accepted {
        Ok(pair) => pair,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::broken(format!(
                "worker {pid} failed the handshake: {e:?}"
            )));
        }
    };

    let refuse = |mut child: Child, to_worker: &IpcBytesSender, reason: String| -> Error {
        let _ = to_worker.send(&codec::encode_frame(
            &ToWorker::Refused {
                reason: reason.clone(),
            },
            &[],
        ));
        let _ = child.kill();
        let _ = child.wait();
        Error::broken(format!("worker {pid} refused: {reason}"))
    };
    match codec::peek_version(&boot.hello) {
        Some(codec::PROTOCOL_VERSION) => {}
        other => {
            let reason = format!(
                "protocol version {other:?}, this pool speaks version {}",
                codec::PROTOCOL_VERSION
            );
            return Err(refuse(child, &boot.to_worker, reason));
        }
    }
    let hello: Hello = match codec::decode_value(&boot.hello) {
        Ok(hello) => hello,
        Err(e) => {
            return Err(refuse(
                child,
                &boot.to_worker,
                format!("bad handshake: {e}"),
            ));
        }
    };
    if hello.token != token {
        let reason = "the peer did not present the pool's secret token".to_owned();
        return Err(refuse(child, &boot.to_worker, reason));
    }
    if hello.pid != pid {
        let reason = format!(
            "the peer is process {}, not the spawned worker {pid}",
            hello.pid
        );
        return Err(refuse(child, &boot.to_worker, reason));
    }
    if &hello.identity != identity {
        let reason = format!(
            "the worker runs a different build of the binary ({:?}, expected {:?})",
            hello.identity, identity
        );
        return Err(refuse(child, &boot.to_worker, reason));
    }

    let (initializer, init_arg) = match &config.initializer {
        Some((call, arg)) => (Some(*call), arg.as_slice()),
        None => (None, &[][..]),
    };
    let welcome = ToWorker::Welcome {
        initializer,
        max_memory: config.max_memory,
        shared_threshold: config.shared_threshold as u64,
    };
    if let Err(e) = boot
        .to_worker
        .send(&codec::encode_frame(&welcome, init_arg))
    {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::broken(format!(
            "worker {pid} hung up during the handshake: {e}"
        )));
    }
    Ok(Spawned {
        child,
        pid,
        to_worker: boot.to_worker,
        from_worker: boot.from_worker,
        shm_to_worker: boot.shm_to_worker,
        shm_from_worker: boot.shm_from_worker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SpawnConfig {
        SpawnConfig {
            program: "/proc/self/exe".into(),
            initializer: None,
            max_memory: None,
            shared_threshold: codec::SHARED_THRESHOLD,
        }
    }

    #[test]
    fn a_worker_joins_and_exits_on_request() {
        let mut w = spawn_worker(&config()).expect("spawn");
        w.to_worker
            .send(&codec::encode_frame(&ToWorker::Exit, &[]))
            .unwrap();
        let status = w.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }

    // The endpoint is private: a peer without the pool's token is refused (and
    // killed), even when it is a copy of this binary that knows the server name.
    #[test]
    fn a_peer_without_the_token_is_refused() {
        let err = spawn_inner(&config(), Some("not-the-token")).unwrap_err();
        assert!(err.to_string().contains("secret token"), "{err}");
    }

    #[test]
    fn the_rendezvous_directory_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (server, name) = rendezvous().unwrap();
        let dir = std::path::Path::new(&name).parent().unwrap().to_owned();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        assert_eq!(mode(std::path::Path::new(&name)), 0o600, "{name}");
        drop(server);
        assert!(!dir.exists(), "the one-shot server removes its directory");
    }
}
