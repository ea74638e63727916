//! How a process becomes a worker: the pre-main hook that catches a process
//! started as one before `main` runs, [`init`] as the fallback where the hook
//! cannot run, and the test both use — which lets exactly one thread of a
//! process started as a worker become it.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::handshake::ENV_FD;
use crate::worker::worker_main;

/// The pre-main hook: in a process started as a pool's worker, become the
/// worker and never return to `main` (nor to a test harness's main). In any
/// other process it reads one environment variable and returns.
///
/// # Why running before `main` is sound here (`ctor`'s `unsafe`)
///
/// `ctor` makes its user vouch for code that runs before the standard
/// library's runtime setup (`std::rt`'s `init`, done just before `main`). The
/// hook needs none of that setup, or does what it needs itself:
///
/// - the C runtime is up: glibc runs `.init_array` after initialising itself,
///   so the environment, the allocator, threads and thread-locals work (the
///   worker reads the environment, allocates, starts one thread); std's
///   `env::args` is filled by std's own `.init_array` entry, of an earlier
///   priority;
/// - what `main`'s setup would have changed that a task can observe is done
///   by the worker's `adopt_main_conventions`: `SIGPIPE` ignored, stack
///   overflows reported; the one difference left is that the worker's main
///   thread has no name (`thread::current().name()` is `None`, not `"main"`);
/// - the hook runs at `priority = late`, after every other constructor
///   registered through `ctor` (the application's, other crates'), so a task
///   finds the statics such constructors set up as `main` would;
/// - a panic: every task's is caught (`catch_panic`); one that escaped the
///   worker's own code would unwind into the `extern "C"` function `ctor`
///   registers, where Rust aborts the process (no unwinding into the C
///   runtime), and the pool sees a lost worker;
/// - the hook never returns in a worker: it ends the process with
///   `std::process::exit`, so `main` never starts half-initialised after it.
#[ctor::ctor(unsafe, priority = late)]
fn intercept() {
    become_worker_if_started_as_one();
}

/// Keeps the pre-main hook linked: the pool calls this when it spawns workers,
/// so the object holding [`intercept`] (and its constructor entry) is part of
/// every binary that can start a pool.
pub(crate) fn keep_hook() {
    std::hint::black_box(intercept as fn());
}

/// Set once a thread of this process became its worker: from then on nobody
/// else in the process becomes one (a task that calls [`init`] or builds a
/// pool of its own).
static BECAME_WORKER: AtomicBool = AtomicBool::new(false);

/// Becomes the worker — never returns — in a process started as a pool's
/// worker that is not serving yet: the environment names a descriptor, that
/// descriptor is an open seqpacket socket, and no thread became the worker
/// before. Returns at once otherwise.
///
/// A process a task starts inherits the environment but not the descriptor
/// (the worker makes it close-on-exec), so it is not taken for a worker; a
/// worker whose pool died before it got here is one, and exits at once (see
/// the worker's `die_with_parent`).
pub(crate) fn become_worker_if_started_as_one() {
    // SeqCst: one flag, read and set in one step; whoever sets it first is
    // the worker, every later caller returns.
    if inherited_fd().is_some() && !BECAME_WORKER.swap(true, Ordering::SeqCst) {
        worker_main();
    }
}

/// The descriptor named by the environment, if it is an open seqpacket socket.
pub(crate) fn inherited_fd() -> Option<RawFd> {
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
/// in `main`. In a process that is not a worker it reads one environment
/// variable and returns; in a worker it never returns; in a worker that is
/// serving already (a task calls it) it returns.
///
/// It is safe to call anywhere, from any thread, any number of times, and it
/// is a safe function because nothing it does depends on its caller: the one
/// step with a precondition, taking ownership of the inherited socket, relies
/// on facts about the process — the pool made it inherit that descriptor, no
/// Rust object owns it (safe code cannot take a descriptor by its number),
/// and only the first caller ever gets to take it (`BECAME_WORKER`) — and
/// running tasks relies on the handshake's check that the pool runs this very
/// binary.
///
/// ```
/// // First thing in `main`: returns at once in the parent.
/// concur_process::init();
/// // ... build pools, submit tasks ...
/// ```
pub fn init() {
    become_worker_if_started_as_one();
}
