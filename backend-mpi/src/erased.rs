//! The erased path: a [`TaskObj`] — what `concur::Pool` hands any backend —
//! sent to a worker rank as a typed task is (see concur-process's
//! `pool/erased.rs`, the same design).
//!
//! The `Run` message carries the task function and [`call_erased`], the one
//! trampoline of erased tasks, as offsets from the anchor; the argument is
//! the pair (the offset of the remote runner concur-core monomorphized at
//! submit, the argument), in bincode. The worker decodes the pair, the
//! argument through the runner, and encodes the result; rank 0 decodes the
//! result as the type fixed at submit ([`ErasedSink`]) and never calls an
//! address a worker sends.

use std::cell::Cell;

use concur_core::backend::{ArgSeed, RemoteResult, TaskObj, WireArg, erased_serde};
use concur_core::{Error, StatsCounter, catch_panic};

use crate::codec;
use crate::dispatch::Sink;
use crate::pool::MpiPool;
use crate::task::{self, CallRef, Trampoline};

impl MpiPool {
    /// Encodes and queues an erased task; `bounded` applies `max_queued`.
    pub(crate) fn submit_erased(&self, task: TaskObj, bounded: bool) -> Result<(), Error> {
        // A function that cannot cross has failed its own future already
        // (as an argument that cannot be encoded, below).
        let Ok(remote) = task.into_remote() else {
            return Ok(());
        };
        let call = remote.call();
        let arg_type = remote.arg_type_name();
        let (arg, result) = remote.into_parts();
        let wire = WireArg::new(task::offset_of(call.runner()), &*arg);
        let bytes = match catch_panic(|| codec::encode(&wire)).and_then(|r| r) {
            Ok(bytes) => bytes,
            Err(e) => {
                // As the typed `try_submit`: a value that cannot be encoded
                // fails its own future (uncounted: it was never submitted),
                // only `Full` and `Shutdown` are refusals.
                result.fail(renamed(e, arg_type), &StatsCounter::default());
                return Ok(());
            }
        };
        let call_ref = CallRef {
            func: task::offset_of(call.func()),
            tramp: task::offset_of(call_erased as Trampoline as usize),
        };
        self.enqueue(call_ref, bytes, Box::new(ErasedSink(result)), bounded)
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
struct ErasedSink(RemoteResult);

impl Sink for ErasedSink {
    fn set_running(&self) -> bool {
        self.0.set_running()
    }

    fn finish(self: Box<Self>, outcome: Result<&[u8], Error>, stats: &StatsCounter) {
        let ErasedSink(mut result) = *self;
        let name = result.type_name();
        // A `Deserialize` impl may panic: that fails this task only.
        let outcome = outcome.and_then(|bytes| {
            catch_panic(|| codec::decode_seed(result.seed(), bytes))?.map_err(|e| renamed(e, name))
        });
        result.finish(outcome, stats);
    }
}

/// The trampoline of every erased task, in a worker rank.
fn call_erased(fptr: usize, arg: &[u8]) -> Result<Vec<u8>, Error> {
    let arg_type = Cell::new("the argument of an erased task");
    // SAFETY: `fptr` and the runner's offset in `arg` were sent by rank 0,
    // which runs this very binary (the handshake checks every rank's
    // executable), from one `RemoteTask` (`submit_erased`); `from_offset`
    // inverts the offsets it took.
    let seed = unsafe { ArgSeed::new(fptr, task::from_offset, &arg_type) };
    let prepared =
        catch_panic(|| codec::decode_seed(seed, arg))?.map_err(|e| renamed(e, arg_type.get()))?;
    let mut out = None;
    prepared.run(&mut |value, type_name| {
        let bytes = catch_panic(|| codec::encode::<dyn erased_serde::Serialize>(value))?
            .map_err(|e| renamed(e, type_name))?;
        out = Some(bytes);
        Ok(())
    })?;
    out.ok_or_else(|| Error::Encode {
        type_name: arg_type.get().to_owned(),
        message: "the task's runner returned without its output".to_owned(),
    })
}
