//! The messages between rank 0 and the worker ranks, and the identity check of
//! the handshake.
//!
//! Every message is one MPI point-to-point message of bytes on
//! `MPI_COMM_WORLD` with the tag [`TAG`]: a bincode header ([`ToWorker`] or
//! [`FromWorker`]) followed by a tail, the encoded argument or result, as is.
//! A task's header carries its tag, `(pool, id)`: the pool it belongs to (many
//! pools share the ranks) and its number in that pool. MPI keeps the messages
//! of one sender to one receiver in order, which the protocol relies on: a
//! pool's `Open` reaches a rank before that pool's tasks, its `Close` after them.

use std::hash::Hasher;
use std::io::Read;

use concur_core::Error;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::task::{self, CallRef};

/// Bumped whenever a message changes shape.
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// The MPI tag of every concur message (a program's own MPI traffic on
/// other tags, or on a duplicate of the world communicator, is left alone).
/// Below 32 767, the smallest upper bound MPI allows for tags.
pub(crate) const TAG: i32 = 16_606;

/// What identifies the executable of a rank: every rank must run the same
/// bytes, or task offsets would land on the wrong functions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Identity {
    /// The executable's size in bytes.
    pub(crate) size: u64,
    /// A hash of its whole content (the file may sit at another path, or be a
    /// copy, on another node).
    pub(crate) hash: u64,
    /// The offset of a known function from the anchor: a second, cheap
    /// fingerprint of the build.
    pub(crate) probe: i64,
}

impl Identity {
    /// The identity of the running executable.
    ///
    /// # Errors
    ///
    /// When `/proc/self/exe` cannot be read.
    pub(crate) fn of_this_process() -> std::io::Result<Identity> {
        let mut file = std::fs::File::open("/proc/self/exe")?;
        // The default hasher of std with its fixed keys: the same bytes give the
        // same hash in every process of this binary.
        #[allow(deprecated)]
        let mut hasher = std::hash::SipHasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.write(&buf[..n]);
            size += n as u64;
        }
        Ok(Identity {
            size,
            hash: hasher.finish(),
            probe: task::offset_of(Identity::of_this_process as fn() -> _ as usize),
        })
    }
}

/// Rank 0 to a worker rank.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum ToWorker {
    /// The answer to `Hello`: this rank may serve pools.
    Welcome,
    /// The answer to `Hello`: this rank may not (another binary, another
    /// protocol). It waits for `Exit` and serves nothing.
    Refused { reason: String },
    /// A pool starts using `slots` worker threads on this rank; each runs the
    /// initializer, if any (its argument is the tail), before its first task.
    Open {
        pool: u64,
        slots: u32,
        initializer: Option<CallRef>,
    },
    /// Run task `(pool, id)` on the pool's worker thread `slot` of this rank;
    /// the tail is the encoded argument.
    Run {
        pool: u64,
        slot: u32,
        id: u64,
        call: CallRef,
    },
    /// Give back task `(pool, id)` if it has not started (it was sent ahead to
    /// a thread that turned out to be busy); answered by `Revoked`.
    Revoke { pool: u64, slot: u32, id: u64 },
    /// The pool is done with this rank: its threads finish and exit; answered
    /// by `Closed`.
    Close { pool: u64 },
    /// Rank 0 is exiting: finalize MPI and exit.
    Exit,
}

/// A worker rank to rank 0.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum FromWorker {
    /// The handshake, sent once after `MPI_Init`.
    Hello { version: u32, identity: Identity },
    /// Task `(pool, id)` finished after `micros` microseconds; with `Ok`, the
    /// tail is the encoded result.
    Done {
        pool: u64,
        id: u64,
        micros: u64,
        outcome: Result<(), Error>,
    },
    /// The answer to `Revoke`: `ok` if the task was removed unstarted.
    Revoked { pool: u64, id: u64, ok: bool },
    /// The pool's initializer failed on this rank.
    InitFailed { pool: u64, error: Error },
    /// Every thread of the pool on this rank has exited.
    Closed { pool: u64 },
}

/// A frame: the encoded header, then `tail` as is.
pub(crate) fn frame<H: Serialize>(header: &H, tail: &[u8]) -> Vec<u8> {
    let mut out = codec::encode(header).expect("protocol headers always encode");
    out.extend_from_slice(tail);
    out
}

/// Splits a frame into its header and where its tail starts.
///
/// # Errors
///
/// [`Error::Decode`] when the header is not a valid `H`.
pub(crate) fn unframe<H: DeserializeOwned>(bytes: &[u8]) -> Result<(H, usize), Error> {
    codec::decode_prefix::<H>(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_keep_their_tail() {
        let f = frame(
            &ToWorker::Run {
                pool: 3,
                slot: 1,
                id: 99,
                call: CallRef { func: -5, tramp: 7 },
            },
            b"tail",
        );
        let (header, at) = unframe::<ToWorker>(&f).unwrap();
        assert!(matches!(
            header,
            ToWorker::Run {
                pool: 3,
                slot: 1,
                id: 99,
                ..
            }
        ));
        assert_eq!(&f[at..], b"tail");
        assert!(unframe::<FromWorker>(&[0xff; 3]).is_err());
    }

    #[test]
    fn the_identity_is_stable_within_a_binary() {
        let a = Identity::of_this_process().unwrap();
        let b = Identity::of_this_process().unwrap();
        assert_eq!(a, b);
        assert!(a.size > 0);
    }
}
