//! A 64 MiB argument and a 64 MiB result round-trip intact (through shared
//! memory: payloads above the threshold do not go through the socket).

use std::time::Duration;

use concur_core::Executor;
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));
const SIZE: usize = 64 * 1024 * 1024;

/// `len` bytes (a multiple of 4 KiB): 4 KiB blocks of pseudo-random bytes from
/// `seed`, each stamped with its index, so a lost, repeated or shifted block
/// shows. Cheap to build in a debug build (memcpy per block).
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let block: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut out = Vec::with_capacity(len);
    for i in 0..len / 4096 {
        out.extend_from_slice(&(i as u64).to_le_bytes());
        out.extend_from_slice(&block[8..]);
    }
    out
}

/// Checks the argument and answers with a fresh 64 MiB pattern.
fn echo_transformed(arg: (u64, serde_bytes_like::Bytes)) -> serde_bytes_like::Bytes {
    let (seed, bytes) = arg;
    assert_eq!(bytes.0.len(), SIZE);
    assert!(
        bytes.0 == pattern(SIZE, seed),
        "the argument arrived intact"
    );
    serde_bytes_like::Bytes(pattern(SIZE, seed + 1))
}

/// `Vec<u8>` encoded as one byte string rather than a sequence of numbers.
mod serde_bytes_like {
    use serde::de::{Error, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Debug, PartialEq, Eq)]
    pub(crate) struct Bytes(pub(crate) Vec<u8>);

    impl Serialize for Bytes {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }

    impl<'de> Deserialize<'de> for Bytes {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Bytes;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Bytes, E> {
                    Ok(Bytes(v.to_vec()))
                }
                fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                    Ok(Bytes(v))
                }
            }
            d.deserialize_byte_buf(V)
        }
    }
}

fn len_of(v: Vec<u64>) -> usize {
    v.len()
}

#[test]
fn sixty_four_mib_each_way() {
    round_trip(ProcessPool::builder().max_workers(1).build().unwrap());
}

#[test]
fn sixty_four_mib_each_way_through_the_socket() {
    // Shared memory off: the payload is cut into socket-sized fragments.
    round_trip(
        ProcessPool::builder()
            .max_workers(1)
            .shared_memory_threshold(usize::MAX)
            .build()
            .unwrap(),
    );
}

fn round_trip(pool: ProcessPool) {
    let seed = 0x5eed;
    let out = pool
        .submit(
            echo_transformed,
            (seed, serde_bytes_like::Bytes(pattern(SIZE, seed))),
        )
        .into_result()
        .unwrap();
    assert_eq!(out.0.len(), SIZE);
    assert!(
        out.0 == pattern(SIZE, seed + 1),
        "the result arrived intact"
    );
    // A plain Vec of numbers above the threshold works too.
    let v: Vec<u64> = (0..1_000_000).collect();
    assert_eq!(pool.submit(len_of, v).result(LONG), Ok(1_000_000));
}
