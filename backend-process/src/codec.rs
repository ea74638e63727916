//! The wire format: every message between a pool and its workers, encoded with
//! `bincode` 2 (serde mode, standard configuration), in this one module.
//!
//! A frame on a bytes channel is a bincode-encoded header followed by a raw tail
//! (the encoded argument or result), so a payload is encoded once, on the caller's
//! thread, and decoded in place. A payload above the pool's shared-memory
//! threshold (default [`SHARED_THRESHOLD`]) travels in a sealed shared-memory
//! [`Region`] attached to its frame instead of the tail.
//!
//! bincode 2.0.1 is final and carries the "unmaintained" advisory
//! RUSTSEC-2025-0141 (3.0.0 on the registry is an empty tombstone); keeping every
//! encode and decode here makes a later swap (postcard, ...) a one-file change.

use std::any::type_name;

use bincode::config::{Configuration, standard};
use concur_core::Error;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::shm::{Region, RegionMut};

/// Bumped on any change to the messages below; checked in the handshake.
pub(crate) const PROTOCOL_VERSION: u32 = 6;

/// The default size above which a payload goes through shared memory instead of
/// the socket: one copy into a memfd region and a file descriptor on the wire,
/// instead of the payload cut into socket-buffer-sized fragments (measured with
/// `examples/threshold.rs`: see the crate docs).
pub(crate) const SHARED_THRESHOLD: usize = 512 * 1024;

const CONFIG: Configuration = standard();

/// Where a frame's payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Body {
    /// In the frame's tail.
    Inline,
    /// In the shared-memory region attached to the frame.
    Shared,
}

/// A task function and its trampoline, as offsets from the binary's anchor
/// (see `task.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CallRef {
    /// `fn(A) -> R` (or `fn(A)` for an initializer), relative to the anchor.
    pub(crate) func: i64,
    /// The monomorphized trampoline that decodes, calls and encodes.
    pub(crate) tramp: i64,
}

/// What a worker tells the pool first. The version comes first so that a peer
/// of another protocol is recognised before the rest is decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Hello {
    pub(crate) version: u32,
    pub(crate) identity: Identity,
    pub(crate) pid: u32,
}

/// The identity of a binary: the executable file (device, inode, size,
/// modification time) and the offset of a function from the anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Identity {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) size: u64,
    pub(crate) mtime_ns: i128,
    pub(crate) probe: i64,
}

/// Pool → worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ToWorker {
    /// Handshake accepted; run the initializer (its argument is the tail) if any.
    Welcome {
        initializer: Option<CallRef>,
        max_memory: Option<u64>,
        shared_threshold: u64,
    },
    /// Handshake refused; the worker exits.
    Refused { reason: String },
    /// Run a task; the argument is the tail or shared memory.
    Run { id: u64, call: CallRef, body: Body },
    /// Give back a task not started yet (another worker is idle).
    Revoke { id: u64 },
    /// Drop a task not started yet (answered with `Revoked`), or, if it is
    /// running, end the process at once with `EXIT_ABORTED`.
    Abort { id: u64 },
    /// Exit once the tasks received so far are done.
    Exit,
    /// Answer with `Pong` (the worker's reader is alive).
    Ping { seq: u64 },
}

/// Worker → pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum FromWorker {
    /// The task ended; on success the encoded result is the tail or shared memory.
    Done {
        id: u64,
        outcome: Result<Body, Error>,
    },
    /// The answer to `Revoke`: `ok` if the task was dropped unstarted.
    Revoked { id: u64, ok: bool },
    /// The initializer failed; the worker exits. Only before `Ready`.
    InitFailed { error: Error },
    /// The worker passed its memory limit and exits after this message.
    Retire { rss: u64 },
    /// The answer to `Ping`.
    Pong { seq: u64 },
    /// The initializer (if any) succeeded: tasks run from now on. Sent once,
    /// before any `Done`.
    Ready,
}

fn encode_error<T: ?Sized>(message: impl std::fmt::Display) -> Error {
    Error::Encode {
        type_name: type_name::<T>().to_owned(),
        message: message.to_string(),
    }
}

/// The size of `value` encoded: a counting pass, so that the real encode
/// allocates once and never regrows (a 64 MiB payload is not copied on growth).
fn encoded_size<T: Serialize + ?Sized>(value: &T) -> Result<usize, Error> {
    let mut size = bincode::enc::write::SizeWriter::default();
    bincode::serde::encode_into_writer(value, &mut size, CONFIG).map_err(encode_error::<T>)?;
    Ok(size.bytes_written)
}

/// Encodes `value` straight into a new shared-memory region of `size` bytes,
/// sealed before it is returned (see `shm.rs`).
fn encode_into_shared<T: Serialize + ?Sized>(value: &T, size: usize) -> Result<Region, Error> {
    let mut region = RegionMut::new(size)
        .map_err(|e| encode_error::<T>(format!("cannot create a shared-memory region: {e}")))?;
    let written = bincode::serde::encode_into_slice(value, region.as_mut_slice(), CONFIG)
        .map_err(encode_error::<T>)?;
    if written != size {
        return Err(encode_error::<T>(format!(
            "encoded {written} bytes, sized {size}"
        )));
    }
    region
        .seal()
        .map_err(|e| encode_error::<T>(format!("cannot seal a shared-memory region: {e}")))
}

/// An encoded argument or result: inline bytes, or a shared-memory region for
/// one above the pool's threshold.
#[derive(Debug)]
pub(crate) enum Encoded {
    /// Travels in the frame's tail.
    Inline(Vec<u8>),
    /// Travels as a sealed region attached to the frame.
    Shared(Region),
}

/// Encodes a task's argument or result, in shared memory above
/// `shared_threshold` bytes.
///
/// # Errors
///
/// [`Error::Encode`] naming `T`.
pub(crate) fn encode_payload<T: Serialize + ?Sized>(
    value: &T,
    shared_threshold: usize,
) -> Result<Encoded, Error> {
    let size = encoded_size(value)?;
    if size > shared_threshold {
        return encode_into_shared(value, size).map(Encoded::Shared);
    }
    let mut out = Vec::with_capacity(size);
    bincode::serde::encode_into_std_write(value, &mut out, CONFIG).map_err(encode_error::<T>)?;
    Ok(Encoded::Inline(out))
}

/// Encodes a value that travels inline (handshake, initializer argument).
///
/// # Errors
///
/// [`Error::Encode`] naming `T`.
pub(crate) fn encode_value<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    bincode::serde::encode_to_vec(value, CONFIG).map_err(encode_error::<T>)
}

/// Decodes a task's argument or result.
///
/// # Errors
///
/// [`Error::Decode`] naming `T`.
pub(crate) fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let (value, used) =
        bincode::serde::decode_from_slice::<T, _>(bytes, CONFIG).map_err(|e| Error::Decode {
            type_name: type_name::<T>().to_owned(),
            message: e.to_string(),
        })?;
    if used != bytes.len() {
        return Err(Error::Decode {
            type_name: type_name::<T>().to_owned(),
            message: format!("{} trailing bytes", bytes.len() - used),
        });
    }
    Ok(value)
}

/// The frame of a task, encoded on the submitting thread: the `Run` header with
/// the encoded argument as its tail, or, for an argument above
/// `shared_threshold` bytes, the header alone and the argument in a shared
/// memory region.
///
/// # Errors
///
/// [`Error::Encode`] naming `A` when the argument cannot be encoded.
pub(crate) fn encode_task<A: Serialize>(
    id: u64,
    call: CallRef,
    arg: &A,
    shared_threshold: usize,
) -> Result<(Vec<u8>, Option<Region>), Error> {
    let size = encoded_size(arg)?;
    if size > shared_threshold {
        let region = encode_into_shared(arg, size)?;
        let header = ToWorker::Run {
            id,
            call,
            body: Body::Shared,
        };
        return Ok((encode_frame(&header, &[]), Some(region)));
    }
    // A `Run` header is at most 30 bytes (three varints, two tags).
    let mut frame = Vec::with_capacity(32 + size);
    let header = ToWorker::Run {
        id,
        call,
        body: Body::Inline,
    };
    bincode::serde::encode_into_std_write(&header, &mut frame, CONFIG)
        .expect("protocol headers always encode");
    bincode::serde::encode_into_std_write(arg, &mut frame, CONFIG).map_err(encode_error::<A>)?;
    Ok((frame, None))
}

/// A frame: the encoded header, then `tail` as is.
pub(crate) fn encode_frame<H: Serialize>(header: &H, tail: &[u8]) -> Vec<u8> {
    let mut out =
        bincode::serde::encode_to_vec(header, CONFIG).expect("protocol headers always encode");
    out.extend_from_slice(tail);
    out
}

/// Splits a frame into its header and tail.
///
/// # Errors
///
/// [`Error::Decode`] when the header is not a valid `H` (a peer speaking
/// another protocol, or a corrupted frame).
pub(crate) fn decode_frame<H: DeserializeOwned>(bytes: &[u8]) -> Result<(H, &[u8]), Error> {
    let (header, used) =
        bincode::serde::decode_from_slice::<H, _>(bytes, CONFIG).map_err(|e| Error::Decode {
            type_name: type_name::<H>().to_owned(),
            message: e.to_string(),
        })?;
    Ok((header, &bytes[used..]))
}

/// The protocol version at the front of an encoded [`Hello`], read before the
/// rest so that a mismatch is named as such.
pub(crate) fn peek_version(bytes: &[u8]) -> Option<u32> {
    bincode::serde::decode_from_slice::<u32, _>(bytes, CONFIG)
        .ok()
        .map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_with_their_tail() {
        let header = ToWorker::Run {
            id: 7,
            call: CallRef {
                func: -12,
                tramp: 40,
            },
            body: Body::Inline,
        };
        let tail = encode_value(&(1u32, "two".to_owned())).unwrap();
        let frame = encode_frame(&header, &tail);
        let (back, rest) = decode_frame::<ToWorker>(&frame).unwrap();
        assert_eq!(back, header);
        assert_eq!(
            decode_value::<(u32, String)>(rest).unwrap(),
            (1, "two".to_owned())
        );
    }

    #[test]
    fn decode_errors_name_the_type() {
        let err = decode_value::<String>(&[0xff, 0xff]).unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref type_name, .. } if type_name.contains("String")),
            "{err:?}"
        );
        let err = decode_value::<u8>(&[1, 2]).unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref message, .. } if message.contains("trailing")),
            "{err:?}"
        );
    }

    #[test]
    fn the_version_is_read_first() {
        let hello = Hello {
            version: PROTOCOL_VERSION,
            identity: Identity {
                dev: 1,
                ino: 2,
                size: 3,
                mtime_ns: 4,
                probe: 5,
            },
            pid: 6,
        };
        let bytes = encode_value(&hello).unwrap();
        assert_eq!(peek_version(&bytes), Some(PROTOCOL_VERSION));
    }
}
