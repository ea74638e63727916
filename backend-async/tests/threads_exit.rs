//! No executor thread outlives its pool. One test in this binary, so that the
//! count of the process's threads is not disturbed by other tests. Only the
//! pool's threads are counted (by their name prefix): smol's reactor thread
//! starts with the first timer and stays, and a thread joined a moment ago
//! may still be listed.

use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::Executor;

const PREFIX: &str = "exit-test";

/// The process's threads whose name starts with [`PREFIX`].
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("Linux /proc")
        .filter(|task| {
            let Ok(task) = task else { return false };
            // A thread that exited meanwhile has no `comm` left: not counted.
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.starts_with(PREFIX))
        })
        .count()
}

fn pool(threads: usize) -> AsyncPool {
    AsyncPool::builder()
        .max_workers(threads)
        .thread_name_prefix(PREFIX)
        .build()
        .unwrap()
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
    run_some_work(&pool(1));
    let before = 0;
    assert!(settles_at(before), "the first pool's thread is joined");

    let pool = self::pool(4);
    // `build` returns once every thread ran its initializer: all are listed.
    assert_eq!(thread_count(), before + 4);
    run_some_work(&pool);
    drop(pool);
    assert!(settles_at(before), "drop joins every executor thread");

    let pool = self::pool(3);
    run_some_work(&pool);
    pool.shutdown(true, true);
    assert!(
        settles_at(before),
        "shutdown(wait) joins every executor thread"
    );
    assert_eq!(pool.stats().workers, 0);
    drop(pool);

    // shutdown(wait = false) returns at once; the later drop still joins.
    let pool = self::pool(2);
    run_some_work(&pool);
    pool.shutdown(false, false);
    drop(pool);
    assert!(
        settles_at(before),
        "the drop after shutdown(wait = false) joins"
    );
}
