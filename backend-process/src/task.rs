//! Task identity: a task function ([`TaskFn`]: a `fn` item, a closure that
//! captures nothing, a fn pointer) travels as an address relative to a fixed
//! function of the binary, the [`anchor`].
//!
//! A worker is the same executable as its pool (the handshake checks it), so
//! every function sits at the same distance from the anchor in both processes,
//! whatever address space layout randomisation did to the base address. Next to
//! the function travels a trampoline monomorphized for the function's type,
//! [`call`]`::<F, A, R, M, W>`, also as an offset: it makes the function again
//! from its address ([`fn_from_address`]: a zero-sized one from nothing),
//! decodes `A` (the argument, or the tuple of arguments) with the codec `W`,
//! calls the function under [`catch_panic`] and encodes `R` with `W`. No name
//! is registered anywhere, and a worker needs no word of its pool's codec:
//! the trampoline is that codec's. A closure that captures values cannot
//! cross ([`fn_address`] says so with `Error::Encode`, at submit).
//!
//! This is the part of core's task body (`concur_core::backend::task`) that
//! runs in the worker: the body under core's [`catch_panic`], or a chunk under
//! core's [`run_chunk`]. The rest of it — marking the future running, the
//! counters, completing the future — cannot run here: the promise and the
//! stats live in the parent, which does it through core's `task::start` and
//! `task::finish` (see `pool/job.rs`).

use concur_core::backend::{fn_address, fn_from_address};
use concur_core::{Error, Payload, TaskFn, catch_panic, run_chunk};

use crate::codec::{self, BincodeWire, CallRef, Codec, Encoded, MsgPackWire, Wire};

/// The fixed point every task offset is measured from. Never inlined, so it has
/// an address; its body is irrelevant.
#[inline(never)]
pub(crate) fn anchor() {
    std::hint::black_box(());
}

/// The shape of every trampoline: the task function's address, the encoded
/// argument and the shared-memory threshold in, the encoded result (or the
/// task's error) out.
pub(crate) type Trampoline = fn(usize, &[u8], usize) -> Result<Encoded, Error>;

fn anchor_addr() -> i64 {
    anchor as fn() as usize as i64
}

fn to_rel(addr: usize) -> i64 {
    (addr as i64).wrapping_sub(anchor_addr())
}

fn from_rel(rel: i64) -> usize {
    anchor_addr().wrapping_add(rel) as usize
}

/// The offset of `addr` from the anchor (also used as a build fingerprint).
pub(crate) fn offset_of(addr: usize) -> i64 {
    to_rel(addr)
}

/// The address at offset `rel` from the anchor (the inverse of [`offset_of`]).
pub(crate) fn address_of(rel: i64) -> usize {
    from_rel(rel)
}

/// The wire form of a task `f` whose payloads travel in `codec`.
///
/// # Errors
///
/// `Error::Encode` when `f` is a closure that captures values
/// ([`fn_address`]).
pub(crate) fn call_ref<F, A, R, M>(f: F, codec: Codec) -> Result<CallRef, Error>
where
    F: TaskFn<A, R, M>,
    A: Payload,
    R: Payload,
{
    let tramp: Trampoline = match codec {
        Codec::Bincode => call::<F, A, R, M, BincodeWire>,
        Codec::MessagePack => call::<F, A, R, M, MsgPackWire>,
    };
    Ok(CallRef {
        func: to_rel(fn_address(f)?),
        tramp: to_rel(tramp as usize),
    })
}

/// The wire form of `f` run over a chunk of items (`submit_chunk`).
///
/// # Errors
///
/// As [`call_ref`].
pub(crate) fn chunk_ref<F, A, R, M>(f: F, codec: Codec) -> Result<CallRef, Error>
where
    F: TaskFn<A, R, M>,
    A: Payload,
    R: Payload,
{
    let tramp: Trampoline = match codec {
        Codec::Bincode => call_chunk::<F, A, R, M, BincodeWire>,
        Codec::MessagePack => call_chunk::<F, A, R, M, MsgPackWire>,
    };
    Ok(CallRef {
        func: to_rel(fn_address(f)?),
        tramp: to_rel(tramp as usize),
    })
}

/// The wire form of an initializer `f` (a fn pointer: it always crosses).
pub(crate) fn init_ref<A: Payload>(f: fn(A), codec: Codec) -> CallRef {
    call_ref(f, codec).expect("a fn pointer crosses to a worker")
}

/// Runs a task received from the pool: the trampoline decodes, calls, encodes.
///
/// # Safety
///
/// `call` must have been made by [`call_ref`], [`chunk_ref`] or [`init_ref`] in a
/// process running this very binary (the worker handshake checks the binary's
/// identity), so that both offsets land on the functions they were taken from.
pub(crate) unsafe fn invoke(
    call: CallRef,
    arg: &[u8],
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    // SAFETY: by this function's contract `call.tramp` is the offset of a
    // `call::<A, R>` or `call_chunk::<A, R>` instantiation of this binary, all of
    // which have the `Trampoline` signature; fn pointers and usize have the same
    // size on every supported target.
    let tramp = unsafe { std::mem::transmute::<usize, Trampoline>(from_rel(call.tramp)) };
    tramp(from_rel(call.func), arg, shared_threshold)
}

/// The trampoline of the task function `F` with the codec `W`. A panic of the
/// task is `Error::Panicked`; one in `A`'s `Deserialize` or `R`'s `Serialize`
/// is `Error::Decode` / `Error::Encode` (the codec catches those).
fn call<F: TaskFn<A, R, M>, A: Payload, R: Payload, M, W: Wire>(
    fptr: usize,
    arg: &[u8],
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    // SAFETY: this trampoline is only ever paired (by `call_ref`) with what
    // `fn_address` gave for a value of this very `F` in this binary.
    let f: F = unsafe { fn_from_address(fptr) };
    let arg = codec::read::<W, A>(arg)?;
    let value = catch_panic(|| f.call(arg))?;
    codec::encode_with::<W, R>(&value, shared_threshold)
}

/// The trampoline of `F` over a chunk: decodes `Vec<A>`, runs each item
/// alone, encodes its [`ChunkResult`](concur_core::ChunkResult) (the values, and the failed items'
/// positions and errors).
fn call_chunk<F: TaskFn<A, R, M>, A: Payload, R: Payload, M, W: Wire>(
    fptr: usize,
    arg: &[u8],
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    // SAFETY: as in `call`: paired by `chunk_ref` with `fn_address` of an `F`.
    let f: F = unsafe { fn_from_address(fptr) };
    let items = codec::read::<W, Vec<A>>(arg)?;
    codec::encode_with::<W, _>(&run_chunk(|a| f.call(a), items), shared_threshold)
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
