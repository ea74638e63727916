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
//! 1. The pool creates an `ipc-channel` one-shot server (a unix socket in a fresh
//!    directory the pool restricts to `0700`, the socket to `0600`) and spawns the
//!    binary with the server's name, a fresh random token and its own pid in the
//!    environment.
//! 2. The worker sets `PR_SET_PDEATHSIG`, connects, and sends the ends of its
//!    channels (socket pairs, passed as file descriptors) with a handshake: the
//!    protocol version, the token, its pid and the identity of its binary
//!    (device, inode, size and mtime of the executable, and a function offset).
//!    A worker of another build, a peer without the token or a process other
//!    than the child just spawned is refused, with an error that says which.
//! 3. The worker runs the pool's initializer, then loops: take the next task,
//!    run it, send `Done` with the encoded result. A reader thread drains the
//!    pool's channel meanwhile, so the pool never waits on a busy worker.
//!    Messages are `serde` types encoded with `bincode` 2; payloads above 512 KiB
//!    travel in shared memory.
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
//! | a worker aborts, segfaults, calls `exit`, is killed | the task it was running: `Error::WorkerLost { pid, status }`; tasks sent ahead to it and not started go back to the queue | a new worker takes the slot |
//! | the same, with [`Builder::break_on_worker_loss`] | as Python: every pending task fails with `Error::Broken` | broken, refuses work |
//! | a task passes its `task_timeout` | that task: `Error::Timeout` | its worker is killed and replaced |
//! | the parent exits or is killed | — | every worker exits (parent-death signal, and a closed channel) |
//! | Ctrl-C at the terminal | — | reaches the parent only: workers run in a process group of their own, so the parent decides what to cancel and running tasks finish |
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
//! The rendezvous socket lives in a private directory (mode `0700`, socket
//! `0600`: other users cannot connect), its name is known only to the spawned
//! child, it accepts one connection and is removed right after. The first message
//! must carry the child's 128-bit random token, its pid and the identity of this
//! binary; anything else is refused and the child killed. All later traffic uses
//! socket pairs passed as file descriptors, which have no name at all. A process
//! of the same user can read a worker's environment, but by then the rendezvous
//! is gone (`tests/private.rs` tries).
//!
//! # Large payloads
//!
//! A payload above [`Builder::shared_memory_threshold`] (default 512 KiB) is
//! encoded straight into a shared-memory region (a memfd, sized by a counting
//! pass first) whose file descriptor crosses the socket, instead of being cut
//! into socket-sized fragments. Where the default comes from (`cargo run
//! --release -p concur-process --example threshold`: an echo task, the payload
//! going both ways, median milliseconds, two runs on a busy 2-core machine):
//!
//! | payload | socket | shared memory |
//! |--------:|-------:|--------------:|
//! | 64 KiB | 0.05 – 0.08 | 0.22 – 0.51 |
//! | 256 KiB | 0.41 – 0.82 | 0.69 – 0.97 |
//! | 512 KiB | 2.2 – 3.4 | 1.6 – 1.8 |
//! | 1 MiB | 5.3 – 6.7 | 4.5 – 4.6 |
//! | 16 MiB | 103 – 131 | 90 – 100 |
//! | 64 MiB | 644 – 706 | 414 – 486 |
//!
//! Below about 256 KiB the socket is cheaper (creating and mapping a region
//! costs more than copying the bytes); from 512 KiB on shared memory wins.
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
mod pool;
mod shm;
mod spawn;
mod task;
mod transport;
mod worker;

pub use crate::builder::Builder;
pub use crate::pool::ProcessPool;
pub use crate::worker::init;
