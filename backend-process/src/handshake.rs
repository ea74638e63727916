//! The handshake's fixed words: what a pool and its workers agree on outside
//! the messages themselves — the environment a worker is started with, the
//! protocol version, the identity of the binary, how long each step may take,
//! and the exit codes by which a worker says why it ended.
//!
//! The handshake itself, in order (the parent's side is `spawn.rs`, the
//! worker's `worker.rs`, the messages `codec/mod.rs`):
//!
//! 1. the parent spawns [`SELF_EXE`] (or the builder's `program`) with one end
//!    of a socket pair inherited, its descriptor number in [`ENV_FD`] and the
//!    parent's pid in [`ENV_PARENT`];
//! 2. the worker sends `Hello` — [`PROTOCOL_VERSION`] first, then the
//!    [`identity`] of its binary and its pid — within [`CONNECT_TIMEOUT`];
//! 3. the parent checks the sender's pid as the kernel reports it, the
//!    version and the identity, and answers `Welcome` (with the worker's
//!    beacon descriptor — the beacon holds its result ring, `ring.rs` — the
//!    initializer and how many results it may hold unannounced) or
//!    `Refused`; a worker that could not join exits with
//!    [`EXIT_NOT_JOINED`];
//! 4. the worker runs the initializer and says `Ready` (or `InitFailed`);
//!    from then on every send to it may wait at most [`SEND_TIMEOUT`].
//!
//! The integration tests that play a worker's or an impostor's part
//! (`tests/hook.rs`, `tests/private.rs`, `tests/hostile_worker.rs`) spell the
//! environment names out, as an outside program would.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use crate::codec::Identity;
use crate::task;

/// Bumped on any change to the messages of `codec/mod.rs`; the first field of
/// `Hello`, checked before the rest is decoded.
pub(crate) const PROTOCOL_VERSION: u32 = 9;

/// The environment variable holding the number of the descriptor a worker
/// inherits (set only in a worker's environment).
pub(crate) const ENV_FD: &str = "CONCUR_PROCESS_FD";

/// The environment variable holding the pool's pid: a process is a worker
/// only while its parent is this pid.
pub(crate) const ENV_PARENT: &str = "CONCUR_PROCESS_PARENT";

/// The binary a worker runs unless the builder names another: the running
/// one, even if its file was replaced since. Its identity is the handshake's.
pub(crate) const SELF_EXE: &str = "/proc/self/exe";

/// How long a new worker has to say hello.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a send to a joined worker may wait for room in its socket. A
/// worker's reader thread drains its socket at all times, even while a task
/// runs, so a send waits this long only on a worker whose reader is dead or
/// stopped: that worker is then lost.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Exit code of a worker that could not join its pool (refused, no pool).
pub(crate) const EXIT_NOT_JOINED: i32 = 70;

/// Exit code of a worker that ended itself to abort its running task
/// (`ProcessPool::kill`); the pool fails that task with `Cancelled`.
pub(crate) const EXIT_ABORTED: i32 = 71;

/// The identity of the running binary, as the worker states it in its hello
/// and the parent expects it: the executable file (device, inode, size,
/// modification time) and the offset of a function from the task anchor, so
/// that a worker of another build is refused before it can misread a task.
pub(crate) fn identity() -> io::Result<Identity> {
    let meta = std::fs::metadata(SELF_EXE)?;
    Ok(Identity {
        dev: meta.dev(),
        ino: meta.ino(),
        size: meta.size(),
        mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        probe: task::offset_of(crate::worker::worker_main as fn() -> ! as usize),
    })
}
