//! The wire format: every message between a pool and its workers, in this one
//! module.
//!
//! A frame on a bytes channel is a header — a [`ToWorker`] or [`FromWorker`],
//! always `bincode` 2 (serde mode, standard configuration) — followed by a raw
//! tail: the encoded argument or result, in the pool's payload [`Codec`]
//! (`payload.rs`). A payload is encoded once, on the caller's thread, and
//! decoded in place. A payload above the pool's shared-memory threshold
//! (default [`SHARED_THRESHOLD`]) travels in a sealed shared-memory [`Region`]
//! attached to its frame instead of the tail.
//!
//! Nothing decoded is trusted: every decode, header or payload, runs through the
//! guard of `guard.rs`, bounded by the bytes it came in; every payload encode
//! through the check of `check.rs`, which refuses what the codec would carry
//! wrongly. A value arrives equal to what was sent, or its task fails with
//! `Error::Encode` / `Error::Decode` saying why.
//!
//! bincode 2.0.1 is final and carries the "unmaintained" advisory
//! RUSTSEC-2025-0141 (3.0.0 on the registry is an empty tombstone); keeping every
//! encode and decode here makes a later swap (postcard, ...) a change of this
//! module only.

use std::any::type_name;

use bincode::config::{Configuration, standard};
use concur_core::Error;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use self::guard::Bounds;
pub use self::payload::Codec;
pub(crate) use self::payload::{
    BincodeWire, MsgPackWire, Wire, decode_payload, encode_with, encode_with_codec, read, read_seed,
};
use crate::shm::Region;

pub(crate) mod batch;
mod check;
#[cfg(test)]
mod fuzz;
mod guard;
mod nested;
mod payload;

// The protocol version, bumped on any change to the messages below, is
// `handshake::PROTOCOL_VERSION`, with the handshake's other fixed words.

/// The default size above which a payload goes through shared memory instead of
/// the socket: one copy into a memfd region and a file descriptor on the wire,
/// instead of the payload cut into socket-buffer-sized fragments (measured with
/// `examples/threshold.rs`: see the crate docs).
pub(crate) const SHARED_THRESHOLD: usize = 512 * 1024;

/// The bincode configuration of headers and of bincode payloads.
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
        /// Results the worker may hold unannounced while it has tasks queued.
        results_batch: u64,
    },
    /// Handshake refused; the worker exits.
    Refused { reason: String },
    /// Run a task; the argument is the tail or shared memory. `report_now`:
    /// announce its result as soon as it is written to the result ring (the
    /// task has a deadline, which the pool must not see pass meanwhile).
    Run {
        id: u64,
        call: CallRef,
        body: Body,
        report_now: bool,
    },
    /// Give back a task not started yet (another worker is idle).
    Revoke { id: u64 },
    /// Drop a task not started yet (answered with `Revoked`), or, if it is
    /// running, end the process at once with `EXIT_ABORTED`.
    Abort { id: u64 },
    /// Exit once the tasks received so far are done.
    Exit,
    /// Answer with `Pong` (the worker's reader is alive).
    Ping { seq: u64 },
    /// Several tasks in one message: the tail is a [`batch`] of `Run` frames
    /// with inline arguments, to run in their order (see `pool/link.rs`).
    RunMany,
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
    /// The doorbell: results were written to the result ring (`ring.rs`).
    /// The pool drains the ring before it handles any message, so this one
    /// asks for nothing more.
    Results,
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

/// The bytes a task's [`Frame`] holds in place: a `Run` header (at most 31
/// bytes) and an argument of up to 30 (a scalar, a short tuple).
const FRAME_INLINE: usize = 62;

/// A task's encoded frame, as the parent keeps it until it is sent. A small
/// one (the usual scalar or short tuple argument) lives inside the task, so a
/// submission allocates no buffer for it; a larger one is a `Vec`.
pub(crate) struct Frame(FrameBytes);

enum FrameBytes {
    Inline { len: u8, buf: [u8; FRAME_INLINE] },
    Heap(Vec<u8>),
}

impl std::ops::Deref for Frame {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            FrameBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            FrameBytes::Heap(bytes) => bytes,
        }
    }
}

impl From<Vec<u8>> for Frame {
    fn from(bytes: Vec<u8>) -> Self {
        Frame(FrameBytes::Heap(bytes))
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({} bytes)", self.len())
    }
}

/// Encodes a value that travels inline (handshake, initializer argument).
///
/// # Errors
///
/// [`Error::Encode`] naming `T`.
pub(crate) fn encode_value<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    payload::write::<BincodeWire, T, _>(value, &mut out)?;
    Ok(out)
}

/// Decodes a protocol value (a [`Hello`]) that must fill `bytes`, bounded by
/// them.
///
/// # Errors
///
/// [`Error::Decode`] naming `T`.
pub(crate) fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    payload::read::<BincodeWire, T>(bytes)
}

/// The frame of a task, encoded on the submitting thread: the `Run` header with
/// the encoded argument as its tail, or, for an argument above
/// `shared_threshold` bytes, the header alone and the argument in a shared
/// memory region.
///
/// # Errors
///
/// [`Error::Encode`] naming `A` when the argument cannot be encoded.
pub(crate) fn encode_task<A: Serialize + ?Sized>(
    codec: Codec,
    (id, report_now): (u64, bool),
    call: CallRef,
    arg: &A,
    shared_threshold: usize,
) -> Result<(Frame, Option<Region>), Error> {
    let task = (id, report_now);
    match codec {
        Codec::Bincode => encode_task_with::<BincodeWire, A>(task, call, arg, shared_threshold),
        Codec::MessagePack => encode_task_with::<MsgPackWire, A>(task, call, arg, shared_threshold),
    }
}

fn encode_task_with<W: Wire, A: Serialize + ?Sized>(
    (id, report_now): (u64, bool),
    call: CallRef,
    arg: &A,
    shared_threshold: usize,
) -> Result<(Frame, Option<Region>), Error> {
    let size = payload::measure::<W, A>(arg)?;
    if size > shared_threshold {
        let region = payload::write_shared::<W, A>(arg, size)?;
        let header = ToWorker::Run {
            id,
            call,
            body: Body::Shared,
            report_now,
        };
        return Ok((encode_frame(&header, &[]).into(), Some(region)));
    }
    let header = ToWorker::Run {
        id,
        call,
        body: Body::Inline,
        report_now,
    };
    // A `Run` header is at most 31 bytes (three varints, two tags, a bool).
    if 32 + size <= FRAME_INLINE {
        let mut buf = [0; FRAME_INLINE];
        let used = bincode::serde::encode_into_slice(&header, &mut buf, CONFIG)
            .expect("a `Run` header fits in 32 bytes");
        let mut rest = &mut buf[used..];
        match payload::write::<W, A, _>(arg, &mut rest) {
            Ok(()) => {
                let len = FRAME_INLINE - rest.len();
                let len = u8::try_from(len).expect("FRAME_INLINE fits in a byte");
                return Ok((Frame(FrameBytes::Inline { len, buf }), None));
            }
            // The buffer is full: a `Serialize` that wrote more than it
            // measured. The `Vec` below takes whatever it writes.
            Err(_) if rest.is_empty() => {}
            Err(e) => return Err(e),
        }
    }
    let mut frame = Vec::with_capacity(32 + size);
    bincode::serde::encode_into_std_write(&header, &mut frame, CONFIG)
        .expect("protocol headers always encode");
    payload::write::<W, A, _>(arg, &mut frame)?;
    Ok((frame.into(), None))
}

/// A frame: the encoded header, then `tail` as is.
pub(crate) fn encode_frame<H: Serialize>(header: &H, tail: &[u8]) -> Vec<u8> {
    let mut out =
        bincode::serde::encode_to_vec(header, CONFIG).expect("protocol headers always encode");
    out.extend_from_slice(tail);
    out
}

/// A frame, as [`encode_frame`] makes it, appended to `out` (a reused buffer).
pub(crate) fn encode_frame_into<H: Serialize>(header: &H, tail: &[u8], out: &mut Vec<u8>) {
    bincode::serde::encode_into_std_write(header, out, CONFIG)
        .expect("protocol headers always encode");
    out.extend_from_slice(tail);
}

/// Splits a frame into its header and tail.
///
/// # Errors
///
/// [`Error::Decode`] when the header is not a valid `H` (a peer speaking
/// another protocol, or a corrupted frame).
pub(crate) fn decode_frame<H: DeserializeOwned>(bytes: &[u8]) -> Result<(H, &[u8]), Error> {
    let bounds = Bounds::new(bytes.len(), false);
    let (header, used) =
        bincode::serde::seed_decode_from_slice(guard::seed::<H>(&bounds), bytes, CONFIG).map_err(
            |e| Error::Decode {
                type_name: type_name::<H>().to_owned(),
                message: bounds.found.take().unwrap_or_else(|| e.to_string()),
            },
        )?;
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
    use crate::handshake::PROTOCOL_VERSION;

    #[test]
    fn frames_round_trip_with_their_tail() {
        let header = ToWorker::Run {
            id: 7,
            call: CallRef {
                func: -12,
                tramp: 40,
            },
            body: Body::Inline,
            report_now: true,
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

    /// A `Serialize` that writes `first` bytes when measured and `then` after.
    struct Shifty {
        calls: std::cell::Cell<u32>,
        first: usize,
        then: usize,
    }

    impl Serialize for Shifty {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let n = self.calls.get();
            self.calls.set(n + 1);
            let len = if n == 0 { self.first } else { self.then };
            s.collect_seq(std::iter::repeat_n(7u8, len))
        }
    }

    fn run_header(frame: &[u8]) -> (ToWorker, Vec<u8>) {
        let (header, tail) = decode_frame::<ToWorker>(frame).unwrap();
        (header, tail.to_vec())
    }

    #[test]
    fn task_frames_hold_the_same_bytes_inline_or_on_the_heap() {
        let call = CallRef {
            func: -3,
            tramp: 1 << 40,
        };
        let expect = |id: u64| ToWorker::Run {
            id,
            call,
            body: Body::Inline,
            report_now: false,
        };
        for len in [0, 1, 20, 30, 31, 64, 1000] {
            let arg = vec![9u8; len];
            let (frame, shm) =
                encode_task(Codec::Bincode, (u64::MAX, false), call, &arg, 1 << 20).unwrap();
            assert!(shm.is_none());
            let inline = matches!(frame.0, FrameBytes::Inline { .. });
            if len <= 10 || len > 30 {
                assert_eq!(inline, len <= 10, "{len} bytes: {frame:?}");
            }
            let (header, tail) = run_header(&frame);
            assert_eq!(header, expect(u64::MAX));
            assert_eq!(decode_value::<Vec<u8>>(&tail).unwrap(), arg);
        }
    }

    #[test]
    fn a_serialize_that_writes_more_than_it_measured_leaves_the_inline_frame() {
        let call = CallRef { func: 1, tramp: 2 };
        // Measured small enough for the frame's own buffer, then writes more
        // than it holds: the frame is encoded again on the heap, whole.
        let shifty = Shifty {
            calls: std::cell::Cell::new(0),
            first: 2,
            then: 200,
        };
        let (frame, _) = encode_task(Codec::Bincode, (5, false), call, &shifty, 1 << 20).unwrap();
        assert!(matches!(frame.0, FrameBytes::Heap(_)), "{frame:?}");
        let (_, tail) = run_header(&frame);
        assert_eq!(decode_value::<Vec<u8>>(&tail).unwrap(), vec![7; 200]);
        assert_eq!(shifty.calls.get(), 3, "measured, tried inline, written");
    }

    #[test]
    fn decode_errors_name_the_type() {
        let err = decode_value::<String>(&[0xff, 0xff]).unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref type_name, .. } if type_name.contains("String")),
            "{err:?}"
        );
        // A `u8` followed by one stray byte, then the arity digest.
        let mut frame = encode_value(&1u8).unwrap();
        frame.insert(1, 2);
        let err = decode_value::<u8>(&frame).unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref message, .. } if message.contains("left after the value")),
            "{err:?}"
        );
    }

    #[test]
    fn a_huge_length_prefix_is_an_error_not_an_allocation() {
        // A `String` announcing 2^40 bytes in a frame of 17: bincode alone would
        // allocate a terabyte before reading.
        let mut frame = vec![253];
        frame.extend_from_slice(&(1u64 << 40).to_le_bytes());
        frame.extend_from_slice(b"abcdefgh");
        for codec in [Codec::Bincode, Codec::MessagePack] {
            let err = decode_payload::<String>(codec, &frame).unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{err:?}");
            let err = decode_payload::<Vec<u8>>(codec, &frame).unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        }
        let done = encode_frame(
            &FromWorker::Done {
                id: 1,
                outcome: Err(Error::Panicked {
                    message: "x".into(),
                    location: None,
                    backtrace: None,
                }),
            },
            &[],
        );
        // The panic message's length prefix, rewritten to 2^40.
        let at = done.iter().rposition(|&b| b == 1).unwrap();
        let mut forged = done[..at].to_vec();
        forged.extend_from_slice(&frame);
        assert!(decode_frame::<FromWorker>(&forged).is_err());
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
