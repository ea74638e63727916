//! Dropping the pool runs what is queued and joins every worker: no thread is
//! leaked. (One test in this binary, so no other test's threads are counted.)

mod common;

use std::time::Duration;

use concur_core::Executor;
use concur_threads::ThreadPool;

fn square(x: u64) -> u64 {
    x * x
}

#[test]
fn drop_joins_all_threads() {
    let before = common::thread_count();
    for round in 0..20 {
        let pool = ThreadPool::builder()
            .max_workers(4)
            .thread_name_prefix("dropme")
            .build()
            .unwrap();
        let futures: Vec<_> = (0..200).map(|i| pool.submit(square, i)).collect();
        let started = pool.stats().workers;
        assert!(
            (1..=4).contains(&started),
            "round {round}: {started} workers"
        );
        drop(pool);
        // Everything queued ran before the drop returned.
        for (i, f) in futures.iter().enumerate() {
            assert_eq!(f.result(Some(Duration::ZERO)), Ok(i as u64 * i as u64));
        }
        assert!(
            common::eventually(|| common::threads_named("dropme").is_empty()),
            "round {round}: a worker outlived the pool"
        );
        assert!(
            common::eventually(|| common::thread_count() == before),
            "round {round}: {} threads, {before} before",
            common::thread_count()
        );
    }
}
