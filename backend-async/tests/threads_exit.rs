//! No executor thread outlives its pool. One test in this binary, so that the
//! count of the process's threads is not disturbed by other tests.

use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::Executor;

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("Linux /proc")
        .count()
}

/// Waits (up to 30 s) until the process has `n` threads. `join` returns when
/// the kernel has cleared a thread's id, a moment before it leaves
/// /proc/self/task; a leaked thread never leaves, so the bound only absorbs
/// that reaping lag.
fn settles_at(n: usize) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while thread_count() != n {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

fn run_some_work(pool: &AsyncPool) {
    let futures: Vec<_> = (0..50u64)
        .map(|i| {
            pool.spawn(async move {
                smol::Timer::after(Duration::from_millis(i % 3)).await;
                i
            })
        })
        .collect();
    for f in futures {
        f.result(Some(Duration::from_secs(30))).unwrap();
    }
}

#[test]
fn executor_threads_exit_on_shutdown_and_drop() {
    // The first pool starts smol's process-wide I/O reactor thread, which is not
    // the pool's and stays; count from after it.
    run_some_work(&AsyncPool::builder().max_workers(1).build().unwrap());
    let before = thread_count();

    let pool = AsyncPool::builder().max_workers(4).build().unwrap();
    assert_eq!(thread_count(), before + 4);
    run_some_work(&pool);
    drop(pool);
    assert!(settles_at(before), "drop joins every executor thread");

    let pool = AsyncPool::builder().max_workers(3).build().unwrap();
    run_some_work(&pool);
    pool.shutdown(true, true);
    assert!(
        settles_at(before),
        "shutdown(wait) joins every executor thread"
    );
    assert_eq!(pool.stats().workers, 0);
    drop(pool);

    // shutdown(wait = false) returns at once; the later drop still joins.
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    run_some_work(&pool);
    pool.shutdown(false, false);
    drop(pool);
    assert!(
        settles_at(before),
        "the drop after shutdown(wait = false) joins"
    );
}
