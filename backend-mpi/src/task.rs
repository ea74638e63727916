//! Task identity: a task function ([`TaskFn`]: a `fn` item, a closure that
//! captures nothing, a fn pointer) travels as an offset from a fixed function
//! of the binary, core's anchor ([`offset_of`]).
//!
//! Every rank runs the same executable (the handshake checks it, see
//! `protocol::Identity`), so a function sits at the same distance from the anchor
//! in every rank's address space, whatever address space layout randomisation
//! did to the base address. Beside the function travels a trampoline
//! monomorphized for the function's type (core's `call_trampoline::<F, A, R,
//! M, Bincode>`), also as an offset: it makes the function again from its
//! address (a zero-sized one from nothing), decodes `A` (the argument or the
//! tuple of arguments), runs the function under `catch_panic` and encodes `R`.
//! No name is registered; a closure that captures values cannot cross
//! (`Error::Encode`, at submit). The trampolines are core's, shared with the
//! process backend; this file gives them this crate's codec ([`Bincode`]).

use concur_core::backend::{self, WorkerCodec};
use concur_core::{Error, Payload, TaskFn, catch_panic};
use serde::de::{DeserializeOwned, DeserializeSeed};
use serde::{Deserialize, Serialize};

use crate::codec;

pub(crate) use concur_core::backend::offset_of;

/// A task function and its trampoline, as offsets from the anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CallRef {
    /// The task function (what `fn_address` gave: 0 for a zero-sized one).
    pub(crate) func: i64,
    /// Its trampoline (one call, a chunk, or an erased task's).
    pub(crate) tramp: i64,
}

/// This crate's codec as core's trampolines use it: bincode, with a panic in
/// a serde impl caught (as `Error::Panicked`), never unwinding.
pub(crate) struct Bincode;

impl WorkerCodec for Bincode {
    type Options = ();
    type Encoded = Vec<u8>;

    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
        catch_panic(|| codec::decode(bytes))?
    }

    fn decode_seed<T, S: for<'de> DeserializeSeed<'de, Value = T>>(
        seed: S,
        bytes: &[u8],
    ) -> Result<T, Error> {
        catch_panic(|| codec::decode_seed(seed, bytes))?
    }

    fn encode<T: Serialize + ?Sized>(value: &T, (): ()) -> Result<Vec<u8>, Error> {
        catch_panic(|| codec::encode(value))?
    }
}

fn call_ref_of((func, tramp): (i64, i64)) -> CallRef {
    CallRef { func, tramp }
}

/// The wire form of a task `f`.
///
/// # Errors
///
/// `Error::Encode` when `f` is a closure that captures values.
pub(crate) fn call_ref<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
    f: F,
) -> Result<CallRef, Error> {
    backend::call_trampoline::<F, A, R, M, Bincode>(f).map(call_ref_of)
}

/// The wire form of `f` run over a chunk of items (`submit_chunk`).
///
/// # Errors
///
/// As [`call_ref`].
pub(crate) fn chunk_ref<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
    f: F,
) -> Result<CallRef, Error> {
    backend::chunk_trampoline::<F, A, R, M, Bincode>(f).map(call_ref_of)
}

/// The wire form of an initializer `f` (a fn pointer: it always crosses).
pub(crate) fn init_ref<A: Payload>(f: fn(A)) -> CallRef {
    call_ref(f).expect("a fn pointer crosses to a worker")
}

/// Runs a task received from rank 0: the trampoline decodes, calls, encodes.
///
/// # Safety
///
/// `call` must have been made by [`call_ref`], [`chunk_ref`], [`init_ref`]
/// or `erased.rs` in a process running this very binary (the handshake
/// checks every rank's executable), so that both offsets land on the
/// functions they were taken from.
pub(crate) unsafe fn invoke(call: CallRef, arg: &[u8]) -> Result<Vec<u8>, Error> {
    // SAFETY: by this function's contract, `backend::invoke`'s.
    unsafe { backend::invoke::<Bincode>(call.func, call.tramp, arg, ()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(x: u32) -> u32 {
        x * 2
    }

    fn boom(_: ()) -> u8 {
        panic!("boom")
    }

    #[test]
    fn a_call_ref_runs_in_process() {
        let arg = codec::encode(&21u32).unwrap();
        // SAFETY: made by `call_ref` in this process.
        let out = unsafe { invoke(call_ref(double).unwrap(), &arg) }.unwrap();
        assert_eq!(codec::decode::<u32>(&out).unwrap(), 42);

        let arg = codec::encode(&vec![1u32, 2, 3]).unwrap();
        // SAFETY: made by `chunk_ref` in this process.
        let out = unsafe { invoke(chunk_ref(double).unwrap(), &arg) }.unwrap();
        let back: concur_core::ChunkResult<u32> = codec::decode(&out).unwrap();
        assert_eq!(back.into_vec(), vec![Ok(2), Ok(4), Ok(6)]);
    }

    #[test]
    fn panics_and_bad_arguments_fail_the_task() {
        let arg = codec::encode(&()).unwrap();
        // SAFETY: made by `call_ref` in this process.
        let err = unsafe { invoke(call_ref(boom).unwrap(), &arg) }.unwrap_err();
        assert!(matches!(err, Error::Panicked { ref message, .. } if message == "boom"));
        // SAFETY: made by `call_ref` in this process.
        let err = unsafe { invoke(call_ref(double).unwrap(), &[]) }.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }
}
