//! A result whose `Deserialize` panics in the parent (where results are
//! decoded) fails that task alone with `Error::Decode`; the slot thread, its
//! worker and the pool go on, and dropping the pool returns.

use std::time::Duration;

use concur_core::{Error, Executor};
use concur_process::ProcessPool;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// Serializes fine (in the worker), panics when deserialized (in the parent).
#[derive(Debug, Clone, PartialEq)]
struct Bomb;

impl Serialize for Bomb {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for Bomb {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        panic!("Bomb cannot be deserialized")
    }
}

fn bomb(_: ()) -> Bomb {
    Bomb
}

fn square(x: u64) -> u64 {
    x * x
}

#[test]
fn a_panicking_deserialize_fails_only_its_task() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let workers = pool.worker_pids();
    for round in 0..3 {
        match pool.submit(bomb, ()).result(LONG) {
            Err(Error::Decode { type_name, message }) => {
                assert!(type_name.contains("Bomb"), "{type_name}");
                assert!(message.contains("cannot be deserialized"), "{message}");
            }
            other => panic!("round {round}: expected Decode, got {other:?}"),
        }
        assert_eq!(pool.submit(square, round).result(LONG), Ok(round * round));
    }
    assert_eq!(pool.worker_pids(), workers, "the worker was not blamed");
    drop(pool);
}
