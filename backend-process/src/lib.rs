//! `ProcessPool`: Python's `ProcessPoolExecutor` for Rust — tasks run in worker
//! processes, isolated from the caller and from each other.
//!
//! # The worker model
//!
//! A worker is **the current binary, re-executed** (`/proc/self/exe`). This crate
//! links a pre-main hook (a `ctor` constructor in `.init_array`) that runs before
//! `main` — before a test harness's `main` too, so `cargo test` and doctests of a
//! crate that uses a pool need no extra code. In a process started as a worker
//! the hook never returns to `main`: it connects back to its pool and runs tasks
//! until told to exit. There is no `if __name__ == "__main__"` ritual. Where a
//! pre-main hook cannot run, [`init()`] at the top of `main` is the fallback.
//!
//! Lifecycle of a worker:
//!
//! 1. The pool creates a `SOCK_SEQPACKET` socket pair and spawns the binary
//!    with one end inherited (the only descriptor it inherits on purpose), its
//!    number and the pool's pid in the environment.
//! 2. The worker sets `PR_SET_PDEATHSIG`, ignores `SIGPIPE` as `main` would,
//!    and sends its hello on the socket: the protocol version, its pid and the
//!    identity of its binary (device, inode, size and mtime of the executable,
//!    and a function offset). The pool checks the sender's pid as the kernel
//!    reports it (`SO_PASSCRED`) against the child it spawned; a worker of
//!    another build or another process is refused, with an error that says which.
//! 3. The worker runs the pool's initializer, then loops: take the next task,
//!    run it, send `Done` with the encoded result. A reader thread drains the
//!    pool's channel meanwhile, so the pool never waits on a busy worker.
//!    Messages are `serde` types encoded with `bincode` 2; payloads above 512 KiB
//!    travel in sealed shared memory. The reader also answers the pool's pings.
//! 4. It exits when the pool says so (shutdown, `max_tasks_per_child`), when its
//!    resident memory passes `max_memory_per_child`, or at once when its pool's
//!    channel closes or its parent dies.
//!
//! # What can be submitted
//!
//! A task is a plain function pointer `fn(A) -> R` whose argument and result are
//! [`Payload`](concur_core::Payload)s (serde-serializable, owned): Python's
//! "picklable function and arguments". The function travels as its address
//! relative to a fixed function of the binary, which is valid in the worker
//! because it runs the same binary, whatever ASLR did; nothing is registered by
//! name. A closure that captures cannot become a `fn` pointer, so it is refused
//! at compile time:
//!
//! ```compile_fail,E0308
//! use concur_core::Executor;
//! let pool = concur_process::ProcessPool::builder().max_workers(1).build().unwrap();
//! let offset = 10;
//! let fut = pool.submit(move |x: u32| x + offset, 1); // error: expected fn pointer, found closure
//! ```
//!
//! An argument that cannot be encoded fails its own future at `submit`, on the
//! caller's thread, with [`Error::Encode`](concur_core::Error::Encode) naming
//! the type (Python's pool can deadlock on that); a value that cannot be decoded
//! fails its task with [`Error::Decode`](concur_core::Error::Decode).
//!
//! # Faults
//!
//! | what happens | what the futures see | the pool |
//! |---|---|---|
//! | a task panics | that task: `Error::Panicked { message }` (with the worker's backtrace when `RUST_BACKTRACE` is set) | the worker lives on |
//! | a worker aborts, segfaults, calls `exit`, is killed — at any instant, its handshake included | the task it was running: `Error::WorkerLost { pid, status }`; tasks sent to it and not started go back to the queue (the worker records each task it takes up in a shared word the pool reads, so a task is never reported lost unless it started) | a new worker takes the slot |
//! | a replacement worker fails to start | — | retried with a fresh socket pair, back-off 10 ms doubling to 1 s; broken (`Error::Broken` naming what was seen) only after 5 failures in a row that were not an outside `SIGKILL` |
//! | a worker breaks the protocol: bad framing, a length prefix of 2^40, a frame that does not decode, stray or wrong descriptors, an unsealed shared-memory region, a panic while its message is handled | the task it was running: `Error::WorkerLost`; the rest requeued | the worker is killed and replaced; the parent allocates no more than twice what it received |
//! | a worker whose reader stops answering (deaf), or that says it exits and does not | its running task: `Error::WorkerLost` | killed and replaced within 6 s (deaf: ping every 1 s, 5 s to answer) or 2 s (exit grace); a send that finds a deaf worker's socket full waits up to 5 s (holding the pool's lock: the pool stalls that long) and loses it |
//! | the same, with [`Builder::retries`]`(n)` | the lost task runs again on another worker, up to n more times, then `Error::WorkerLost` | as above |
//! | [`ProcessPool::kill`]`(&future)` | that task: `Error::Cancelled` (or its result, if it finished first); the tasks sent ahead to the same worker run elsewhere | its worker ends itself and is replaced |
//! | a task overflows its stack | that task: `Error::WorkerLost` with `SIGABRT`, and Rust's "has overflowed its stack" on stderr (not a bare `SIGSEGV`) | a new worker takes the slot |
//! | a task writes to a closed pipe | that write: an `EPIPE` error, as in `main` (`SIGPIPE` is ignored in workers) | the worker lives on |
//! | the same, with [`Builder::break_on_worker_loss`] | as Python: every pending task fails with `Error::Broken` | broken, refuses work |
//! | a task passes its `task_timeout` | that task: `Error::Timeout` | its worker is killed and replaced |
//! | the pool is dropped while its thread panics | queued tasks: `Error::Cancelled` (a pending future becomes cancelled); running ones: `Error::WorkerLost` | the queue is not run: workers are killed at once, and the panic goes on |
//! | the parent exits or is killed | — | every worker exits (parent-death signal, and a closed channel); nothing is left on disk |
//! | Ctrl-C at the terminal | — | reaches the parent only: workers run in a process group of their own, so the parent decides what to cancel and running tasks finish |
//!
//! `tests/chaos.rs` kills a random worker every 2 ms through a 10 000-item
//! `map` and 10 000 `submit`s (and 1 000 of each with a fresh worker per task):
//! the pool never breaks, every item is `Ok` with its value or `WorkerLost`, and
//! none runs twice. `tests/hostile_worker.rs` makes a real worker commit each
//! protocol fault above.
//!
//! # Scheduling
//!
//! Tasks wait in one queue in the parent and are sent to workers with room. A
//! worker whose last task was short (under 1 ms) also gets tasks sent ahead, up
//! to [`Builder::inflight_per_worker`], so it finds its next task waiting instead
//! of idling for a round trip; that is where small tasks get their throughput. A
//! task is marked running when it is sent (as Python marks the tasks it moves to
//! its call queue): a future that reports pending has not reached any worker, so
//! `cancel` on it is exact, and `shutdown(cancel_futures = true)` cancels exactly
//! the tasks still queued. If a worker turns out to run a long task while another
//! idles, the tasks sent ahead to it are revoked after 5 ms (the worker gives back
//! what it has not started) and run elsewhere.
//!
//! # Who can join a pool
//!
//! Nobody but the pool's own children. A worker's channel is a socket pair the
//! pool creates and the child inherits across `exec`: it has no name in the
//! file system or the abstract namespace, so there is no rendezvous to connect
//! to, nothing to race and nothing left in the temporary directory when the
//! parent is killed. The environment holds no secret (a descriptor number and
//! the pool's pid), and a socket cannot be opened through `/proc/PID/fd`. The
//! worker's hello is checked against the kernel's word on its sender
//! (`SO_PASSCRED`) and the binary's identity. `tests/private.rs` and
//! `tests/impostor.rs` try it: a process of the same user reading `/proc` during
//! 500 worker starts gets no descriptor and no connection.
//!
//! Threat model: other users gain nothing (they cannot reach the sockets, and
//! the workers run as the pool's user); a process of the same user that cannot
//! ptrace the pool or its workers (Yama `ptrace_scope` ≥ 1, a sandbox) gains
//! nothing. A process that can ptrace the pool can take descriptors out of it
//! or write its memory and is out of scope.
//!
//! The parent trusts no byte a worker sends: the framing is checked (see
//! `transport.rs`), a shared-memory result must be a memfd sealed against
//! shrinking and writing, of the announced size, and anything wrong loses that
//! worker, never the parent or its slot.
//!
//! # Large payloads
//!
//! A payload above [`Builder::shared_memory_threshold`] (default 512 KiB) is
//! encoded straight into a shared-memory region (a memfd, sized by a counting
//! pass first, then sealed against shrinking, growing and writing) whose file
//! descriptor crosses the socket, instead of being cut into 64 KiB packets.
//! A sealed region can change under neither side, so a task requeued after its
//! worker was lost carries the very argument it was submitted with.
//!
//! What it costs (`cargo run --release -p concur-process --example threshold`:
//! an echo task, the payload going both ways, median milliseconds, two runs on
//! a 2-core machine under a load average of 10, so only the orders of magnitude
//! mean much):
//!
//! | payload | socket (64 KiB packets) | sealed shared memory |
//! |--------:|-------:|--------------:|
//! | 64 KiB | 0.28 – 0.33 | 0.41 – 0.45 |
//! | 256 KiB | 0.83 – 0.86 | 1.26 – 1.37 |
//! | 512 KiB | 1.3 – 1.5 | 2.3 – 6.5 |
//! | 1 MiB | 1.8 – 9.2 | 4.4 – 9.9 |
//! | 4 MiB | 15 – 48 | 46 – 60 |
//! | 16 MiB | 148 – 176 | 240 – 244 |
//! | 64 MiB | 1 862 – 1 991 | 1 119 – 1 188 |
//!
//! Sealing itself (creating, filling, sealing and mapping a region, against
//! the same unsealed) adds 0.1 – 0.4 ms at 0.5 – 1 MiB and 7 – 20 % at
//! 16 – 64 MiB: the kernel checks every page for pins before `F_SEAL_WRITE`,
//! and the receiver maps the region afresh. On this machine the socket stays
//! cheaper up to 16 MiB and shared memory wins at 64 MiB, so the 512 KiB
//! default (chosen when the transport was ipc-channel's) is conservative; it
//! also bounds what a message allocates on the receiving side.
//!
//! # The codec
//!
//! `bincode` 2.0.1 is the final release of bincode and carries the
//! "unmaintained" advisory RUSTSEC-2025-0141 (3.0.0 on the registry is an empty
//! tombstone). Every encode and decode lives in one private module, so the
//! format can change in one place; the handshake's protocol version guards it.
//!
//! # Example
//!
//! ```
//! use concur_core::{Error, Executor, MapOptions};
//! use concur_process::ProcessPool;
//!
//! fn is_prime(n: u64) -> bool {
//!     n > 1 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
//! }
//! fn boom(_: ()) -> u8 { panic!("boom") }
//!
//! let pool = ProcessPool::builder().max_workers(2).build()?;
//! let primes: Vec<bool> = pool
//!     .map(is_prime, [2u64, 15, 17, 21], MapOptions::new().chunksize(2))?
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(primes, [true, false, true, false]);
//!
//! let err = pool.submit(boom, ()).result(None).unwrap_err();
//! assert!(matches!(err, Error::Panicked { message, .. } if message == "boom"));
//! assert_eq!(pool.submit(is_prime, 7).result(None), Ok(true), "the worker lives on");
//! # Ok::<(), Error>(())
//! ```
#![warn(missing_docs, missing_debug_implementations)]
#![deny(unsafe_op_in_unsafe_fn)]

mod builder;
mod codec;
mod overflow;
mod pool;
mod shm;
mod spawn;
mod task;
mod transport;
mod worker;

pub use crate::builder::Builder;
pub use crate::pool::ProcessPool;
pub use crate::worker::init;
