//! **concur-mpi**: the concur pool across the machines of a cluster, on MPI —
//! Python's `mpi4py.futures.MPIPoolExecutor`, with the [`Executor`] trait every
//! concur backend implements.
//!
//! # The model
//!
//! The program is launched the way HPC programs are: `mpirun -n N ./app` (or
//! `srun -n N ./app` under Slurm). Every rank runs the same binary. **Rank 0**
//! runs `main` and owns the pools; **ranks 1..N-1** never reach `main`: a
//! pre-main hook of this crate (a `ctor`, reading the rank the launcher put in
//! the environment) turns them into workers, and they exit when rank 0 does.
//! Nothing is spawned (`MPI_Comm_spawn`, mpi4py.futures' usual source of hangs,
//! is not used), so it works wherever the launcher works, Slurm with PMI-2
//! included. [`init`] is the explicit fallback for link setups where the hook
//! does not run. A program started without a launcher gets a clear
//! [`Error::InvalidConfig`] from [`MpiPool::new`] saying how to start it;
//! there is no singleton mode (a pool of rank 0 alone would be a thread pool:
//! use one).
//!
//! A pool of `k` workers has `k` worker threads spread round-robin over the
//! worker ranks (several per rank when `k` exceeds them, as many as the node
//! has cores being the usual choice). Pools are independent: many pools, built
//! on many threads at once, share the ranks without waiting for one another.
//!
//! # What travels
//!
//! A task is a plain function of up to four arguments (a `fn` item, a
//! closure that captures nothing, a fn pointer; `submit(add, (1, 2))`; a
//! closure that captures values fails at submit with `Error::Encode`). It
//! travels as its address relative to a
//! fixed function of the binary, so nothing is registered by name — which is
//! why every rank must run the very same executable: the handshake compares a
//! hash of each rank's executable with rank 0's and refuses the job otherwise.
//! Arguments and results are encoded with serde and bincode 2 (the process
//! backend's codec) on the submitting thread — a value that cannot be encoded
//! fails its own future at `submit`. Each task is one MPI point-to-point
//! message to its rank, whose header carries the task's tag `(pool, id)`; each
//! result is one message back. Up to `inflight_per_worker` tasks are in flight
//! per worker thread, to hide the network's round trip behind short tasks;
//! results are taken in completion order from any rank.
//!
//! # Threads and MPI
//!
//! All MPI calls of rank 0 happen on one progress thread, started with the
//! first pool; MPI is initialized there with `MPI_THREAD_FUNNELED` (checked:
//! a lower level granted is an error). MPI can be initialized once per
//! process, so the runtime is process-wide and pools multiplex over it: each
//! message names its pool. A worker rank's main thread owns MPI there, the
//! worker threads run tasks. Neither side blocks inside MPI (Open MPI's
//! blocking calls spin a core): they poll, sleeping up to 1 ms when idle, and
//! local events wake them at once. Done-callbacks run on the progress thread:
//! they must not block (waiting there on another task of an MPI pool would
//! wait forever; `shutdown(wait)` from a callback does not wait).
//!
//! # Fault model
//!
//! | what happens | what concur-mpi does |
//! |---|---|
//! | a task panics | that task fails with [`Error::Panicked`] (message and, with `RUST_BACKTRACE`, the worker's backtrace); the rank and the pool go on |
//! | a value cannot be encoded or decoded | that task fails with [`Error::Encode`] / [`Error::Decode`], nothing else |
//! | the initializer panics | the pool breaks: its tasks fail with [`Error::Broken`] naming the rank, as Python's `BrokenProcessPool`; other pools go on |
//! | a task runs too long | there is no per-task timeout: a rank cannot be stopped without ending the job. `result(Some(timeout))` gives up waiting (the task goes on) |
//! | a rank dies (crash, `abort`, OOM kill, node lost) | **the whole MPI job ends**: Open MPI 4.1 has no fault tolerance (no ULFM), and `mpirun` kills every rank when one dies |
//! | rank 0 exits | the worker ranks get `Exit`, every rank calls `MPI_Finalize` |
//!
//! What a user does about a dead rank: keep tasks restartable and their
//! results somewhere durable (chunk the work, write a checkpoint as chunks
//! finish, skip what is done on restart), and let the scheduler restart the
//! job (`sbatch --requeue`, or a loop around `mpirun`). Code that must survive
//! a crashing task without losing the job belongs on the process backend,
//! inside each node.
//!
//! # Costs, on paper
//!
//! **Per task**, rank 0 pays a channel hand-off from the submitting thread,
//! an encode, an `MPI_Isend`, a matched probe and receive, a decode and the
//! future's completion — a few microseconds of the progress thread. A worker
//! rank pays two thread hand-offs (main thread to worker thread and back,
//! 5–20 µs together). Then the network: an MPI round trip is 1–5 µs on
//! InfiniBand, about 50 µs on TCP, and bytes cost their size over the link.
//! Measured on the development machine (2 cores shared with other builds,
//! load average about 6, 3 ranks oversubscribed over shared memory;
//! `examples/bench.rs` and `examples/pingpong.rs`, release build, median of
//! 5): the raw rsmpi ping-pong of a `u64` takes 4.5–4.9 µs per round trip;
//! W1 — 20 000 no-op tasks submitted one by one on 2 workers, then every
//! result — costs 12.8–13.6 µs per task (74–78 k tasks/s), the in-flight
//! window overlapping round trips; W2 (`map` of 10⁶ items, chunks of 1 000)
//! runs at 11.6–12.6 M items/s; W3 (two `count_primes(30 000)` on 2 workers,
//! pool start included) 1.0–1.3× over serial on this loaded machine.
//!
//! **When is a task worth sending?** A task should run at least ten times its
//! overhead to lose under 10 % to it: from about 0.2 ms of work on InfiniBand
//! to about 1 ms over TCP. The in-flight window hides the round trip for
//! shorter tasks but not rank 0's and the worker's own costs. Ray's guidance
//! (tasks under ~10 ms rarely pay) and Dask's (~1 ms of scheduler time per
//! task) sit above that; smaller items belong in a `map` with a `chunksize`,
//! which sends one message per chunk and pays the overhead once per chunk.
//!
//! **The rank-0 ceiling.** Every task passes through rank 0's progress thread,
//! so a job runs at most `1 / (rank-0 cost per task)` tasks per second
//! whatever its size: W1 above (~75 k tasks/s with rank 0 sharing two cores
//! with its workers) is a floor for it; a core of its own should give on the
//! order of 10⁵ tasks/s (an estimate, not measured at scale), and no more
//! items per second than that times the `chunksize`. What lifts it: chunking (`map(.., chunksize)`
//! divides the message count), fewer and larger results, several pools'
//! traffic being one thread's anyway — and past that a hierarchical
//! dispatcher (one forwarding rank per node, which this crate does not
//! have).
//!
//! **Beside mpi4py.futures.** The same model (rank 0 the client, the others
//! workers, `concurrent.futures` semantics, polling with a 1 ms back-off),
//! with these differences: workers are started by the launcher, never spawned
//! (`MPIPoolExecutor` spawns by default; its `python -m mpi4py.futures`
//! launcher mode is the equivalent of this crate); a task is a function
//! address and bincode values, not pickles, so per-task costs are those of
//! MPI and the thread hand-offs, not of the Python interpreter (mpi4py.futures
//! was not measured here); several worker threads per rank; one process-wide
//! runtime shared by any number of pools; and the same conformance suite as
//! every other concur backend.
//!
//! # Example
//!
//! ```no_run
//! // Run as `mpirun -n 3 ./primes`: ranks 1 and 2 are the workers.
//! use concur_core::{Executor, MapOptions, as_completed};
//! use concur_mpi::MpiPool;
//!
//! fn count_primes(limit: u64) -> u64 {
//!     (2..=limit).filter(|&i| (2..i).all(|j| i % j != 0)).count() as u64
//! }
//!
//! let pool = MpiPool::new()?;
//! let futures: Vec<_> = [10_000, 20_000].map(|n| pool.submit(count_primes, n)).into();
//! for f in as_completed(&futures, None) {
//!     println!("{} primes", f?.result(None)?);
//! }
//! let total: u64 = pool
//!     .map(count_primes, 1..=100, MapOptions::new().chunksize(10))?
//!     .map(|r| r.expect("count_primes does not fail"))
//!     .sum();
//! println!("{total}");
//! # Ok::<(), concur_core::Error>(())
//! ```
#![warn(missing_docs, missing_debug_implementations)]

mod codec;
mod dispatch;
mod erased;
mod launch;
mod pool;
mod protocol;
mod runtime;
mod task;
mod transport;
mod worker;

#[doc(no_inline)]
pub use concur_core::{Error, Executor};

pub use crate::launch::{init, launched};
pub use crate::pool::{DEFAULT_INFLIGHT, MpiPool, MpiPoolBuilder};
