//! The erased path: a [`TaskObj`] — what `concur::Pool` hands any backend —
//! sent to a worker with the pool's codec, as a typed task is.
//!
//! A typed task travels as its function and a trampoline monomorphized for it
//! (`task.rs`). An erased one has no types here: they were known where the
//! `TaskObj` was made, in concur-core, which monomorphized a *remote runner*
//! for them. So the frame is the same `Run` header with
//!
//! - `func`: the task function, `tramp`: core's erased trampoline of the
//!   codec `W` (`ErasedWire`), both offsets from the anchor;
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

use concur_core::backend::{ErasedWire, RemoteResult, TaskObj, renamed};
use concur_core::{AnyFuture, Error, StatsCounter};

use super::ProcessPool;
use super::job::Sink;
use crate::codec::{BincodeWire, CallRef, Codec, MsgPackWire};
use crate::task::Wire;

impl ProcessPool {
    /// Encodes and queues an erased task; `bounded` applies `max_queued`.
    pub(super) fn submit_erased(&self, task: TaskObj, bounded: bool) -> Result<(), Error> {
        let codec = self.shared.config.codec;
        let wire = match codec {
            Codec::Bincode => ErasedWire::new::<Wire<BincodeWire>>(task),
            Codec::MessagePack => ErasedWire::new::<Wire<MsgPackWire>>(task),
        }?;
        let (func, tramp) = wire.offsets();
        let arg_type = wire.arg_type_name();
        let (arg, result) = wire.into_parts();
        let sink = Box::new(ErasedSink(result, codec));
        self.submit_sink(CallRef { func, tramp }, &arg, sink, None, bounded)
            .map_err(|e| renamed(e, arg_type))
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
        let ErasedSink(result, codec) = *self;
        match codec {
            Codec::Bincode => result.finish_decoded::<Wire<BincodeWire>>(outcome, stats),
            Codec::MessagePack => result.finish_decoded::<Wire<MsgPackWire>>(outcome, stats),
        }
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
