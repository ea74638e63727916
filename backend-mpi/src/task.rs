//! Task identity: a task function ([`TaskFn`]: a `fn` item, a closure that
//! captures nothing, a fn pointer) travels as an offset from a fixed function
//! of the binary, the [`anchor`].
//!
//! Every rank runs the same executable (the handshake checks it, see
//! `protocol::Identity`), so a function sits at the same distance from the anchor
//! in every rank's address space, whatever address space layout randomisation
//! did to the base address. Beside the function travels a trampoline
//! monomorphized for the function's type, `call::<F, A, R, M>`, also as an
//! offset: it makes the function again from its address ([`fn_from_address`]:
//! a zero-sized one from nothing), decodes `A` (the argument or the tuple of
//! arguments), runs the function under [`catch_panic`] and encodes `R`. No
//! name is registered; a closure that captures values cannot cross
//! ([`fn_address`] says so with `Error::Encode`, at submit).

use concur_core::backend::{fn_address, fn_from_address};
use concur_core::{Error, Payload, TaskFn, catch_panic, run_chunk};
use serde::{Deserialize, Serialize};

use crate::codec;

/// The fixed point every offset is measured from. Never inlined, so it has an
/// address of its own; its body is irrelevant.
#[inline(never)]
pub(crate) fn anchor() {
    std::hint::black_box(());
}

/// A task function and its trampoline, as offsets from the anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CallRef {
    /// The task function (0 for a zero-sized one).
    pub(crate) func: i64,
    /// `call::<F, A, R, M>` or `call_chunk::<F, A, R, M>`.
    pub(crate) tramp: i64,
}

/// The shape of every trampoline: the function's address and the encoded
/// argument in, the encoded result (or the task's error) out.
pub(crate) type Trampoline = fn(usize, &[u8]) -> Result<Vec<u8>, Error>;

fn anchor_addr() -> i64 {
    anchor as fn() as usize as i64
}

/// The offset of `addr` from the anchor.
pub(crate) fn offset_of(addr: usize) -> i64 {
    (addr as i64).wrapping_sub(anchor_addr())
}

pub(crate) fn from_offset(rel: i64) -> usize {
    anchor_addr().wrapping_add(rel) as usize
}

/// The wire form of a task `f`.
///
/// # Errors
///
/// `Error::Encode` when `f` is a closure that captures values
/// ([`fn_address`]).
pub(crate) fn call_ref<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
    f: F,
) -> Result<CallRef, Error> {
    Ok(CallRef {
        func: offset_of(fn_address(f)?),
        tramp: offset_of(call::<F, A, R, M> as Trampoline as usize),
    })
}

/// The wire form of `f` run over a chunk of items (`submit_chunk`).
///
/// # Errors
///
/// As [`call_ref`].
pub(crate) fn chunk_ref<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
    f: F,
) -> Result<CallRef, Error> {
    Ok(CallRef {
        func: offset_of(fn_address(f)?),
        tramp: offset_of(call_chunk::<F, A, R, M> as Trampoline as usize),
    })
}

/// The wire form of an initializer `f` (a fn pointer: it always crosses).
pub(crate) fn init_ref<A: Payload>(f: fn(A)) -> CallRef {
    call_ref(f).expect("a fn pointer crosses to a worker")
}

/// Runs a task received from rank 0: the trampoline decodes, calls, encodes.
///
/// # Safety
///
/// `call` must have been made by [`call_ref`], [`chunk_ref`] or [`init_ref`] in
/// a process running this very binary (the handshake checks every rank's
/// executable), so that both offsets land on the functions they were taken from.
pub(crate) unsafe fn invoke(call: CallRef, arg: &[u8]) -> Result<Vec<u8>, Error> {
    // SAFETY: by this function's contract `call.tramp` is the offset of a
    // `call::<A, R>` or `call_chunk::<A, R>` of this binary, all of which have the
    // `Trampoline` signature; fn pointers and usize have the same size on every
    // target this crate builds for.
    let tramp = unsafe { std::mem::transmute::<usize, Trampoline>(from_offset(call.tramp)) };
    tramp(from_offset(call.func), arg)
}

/// The trampoline of the task function `F`. Decoding `A` runs under
/// `catch_panic` too, since a `Deserialize` impl may panic; so does encoding `R`.
fn call<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
    fptr: usize,
    arg: &[u8],
) -> Result<Vec<u8>, Error> {
    // SAFETY: this trampoline is only ever paired (by `call_ref`) with what
    // `fn_address` gave for a value of this very `F` in this binary.
    let f: F = unsafe { fn_from_address(fptr) };
    let value = catch_panic(|| codec::decode::<A>(arg).map(|a| f.call(a)))??;
    catch_panic(|| codec::encode(&value))?
}

/// The trampoline of `F` over a chunk: decodes `Vec<A>`, runs each item
/// alone, encodes its `ChunkResult` (the values, and the failed items'
/// positions and errors).
fn call_chunk<F: TaskFn<A, R, M>, A: Payload, R: Payload, M>(
    fptr: usize,
    arg: &[u8],
) -> Result<Vec<u8>, Error> {
    // SAFETY: as in `call`: paired by `chunk_ref` with `fn_address` of an `F`.
    let f: F = unsafe { fn_from_address(fptr) };
    let items = catch_panic(|| codec::decode::<Vec<A>>(arg))??;
    let out = run_chunk(|a| f.call(a), items);
    catch_panic(|| codec::encode(&out))?
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
