//! Workers start lazily, one per submission that finds no idle worker, and
//! never more than `max_workers`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use concur_core::Executor;
use concur_threads::ThreadPool;

fn ident(x: u64) -> u64 {
    x
}

#[test]
fn no_thread_before_the_first_task() {
    let pool = ThreadPool::builder()
        .max_workers(3)
        .thread_name_prefix("lazy-a")
        .build()
        .unwrap();
    assert_eq!(pool.stats().workers, 0);
    assert!(common::threads_named("lazy-a-").is_empty());
    assert_eq!(
        pool.submit(ident, 5).result(Some(Duration::from_secs(30))),
        Ok(5)
    );
    let workers = pool.stats().workers;
    assert!((1..=3).contains(&workers), "{workers} workers");
    assert_eq!(common::threads_named("lazy-a-").len(), workers);
}

#[test]
fn never_more_than_max_workers() {
    let pool = ThreadPool::builder()
        .max_workers(3)
        .thread_name_prefix("lazy-b")
        .build()
        .unwrap();
    let futures: Vec<_> = (0..2000).map(|i| pool.submit(ident, i)).collect();
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result(Some(Duration::from_secs(30))), Ok(i as u64));
        assert!(pool.stats().workers <= 3);
    }
    assert!(common::threads_named("lazy-b-").len() <= 3);
    assert_eq!(pool.max_workers(), 3);
}

#[test]
fn blocked_workers_make_room_for_new_ones() {
    // Two tasks that wait for each other can only finish on two threads: the
    // second submission finds no idle worker and starts one.
    let pool = ThreadPool::builder()
        .max_workers(2)
        .thread_name_prefix("lazy-c")
        .build()
        .unwrap();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let futures: Vec<_> = (0..2)
        .map(|_| {
            let b = barrier.clone();
            pool.spawn(move || b.wait().is_leader())
        })
        .collect();
    let leaders = futures
        .iter()
        .filter(|f| f.result(Some(Duration::from_secs(30))).unwrap())
        .count();
    assert_eq!(leaders, 1);
    assert_eq!(pool.stats().workers, 2);
}

#[test]
fn a_worker_that_stops_idling_passes_on_the_work_left_to_it() {
    // A warm worker is idle, so the next submissions rely on it instead of
    // starting threads. Two tasks that wait for each other need two workers:
    // the idle worker, once busy with one, must get a worker started for the
    // other (a regression test: the second task used to wait forever).
    for round in 0..300 {
        let pool = ThreadPool::new(3).unwrap();
        assert_eq!(
            pool.submit(ident, 1).result(Some(Duration::from_secs(30))),
            Ok(1)
        );
        let arrived = Arc::new(AtomicUsize::new(0));
        let futures: Vec<_> = (0..2)
            .map(|_| {
                let arrived = arrived.clone();
                pool.spawn(move || {
                    // A barrier that gives up, so a failure cannot hang the drop.
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let deadline = Instant::now() + Duration::from_secs(30);
                    while arrived.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                        std::thread::yield_now();
                    }
                    arrived.load(Ordering::SeqCst) >= 2
                })
            })
            .collect();
        for f in &futures {
            assert_eq!(
                f.result(Some(Duration::from_secs(60))),
                Ok(true),
                "round {round}: the tasks never met"
            );
        }
    }
}
