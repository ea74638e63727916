//! A `Serialize` or `Deserialize` impl that panics fails only its own task,
//! with `Error::Encode` / `Error::Decode` carrying the panic's message, on each
//! of the four sides: the argument's encode (caller's thread, at `submit`), its
//! decode (worker), the result's encode (worker), its decode (the parent's slot
//! thread). The caller does not panic, the worker lives on, the slot serves the
//! next task and the pool shuts down.

use std::time::Duration;

use concur_core::{Error, Executor, MapOptions};
use concur_process::{Codec, ProcessPool};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// Panics when serialized.
#[derive(Debug, Clone)]
struct BadSer;

impl Serialize for BadSer {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("BadSer refuses to serialize")
    }
}

impl<'de> Deserialize<'de> for BadSer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <()>::deserialize(d).map(|()| BadSer)
    }
}

/// Serializes as a number; panics when deserialized.
#[derive(Debug, Clone)]
struct BadDe(u32);

impl Serialize for BadDe {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for BadDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(d)?;
        panic!("BadDe refuses to deserialize {n}")
    }
}

fn take_bad_ser(_: BadSer) -> u32 {
    1
}

fn make_bad_ser(_: ()) -> BadSer {
    BadSer
}

fn take_bad_de(_: BadDe) -> u32 {
    2
}

fn make_bad_de(n: u32) -> BadDe {
    BadDe(n)
}

fn make_some_bad(n: u32) -> Option<BadSer> {
    (n == 3).then_some(BadSer)
}

fn square(x: u64) -> u64 {
    x * x
}

fn expect_error(got: Result<impl std::fmt::Debug, Error>, encode: bool, text: &str) {
    match (&got, encode) {
        (Err(Error::Encode { message, .. }), true)
        | (Err(Error::Decode { message, .. }), false) => {
            assert!(message.contains("panicked"), "{message}");
            assert!(message.contains(text), "{message}");
        }
        _ => panic!(
            "expected {} with `{text}`, got {got:?}",
            if encode { "Encode" } else { "Decode" }
        ),
    }
}

fn every_side(codec: Codec) {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .codec(codec)
        .build()
        .unwrap();
    let pids = pool.worker_pids();

    // The argument's encode, on this thread: submit returns a failed future.
    let f = pool.submit(take_bad_ser, BadSer);
    assert!(f.is_done(), "failed at submit, before it returned");
    expect_error(f.result(LONG), true, "BadSer refuses");
    assert!(matches!(
        pool.try_submit(take_bad_ser, BadSer),
        Err(Error::Encode { .. })
    ));

    // The argument's decode, in the worker.
    expect_error(
        pool.submit(take_bad_de, BadDe(7)).result(LONG),
        false,
        "BadDe refuses to deserialize 7",
    );
    // The result's encode, in the worker.
    expect_error(
        pool.submit(make_bad_ser, ()).result(LONG),
        true,
        "BadSer refuses",
    );
    // The result's decode, in the parent's slot thread; a task queued behind it
    // on the same slot completes.
    let bad = pool.submit(make_bad_de, 9);
    let next = pool.submit(square, 5);
    expect_error(bad.result(LONG), false, "BadDe refuses to deserialize 9");
    assert_eq!(next.result(LONG), Ok(25));

    // In a chunk of `map`: the chunk's result fails to encode, each item says so.
    let out: Vec<_> = pool
        .map(make_some_bad, 0..6u32, MapOptions::new().chunksize(3))
        .unwrap()
        .collect();
    assert_eq!(out.len(), 6);
    assert!(
        out[..3].iter().all(|r| matches!(r, Ok(None))),
        "the other chunk is untouched: {out:?}"
    );
    assert!(
        out[3..].iter().all(
            |r| matches!(r, Err(Error::Encode { message, .. }) if message.contains("panicked"))
        ),
        "{out:?}"
    );

    assert_eq!(
        pool.worker_pids(),
        pids,
        "the worker lived through all of it"
    );
    assert_eq!(pool.submit(square, 12).result(LONG), Ok(144));
    assert_eq!(pool.stats().running, 0);
    drop(pool); // shutdown returns: the slot thread is alive and answers
}

#[test]
fn panics_in_serde_fail_only_their_task_bincode() {
    every_side(Codec::Bincode);
}

#[test]
fn panics_in_serde_fail_only_their_task_messagepack() {
    every_side(Codec::MessagePack);
}
