//! The toolkit a backend is built from, so that a behaviour every backend
//! shares is written — and fixed — once:
//!
//! - [`task`]: the task body (mark running, count, catch the panic, complete)
//!   and the two ways a queued task ends unrun;
//! - [`run_chunk`] for `map`'s chunks, into a [`ChunkResult`] (values in one
//!   buffer, failures beside it);
//! - [`Gate`]: the submit/close protocol that tells `shutdown` no task will
//!   arrive any more; [`QueueBound`]: the `max_queued` bound of `try_submit`;
//! - [`check_max_workers`], [`check_max_queued`], [`check_thread_name_prefix`]:
//!   the builder vocabulary, validated the same way on every pool;
//! - [`deadline`], [`remaining`], [`expired`]: a timeout turned into an instant
//!   and back;
//! - [`CachePadded`]: a value on cache lines of its own;
//! - [`FutureCell`]: a future's shared state placed in the backend's own
//!   per-task allocation (one allocation per task instead of two), with the
//!   [`ReleaseHook`] its last handle calls;
//! - [`map_with`]: core's lazy, windowed `map` over tasks the backend submits
//!   its own way, and [`map_closure`] on it: `map` over any closure for a
//!   pool that runs closures in process ([`SpawnClosure`]: the thread and
//!   async pools);
//! - [`TaskObj`]: one task with its types erased, what
//!   [`Executor::submit_task`](crate::Executor::submit_task) takes — run in
//!   process, or taken apart into a [`RemoteTask`] for a worker process;
//! - for a backend whose workers are processes running this binary, over
//!   its own [`WorkerCodec`]: task identity as offsets ([`offset_of`],
//!   [`address_of`]), the trampolines ([`call_trampoline`],
//!   [`chunk_trampoline`], [`erased_trampoline`], run by [`invoke`]) and
//!   the erased task's two ends ([`ErasedWire`],
//!   [`RemoteResult::finish_decoded`]);
//! - and what the crate root also exports for backends: [`Promise`] (the
//!   producer side of a future), [`StatsCounter`], [`catch_panic`],
//!   [`set_wait_hook`].
//!
//! A backend is any type that implements [`Executor`](crate::Executor); this
//! module is what makes one short. The crate's `README.md` walks through a
//! whole one, and `concur-conformance` proves it keeps the contract.
//!
//! ```
//! use concur_core::backend::{self, Gate, QueueBound};
//! use concur_core::{Error, Future, Promise, StatsCounter};
//!
//! // The life of one task in a pool of your own.
//! let gate = Gate::default();
//! let bound = QueueBound::new(backend::check_max_queued(Some(16))?);
//! let stats = StatsCounter::default();
//!
//! // Submit: admitted, counted, queued.
//! assert!(gate.enter());
//! bound.try_admit()?;
//! stats.submitted();
//! let promise = Promise::new();
//! let future: Future<u32> = promise.future();
//! gate.leave();
//!
//! // A worker takes it out of the queue and runs it.
//! bound.leave();
//! backend::task::run(promise, &stats, || 2 + 2);
//! assert_eq!(future.result(None)?, 4);
//! assert_eq!(stats.snapshot(1).completed, 1);
//! # Ok::<(), Error>(())
//! ```

mod admission;
mod cell;
mod chunk;
mod config;
mod cursor;
mod deadline;
mod padded;
pub mod task;

pub use admission::{Gate, QueueBound};
pub use cell::{FutureCell, ReleaseHook};
pub use chunk::{ChunkIter, ChunkResult, run_chunk};
pub use config::{check_max_queued, check_max_workers, check_thread_name_prefix};
pub(crate) use cursor::reuse;
pub use deadline::{deadline, expired, remaining};
pub use padded::CachePadded;

pub use crate::erased::{
    ArgSeed, Encode, ErasedWire, Prepared, RemoteCall, RemoteResult, RemoteTask, ResultSeed,
    TaskObj, Trampoline, WireArg, WorkerCodec, address_of, call_trampoline, chunk_trampoline,
    erased_trampoline, fn_address, fn_from_address, invoke, offset_of, renamed,
};
/// The erased serde traits of [`RemoteTask`]'s argument and result, for an
/// out-of-process backend's codec (the same version as concur-core's).
pub use erased_serde;

pub use crate::hook::{WaitHook, set_wait_hook};
pub use crate::map::{SpawnClosure, map_closure, map_with};
pub use crate::panic::catch_panic;
pub use crate::promise::Promise;
pub use crate::stats::StatsCounter;
