//! A panicking task fails its own future; the worker and the pool go on.

use std::time::Duration;

use concur_core::{Error, Executor};
use concur_threads::ThreadPool;

fn boom(msg: String) -> u32 {
    panic!("{msg}")
}

fn double(x: u32) -> u32 {
    x * 2
}

#[test]
fn the_same_worker_runs_the_next_task() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .thread_name_prefix("phoenix")
        .build()
        .unwrap();
    for i in 0..50 {
        let err = pool
            .submit(boom, format!("boom {i}"))
            .result(Some(Duration::from_secs(30)))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Panicked { message, .. } if *message == format!("boom {i}")),
            "{err:?}"
        );
        assert_eq!(
            pool.submit(double, i).result(Some(Duration::from_secs(30))),
            Ok(i * 2)
        );
    }
    let name = pool.spawn(|| std::thread::current().name().map(str::to_owned));
    assert_eq!(name.result(None).unwrap().as_deref(), Some("phoenix-0"));
    assert_eq!(pool.stats().workers, 1);
    let s = pool.stats();
    assert_eq!((s.completed, s.failed), (51, 50));
}

#[test]
fn a_panicking_closure_fails_its_future() {
    let pool = ThreadPool::new(2).unwrap();
    let f = pool.spawn(|| -> Vec<u8> { panic!("closure {}", 7) });
    assert!(
        matches!(f.result(None), Err(Error::Panicked { message, .. }) if message == "closure 7")
    );
    assert_eq!(pool.spawn(|| 1).result(None), Ok(1));
}
