//! A payload that cannot be encoded or decoded fails its own task with
//! `Error::Encode` / `Error::Decode` naming the type; nothing else is affected.
//! An argument that cannot be encoded fails at `submit`, on the caller's thread
//! (Python's pool deadlocks there: gh-75880, gh-116685).

use std::time::Duration;

use concur_core::{Error, Executor};
use concur_process::ProcessPool;
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const LONG: Option<Duration> = Some(Duration::from_secs(30));

/// Refuses to serialize.
#[derive(Debug, Clone)]
struct NoEncode;

impl Serialize for NoEncode {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(S::Error::custom("NoEncode never encodes"))
    }
}

impl<'de> Deserialize<'de> for NoEncode {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Ok(NoEncode)
    }
}

/// Encodes as a number; refuses to decode 13.
#[derive(Debug, Clone, PartialEq)]
struct NotThirteen(u32);

impl Serialize for NotThirteen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for NotThirteen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u32::deserialize(d)? {
            13 => Err(D::Error::custom("13 is refused")),
            n => Ok(NotThirteen(n)),
        }
    }
}

fn take_no_encode(_: NoEncode) -> u32 {
    1
}

fn make_no_encode(_: ()) -> NoEncode {
    NoEncode
}

fn take_not_thirteen(x: NotThirteen) -> u32 {
    x.0
}

fn make_not_thirteen(x: u32) -> NotThirteen {
    NotThirteen(x)
}

fn square(x: u64) -> u64 {
    x * x
}

#[test]
fn an_argument_that_cannot_encode_fails_at_submit() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let f = pool.submit(take_no_encode, NoEncode);
    assert!(
        f.is_done(),
        "failed on the caller's thread, before submit returned"
    );
    match f.result(None) {
        Err(Error::Encode { type_name, message }) => {
            assert!(type_name.contains("NoEncode"), "{type_name}");
            assert!(message.contains("never encodes"), "{message}");
        }
        other => panic!("expected Encode, got {other:?}"),
    }
    assert!(matches!(
        pool.try_submit(take_no_encode, NoEncode),
        Err(Error::Encode { .. })
    ));
    assert_eq!(
        pool.submit(square, 3).result(LONG),
        Ok(9),
        "the pool is unaffected"
    );
    assert_eq!(
        pool.stats().submitted,
        1,
        "a refused task is not counted as submitted"
    );
}

#[test]
fn a_result_that_cannot_encode_fails_its_task() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let pid = pool.worker_pids();
    match pool.submit(make_no_encode, ()).result(LONG) {
        Err(Error::Encode { type_name, .. }) => {
            assert!(type_name.contains("NoEncode"), "{type_name}")
        }
        other => panic!("expected Encode, got {other:?}"),
    }
    assert_eq!(pool.submit(square, 4).result(LONG), Ok(16));
    assert_eq!(pool.worker_pids(), pid, "the worker lives on");
}

#[test]
fn an_argument_that_cannot_decode_fails_its_task() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let bad = pool.submit(take_not_thirteen, NotThirteen(13));
    let good = pool.submit(take_not_thirteen, NotThirteen(12));
    match bad.result(LONG) {
        Err(Error::Decode { type_name, message }) => {
            assert!(type_name.contains("NotThirteen"), "{type_name}");
            assert!(message.contains("13 is refused"), "{message}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(good.result(LONG), Ok(12));
}

#[test]
fn a_result_that_cannot_decode_fails_its_task() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let bad = pool.submit(make_not_thirteen, 13);
    let good = pool.submit(make_not_thirteen, 14);
    match bad.result(LONG) {
        Err(Error::Decode { type_name, .. }) => {
            assert!(type_name.contains("NotThirteen"), "{type_name}")
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(good.into_result(), Ok(NotThirteen(14)));
}
