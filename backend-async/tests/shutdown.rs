//! `shutdown(wait, cancel_futures)`, drop, and the `max_queued` bound.

use std::sync::mpsc;
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::{Error, Executor};

const LONG: Duration = Duration::from_secs(30);

fn ident(x: u64) -> u64 {
    x
}

/// Occupies one executor thread until the returned sender sends (or is dropped).
fn block_one_thread(pool: &AsyncPool) -> (mpsc::Sender<()>, concur_core::Future<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = pool.spawn(async move {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx
        .recv_timeout(LONG)
        .expect("the blocking task starts");
    (release_tx, blocker)
}

// as test_shutdown.py (wait=True): shutdown runs what was queued before returning.
#[test]
fn shutdown_and_wait_finishes_queued_work() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (release, blocker) = block_one_thread(&pool);
    let queued: Vec<_> = (0..5).map(|i| pool.submit(ident, i)).collect();
    // Open the gate from another thread once shutdown is under way.
    let opener = std::thread::spawn(move || release.send(()).unwrap());
    pool.shutdown(true, false);
    opener.join().unwrap();
    assert!(blocker.is_done());
    for (i, f) in queued.iter().enumerate() {
        assert!(f.is_done(), "shutdown(wait) returns after the queued work");
        assert_eq!(f.result(None), Ok(i as u64));
    }
    assert_eq!(pool.stats().workers, 0);
}

// as test_shutdown.py::test_cancel_futures: pending futures are cancelled, running ones finish.
#[test]
fn shutdown_with_cancel_futures_cancels_what_has_not_started() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (release, blocker) = block_one_thread(&pool);
    let queued: Vec<_> = (0..5).map(|i| pool.submit(ident, i)).collect();
    pool.shutdown(false, true);
    for f in &queued {
        assert!(
            f.is_cancelled(),
            "cancelled at once, before any thread gets to it"
        );
    }
    assert!(blocker.is_running(), "a running task is not cancelled");
    release.send(()).unwrap();
    pool.shutdown(true, false);
    assert_eq!(blocker.result(None), Ok(()));
    let s = pool.stats();
    assert_eq!(
        (s.completed, s.cancelled, s.queued, s.running),
        (1, 5, 0, 0)
    );
}

// as test_shutdown.py::test_run_after_shutdown (RuntimeError there, Error::Shutdown here).
#[test]
fn submit_after_shutdown_fails_with_shutdown() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    pool.shutdown(true, false);
    assert_eq!(pool.submit(ident, 1).result(None), Err(Error::Shutdown));
    assert_eq!(pool.spawn(async { 1 }).result(None), Err(Error::Shutdown));
    assert_eq!(pool.try_submit(ident, 1).err(), Some(Error::Shutdown));
    pool.shutdown(true, true); // idempotent
}

#[test]
fn drop_waits_for_running_and_queued_tasks() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let futures: Vec<_> = (0..100u64)
        .map(|i| {
            pool.spawn(async move {
                smol::Timer::after(Duration::from_millis(i % 5)).await;
                i
            })
        })
        .collect();
    drop(pool);
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result(Some(Duration::ZERO)), Ok(i as u64));
    }
}

#[test]
fn try_submit_refuses_beyond_max_queued() {
    let pool = AsyncPool::builder()
        .max_workers(1)
        .max_queued(Some(2))
        .build()
        .unwrap();
    let (release, blocker) = block_one_thread(&pool);
    let a = pool.try_submit(ident, 1).unwrap();
    let b = pool.try_submit(ident, 2).unwrap();
    assert_eq!(
        pool.try_submit(ident, 3).err(),
        Some(Error::Full { max_queued: 2 })
    );
    assert!(matches!(
        pool.try_spawn(async { 3 }),
        Err(Error::Full { max_queued: 2 })
    ));
    // Plain submit is not bounded.
    let c = pool.submit(ident, 3);
    assert_eq!(pool.stats().queued, 3);
    release.send(()).unwrap();
    blocker.result(Some(LONG)).unwrap();
    assert_eq!(
        (
            a.result(Some(LONG)),
            b.result(Some(LONG)),
            c.result(Some(LONG))
        ),
        (Ok(1), Ok(2), Ok(3))
    );
    // Room again.
    assert_eq!(pool.try_submit(ident, 4).unwrap().result(Some(LONG)), Ok(4));
}

#[test]
fn a_task_may_shut_its_own_pool_down() {
    // shutdown(wait = true) from inside the pool cannot wait for itself: it
    // closes the pool and returns; the threads exit when the task ends.
    let pool = std::sync::Arc::new(AsyncPool::builder().max_workers(1).build().unwrap());
    let p = pool.clone();
    let f = pool.spawn(async move {
        p.shutdown(true, false);
        p.submit(ident, 1).result(None)
    });
    assert_eq!(f.result(Some(LONG)), Ok(Err(Error::Shutdown)));
    pool.shutdown(true, false);
    assert_eq!(pool.stats().workers, 0);
}
