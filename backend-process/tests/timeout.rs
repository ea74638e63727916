//! A per-task timeout kills the worker running the overdue task, fails it with
//! `Error::Timeout`, and replaces the worker; the tasks beside it succeed.
//! (Python cannot stop a running task at all.)

use std::time::Duration;

use concur_core::{Error, Executor, Future};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

fn hang(_: ()) -> u64 {
    loop {
        std::thread::park();
    }
}

fn square(x: u64) -> u64 {
    x * x
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

#[test]
fn submit_with_timeout_kills_the_overdue_task() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let overdue = pool.submit_with_timeout(hang, (), Duration::from_millis(100));
    let others: Vec<Future<u64>> = (0..10).map(|i| pool.submit(square, i)).collect();
    assert_eq!(overdue.result(LONG), Err(Error::Timeout));
    for (i, f) in others.iter().enumerate() {
        assert_eq!(f.result(LONG), Ok(i as u64 * i as u64));
    }
    let s = pool.stats();
    assert_eq!((s.completed, s.failed), (10, 1), "{s:?}");
    // A task within its timeout is unaffected, on a full pool again.
    assert_eq!(
        pool.submit_with_timeout(square, 5, Duration::from_secs(30))
            .result(LONG),
        Ok(25)
    );
    let pids: Vec<u32> = (0..2)
        .map(|_| pool.submit(pid, ()))
        .map(|f| f.result(LONG).unwrap())
        .collect();
    assert!(pids.iter().all(|p| *p > 0));
}

#[test]
fn the_builder_timeout_applies_to_every_task() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .task_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let before = pool.worker_pids();
    assert_eq!(pool.submit(hang, ()).result(LONG), Err(Error::Timeout));
    assert_eq!(pool.submit(square, 7).result(LONG), Ok(49));
    let after = pool.worker_pids();
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "the overdue task's worker was replaced");
}

#[test]
fn a_timeout_past_the_clock_s_end_is_no_timeout() {
    // `Instant::now() + Duration::MAX` overflows: the deadline is core's
    // arithmetic, for which a deadline the clock cannot hold is none.
    let pool = ProcessPool::builder()
        .max_workers(1)
        .inflight_per_worker(1)
        .build()
        .unwrap();
    let first = pool.submit_with_timeout(square, 3, Duration::MAX);
    // Queued behind the first: its deadline is set when the first finishes.
    let second = pool.submit_with_timeout(square, 4, Duration::MAX);
    assert_eq!(first.result(LONG), Ok(9));
    assert_eq!(second.result(LONG), Ok(16));
    let forever = ProcessPool::builder()
        .max_workers(1)
        .task_timeout(Duration::MAX)
        .build()
        .unwrap();
    assert_eq!(forever.submit(square, 5).result(LONG), Ok(25));
}
