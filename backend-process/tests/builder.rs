//! The process builder validates as every pool's does: the values core's
//! shared checks refuse are refused here, with the same error, before any
//! worker starts; the values they accept build a pool that honours them.

use std::sync::Mutex;

use concur_core::{Error, Executor, backend};
use concur_process::ProcessPool;

/// The tests of this binary that count child processes run one at a time.
static ALONE: Mutex<()> = Mutex::new(());

fn id(x: u32) -> u32 {
    x
}

/// Runs until the file `path` exists.
fn wait_for(path: String) -> u32 {
    while !std::path::Path::new(&path).exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    7
}

/// The children of this process, over all of its threads (a child is listed
/// under the thread that spawned it).
fn children() -> Vec<String> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").expect("procfs") {
        let path = task.expect("a task").path().join("children");
        let list = std::fs::read_to_string(path).unwrap_or_default();
        out.extend(list.split_whitespace().map(str::to_owned));
    }
    out
}

#[test]
fn what_core_refuses_is_refused_with_the_same_error_and_starts_nothing() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let before = children();
    let queued_zero = backend::check_max_queued(Some(0)).unwrap_err();
    let workers_zero = backend::check_max_workers(Some(0)).unwrap_err();
    let cases: Vec<(&str, Result<ProcessPool, Error>, Option<Error>)> = vec![
        (
            "max_queued(Some(0))",
            ProcessPool::builder()
                .max_workers(1)
                .max_queued(Some(0))
                .build(),
            Some(queued_zero.clone()),
        ),
        (
            "max_queued(0)",
            ProcessPool::builder().max_workers(1).max_queued(0).build(),
            Some(queued_zero),
        ),
        (
            "max_workers(0)",
            ProcessPool::builder().max_workers(0).build(),
            Some(workers_zero.clone()),
        ),
        ("new(0)", ProcessPool::new(0), Some(workers_zero)),
        (
            "inflight_per_worker(0)",
            ProcessPool::builder()
                .max_workers(1)
                .inflight_per_worker(0)
                .build(),
            None,
        ),
        (
            "max_tasks_per_child(0)",
            ProcessPool::builder()
                .max_workers(1)
                .max_tasks_per_child(0)
                .build(),
            None,
        ),
    ];
    for (what, built, expected) in cases {
        let err = built.expect_err(what);
        assert!(
            matches!(err, Error::InvalidConfig { .. }),
            "{what}: {err:?}"
        );
        if let Some(expected) = expected {
            assert_eq!(err, expected, "{what}: the shared check's error");
        }
    }
    assert_eq!(
        children(),
        before,
        "a refused configuration started a worker"
    );
}

#[test]
fn what_core_accepts_builds_and_the_bound_holds() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let unbounded = ProcessPool::builder()
        .max_workers(1)
        .max_queued(None)
        .build()
        .expect("no bound");
    assert_eq!(unbounded.submit(id, 1).result(None), Ok(1));
    drop(unbounded);

    let pool = ProcessPool::new(1).expect("one worker");
    assert_eq!(pool.max_workers(), 1);
    assert_eq!(pool.try_submit(id, 2).and_then(|f| f.result(None)), Ok(2));
}

#[test]
fn the_queue_bound_counts_queued_tasks_only() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let gate = std::env::temp_dir().join(format!("concur-builder-gate-{}", std::process::id()));
    let _ = std::fs::remove_file(&gate);
    let path = gate.to_str().expect("a UTF-8 temp dir").to_owned();
    let pool = ProcessPool::builder()
        .max_workers(1)
        .inflight_per_worker(1)
        .max_queued(1)
        .build()
        .expect("a bound of 1");

    // Running: it left the queue, so it does not count.
    let running = pool.submit(wait_for, path.clone());
    while !running.is_running() {
        std::thread::yield_now();
    }
    let queued = pool.try_submit(wait_for, path.clone()).expect("one place");
    assert_eq!(
        pool.try_submit(id, 1).unwrap_err(),
        Error::Full { max_queued: 1 }
    );
    // Plain `submit` goes past the bound, and counts towards it.
    let past = pool.submit(id, 2);
    // Taken out of the queue (a plain `cancel` leaves the task where it is,
    // holding its place until the pool reaches it, as on every pool).
    assert!(pool.kill(&queued));
    assert_eq!(
        pool.try_submit(id, 3).unwrap_err(),
        Error::Full { max_queued: 1 },
        "the task submitted past the bound still holds a place"
    );
    assert!(pool.kill(&past));
    assert_eq!(past.result(None), Err(Error::Cancelled));
    let last = pool
        .try_submit(id, 4)
        .expect("cancelled and killed tasks gave their places back");

    std::fs::write(&gate, b"").expect("open the gate");
    assert_eq!(running.result(None), Ok(7));
    assert_eq!(queued.result(None), Err(Error::Cancelled));
    assert_eq!(last.result(None), Ok(4));
    assert_eq!(pool.stats().queued, 0);
    drop(pool);
    let _ = std::fs::remove_file(&gate);
}
