//! What every out-of-process backend (processes, MPI) does the same way to
//! send a task to a worker running the same binary, written once over the
//! backend's codec ([`WorkerCodec`]):
//!
//! - **task identity**: an address travels as its offset from a fixed
//!   function of the binary ([`offset_of`], [`address_of`]), so address space
//!   layout randomisation, which moves the whole binary, changes nothing;
//! - **trampolines**: a task travels as (the function's offset, a
//!   trampoline's offset). The trampoline is monomorphized at submit for the
//!   task function's type and the codec ([`call_trampoline`],
//!   [`chunk_trampoline`]), or is the one trampoline of type-erased tasks per
//!   codec ([`erased_trampoline`]); in the worker [`invoke`] calls it: it
//!   makes the function again ([`fn_from_address`](super::fn_from_address)),
//!   decodes the argument, calls the function under [`catch_panic`] and
//!   encodes the result;
//! - **the erased task's two ends**: [`ErasedWire`] is a [`TaskObj`] taken
//!   apart into what the parent sends, and [`RemoteResult::finish_decoded`]
//!   what it does with the worker's answer.
//!
//! The worker trusts its pool (the backend's handshake checks that it runs
//! this very binary): that is the contract of [`invoke`]. The parent trusts
//! no worker: it calls no address a worker sends and decodes a result only
//! as the type fixed at submit.

use std::cell::Cell;
use std::fmt;

use serde::Serialize;
use serde::de::{DeserializeOwned, DeserializeSeed};

use super::{ArgSeed, RemoteResult, TaskObj, WireArg, fn_address, fn_from_address};
use crate::backend::{ChunkResult, run_chunk};
use crate::{Error, Payload, StatsCounter, TaskFn, catch_panic};

/// An out-of-process backend's codec, as a trampoline uses it in the worker
/// (and the parent, for an erased task's result).
///
/// Each method returns `Error::Decode` / `Error::Encode` naming the type —
/// also for a panic inside a `Serialize` or `Deserialize` impl, which must
/// not unwind out of it — and bounds every decode by `bytes`.
pub trait WorkerCodec: 'static {
    /// What one encoding takes besides the value (a shared-memory threshold;
    /// `()` for none).
    type Options: Copy;
    /// An encoded value (bytes, or a region of shared memory).
    type Encoded;

    /// Decodes a whole `T` from `bytes`.
    ///
    /// # Errors
    ///
    /// `Error::Decode` when `bytes` are not a `T`.
    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error>;

    /// Decodes what `seed` decodes from `bytes`.
    ///
    /// # Errors
    ///
    /// `Error::Decode` when `bytes` are not what `seed` decodes.
    fn decode_seed<T, S: for<'de> DeserializeSeed<'de, Value = T>>(
        seed: S,
        bytes: &[u8],
    ) -> Result<T, Error>;

    /// Encodes `value`.
    ///
    /// # Errors
    ///
    /// `Error::Encode` when the codec cannot carry `value`.
    fn encode<T: Serialize + ?Sized>(
        value: &T,
        options: Self::Options,
    ) -> Result<Self::Encoded, Error>;
}

/// The shape of every trampoline of codec `C`: the task function's address,
/// the encoded argument and the codec's options in, the encoded result (or
/// the task's error) out.
///
/// Calling one is only sound as [`invoke`] does, on what this binary paired.
pub type Trampoline<C> = unsafe fn(
    usize,
    &[u8],
    <C as WorkerCodec>::Options,
) -> Result<<C as WorkerCodec>::Encoded, Error>;

/// The fixed point every offset is measured from. Never inlined, so it has
/// an address of its own; its body is irrelevant.
#[inline(never)]
fn anchor() {
    std::hint::black_box(());
}

fn anchor_address() -> i64 {
    anchor as fn() as usize as i64
}

/// The offset of `addr` (a function of this binary) from the anchor: the
/// same in every process running this binary.
pub fn offset_of(addr: usize) -> i64 {
    (addr as i64).wrapping_sub(anchor_address())
}

/// The address at offset `offset` from the anchor, the inverse of
/// [`offset_of`].
pub fn address_of(offset: i64) -> usize {
    anchor_address().wrapping_add(offset) as usize
}

/// The offsets of a task function and of its trampoline: what travels.
///
/// # Errors
///
/// `Error::Encode` when `f` is a closure that captures values
/// ([`fn_address`]).
fn offsets<F: TaskFn<A, R, M>, A, R, M, C: WorkerCodec>(
    f: F,
    tramp: Trampoline<C>,
) -> Result<(i64, i64), Error> {
    Ok((offset_of(fn_address(f)?), offset_of(tramp as usize)))
}

/// The offsets (function, trampoline) of the task `f(args)` in codec `C`.
///
/// # Errors
///
/// `Error::Encode` when `f` is a closure that captures values
/// ([`fn_address`]).
pub fn call_trampoline<F: TaskFn<A, R, M>, A: Payload, R: Payload, M, C: WorkerCodec>(
    f: F,
) -> Result<(i64, i64), Error> {
    offsets::<F, A, R, M, C>(f, typed::<Once, F, A, R, M, C>)
}

/// The offsets (function, trampoline) of `f` over a chunk of items in codec
/// `C` (each item fails alone, as [`run_chunk`]).
///
/// # Errors
///
/// As [`call_trampoline`].
pub fn chunk_trampoline<F: TaskFn<A, R, M>, A: Payload, R: Payload, M, C: WorkerCodec>(
    f: F,
) -> Result<(i64, i64), Error> {
    offsets::<F, A, R, M, C>(f, typed::<Chunk, F, A, R, M, C>)
}

/// The offset of the trampoline of every erased task in codec `C`.
pub fn erased_trampoline<C: WorkerCodec>() -> i64 {
    offset_of(call_erased::<C> as Trampoline<C> as usize)
}

/// Runs a task received from the pool: the trampoline at offset `tramp`
/// decodes the argument, calls the function at offset `func`, encodes the
/// result.
///
/// # Errors
///
/// What the task's run gave: `Error::Panicked` for its panic,
/// `Error::Decode` / `Error::Encode` for its argument and result.
///
/// # Safety
///
/// `(func, tramp)` were made by [`call_trampoline`], [`chunk_trampoline`]
/// or an [`ErasedWire`] of codec `C` — or of a codec with the same
/// `Options` and `Encoded`: the trampoline's signature is all this relies
/// on — in a process running this very binary
/// (the backend's handshake checks the binary's identity), and carried over
/// unchanged — with, for an erased task, the argument bytes that
/// [`ErasedWire::arg`] encoded.
pub unsafe fn invoke<C: WorkerCodec>(
    func: i64,
    tramp: i64,
    arg: &[u8],
    options: C::Options,
) -> Result<C::Encoded, Error> {
    const { assert!(size_of::<usize>() == size_of::<Trampoline<C>>()) };
    // SAFETY: by this function's contract `tramp` is the offset of a
    // trampoline of codec `C` of this binary, all of which have the
    // `Trampoline<C>` signature (the sizes agree, asserted above).
    let tramp = unsafe { std::mem::transmute::<usize, Trampoline<C>>(address_of(tramp)) };
    // SAFETY: and `func` the task function that trampoline was paired with.
    unsafe { tramp(address_of(func), arg, options) }
}

/// What a typed trampoline runs between decoding its input and encoding its
/// output: the task once ([`Once`]) or over a chunk of items ([`Chunk`]).
trait Body<F, A, R, M> {
    /// What the parent encoded: the argument, or the chunk's items.
    type In: DeserializeOwned;
    /// What goes back: the result, or the chunk's results.
    type Out: Serialize;

    /// Runs `f` on `input`.
    fn run(f: F, input: Self::In) -> Result<Self::Out, Error>;
}

/// The task `f(args)`, under [`catch_panic`] ([`call_trampoline`]).
enum Once {}

/// `f` over a chunk, each item failing alone, as [`run_chunk`]
/// ([`chunk_trampoline`]).
enum Chunk {}

impl<F: TaskFn<A, R, M>, A: Payload, R: Payload, M> Body<F, A, R, M> for Once {
    type In = A;
    type Out = R;

    #[inline(always)]
    fn run(f: F, args: A) -> Result<R, Error> {
        catch_panic(|| f.call(args))
    }
}

impl<F: TaskFn<A, R, M>, A: Payload, R: Payload, M> Body<F, A, R, M> for Chunk {
    type In = Vec<A>;
    type Out = ChunkResult<R>;

    #[inline(always)]
    fn run(f: F, items: Vec<A>) -> Result<ChunkResult<R>, Error> {
        Ok(run_chunk(|a| f.call(a), items))
    }
}

/// The trampoline of the task function `F` with body `B` in codec `C`:
/// makes `F` again, decodes `B::In`, runs `B`, encodes `B::Out`.
///
/// # Safety
///
/// `fptr` is what [`fn_address`] gave for an `F` (paired by
/// [`call_trampoline`] or [`chunk_trampoline`]), in a process running this
/// binary.
unsafe fn typed<B, F, A, R, M, C>(
    fptr: usize,
    arg: &[u8],
    options: C::Options,
) -> Result<C::Encoded, Error>
where
    B: Body<F, A, R, M>,
    F: TaskFn<A, R, M>,
    C: WorkerCodec,
{
    // SAFETY: this function's contract is `fn_from_address`'s.
    let f: F = unsafe { fn_from_address(fptr) };
    let input = C::decode::<B::In>(arg)?;
    C::encode(&B::run(f, input)?, options)
}

/// The trampoline of every erased task in codec `C`: decodes (the runner's
/// offset, the argument), runs the task, encodes its output.
///
/// # Safety
///
/// `fptr` and the runner's offset in `arg` come from one [`ErasedWire`] of
/// a process running this binary.
unsafe fn call_erased<C: WorkerCodec>(
    fptr: usize,
    arg: &[u8],
    options: C::Options,
) -> Result<C::Encoded, Error> {
    let arg_type = Cell::new("the argument of an erased task");
    // SAFETY: by this function's contract, `ArgSeed::new`'s: both addresses
    // come from one `RemoteTask` (an `ErasedWire`), and `address_of`
    // inverts the offsets it took.
    let seed = unsafe { ArgSeed::new(fptr, address_of, &arg_type) };
    let prepared = C::decode_seed(seed, arg).map_err(|e| renamed(e, arg_type.get()))?;
    let mut out = None;
    prepared.run(&mut |value, type_name| {
        out = Some(C::encode(value, options).map_err(|e| renamed(e, type_name))?);
        Ok(())
    })?;
    out.ok_or_else(|| Error::Encode {
        type_name: arg_type.get().to_owned(),
        message: "the task's runner returned without its output".to_owned(),
    })
}

/// An `Encode` / `Decode` error that names the erased value's own type
/// (a codec names the type it saw, which for an erased value is the eraser).
pub fn renamed(error: Error, type_name: &str) -> Error {
    match error {
        Error::Encode { message, .. } => Error::Encode {
            type_name: type_name.to_owned(),
            message,
        },
        Error::Decode { message, .. } => Error::Decode {
            type_name: type_name.to_owned(),
            message,
        },
        other => other,
    }
}

/// A [`TaskObj`] taken apart into what an out-of-process backend sends —
/// the offsets of the function and of codec `C`'s erased trampoline, and the
/// argument ([`arg`](ErasedWire::arg), for the codec to encode) — and what
/// it keeps, the [`RemoteResult`].
pub struct ErasedWire {
    func: i64,
    tramp: i64,
    arg: WireArg,
    arg_type: &'static str,
    result: RemoteResult,
}

impl ErasedWire {
    /// Takes `task` apart for codec `C`.
    ///
    /// # Errors
    ///
    /// `Error::Encode` when the task's function is a closure that captures
    /// values; the task's future has failed with it
    /// ([`TaskObj::into_remote`]).
    pub fn new<C: WorkerCodec>(task: TaskObj) -> Result<Self, Error> {
        let remote = task.into_remote()?;
        let call = remote.call();
        let arg_type = remote.arg_type_name();
        let (arg, result) = remote.into_parts();
        Ok(ErasedWire {
            func: offset_of(call.func()),
            tramp: erased_trampoline::<C>(),
            arg: WireArg::new(offset_of(call.runner()), arg),
            arg_type,
            result,
        })
    }

    /// The offsets of the function and of the trampoline, to send.
    pub fn offsets(&self) -> (i64, i64) {
        (self.func, self.tramp)
    }

    /// The argument to encode with the codec (on the submitting thread).
    pub fn arg(&self) -> &WireArg {
        &self.arg
    }

    /// The name of the argument's type, for an encode error ([`renamed`]).
    pub fn arg_type_name(&self) -> &'static str {
        self.arg_type
    }

    /// The argument and the parent's side of the outcome, apart.
    pub fn into_parts(self) -> (WireArg, RemoteResult) {
        (self.arg, self.result)
    }
}

impl fmt::Debug for ErasedWire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErasedWire")
            .field("func", &self.func)
            .field("tramp", &self.tramp)
            .field("arg_type", &self.arg_type)
            .finish_non_exhaustive()
    }
}

impl RemoteResult {
    /// Completes the task with what its worker sent: the result's bytes,
    /// decoded with codec `C` as the type fixed at submit, or the task's
    /// error; counted in `stats`.
    pub fn finish_decoded<C: WorkerCodec>(
        mut self,
        outcome: Result<&[u8], Error>,
        stats: &StatsCounter,
    ) {
        let name = self.type_name();
        let outcome = outcome
            .and_then(|bytes| C::decode_seed(self.seed(), bytes).map_err(|e| renamed(e, name)));
        self.finish(outcome, stats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON, as a backend's codec would be.
    struct Json;

    impl WorkerCodec for Json {
        type Options = ();
        type Encoded = Vec<u8>;

        fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
            serde_json::from_slice(bytes).map_err(|e| Error::Decode {
                type_name: std::any::type_name::<T>().to_owned(),
                message: e.to_string(),
            })
        }

        fn decode_seed<T, S: for<'de> DeserializeSeed<'de, Value = T>>(
            seed: S,
            bytes: &[u8],
        ) -> Result<T, Error> {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            seed.deserialize(&mut de).map_err(|e| Error::Decode {
                type_name: std::any::type_name::<T>().to_owned(),
                message: e.to_string(),
            })
        }

        fn encode<T: Serialize + ?Sized>(value: &T, (): ()) -> Result<Vec<u8>, Error> {
            serde_json::to_vec(value).map_err(|e| Error::Encode {
                type_name: std::any::type_name::<T>().to_owned(),
                message: e.to_string(),
            })
        }
    }

    fn add(a: u64, b: u64) -> u64 {
        a + b
    }

    fn run<T: DeserializeOwned>((func, tramp): (i64, i64), arg: &[u8]) -> Result<T, Error> {
        // SAFETY: the offsets were made in this process, with `Json`.
        let out = unsafe { invoke::<Json>(func, tramp, arg, ()) }?;
        Json::decode(&out)
    }

    #[test]
    fn the_typed_trampolines_spread_the_arguments() {
        let call = call_trampoline::<_, _, _, _, Json>(add).unwrap();
        assert_eq!(run::<u64>(call, b"[40,2]"), Ok(42));
        let p: fn(u64, u64) -> u64 = add;
        let call = call_trampoline::<_, _, _, _, Json>(p).unwrap();
        assert_eq!(run::<u64>(call, b"[1,2]"), Ok(3), "a fn pointer");
        let chunk = chunk_trampoline::<_, _, _, _, Json>(|a: u8, b: u8| a.checked_add(b).unwrap());
        let got = run::<ChunkResult<u8>>(chunk.unwrap(), b"[[1,2],[255,1],[3,4]]").unwrap();
        let got = got.into_vec();
        assert_eq!((&got[0], &got[2]), (&Ok(3), &Ok(7)));
        assert!(
            matches!(got[1], Err(Error::Panicked { .. })),
            "{:?}",
            got[1]
        );
        assert!(matches!(
            run::<u64>(call, b"[1]"),
            Err(Error::Decode { .. })
        ));
        let offset = 1u64;
        let refused = call_trampoline::<_, _, _, _, Json>(move |x: u64| x + offset);
        assert!(matches!(refused, Err(Error::Encode { .. })), "{refused:?}");
    }

    #[test]
    fn an_erased_task_goes_there_and_back() {
        let (task, future) = TaskObj::new(add, (20, 22));
        let wire = ErasedWire::new::<Json>(task).unwrap();
        let arg = Json::encode(wire.arg(), ()).unwrap();
        assert_eq!(wire.arg_type_name(), "(u64, u64)");
        let (func, tramp) = wire.offsets();
        // SAFETY: made in this process by `ErasedWire::new::<Json>`.
        let out = unsafe { invoke::<Json>(func, tramp, &arg, ()) };
        let (_, result) = wire.into_parts();
        assert!(result.set_running());
        let out = out.unwrap();
        result.finish_decoded::<Json>(Ok(&out), &StatsCounter::default());
        assert_eq!(future.result(None), Ok(42));

        let (task, future) = TaskObj::new(add, (1, 1));
        let wire = ErasedWire::new::<Json>(task).unwrap();
        let (_, result) = wire.into_parts();
        assert!(result.set_running());
        result.finish_decoded::<Json>(Ok(b"\"not a number\""), &StatsCounter::default());
        let err = future.result(None).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { type_name, .. } if type_name == "u64"),
            "the decode error names the result's type: {err:?}"
        );

        let offset = 1u64;
        let (task, future) = TaskObj::new(move |x: u64| x + offset, 1);
        let refused = ErasedWire::new::<Json>(task).unwrap_err();
        assert_eq!(
            future.result(None),
            Err(refused),
            "the future fails with the refusal"
        );
    }
}
