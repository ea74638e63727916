//! The initializer runs in each worker before its first task; one that panics
//! breaks the pool, as in Python.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use concur_core::{Error, Executor, Future};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

static SEEN: AtomicU64 = AtomicU64::new(0);

fn setup(value: u64) {
    SEEN.store(value, Ordering::SeqCst);
}

fn read_setup(_: ()) -> u64 {
    SEEN.load(Ordering::SeqCst)
}

fn bad_setup(_: ()) {
    panic!("no database")
}

#[test]
fn each_worker_is_initialized_before_its_first_task() {
    // One task per worker, so every task meets a fresh worker.
    let pool = ProcessPool::builder()
        .max_workers(2)
        .max_tasks_per_child(1)
        .initializer(setup, 42)
        .build()
        .unwrap();
    let futs: Vec<Future<u64>> = (0..6).map(|_| pool.submit(read_setup, ())).collect();
    for f in futs {
        assert_eq!(f.result(LONG), Ok(42));
    }
    assert_eq!(
        SEEN.load(Ordering::SeqCst),
        0,
        "the initializer runs in the workers, not here"
    );
}

#[test]
fn a_failing_initializer_breaks_the_pool() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .initializer(bad_setup, ())
        .build()
        .unwrap();
    match pool.submit(read_setup, ()).result(LONG) {
        Err(Error::Broken { reason }) => assert!(reason.contains("no database"), "{reason}"),
        other => panic!("expected Broken, got {other:?}"),
    }
    assert!(matches!(
        pool.try_submit(read_setup, ()),
        Err(Error::Broken { .. })
    ));
}
