//! The builder speaks the thread pool's vocabulary — `max_workers`,
//! `max_queued`, `thread_name_prefix`, `initializer` — with the same
//! validation.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::{Error, Executor};
use concur_threads::ThreadPool;

const LONG: Duration = Duration::from_secs(30);

fn message(err: Error) -> String {
    match err {
        Error::InvalidConfig { message } => message,
        other => panic!("expected InvalidConfig, saw {other:?}"),
    }
}

#[test]
fn refusals_match_the_thread_pool_word_for_word() {
    let a = message(AsyncPool::builder().max_workers(0).build().unwrap_err());
    let t = message(ThreadPool::builder().max_workers(0).build().unwrap_err());
    assert_eq!(a, t);
    let a = message(AsyncPool::builder().max_queued(0).build().unwrap_err());
    let t = message(ThreadPool::builder().max_queued(0).build().unwrap_err());
    assert_eq!(a, t);
    let a = message(
        AsyncPool::builder()
            .thread_name_prefix("bad\0name")
            .build()
            .unwrap_err(),
    );
    let t = message(
        ThreadPool::builder()
            .thread_name_prefix("bad\0name")
            .build()
            .unwrap_err(),
    );
    assert_eq!(a, t);
    assert!(a.contains("NUL"), "{a}");
}

#[test]
fn max_queued_takes_a_number_or_an_option() {
    let pool = AsyncPool::builder()
        .max_workers(1)
        .max_queued(3)
        .build()
        .unwrap();
    assert_eq!(pool.max_workers(), 1);
    let unbounded = AsyncPool::builder().max_queued(None).build().unwrap();
    assert!(unbounded.try_submit(|x: u8| x, 1).is_ok());
}

#[test]
fn max_workers_is_the_number_of_threads() {
    let pool = AsyncPool::builder().max_workers(3).build().unwrap();
    assert_eq!((pool.threads(), pool.max_workers()), (3, 3));
}

#[test]
fn the_initializer_runs_once_on_every_thread_before_any_task() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let pool = AsyncPool::builder()
        .max_workers(3)
        .thread_name_prefix("init")
        .initializer(move || {
            let name = std::thread::current().name().unwrap_or("?").to_owned();
            log.lock().unwrap().push(name);
        })
        .build()
        .unwrap();
    // `build` returned: every initializer already ran, before any task.
    let names: HashSet<String> = seen.lock().unwrap().iter().cloned().collect();
    assert_eq!(seen.lock().unwrap().len(), 3, "once per thread");
    let expected: HashSet<String> = (0..3).map(|i| format!("init-{i}")).collect();
    assert_eq!(names, expected);
    let f = pool.spawn(async { 7 });
    assert_eq!(f.result(Some(LONG)), Ok(7));
    drop(pool);
    assert_eq!(seen.lock().unwrap().len(), 3, "never again");
}

#[test]
fn a_panicking_initializer_fails_build_and_leaves_no_thread() {
    let err = AsyncPool::builder()
        .max_workers(2)
        .thread_name_prefix("doomed")
        .initializer(|| panic!("no database"))
        .build()
        .unwrap_err();
    match err {
        Error::Broken { reason } => {
            assert!(reason.contains("no database"), "{reason}");
            assert!(reason.contains("doomed-"), "{reason}");
        }
        other => panic!("expected Broken, saw {other:?}"),
    }
    // `build` joined the threads it started; the kernel takes a moment more
    // to drop them from /proc, a leaked one never leaves.
    let deadline = std::time::Instant::now() + LONG;
    while threads_named("doomed-") > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "an executor thread outlived the failed build"
        );
        std::thread::yield_now();
    }
}

/// Threads of this process whose name starts with `prefix` (Linux `/proc`).
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("Linux /proc")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}
