//! The payload codecs: how a task's argument and result are written, chosen per
//! pool with [`Builder::codec`](crate::Builder::codec).
//!
//! Each codec is a [`Wire`] type, and the trampoline of a task is monomorphized
//! over it (`call::<A, R, W>` in `task.rs`), so a worker decodes with the codec
//! its pool chose without being told. Every encode runs through the check of
//! `check.rs`, every decode through the guard of `guard.rs`, and both under
//! `catch_panic`: a `Serialize` or `Deserialize` impl that panics fails its own
//! task with `Error::Encode` / `Error::Decode`, on whichever side it ran.

use std::any::type_name;
use std::cell::{Cell, RefCell};
use std::io;
use std::marker::PhantomData;

use concur_core::{Error, catch_panic};
use serde::de::{DeserializeOwned, DeserializeSeed};
use serde::{Deserialize, Serialize};

use super::check::{ARITY_SEED, Check, Checked, USE_SELF_DESCRIBING};
use super::guard::{self, Bounds};
use super::{CONFIG, Encoded};
use crate::shm::{Region, RegionMut};

/// How a pool encodes task arguments and results.
///
/// | | [`Bincode`](Codec::Bincode) (default) | [`MessagePack`](Codec::MessagePack) |
/// |---|---|---|
/// | format | positional, no field names | self-describing, structs as maps by field name |
/// | speed | fastest | as fast on numbers, up to 4× on structs of strings (it writes field names) |
/// | `skip_serializing_if`, `flatten`, tagged and untagged enums, `serde_json::Value` | refused with an [`Error::Encode`] / [`Error::Decode`] that says so | carried |
///
/// The crate docs have the full table and the measurement.
///
/// ```
/// use concur_core::Executor;
/// use concur_process::{Codec, ProcessPool};
///
/// fn keys(v: serde_json::Value) -> usize {
///     v.as_object().map_or(0, |o| o.len())
/// }
///
/// let pool = ProcessPool::builder()
///     .max_workers(1)
///     .codec(Codec::MessagePack)
///     .build()?;
/// let value = serde_json::json!({ "a": 1, "b": [true, null] });
/// assert_eq!(pool.submit(keys, value).result(None)?, 2);
/// # Ok::<(), concur_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Codec {
    /// `bincode` 2 (serde mode, standard configuration): compact and fast, for
    /// types whose serialized form has the same shape every time.
    #[default]
    Bincode,
    /// MessagePack (`rmp-serde`, structs as maps with field names): carries
    /// every serde feature the thread pool does.
    MessagePack,
}

/// A payload codec.
pub(crate) trait Wire: 'static {
    /// The codec this is.
    const CODEC: Codec;
    /// Writes `value` to `out`; the message of a refusal.
    fn write<T: Serialize + ?Sized, O: io::Write>(value: &T, out: O) -> Result<(), String>;
    /// Writes `value` to `out` without the check (the sizing pass, whose
    /// value the checked write then writes again).
    fn write_unchecked<T: Serialize + ?Sized, O: io::Write>(value: &T, out: O) -> Result<(), ()>;
    /// Decodes one whole value of `seed` from `bytes` within `bounds`; the
    /// message of a failure.
    fn read<T, S: for<'de> DeserializeSeed<'de, Value = T>>(
        seed: S,
        bytes: &[u8],
        bounds: &Bounds,
    ) -> Result<T, String>;
}

/// bincode 2, each value followed by the digest of its tuple arities
/// (`check::mix`).
pub(crate) struct BincodeWire;

/// The bytes of the arity digest after a bincode value.
const ARITY_LEN: usize = 4;

/// MessagePack.
pub(crate) struct MsgPackWire;

impl Wire for BincodeWire {
    const CODEC: Codec = Codec::Bincode;

    fn write<T: Serialize + ?Sized, O: io::Write>(value: &T, mut out: O) -> Result<(), String> {
        let found = RefCell::new(None);
        let arity = Cell::new(ARITY_SEED);
        let check = Check {
            positional: true,
            found: &found,
            arity: &arity,
        };
        bincode::serde::encode_into_std_write(Checked { value, check }, &mut out, CONFIG)
            .map_err(|e| found.take().unwrap_or_else(|| describe_encode(e)))?;
        out.write_all(&arity.get().to_le_bytes())
            .map_err(|e| e.to_string())
    }

    fn write_unchecked<T: Serialize + ?Sized, O: io::Write>(
        value: &T,
        mut out: O,
    ) -> Result<(), ()> {
        bincode::serde::encode_into_std_write(value, &mut out, CONFIG).map_err(drop)?;
        out.write_all(&[0; ARITY_LEN]).map_err(drop)
    }

    fn read<T, S: for<'de> DeserializeSeed<'de, Value = T>>(
        seed: S,
        bytes: &[u8],
        bounds: &Bounds,
    ) -> Result<T, String> {
        let Some(at) = bytes.len().checked_sub(ARITY_LEN) else {
            return Err(format!("a frame of {} bytes is too short", bytes.len()));
        };
        let (bytes, digest) = bytes.split_at(at);
        let (value, used) =
            bincode::serde::seed_decode_from_slice(guard::seed_of(seed, bounds), bytes, CONFIG)
                .map_err(|e| bounds.found.take().unwrap_or_else(|| describe_decode(e)))?;
        if used != bytes.len() {
            return Err(trailing(Some(bytes.len() - used)));
        }
        if digest != bounds.arity.get().to_le_bytes() {
            return Err(format!(
                "a tuple struct or tuple variant holds another number of fields than its type \
                 reads (a tuple field left out by `#[serde(skip_serializing_if = ...)]` or \
                 `skip_serializing`, or a `Serialize` and `Deserialize` that disagree): bincode \
                 writes fields by position and would read the next field in its place; \
                 {USE_SELF_DESCRIBING}"
            ));
        }
        Ok(value)
    }
}

impl Wire for MsgPackWire {
    const CODEC: Codec = Codec::MessagePack;

    fn write<T: Serialize + ?Sized, O: io::Write>(value: &T, out: O) -> Result<(), String> {
        let found = RefCell::new(None);
        let arity = Cell::new(ARITY_SEED);
        let check = Check {
            positional: false,
            found: &found,
            arity: &arity,
        };
        let mut ser = rmp_serde::Serializer::new(out).with_struct_map();
        Checked { value, check }
            .serialize(&mut ser)
            .map_err(|e| found.take().unwrap_or_else(|| e.to_string()))
    }

    fn write_unchecked<T: Serialize + ?Sized, O: io::Write>(value: &T, out: O) -> Result<(), ()> {
        let mut ser = rmp_serde::Serializer::new(out).with_struct_map();
        value.serialize(&mut ser).map_err(drop)
    }

    fn read<T, S: for<'de> DeserializeSeed<'de, Value = T>>(
        seed: S,
        bytes: &[u8],
        bounds: &Bounds,
    ) -> Result<T, String> {
        let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
        // The guard bounds the depth; this keeps rmp's own check out of its way.
        de.set_max_depth(2 * guard::MAX_DEPTH);
        let value = guard::seed_of(seed, bounds)
            .deserialize(&mut de)
            .map_err(|e| bounds.found.take().unwrap_or_else(|| e.to_string()))?;
        // Nothing may follow the value: reading one more must hit the end.
        match serde::de::IgnoredAny::deserialize(&mut de) {
            Err(rmp_serde::decode::Error::InvalidMarkerRead(e))
                if e.kind() == io::ErrorKind::UnexpectedEof =>
            {
                Ok(value)
            }
            _ => Err(trailing(None)),
        }
    }
}

/// bincode's encode errors, in words (its `Display` is its `Debug`).
fn describe_encode(e: bincode::error::EncodeError) -> String {
    use bincode::error::EncodeError as E;
    match e {
        E::OtherString(message) => message,
        other => other.to_string(),
    }
}

/// bincode's decode errors, in words, with what to do where there is something.
pub(super) fn describe_decode(e: bincode::error::DecodeError) -> String {
    use bincode::error::DecodeError as E;
    use bincode::serde::DecodeError as S;
    match e {
        E::OtherString(message) => super::nested::describe_nested(message),
        E::Serde(S::IdentifierNotSupported) => format!(
            "this type reads field or variant names (`deserialize_identifier`, as \
             `#[serde(tag = \"...\", content = \"...\")]` does), which bincode does not \
             write; {USE_SELF_DESCRIBING}"
        ),
        E::Serde(S::AnyNotSupported | S::IgnoredAnyNotSupported) => guard::needs_any(),
        E::UnexpectedEnd { additional } => format!(
            "the frame ended {additional} bytes early: the type's `Deserialize` reads more \
             than its `Serialize` wrote (as with `#[serde(skip_serializing)]` alone), or the \
             frame is corrupted"
        ),
        other => other.to_string(),
    }
}

fn trailing(n: Option<usize>) -> String {
    let left = n.map_or_else(|| "bytes".to_owned(), |n| format!("{n} bytes"));
    format!(
        "{left} left after the value: the frame holds something other than this type \
         (a `Serialize` and `Deserialize` that disagree, or a corrupted frame)"
    )
}

fn encode_error<T: ?Sized>(message: impl std::fmt::Display) -> Error {
    Error::Encode {
        type_name: type_name::<T>().to_owned(),
        message: message.to_string(),
    }
}

fn decode_error<T: ?Sized>(message: impl std::fmt::Display) -> Error {
    Error::Decode {
        type_name: type_name::<T>().to_owned(),
        message: message.to_string(),
    }
}

/// Writes `value` with `W` to `out`, a panic in its `Serialize` included in
/// the [`Error::Encode`].
pub(crate) fn write<W: Wire, T: Serialize + ?Sized, O: io::Write>(
    value: &T,
    out: O,
) -> Result<(), Error> {
    match catch_panic(|| W::write(value, out)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(encode_error::<T>(message)),
        Err(panic) => Err(encode_error::<T>(format!(
            "its `Serialize` panicked: {}",
            panic_message(&panic)
        ))),
    }
}

/// Decodes one whole `T` from `bytes` with `W`, bounded by `bytes`, a panic in
/// its `Deserialize` included in the [`Error::Decode`].
pub(crate) fn read<W: Wire, T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    read_seed::<W, T, _>(PhantomData::<T>, bytes)
}

/// As [`read`], for a value `seed` decodes (a type-erased task's argument or
/// result: `pool/erased.rs`); the error names `T`.
pub(crate) fn read_seed<W: Wire, T, S: for<'de> DeserializeSeed<'de, Value = T>>(
    seed: S,
    bytes: &[u8],
) -> Result<T, Error> {
    let bounds = Bounds::new(bytes.len(), W::CODEC != Codec::Bincode);
    match catch_panic(|| W::read(seed, bytes, &bounds)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(decode_error::<T>(message)),
        Err(panic) => Err(decode_error::<T>(format!(
            "its `Deserialize` panicked: {}",
            panic_message(&panic)
        ))),
    }
}

fn panic_message(panic: &Error) -> String {
    match panic {
        Error::Panicked { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Counts what is written.
struct Counter(usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The size of `value` encoded with `W`: a counting pass, so that the real
/// encode allocates once and never regrows (a 64 MiB payload is not copied on
/// growth).
///
/// The pass runs without the check (the write after it checks): a value the
/// codec refuses is measured again, checked, for the refusal's message.
pub(crate) fn measure<W: Wire, T: Serialize + ?Sized>(value: &T) -> Result<usize, Error> {
    let mut counter = Counter(0);
    match catch_panic(|| W::write_unchecked(value, &mut counter)) {
        Ok(Ok(())) => Ok(counter.0),
        _ => {
            let mut counter = Counter(0);
            write::<W, T, _>(value, &mut counter)?;
            Ok(counter.0)
        }
    }
}

/// Encodes `value` with `W` straight into a new shared-memory region of `size`
/// bytes (from [`measure`]), sealed before it is returned (see `shm.rs`).
pub(crate) fn write_shared<W: Wire, T: Serialize + ?Sized>(
    value: &T,
    size: usize,
) -> Result<Region, Error> {
    let mut region = RegionMut::new(size)
        .map_err(|e| encode_error::<T>(format!("cannot create a shared-memory region: {e}")))?;
    let mut dst: &mut [u8] = region.as_mut_slice();
    write::<W, T, _>(value, &mut dst)?;
    if !dst.is_empty() {
        return Err(encode_error::<T>(format!(
            "encoded {} bytes, sized {size} (a `Serialize` that writes differently each time)",
            size - dst.len()
        )));
    }
    region
        .seal()
        .map_err(|e| encode_error::<T>(format!("cannot seal a shared-memory region: {e}")))
}

/// Encodes a task's argument or result with `W`, in shared memory above
/// `shared_threshold` bytes.
///
/// # Errors
///
/// [`Error::Encode`] naming `T`.
pub(crate) fn encode_with<W: Wire, T: Serialize + ?Sized>(
    value: &T,
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    let size = measure::<W, T>(value)?;
    if size > shared_threshold {
        return write_shared::<W, T>(value, size).map(Encoded::Shared);
    }
    let mut out = Vec::with_capacity(size);
    write::<W, T, _>(value, &mut out)?;
    Ok(Encoded::Inline(out))
}

/// Decodes a task's result with the pool's codec (the parent's side; a worker
/// knows its codec from the trampoline).
///
/// # Errors
///
/// [`Error::Decode`] naming `T`.
pub(crate) fn decode_payload<T: DeserializeOwned>(codec: Codec, bytes: &[u8]) -> Result<T, Error> {
    decode_payload_seed(codec, PhantomData::<T>, bytes)
}

/// As [`decode_payload`], for a value `seed` decodes.
///
/// # Errors
///
/// [`Error::Decode`] naming `T`.
pub(crate) fn decode_payload_seed<T, S: for<'de> DeserializeSeed<'de, Value = T>>(
    codec: Codec,
    seed: S,
    bytes: &[u8],
) -> Result<T, Error> {
    match codec {
        Codec::Bincode => read_seed::<BincodeWire, T, S>(seed, bytes),
        Codec::MessagePack => read_seed::<MsgPackWire, T, S>(seed, bytes),
    }
}

/// Encodes a value that travels inline (the initializer's argument) with
/// `codec`.
///
/// # Errors
///
/// [`Error::Encode`] naming `T`.
pub(crate) fn encode_with_codec<T: Serialize + ?Sized>(
    codec: Codec,
    value: &T,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    match codec {
        Codec::Bincode => write::<BincodeWire, T, _>(value, &mut out)?,
        Codec::MessagePack => write::<MsgPackWire, T, _>(value, &mut out)?,
    }
    Ok(out)
}
