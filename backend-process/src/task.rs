//! Task identity: a task function ([`TaskFn`]: a `fn` item, a closure that
//! captures nothing, a fn pointer) travels as an address relative to a fixed
//! function of the binary, core's anchor ([`offset_of`]).
//!
//! A worker is the same executable as its pool (the handshake checks it), so
//! every function sits at the same distance from the anchor in both processes,
//! whatever address space layout randomisation did to the base address. Next to
//! the function travels a trampoline monomorphized for the function's type and
//! the pool's codec (core's `call_trampoline::<F, A, R, M, Wire<W>>`), also as
//! an offset: it makes the function again from its address (a zero-sized one
//! from nothing), decodes `A` (the argument, or the tuple of arguments) with the
//! codec `W`, calls the function under [`catch_panic`](concur_core::catch_panic)
//! and encodes `R` with `W`. No name is registered anywhere, and a worker needs
//! no word of its pool's codec: the trampoline is that codec's. A closure that
//! captures values cannot cross (`Error::Encode`, at submit).
//!
//! This is the part of core's task body (`concur_core::backend::task`) that
//! runs in the worker: the body under core's `catch_panic`, or a chunk under
//! core's `run_chunk`. The rest of it — marking the future running, the
//! counters, completing the future — cannot run here: the promise and the
//! stats live in the parent, which does it through core's `task::start` and
//! `task::finish` (see `pool/job.rs`). The trampolines themselves are core's
//! (`concur_core::backend::WorkerCodec`), shared with the MPI backend; this
//! file gives them the pool's codecs.

use std::marker::PhantomData;

use concur_core::backend::{self, WorkerCodec};
use concur_core::{Error, Payload, TaskFn};
use serde::Serialize;
use serde::de::{DeserializeOwned, DeserializeSeed};

use crate::codec::{self, BincodeWire, CallRef, Codec, Encoded, MsgPackWire};

pub(crate) use concur_core::backend::offset_of;

/// The pool's codec `W` as core's trampolines use it: bounded decodes and
/// the shared-memory threshold, whose panics in serde impls are errors.
pub(crate) struct Wire<W>(PhantomData<W>);

impl<W: codec::Wire> WorkerCodec for Wire<W> {
    type Options = usize;
    type Encoded = Encoded;

    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
        codec::read::<W, T>(bytes)
    }

    fn decode_seed<T, S: for<'de> DeserializeSeed<'de, Value = T>>(
        seed: S,
        bytes: &[u8],
    ) -> Result<T, Error> {
        codec::read_seed::<W, T, S>(seed, bytes)
    }

    fn encode<T: Serialize + ?Sized>(value: &T, shared_threshold: usize) -> Result<Encoded, Error> {
        codec::encode_with::<W, T>(value, shared_threshold)
    }
}

/// Which of core's typed trampolines a task travels with.
#[derive(Clone, Copy)]
enum Body {
    /// The task once (`call_trampoline`).
    Call,
    /// The task over a chunk of items (`chunk_trampoline`).
    Chunk,
}

/// The wire form of `f` with `body`, in `codec`: the one place that pairs a
/// body with a codec's trampoline.
///
/// # Errors
///
/// `Error::Encode` when `f` is a closure that captures values.
fn wire_ref<F, A, R, M>(f: F, codec: Codec, body: Body) -> Result<CallRef, Error>
where
    F: TaskFn<A, R, M>,
    A: Payload,
    R: Payload,
{
    fn offsets<F, A, R, M, W>(f: F, body: Body) -> Result<(i64, i64), Error>
    where
        F: TaskFn<A, R, M>,
        A: Payload,
        R: Payload,
        W: codec::Wire,
    {
        match body {
            Body::Call => backend::call_trampoline::<F, A, R, M, Wire<W>>(f),
            Body::Chunk => backend::chunk_trampoline::<F, A, R, M, Wire<W>>(f),
        }
    }
    let (func, tramp) = match codec {
        Codec::Bincode => offsets::<F, A, R, M, BincodeWire>(f, body),
        Codec::MessagePack => offsets::<F, A, R, M, MsgPackWire>(f, body),
    }?;
    Ok(CallRef { func, tramp })
}

/// The wire form of a task `f` whose payloads travel in `codec`.
///
/// # Errors
///
/// `Error::Encode` when `f` is a closure that captures values.
pub(crate) fn call_ref<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
    f: F,
    codec: Codec,
) -> Result<CallRef, Error> {
    wire_ref(f, codec, Body::Call)
}

/// The wire form of `f` run over a chunk of items (`submit_chunk`).
///
/// # Errors
///
/// As [`call_ref`].
pub(crate) fn chunk_ref<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
    f: F,
    codec: Codec,
) -> Result<CallRef, Error> {
    wire_ref(f, codec, Body::Chunk)
}

/// The wire form of an initializer `f` (a fn pointer: it always crosses).
pub(crate) fn init_ref<A: Payload>(f: fn(A), codec: Codec) -> CallRef {
    call_ref(f, codec).expect("a fn pointer crosses to a worker")
}

/// Runs a task received from the pool: the trampoline decodes, calls, encodes.
///
/// # Safety
///
/// `call` must have been made by [`call_ref`], [`chunk_ref`], [`init_ref`] or
/// `pool/erased.rs` in a process running this very binary (the worker
/// handshake checks the binary's identity), in the codec whose trampoline it
/// names, so that both offsets land on the functions they were taken from.
pub(crate) unsafe fn invoke(
    call: CallRef,
    arg: &[u8],
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    // The trampoline is the codec's, and every trampoline of either codec
    // has the same signature (`Options = usize`, `Encoded`), so the
    // bincode instance calls a MessagePack trampoline as well.
    // SAFETY: by this function's contract, `backend::invoke`'s.
    unsafe { backend::invoke::<Wire<BincodeWire>>(call.func, call.tramp, arg, shared_threshold) }
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
        let arg = codec::encode_value(&21u32).unwrap();
        // SAFETY: made by `call_ref` in this process.
        let Ok(Encoded::Inline(out)) =
            (unsafe { invoke(call_ref(double, Codec::Bincode).unwrap(), &arg, 1024) })
        else {
            panic!("a small result travels inline")
        };
        assert_eq!(codec::decode_value::<u32>(&out).unwrap(), 42);

        let arg = codec::encode_value(&vec![1u32, 2, 3]).unwrap();
        // SAFETY: made by `chunk_ref` in this process.
        let Ok(Encoded::Shared(out)) =
            (unsafe { invoke(chunk_ref(double, Codec::Bincode).unwrap(), &arg, 0) })
        else {
            panic!("above the threshold, a result goes to shared memory")
        };
        let back: concur_core::ChunkResult<u32> = codec::decode_value(&out).unwrap();
        assert_eq!(back.into_vec(), vec![Ok(2), Ok(4), Ok(6)]);
    }

    #[test]
    fn panics_and_bad_arguments_fail_the_task() {
        let arg = codec::encode_value(&()).unwrap();
        // SAFETY: made by `call_ref` in this process.
        let err =
            unsafe { invoke(call_ref(boom, Codec::Bincode).unwrap(), &arg, 1024) }.unwrap_err();
        assert!(matches!(err, Error::Panicked { ref message, .. } if message == "boom"));
        // SAFETY: made by `call_ref` in this process.
        let err =
            unsafe { invoke(call_ref(double, Codec::Bincode).unwrap(), &[], 1024) }.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }
}
