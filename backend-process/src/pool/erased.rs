//! The erased path: a [`TaskObj`] — what `concur::Pool` hands any backend —
//! sent to a worker with the pool's codec, as a typed task is.
//!
//! A typed task travels as its function and a trampoline `call::<A, R, W>`
//! (`task.rs`). An erased one has no `A` and `R` here: they were known where
//! the `TaskObj` was made, in concur-core, which monomorphized a *remote
//! runner* for them. So the frame is the same `Run` header with
//!
//! - `func`: the task function, `tramp`: [`call_erased::<W>`], the one
//!   trampoline of erased tasks per codec, both offsets from the anchor;
//! - as the argument, the pair (the runner's offset, the argument), encoded
//!   once by the codec `W` through an erased `Serialize` — with the check of
//!   `check.rs`, which sees every serde call the argument makes, unchanged.
//!
//! The worker decodes the pair through the guard of `guard.rs` (bounded by
//! the frame), the argument through an erased deserializer handed to the
//! runner, and encodes the result with `W`. The parent decodes the result
//! with [`ErasedSink`], as the type fixed at submit, through the same guard:
//! the parent calls no address and trusts no type a worker sends, and a
//! value arrives unchanged or its task fails with `Encode` / `Decode`.

use std::cell::Cell;

use concur_core::backend::{ArgSeed, RemoteResult, TaskObj, WireArg, erased_serde};
use concur_core::{AnyFuture, Error, StatsCounter};

use super::ProcessPool;
use super::job::Sink;
use crate::codec::{self, BincodeWire, CallRef, Codec, Encoded, MsgPackWire, Wire};
use crate::task::{self, Trampoline};

impl ProcessPool {
    /// Encodes and queues an erased task; `bounded` applies `max_queued`.
    pub(super) fn submit_erased(&self, task: TaskObj, bounded: bool) -> Result<(), Error> {
        let codec = self.shared.config.codec;
        let remote = task.into_remote()?;
        let call = remote.call();
        let tramp: Trampoline = match codec {
            Codec::Bincode => call_erased::<BincodeWire>,
            Codec::MessagePack => call_erased::<MsgPackWire>,
        };
        let call_ref = CallRef {
            func: task::offset_of(call.func()),
            tramp: task::offset_of(tramp as usize),
        };
        let arg_type = remote.arg_type_name();
        let (arg, result) = remote.into_parts();
        let arg = WireArg::new(task::offset_of(call.runner()), &*arg);
        let sink = Box::new(ErasedSink(result, codec));
        self.submit_sink(call_ref, &arg, sink, None, bounded)
            .map_err(|e| renamed(e, arg_type))
    }
}

/// An `Encode` / `Decode` error that names the erased value's own type.
fn renamed(error: Error, name: &str) -> Error {
    match error {
        Error::Encode { message, .. } => Error::Encode {
            type_name: name.to_owned(),
            message,
        },
        Error::Decode { message, .. } => Error::Decode {
            type_name: name.to_owned(),
            message,
        },
        other => other,
    }
}

/// The [`Sink`] of an erased task: decodes the result as the type its
/// [`RemoteResult`] was made for.
struct ErasedSink(RemoteResult, Codec);

impl Sink for ErasedSink {
    fn start(&self, stats: &StatsCounter) -> bool {
        self.0.start(stats)
    }

    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter) {
        let ErasedSink(mut result, codec) = *self;
        let name = result.type_name();
        let outcome = outcome.and_then(|bytes| {
            codec::decode_payload_seed(codec, result.seed(), bytes).map_err(|e| renamed(e, name))
        });
        result.finish(outcome, stats);
    }

    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter) {
        self.0.fail(error, stats);
    }

    fn fail_queued(self: Box<Self>, error: Error, stats: &StatsCounter) {
        self.0.fail_queued(error, stats);
    }

    fn cancel_queued(self: Box<Self>, stats: &StatsCounter) {
        self.0.cancel_queued(stats);
    }

    fn completes(&self, future: &AnyFuture) -> bool {
        self.0.future().same_as(future)
    }
}

/// The trampoline of every erased task in codec `W`, in the worker: decodes
/// (the runner's offset, the argument), runs the task, encodes its output.
fn call_erased<W: Wire>(
    fptr: usize,
    arg: &[u8],
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    let arg_type = Cell::new("the argument of an erased task");
    // SAFETY: `fptr` and the runner's offset in `arg` were sent by this
    // worker's pool, which runs this very binary (the handshake checked it),
    // from one `RemoteTask` (`submit_erased`); `address_of` inverts the
    // offsets it took. The worker trusts its pool as it does for every typed
    // trampoline (`task::invoke`).
    let seed = unsafe { ArgSeed::new(fptr, task::address_of, &arg_type) };
    let prepared =
        codec::read_seed::<W, _, _>(seed, arg).map_err(|e| renamed(e, arg_type.get()))?;
    let mut out = None;
    prepared.run(&mut |value, type_name| {
        let encoded = codec::encode_with::<W, dyn erased_serde::Serialize>(value, shared_threshold)
            .map_err(|e| renamed(e, type_name))?;
        out = Some(encoded);
        Ok(())
    })?;
    out.ok_or_else(|| Error::Encode {
        type_name: arg_type.get().to_owned(),
        message: "the task's runner returned without its output".to_owned(),
    })
}
