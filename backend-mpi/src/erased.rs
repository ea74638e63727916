//! The erased path: a [`TaskObj`] — what `concur::Pool` hands any backend —
//! sent to a worker rank as a typed task is (see concur-process's
//! `pool/erased.rs`, the same design).
//!
//! The `Run` message carries the task function and core's erased trampoline
//! of this crate's codec (`ErasedWire`), as offsets from the anchor; the argument is
//! the pair (the offset of the remote runner concur-core monomorphized at
//! submit, the argument), in bincode. The worker decodes the pair, the
//! argument through the runner, and encodes the result; rank 0 decodes the
//! result as the type fixed at submit ([`ErasedSink`]) and never calls an
//! address a worker sends.

use concur_core::backend::{ErasedWire, RemoteResult, TaskObj, renamed};
use concur_core::{Error, StatsCounter, catch_panic};

use crate::codec;
use crate::dispatch::Sink;
use crate::pool::MpiPool;
use crate::task::{Bincode, CallRef};

impl MpiPool {
    /// Encodes and queues an erased task; `bounded` applies `max_queued`.
    pub(crate) fn submit_erased(&self, task: TaskObj, bounded: bool) -> Result<(), Error> {
        // A function that cannot cross has failed its own future already
        // (as an argument that cannot be encoded, below).
        let Ok(wire) = ErasedWire::new::<Bincode>(task) else {
            return Ok(());
        };
        let (func, tramp) = wire.offsets();
        let arg_type = wire.arg_type_name();
        let bytes = catch_panic(|| codec::encode(wire.arg())).and_then(|r| r);
        let (_, result) = wire.into_parts();
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(e) => {
                // As the typed `try_submit`: a value that cannot be encoded
                // fails its own future (uncounted: it was never submitted),
                // only `Full` and `Shutdown` are refusals.
                result.fail(renamed(e, arg_type), &StatsCounter::default());
                return Ok(());
            }
        };
        let call = CallRef { func, tramp };
        self.enqueue(call, bytes, Box::new(ErasedSink(result)), bounded)
    }
}

/// The [`Sink`] of an erased task: decodes the result as the type its
/// [`RemoteResult`] was made for.
struct ErasedSink(RemoteResult);

impl Sink for ErasedSink {
    fn set_running(&self) -> bool {
        self.0.set_running()
    }

    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter) {
        // A `Deserialize` impl may panic: that fails this task only.
        self.0.finish_decoded::<Bincode>(outcome, stats);
    }
}
