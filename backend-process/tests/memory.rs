//! `max_memory_per_child`: a worker whose resident memory passes the limit
//! after a task retires, and a fresh worker takes the next task.

use std::time::Duration;

use concur_core::Executor;
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

/// Leaks `mib` MiB, touched so it is resident; returns the worker's pid.
fn leak(mib: usize) -> u32 {
    let v = vec![1u8; mib * 1024 * 1024];
    std::mem::forget(v);
    std::process::id()
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

#[test]
fn a_worker_over_its_memory_limit_is_replaced() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .max_memory_per_child(200 * 1024 * 1024)
        .build()
        .unwrap();
    let first = pool.submit(pid, ()).result(LONG).unwrap();
    assert_eq!(
        pool.submit(leak, 1).result(LONG),
        Ok(first),
        "a small leak stays under the limit"
    );
    assert_eq!(pool.submit(pid, ()).result(LONG), Ok(first), "same worker");
    assert_eq!(
        pool.submit(leak, 256).result(LONG),
        Ok(first),
        "the big leak runs to completion"
    );
    let next = pool.submit(pid, ()).result(LONG).unwrap();
    assert_ne!(next, first, "the leaking worker retired after its task");
    let s = pool.stats();
    assert_eq!((s.completed, s.failed), (5, 0), "{s:?}");
}
