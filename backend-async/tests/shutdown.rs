//! `shutdown(wait, cancel_futures)`, drop, and the `max_queued` bound.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::{Error, Executor};

mod common;
use common::{LONG, block_one_thread};

fn ident(x: u64) -> u64 {
    x
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

#[test]
fn a_spawn_refused_while_the_last_task_ends_still_lets_the_threads_exit() {
    // A refused spawn counts itself in and out again. If the last live task
    // ends between those two steps, the task's exit sees the refusal still
    // counted and does not stop the threads: the refusal must, or the pool's
    // threads never exit and the final shutdown(wait) hangs. A spawner keeps
    // being refused while the last task ends; every round must shut down.
    for round in 0..300 {
        let pool = Arc::new(AsyncPool::builder().max_workers(1).build().unwrap());
        let (release, last) = block_one_thread(&pool);
        pool.shutdown(false, false);
        let stop = Arc::new(AtomicBool::new(false));
        let (refused_tx, refused_rx) = mpsc::channel();
        let spawner = {
            let (pool, stop) = (pool.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut refused = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if let Err(e) = pool.try_submit(ident, 1) {
                        assert_eq!(e, Error::Shutdown);
                        refused += 1;
                        if refused == 1 {
                            refused_tx.send(()).unwrap();
                        }
                    }
                }
            })
        };
        refused_rx
            .recv_timeout(LONG)
            .expect("the spawner is refused");
        drop(release);
        assert_eq!(last.result(Some(LONG)), Ok(()));
        let (done_tx, done_rx) = mpsc::channel();
        let waiter = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.shutdown(true, false);
                done_tx.send(pool.stats().workers).unwrap();
            })
        };
        let workers = done_rx.recv_timeout(LONG);
        stop.store(true, Ordering::Relaxed);
        spawner.join().unwrap();
        assert_eq!(
            workers,
            Ok(0),
            "round {round}: shutdown(wait) returns with every thread gone"
        );
        waiter.join().unwrap();
    }
}

#[test]
fn cancel_futures_cancels_every_pending_task_even_if_a_thread_frees_up_meanwhile() {
    // shutdown(cancel_futures) cancels the pending futures one by one. The
    // first one seen cancelled is the signal that frees the only executor
    // thread here; the thread then runs the queue while the rest are still
    // being cancelled. Every task that had not started when shutdown began
    // must still end cancelled, none run.
    for round in 0..20 {
        let pool = AsyncPool::builder().max_workers(1).build().unwrap();
        let (release, blocker) = block_one_thread(&pool);
        let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let pending: Vec<_> = (0..2000u64)
            .map(|i| {
                let ran = ran.clone();
                pool.spawn(async move {
                    ran.fetch_add(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        std::thread::scope(|s| {
            let first = &pending[0];
            s.spawn(move || {
                assert!(first.wait_timeout(Some(LONG)), "the first is cancelled");
                drop(release);
            });
            pool.shutdown(true, true);
        });
        assert_eq!(blocker.result(Some(Duration::ZERO)), Ok(()));
        assert_eq!(ran.load(Ordering::SeqCst), 0, "round {round}: none ran");
        for (i, f) in pending.iter().enumerate() {
            assert!(f.is_cancelled(), "round {round}: pending task {i}: {f:?}");
        }
        let s = pool.stats();
        assert_eq!(
            (s.cancelled, s.completed),
            (2000, 1),
            "round {round}: {s:?}"
        );
    }
}

#[test]
fn spawners_racing_shutdown_leave_no_task_stranded_and_the_threads_exit() {
    // Three threads spawn as fast as they can while the pool shuts down (with
    // and without cancel_futures). Every spawn either is refused with
    // Shutdown, or its future ends (with its value, or cancelled when
    // cancel_futures found it queued); the live count reaches zero exactly
    // once the last accepted task is gone, so shutdown(wait) returns with
    // every thread exited and the counters add up.
    for round in 0..40 {
        let cancel = round % 2 == 1;
        let pool = Arc::new(AsyncPool::builder().max_workers(2).build().unwrap());
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let spawners: Vec<_> = (0..3u64)
            .map(|s| {
                let (pool, barrier) = (pool.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..300u64)
                        .map(|i| {
                            let v = s * 1000 + i;
                            let f = pool.spawn(async move {
                                if i % 3 == 0 {
                                    smol::future::yield_now().await;
                                }
                                v
                            });
                            (v, f)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        barrier.wait();
        let (done_tx, done_rx) = mpsc::channel();
        let shutter = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.shutdown(true, cancel);
                done_tx.send(pool.stats()).unwrap();
            })
        };
        let stats = done_rx
            .recv_timeout(LONG)
            .unwrap_or_else(|_| panic!("round {round}: shutdown(wait) hangs"));
        shutter.join().unwrap();
        assert_eq!(stats.workers, 0, "round {round}: every thread exited");
        let (mut ran, mut cancelled, mut refused) = (0u64, 0u64, 0u64);
        for spawner in spawners {
            for (v, f) in spawner.join().unwrap() {
                assert!(f.wait_timeout(Some(LONG)), "round {round}: {v} never ends");
                match f.result(Some(Duration::ZERO)) {
                    Ok(got) => {
                        assert_eq!(got, v);
                        ran += 1;
                    }
                    Err(Error::Cancelled) if cancel => cancelled += 1,
                    Err(Error::Shutdown) => refused += 1,
                    other => panic!("round {round}: task {v} ended with {other:?}"),
                }
            }
        }
        assert_eq!(ran + cancelled + refused, 900);
        let stats = pool.stats();
        assert_eq!(stats.submitted, ran + cancelled, "round {round}: {stats:?}");
        assert_eq!((stats.completed, stats.cancelled), (ran, cancelled));
        assert_eq!((stats.queued, stats.running, stats.failed), (0, 0, 0));
    }
}
