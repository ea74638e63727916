//! Measures where shared memory starts to pay: the round trip of a payload of
//! each size (argument and result of that size) through the socket and through
//! shared memory, on a 1-worker pool.
//!
//! ```text
//! cargo run --release -p concur-process --example threshold
//! ```

use std::time::Instant;

use concur_core::Executor;
use concur_process::ProcessPool;
use serde::de::Visitor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes encoded as one byte string.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bytes(Vec<u8>);

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
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

fn echo(b: Bytes) -> Bytes {
    b
}

/// Median seconds of a round trip of `size` bytes each way.
fn round_trip(pool: &ProcessPool, size: usize, reps: usize) -> f64 {
    let payload = Bytes(vec![7u8; size]);
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            let back = pool
                .submit(echo, payload.clone())
                .into_result()
                .expect("echo");
            assert_eq!(back.0.len(), size);
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() -> Result<(), concur_core::Error> {
    let socket = ProcessPool::builder()
        .max_workers(1)
        .shared_memory_threshold(usize::MAX)
        .build()?;
    let shared = ProcessPool::builder()
        .max_workers(1)
        .shared_memory_threshold(0)
        .build()?;
    println!("| payload | socket (ms) | shared memory (ms) |");
    println!("|--------:|------------:|-------------------:|");
    for kib in [4, 16, 64, 128, 256, 512, 1024, 4096, 16384, 65536] {
        let size = kib * 1024;
        let reps = if kib >= 16384 { 5 } else { 21 };
        let a = round_trip(&socket, size, reps) * 1e3;
        let b = round_trip(&shared, size, reps) * 1e3;
        println!("| {kib:>6} KiB | {a:>10.3} | {b:>17.3} |");
    }
    Ok(())
}
