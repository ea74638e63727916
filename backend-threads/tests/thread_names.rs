//! Worker threads are named `{prefix}-{index}`.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use concur_threads::ThreadPool;

fn names_of(pool: &ThreadPool, n: usize) -> BTreeSet<String> {
    // `n` tasks that wait for each other run on `n` distinct workers.
    let barrier = Arc::new(Barrier::new(n));
    let futures: Vec<_> = (0..n)
        .map(|_| {
            let b = barrier.clone();
            pool.spawn(move || {
                b.wait();
                std::thread::current().name().unwrap_or("").to_owned()
            })
        })
        .collect();
    futures
        .into_iter()
        .map(|f| f.result(Some(Duration::from_secs(30))).unwrap())
        .collect()
}

#[test]
fn custom_prefix() {
    let pool = ThreadPool::builder()
        .max_workers(2)
        .thread_name_prefix("cruncher")
        .build()
        .unwrap();
    let names = names_of(&pool, 2);
    assert_eq!(
        names,
        BTreeSet::from(["cruncher-0".to_owned(), "cruncher-1".to_owned()])
    );
}

#[test]
fn default_prefix() {
    let pool = ThreadPool::new(1).unwrap();
    assert_eq!(
        names_of(&pool, 1),
        BTreeSet::from(["concur-worker-0".to_owned()])
    );
}
