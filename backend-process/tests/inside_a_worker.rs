//! Inside a worker, the process is already serving its pool: a task that
//! calls `init()` gets it back at once, and a task that builds a pool of its
//! own gets a working pool — neither takes the worker's socket again or ends
//! the worker.

use std::time::Duration;

use concur_core::Executor;
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

fn inner(x: u32) -> u32 {
    x + 1
}

/// Builds a pool inside the worker and runs `inner` on it.
fn outer(x: u32) -> (u32, u32) {
    let pool = ProcessPool::new(1).expect("a pool inside a worker");
    let value = pool.submit(inner, x).result(LONG).expect("the inner task");
    let inner_pids = pool.worker_pids();
    assert!(!inner_pids.contains(&std::process::id()));
    (value, std::process::id())
}

fn call_init(_: ()) -> u32 {
    concur_process::init();
    std::process::id()
}

#[test]
fn a_task_may_call_init_and_build_a_pool_of_its_own() {
    let pool = ProcessPool::new(1).unwrap();
    let worker = pool.worker_pids();
    assert_eq!(worker.len(), 1);

    assert_eq!(pool.submit(call_init, ()).result(LONG), Ok(worker[0]));
    // Twice, from the same worker: still the same process.
    assert_eq!(pool.submit(call_init, ()).result(LONG), Ok(worker[0]));

    assert_eq!(pool.submit(outer, 41).result(LONG), Ok((42, worker[0])));
    assert_eq!(pool.worker_pids(), worker, "the worker lived through both");
    assert_eq!(pool.stats().failed, 0);
}
