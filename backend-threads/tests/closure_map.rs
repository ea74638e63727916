//! `ThreadPool::map` over closures, what is this pool's own: refusal with the
//! reason on a broken pool, and the inherent `map` answering a concrete pool
//! while generic code reaches the trait's. The scenarios every in-process
//! pool shares (captured state, non-serde values, order, chunks, deadline,
//! cancellation, refusal) are core's `closure_map` suite, run from
//! `tests/conformance.rs`.

use std::time::Duration;

use concur_core::{Error, Executor, MapOptions};
use concur_threads::ThreadPool;

const LONG: Duration = Duration::from_secs(30);

#[test]
fn map_on_a_broken_pool_is_refused_with_the_reason() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .initializer(|| panic!("no database"))
        .build()
        .unwrap();
    // The first task starts the worker, whose initializer breaks the pool.
    assert!(matches!(
        pool.spawn(|| ()).result(Some(LONG)),
        Err(Error::Broken { .. })
    ));
    let err = pool.map(|x: u8| x, 0..3, MapOptions::new()).unwrap_err();
    assert!(
        matches!(&err, Error::Broken { reason } if reason.contains("no database")),
        "{err:?}"
    );
}

fn square(x: u64) -> u64 {
    x * x
}

/// Generic code reaches the trait's `map`; the concrete pool its own, with
/// the same `fn` and the same items.
fn sum_via_trait<E: Executor>(pool: &E, n: u64) -> u64 {
    pool.map(square, 0..n, MapOptions::new().chunksize(3))
        .unwrap()
        .map(|r| r.unwrap())
        .sum()
}

#[test]
fn the_trait_map_and_the_closure_map_agree() {
    let pool = ThreadPool::new(2).unwrap();
    let inherent: u64 = pool
        .map(square, 0..50, MapOptions::new().chunksize(3))
        .unwrap()
        .map(|r| r.unwrap())
        .sum();
    assert_eq!(inherent, sum_via_trait(&pool, 50));
    // The trait's method is still callable by name on the concrete pool.
    let by_name: Vec<u64> = Executor::map(&pool, square, 0..4, MapOptions::new())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(by_name, [0, 1, 4, 9]);
    // An unannotated closure: its argument type comes from the items.
    let doubled: Vec<u64> = pool
        .map(|x| x * 2, 0..4u64, MapOptions::new())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(doubled, [0, 2, 4, 6]);
    // A capturing closure: only the inherent `map` takes one.
    let k = 3;
    let tripled: Vec<u64> = pool
        .map(move |x: u64| x * k, 0..4, MapOptions::new().chunksize(2))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(tripled, [0, 3, 6, 9]);
}
