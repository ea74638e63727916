//! The initializer runs once on each worker before its first task; if it
//! panics the pool is broken, as Python's `BrokenThreadPool`.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use concur_core::{Error, Executor};
use concur_threads::ThreadPool;

thread_local! {
    static INITIALIZED: Cell<usize> = const { Cell::new(0) };
}

fn times_initialized(_: ()) -> usize {
    INITIALIZED.with(Cell::get)
}

#[test]
fn runs_once_per_worker_before_its_first_task() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let pool = ThreadPool::builder()
        .max_workers(2)
        .initializer(move || {
            c.fetch_add(1, Ordering::SeqCst);
            INITIALIZED.with(|i| i.set(i.get() + 1));
        })
        .build()
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no worker, no initializer");
    let futures: Vec<_> = (0..500)
        .map(|_| pool.submit(times_initialized, ()))
        .collect();
    for f in futures {
        assert_eq!(
            f.result(Some(Duration::from_secs(30))),
            Ok(1),
            "every task sees exactly one initialization"
        );
    }
    let workers = pool.stats().workers;
    drop(pool);
    assert_eq!(calls.load(Ordering::SeqCst), workers);
}

fn one(_: ()) -> u8 {
    1
}

#[test]
fn a_panicking_initializer_breaks_the_pool() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .initializer(|| panic!("no database"))
        .build()
        .unwrap();
    let first = pool.submit(one, ());
    let err = first.result(Some(Duration::from_secs(30))).unwrap_err();
    match &err {
        Error::Broken { reason } => {
            assert!(
                reason.contains("initializer") && reason.contains("no database"),
                "{reason}"
            )
        }
        other => panic!("expected Broken, got {other:?}"),
    }
    // Later submissions fail the same way, at once.
    assert_eq!(
        pool.submit(one, ()).result(Some(Duration::ZERO)),
        Err(err.clone())
    );
    assert_eq!(pool.try_submit(one, ()).unwrap_err(), err);
    let s = pool.stats();
    assert_eq!((s.submitted, s.failed), (1, 1));
}
