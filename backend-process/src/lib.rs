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
//!    run it, write `Done` with the encoded result into the result ring of
//!    its beacon (shared memory the pool created and handed over with its
//!    welcome), and ring the doorbell — one message — once per several
//!    results (see [Scheduling](#scheduling)); a result above 32 KiB, or one
//!    that finds the ring full, is sent on the socket instead. A reader
//!    thread drains the pool's channel meanwhile, so the pool never waits on
//!    a busy worker.
//!    Messages are `serde` types: headers in `bincode` 2, payloads in the pool's
//!    [codec](#codecs); payloads above 512 KiB travel in sealed shared memory.
//!    The reader also answers the pool's pings.
//! 4. It exits when the pool says so (shutdown, `max_tasks_per_child`), when its
//!    resident memory passes `max_memory_per_child`, or at once when its pool's
//!    channel closes or its parent dies.
//!
//! # What can be submitted
//!
//! A task is a plain function of up to four arguments — a `fn` item, a closure
//! that captures nothing, or a fn pointer ([`TaskFn`](concur_core::TaskFn)) —
//! whose arguments and result are [`Payload`](concur_core::Payload)s
//! (serde-serializable, owned): Python's "picklable function and arguments".
//! `submit(add, (1, 2))` calls `add(1, 2)`. The function travels as its address
//! relative to a fixed function of the binary (nothing at all for a zero-sized
//! fn item or closure), which is valid in the worker because it runs the same
//! binary, whatever ASLR did; nothing is registered by name. A closure that
//! captures values cannot travel: its future fails at submit with
//! [`Error::Encode`](concur_core::Error::Encode), saying to pass the values as
//! arguments —
//!
//! ```
//! use concur_core::{Error, Executor};
//!
//! fn add(a: u32, b: u32) -> u32 { a + b }
//!
//! let pool = concur_process::ProcessPool::builder().max_workers(1).build()?;
//! assert_eq!(pool.submit(add, (1, 2)).result(None)?, 3);
//! let offset = 10;
//! let refused = pool.submit(move |x: u32| x + offset, 1).result(None);
//! assert!(matches!(refused, Err(Error::Encode { .. })));
//! assert_eq!(pool.submit(add, (offset, 1)).result(None)?, 11); // what to do instead
//! # Ok::<(), Error>(())
//! ```
//!
//! — and one that owns what it captured (a `String`) is not `Copy`, so it
//! does not compile as a task at all:
//!
//! ```compile_fail,E0277
//! use concur_core::Executor;
//! let pool = concur_process::ProcessPool::builder().max_workers(1).build().unwrap();
//! let name = String::from("x");
//! let fut = pool.submit(move |x: u32| format!("{name}{x}"), 1); // error: not `Copy`
//! ```
//!
//! An argument that cannot be encoded fails its own future at `submit`, on the
//! caller's thread, with [`Error::Encode`](concur_core::Error::Encode) naming
//! the type (Python's pool can deadlock on that); a value that cannot be decoded
//! fails its task with [`Error::Decode`](concur_core::Error::Decode). A
//! `Serialize` or `Deserialize` impl that panics fails its task the same way,
//! on either side. What each codec carries is under [Codecs](#codecs).
//!
//! # Faults
//!
//! | what happens | what the futures see | the pool |
//! |---|---|---|
//! | a task panics | that task: `Error::Panicked { message }` (with the worker's backtrace when `RUST_BACKTRACE` is set) | the worker lives on |
//! | a worker aborts, segfaults, calls `exit`, is killed — at any instant, its handshake included | the task it was running: `Error::WorkerLost { pid, status, attempts, cause }`; tasks it finished complete with their results (read from its ring after its death); tasks sent to it and not started go back to the queue (the worker records each task it takes up in a shared word the pool reads, so a task is never reported lost unless it started) | a new worker takes the slot |
//! | a replacement worker fails to start | — | retried with a fresh socket pair, back-off 10 ms doubling to 1 s; broken (`Error::Broken` naming what was seen) only after 5 failures in a row that were not an outside `SIGKILL` |
//! | a worker breaks the protocol: bad framing, a length prefix of 2^40, a frame that does not decode, stray or wrong descriptors, an unsealed shared-memory region, a result ring out of bounds or holding what is not a result of its own tasks, a panic while its message is handled | the task it was running: `Error::WorkerLost` with `LostCause::Misbehaved` naming what it did; the rest requeued | the worker is killed and replaced; the parent allocates no more than twice what it received |
//! | a worker whose reader stops answering (deaf), or that says it exits and does not | its running task: `Error::WorkerLost` (`LostCause::Misbehaved`, saying which) | killed and replaced within 6 s (deaf: ping every 1 s, 5 s to answer) or 2 s (exit grace); a send that finds a deaf worker's socket full waits up to 5 s (holding the pool's lock: the pool stalls that long) and loses it |
//! | the same, with [`Builder::retries`]`(n)` | the lost task runs again on another worker, up to n more times, then `Error::WorkerLost` whose `attempts` says how many runs it had | as above |
//! | [`ProcessPool::kill`]`(&future)` | that task: `Error::Cancelled` (or its result, if it finished first); the tasks sent ahead to the same worker run elsewhere | its worker ends itself and is replaced |
//! | a task overflows its stack | that task: `Error::WorkerLost` with `cause: LostCause::StackOverflow` and `SIGABRT` (never retried: it would overflow again), and Rust's "has overflowed its stack" on stderr (not a bare `SIGSEGV`) | a new worker takes the slot |
//! | a task writes to a closed pipe | that write: an `EPIPE` error, as in `main` (`SIGPIPE` is ignored in workers) | the worker lives on |
//! | the same, with [`Builder::break_on_worker_loss`] | as Python: every pending task fails with `Error::Broken` | broken, refuses work |
//! | a task passes its `task_timeout` | that task: `Error::Timeout` | its worker is killed and replaced |
//! | the pool is dropped while its thread panics | queued tasks: `Error::Cancelled` (a pending future becomes cancelled); running ones: `Error::WorkerLost` | the queue is not run: workers are killed at once, and the panic goes on |
//! | the parent exits or is killed | — | every worker exits (parent-death signal, and a closed channel); nothing is left on disk |
//! | Ctrl-C at the terminal | — | reaches the parent only: workers run in a process group of their own, so the parent decides what to cancel and running tasks finish |
//!
//! `tests/chaos.rs` kills a random worker every 2 ms through a `map` and as
//! many `submit`s (`CONCUR_CHAOS_ITEMS` items each, 10 000 for the figures,
//! 2 000 in CI), also with a fresh worker per task and with `retries(3)`: the
//! pool never breaks, every item is `Ok` with its value or `WorkerLost` after
//! its retries, and none runs twice. `tests/hostile_worker.rs` makes a real worker commit each
//! protocol fault above.
//!
//! # Scheduling
//!
//! Tasks wait in one queue in the parent and are sent to workers with room. A
//! worker whose last task was short (under 1 ms) also gets tasks sent ahead, up
//! to [`Builder::inflight_per_worker`] (32 by default), so it finds its next
//! task waiting instead of idling for a round trip; its window is topped up
//! once it has drained to half, with the tasks of one scheduling step in one
//! message: that is where small tasks get their throughput (a send and a
//! wake-up of the worker per 16 tasks). Results come back the same way: each
//! is written to the worker's result ring as its task ends, and the worker
//! announces them with one message when half a window of them is waiting
//! (when the pool refills), when it is about to wait for work, at once for a
//! task with a timeout, and at the latest 1 ms after while it runs another
//! task (its reader watches; so a short task's result does not wait for a
//! long one behind it). A written result survives its worker: the pool
//! drains a dead worker's ring before it settles the worker's tasks, so a
//! worker killed at any instant still costs only the task it was running,
//! and no finished task is lost or run again (`tests/ring_results.rs`). A
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
//! shrinking and writing, of the announced size, a record of the result ring
//! is bounds-checked and copied out before it is decoded (`ring.rs`), and
//! anything wrong loses that worker, never the parent or its slot
//! (`tests/hostile_worker.rs`, `tests/hostile_ring.rs`).
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
//! # Codecs
//!
//! Task arguments and results are encoded with `serde`, in the codec chosen
//! with [`Builder::codec`]: [`Codec::Bincode`] (bincode 2, the default) or
//! [`Codec::MessagePack`] (`rmp-serde`, structs as maps with their field
//! names). Protocol headers are always bincode. Whatever the codec, a value
//! either arrives equal to what was sent or its task fails with
//! [`Error::Encode`](concur_core::Error::Encode) /
//! [`Error::Decode`](concur_core::Error::Decode) saying what the codec cannot
//! carry and what to do; it never arrives changed:
//!
//! - every encode runs through a checking serializer, on the caller's thread for
//!   an argument (so the future fails at `submit`), in the worker for a result;
//! - every decode, headers included, runs through a guard bound to its frame:
//!   a length prefix can announce more than the frame holds, but nothing is
//!   allocated beyond what arrived (a `String` of 2^40 bytes in a frame of 20 is
//!   a `Decode` error, not an allocation), size hints are capped at the frame,
//!   nesting stops at 256 levels, elements at the frame's length plus 2^20, and
//!   a decode must consume its whole frame;
//! - a bincode value carries a 4-byte digest of the arities of its tuple structs
//!   and tuple variants, which the decoder checks against the type's;
//! - a panic in a `Serialize` or `Deserialize` impl, on either side, fails that
//!   task only, with `Encode` / `Decode` and the panic's message.
//!
//! What each codec does with each serde feature (each row is a test in
//! `tests/serde_fidelity.rs`, run through a real pool, as argument and as
//! result):
//!
//! | serde feature | `Codec::Bincode` (default) | `Codec::MessagePack` |
//! |---|---|---|
//! | structs, tuples, tuple and unit structs, newtypes, externally tagged enums, `Option`, `Vec`, maps, `i128`/`u128`, `char`, `Duration`, recursion | works | works |
//! | `#[serde(skip)]`, `rename`, `alias`, `default` | works | works |
//! | `#[serde(skip_serializing_if)]` on a named field, the field present | works | works |
//! | `#[serde(skip_serializing_if)]` on a named field, the field left out | `Encode` naming the field and the attribute | works |
//! | `#[serde(skip_serializing_if)]` on a tuple field, left out | `Decode`: a tuple struct holds another number of fields than its type reads | `Decode`: invalid length |
//! | `#[serde(flatten)]` | `Encode`: a map of unknown length (`flatten`, ...) | works |
//! | internally tagged enums, `#[serde(tag = "...")]` | `Decode`: needs a self-describing format | works |
//! | adjacently tagged enums, `#[serde(tag = "...", content = "...")]` | `Decode`: reads field or variant names | works |
//! | `#[serde(untagged)]` | `Decode`: needs a self-describing format | works |
//! | `serde_json::Value`, and any type that calls `deserialize_any` | `Decode`: needs a self-describing format | works |
//! | `Some(None)` in an `Option<Option<T>>`, `Some(())`, `Some(Value::Null)` | works | `Encode`: MessagePack writes it as `None` |
//! | `#[serde(skip_serializing)]` alone (the field is still deserialized) | `Decode` | `Decode`: missing field |
//! | a `Serialize` that announces one length and writes another | `Encode` | `Encode` |
//! | a `Serialize` or `Deserialize` that panics | `Encode` / `Decode` with the panic's message | the same |
//!
//! Each refusal names [`Codec::MessagePack`] where it would carry the value. An
//! argument refused at encode fails at `submit`; one refused at decode fails
//! its task in the worker; a result refused either way fails its task. Two
//! limits no codec lifts: an untagged enum whose variants overlap decodes as the
//! first variant that fits (serde's own rule, as with JSON), and a type whose
//! `Deserialize` reads a named field its `Serialize` never writes
//! (`skip_serializing` without `skip_deserializing`) is a `Decode` error only
//! where the frame runs out, which on bincode depends on the values around it.
//!
//! Cost, measured with `cargo run --release -p concur-process --example codec`
//! (best of 5, a shared 2-core machine under load, so ±30 %): the encode +
//! decode round trip of each crate alone,
//!
//! | value | bincode | rmp-serde |
//! |---|---:|---:|
//! | `u64` (W1's argument and result) | 37 ns | 30 ns |
//! | 1000 × `u64` (a W2 chunk) | 12 µs | 15 µs |
//! | 1000 × `Result<u64, Error>` (its result) | 65 µs | 69 µs |
//! | a struct with 2 strings, 5 nested structs, 2 options | 0.77 µs | 2.9 µs |
//!
//! (CBOR through `ciborium` took 3–7× bincode's time on the same values; it was
//! not taken.) The check and the guard add about 0.1 µs per value plus a few
//! nanoseconds per nested value (measured in-crate against the previous
//! unchecked path: a W2 chunk 20–36 µs before, 28–50 µs after). Through a
//! 1-worker pool (three runs), W1 (20 000 submits) took 0.51–0.54 s with
//! bincode and 0.49–0.63 s with MessagePack, W2 (10^6 items in chunks of 1000)
//! 0.10–0.19 s and 0.12–0.32 s: the IPC dominates, and the codecs' difference
//! is within the run-to-run noise.
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
mod handshake;
mod hook;
mod outbox;
mod overflow;
mod pool;
mod ring;
mod shm;
mod spawn;
mod sync;
mod task;
mod transport;
mod worker;

pub use crate::builder::Builder;
pub use crate::codec::Codec;
pub use crate::hook::init;
pub use crate::pool::ProcessPool;
