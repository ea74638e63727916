//! Task identity: a plain `fn(A) -> R` travels as its address relative to a fixed
//! function of the binary, the [`anchor`].
//!
//! A worker is the same executable as its pool (the handshake checks it), so
//! every function sits at the same distance from the anchor in both processes,
//! whatever address space layout randomisation did to the base address. Next to
//! the function travels a monomorphized trampoline, [`call`]`::<A, R>`, also as
//! an offset: it decodes `A`, calls the function under
//! [`catch_panic`] and encodes `R`. No name is
//! registered anywhere; any non-capturing function works.

use concur_core::{Error, Payload, catch_panic, run_chunk};

use crate::codec::{self, CallRef, Encoded};

/// The fixed point every task offset is measured from. Never inlined, so it has
/// an address; its body is irrelevant.
#[inline(never)]
pub(crate) fn anchor() {
    std::hint::black_box(());
}

/// The shape of every trampoline: the task function's address, the encoded
/// argument and the shared-memory threshold in, the encoded result (or the
/// task's error) out.
type Trampoline = fn(usize, &[u8], usize) -> Result<Encoded, Error>;

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

/// The wire form of a task `f`.
pub(crate) fn call_ref<A: Payload, R: Payload>(f: fn(A) -> R) -> CallRef {
    CallRef {
        func: to_rel(f as usize),
        tramp: to_rel(call::<A, R> as Trampoline as usize),
    }
}

/// The wire form of `f` run over a chunk of items (`submit_chunk`).
pub(crate) fn chunk_ref<A: Payload, R: Payload>(f: fn(A) -> R) -> CallRef {
    CallRef {
        func: to_rel(f as usize),
        tramp: to_rel(call_chunk::<A, R> as Trampoline as usize),
    }
}

/// The wire form of an initializer `f`.
pub(crate) fn init_ref<A: Payload>(f: fn(A)) -> CallRef {
    CallRef {
        func: to_rel(f as usize),
        tramp: to_rel(call::<A, ()> as Trampoline as usize),
    }
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

/// The trampoline of `fn(A) -> R`. The decode of `A` runs under `catch_panic` too,
/// since a `Deserialize` impl may panic.
fn call<A: Payload, R: Payload>(
    fptr: usize,
    arg: &[u8],
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    // SAFETY: this trampoline is only ever paired (by `call_ref`/`init_ref`) with
    // the address of a `fn(A) -> R` of the same `A` and `R` in this binary, so the
    // address is a valid function pointer of exactly this type.
    let f = unsafe { std::mem::transmute::<usize, fn(A) -> R>(fptr) };
    let value = catch_panic(|| codec::decode_value::<A>(arg).map(f))??;
    codec::encode_payload(&value, shared_threshold)
}

/// The trampoline of `fn(A) -> R` over a chunk: decodes `Vec<A>`, runs each item
/// alone, encodes the `Vec<Result<R, Error>>`.
fn call_chunk<A: Payload, R: Payload>(
    fptr: usize,
    arg: &[u8],
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    // SAFETY: as in `call`: paired by `chunk_ref` with a `fn(A) -> R` of this binary.
    let f = unsafe { std::mem::transmute::<usize, fn(A) -> R>(fptr) };
    let items = catch_panic(|| codec::decode_value::<Vec<A>>(arg))??;
    codec::encode_payload(&run_chunk(f, items), shared_threshold)
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
        let Ok(Encoded::Inline(out)) = (unsafe { invoke(call_ref(double), &arg, 1024) }) else {
            panic!("a small result travels inline")
        };
        assert_eq!(codec::decode_value::<u32>(&out).unwrap(), 42);

        let arg = codec::encode_value(&vec![1u32, 2, 3]).unwrap();
        // SAFETY: made by `chunk_ref` in this process.
        let Ok(Encoded::Shared(out)) = (unsafe { invoke(chunk_ref(double), &arg, 0) }) else {
            panic!("above the threshold, a result goes to shared memory")
        };
        let back: Vec<Result<u32, Error>> = codec::decode_value(&out).unwrap();
        assert_eq!(back, vec![Ok(2), Ok(4), Ok(6)]);
    }

    #[test]
    fn panics_and_bad_arguments_fail_the_task() {
        let arg = codec::encode_value(&()).unwrap();
        // SAFETY: made by `call_ref` in this process.
        let err = unsafe { invoke(call_ref(boom), &arg, 1024) }.unwrap_err();
        assert!(matches!(err, Error::Panicked { ref message, .. } if message == "boom"));
        // SAFETY: made by `call_ref` in this process.
        let err = unsafe { invoke(call_ref(double), &[], 1024) }.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }
}
