//! The builder: defaults, refused configurations, the queue bound.

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use concur_core::{Error, Executor};
use concur_threads::ThreadPool;

fn ident(x: u64) -> u64 {
    x
}

#[test]
fn zero_workers_and_a_zero_queue_bound_are_refused() {
    assert!(matches!(
        ThreadPool::new(0),
        Err(Error::InvalidConfig { .. })
    ));
    let err = ThreadPool::builder()
        .max_queued(Some(0))
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidConfig { message } if message.contains("max_queued")),
        "{err:?}"
    );
    assert!(ThreadPool::builder().max_queued(None).build().is_ok());
}

#[test]
fn max_workers_defaults_to_available_parallelism() {
    let pool = ThreadPool::builder().build().unwrap();
    let expected = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(pool.max_workers(), expected);
}

#[test]
fn try_submit_refuses_at_the_bound_and_accepts_again_once_drained() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .max_queued(2)
        .build()
        .unwrap();
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let started = Arc::new(Barrier::new(2));
    let (g, s) = (gate.clone(), started.clone());
    let blocker = pool.spawn(move || {
        s.wait();
        drop(g.lock());
    });
    started.wait();
    // The only worker is busy: two tasks may wait, the third is refused.
    let a = pool.try_submit(ident, 1).unwrap();
    let b = pool.try_submit(ident, 2).unwrap();
    assert_eq!(
        pool.try_submit(ident, 3).unwrap_err(),
        Error::Full { max_queued: 2 }
    );
    // `submit` never refuses for the bound.
    let c = pool.submit(ident, 4);
    assert_eq!(pool.stats().queued, 3);
    drop(held);
    blocker.result(Some(Duration::from_secs(30))).unwrap();
    for (f, v) in [(a, 1), (b, 2), (c, 4)] {
        assert_eq!(f.result(Some(Duration::from_secs(30))), Ok(v));
    }
    assert_eq!(
        pool.try_submit(ident, 5)
            .unwrap()
            .result(Some(Duration::from_secs(30))),
        Ok(5)
    );
    pool.shutdown(true, false);
    assert_eq!(pool.try_submit(ident, 6).unwrap_err(), Error::Shutdown);
}

#[test]
fn the_builder_prints_its_settings() {
    let b = ThreadPool::builder()
        .max_workers(3)
        .thread_name_prefix("dbg")
        .initializer(|| {});
    let text = format!("{b:?}");
    assert!(
        text.contains("max_workers: Some(3)") && text.contains("dbg"),
        "{text}"
    );
}

#[test]
fn the_pool_prints_a_summary() {
    let pool = ThreadPool::builder()
        .max_workers(2)
        .thread_name_prefix("shown")
        .build()
        .unwrap();
    let text = format!("{pool:?}");
    assert!(
        text.contains("max_workers: 2")
            && text.contains("shown")
            && text.contains("shutdown: false"),
        "{text}"
    );
}

#[test]
fn a_thread_name_prefix_with_a_nul_byte_is_refused() {
    let err = ThreadPool::builder()
        .thread_name_prefix("bad\0name")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidConfig { message } if message.contains("NUL")),
        "{err:?}"
    );
}
