//! `AsyncPool::spawn`: results, panics, cancellation of pending tasks, stats.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::{Error, Executor};

mod common;
use common::{LONG, block_one_thread};

#[test]
fn spawned_tasks_return_their_values() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let futures: Vec<_> = (0..1000u64)
        .map(|i| pool.spawn(async move { i * 2 }))
        .collect();
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result(Some(LONG)), Ok(i as u64 * 2));
    }
}

#[test]
fn a_panicking_task_fails_alone_and_the_threads_survive() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let boom = pool.spawn(async {
        smol::future::yield_now().await;
        if true {
            panic!("boom at the second poll");
        }
        1u8
    });
    match boom.result(Some(LONG)) {
        Err(Error::Panicked { message, .. }) => assert_eq!(message, "boom at the second poll"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    // The single executor thread is still there.
    assert_eq!(pool.spawn(async { 7 }).result(Some(LONG)), Ok(7));
    fn explode(x: u32) -> u32 {
        panic!("fn panicked with {x}")
    }
    match pool.submit(explode, 3).result(Some(LONG)) {
        Err(Error::Panicked { message, .. }) => assert_eq!(message, "fn panicked with 3"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert_eq!(pool.stats().workers, 1);
}

struct SignalOnDrop(Option<mpsc::Sender<()>>);
impl Drop for SignalOnDrop {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[test]
fn cancelling_a_pending_task_drops_it_unpolled() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (release, blocker) = block_one_thread(&pool);

    let polled = Arc::new(AtomicBool::new(false));
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let guard = SignalOnDrop(Some(dropped_tx));
    let p = polled.clone();
    let pending = pool.spawn(async move {
        let _guard = guard;
        p.store(true, Ordering::SeqCst);
        5
    });
    assert!(!pending.is_running(), "the only thread is busy");
    assert!(pending.cancel());
    assert!(pending.is_cancelled());
    assert_eq!(
        pending.result(Some(Duration::ZERO)),
        Err(Error::Cancelled),
        "done at once"
    );

    release.send(()).unwrap();
    blocker.result(Some(LONG)).unwrap();
    dropped_rx
        .recv_timeout(LONG)
        .expect("the cancelled task is dropped");
    assert!(
        !polled.load(Ordering::SeqCst),
        "a cancelled task is never polled"
    );

    let s = pool.stats();
    assert_eq!(s.cancelled, 1);
    assert_eq!(s.completed, 1);
}

#[test]
fn a_running_task_cannot_be_cancelled() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (release, blocker) = block_one_thread(&pool);
    assert!(blocker.is_running());
    assert!(!blocker.cancel());
    release.send(()).unwrap();
    assert_eq!(blocker.result(Some(LONG)), Ok(()));
    assert!(!blocker.cancel(), "nor a finished one");
}

#[test]
fn an_awaiting_task_is_running_and_lets_others_run() {
    // One thread; the first task awaits a channel fed by the tenth: the thread is
    // not blocked while a task awaits.
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (tx, rx) = smol::channel::bounded::<u32>(1);
    let waiter = pool.spawn(async move { rx.recv().await.unwrap() });
    let others: Vec<_> = (0..8u32).map(|i| pool.spawn(async move { i })).collect();
    let feeder = pool.spawn(async move { tx.send(99).await.unwrap() });
    for (i, f) in others.iter().enumerate() {
        assert_eq!(f.result(Some(LONG)), Ok(i as u32));
    }
    assert_eq!(feeder.result(Some(LONG)), Ok(()));
    assert_eq!(waiter.result(Some(LONG)), Ok(99));
}

#[test]
fn callbacks_fire_once_on_completion() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let (tx, rx) = mpsc::channel();
    let f = pool.spawn(async { "done" });
    f.add_done_callback(move |f| tx.send(f.result(None)).unwrap());
    assert_eq!(rx.recv_timeout(LONG).unwrap(), Ok("done"));
    assert!(
        rx.recv_timeout(Duration::from_millis(50)).is_err(),
        "only once"
    );
}

#[test]
fn a_task_blocking_on_another_task_of_a_one_thread_pool_does_not_deadlock() {
    // The executor thread runs queued tasks while a task blocks on a concur future.
    let pool = Arc::new(AsyncPool::builder().max_workers(1).build().unwrap());
    let inner_pool = pool.clone();
    let outer = pool.spawn(async move {
        let inner = inner_pool.spawn(async { 41 });
        inner.result(Some(LONG)).map(|v| v + 1)
    });
    assert_eq!(outer.result(Some(LONG)), Ok(Ok(42)));
}

#[test]
fn stats_add_up() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let ok: Vec<_> = (0..10).map(|i| pool.spawn(async move { i })).collect();
    let bad = pool.spawn(async { panic!("no") });
    for f in &ok {
        f.result(Some(LONG)).unwrap();
    }
    assert!(bad.error(Some(LONG)).unwrap().is_some());
    let s = pool.stats();
    assert_eq!(s.submitted, 11);
    assert_eq!(
        (s.completed, s.failed, s.queued, s.running, s.cancelled),
        (10, 1, 0, 0, 0)
    );
    assert_eq!(
        s.submitted,
        s.queued + s.running + s.completed + s.failed + s.cancelled
    );
    assert_eq!(s.workers, 2);
}

#[test]
fn zero_threads_is_refused() {
    assert!(matches!(
        AsyncPool::builder().max_workers(0).build(),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        AsyncPool::builder()
            .max_workers(1)
            .max_queued(Some(0))
            .build(),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn threads_carry_the_name_prefix() {
    let pool = AsyncPool::builder()
        .max_workers(2)
        .thread_name_prefix("fetcher")
        .build()
        .unwrap();
    let name = pool.spawn(async { std::thread::current().name().map(str::to_owned) });
    let name = name.result(Some(LONG)).unwrap().unwrap();
    assert!(name.starts_with("fetcher-"), "{name}");
}

#[test]
fn new_takes_max_workers_and_refuses_zero() {
    let pool = AsyncPool::new(3).unwrap();
    assert_eq!(pool.threads(), 3);
    assert_eq!(pool.max_workers(), 3);
    let err = AsyncPool::new(0).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidConfig { .. }) && err.to_string().contains("max_workers"),
        "{err}"
    );
}

#[test]
fn the_default_is_one_thread_per_core() {
    let pool = AsyncPool::builder().build().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(pool.threads(), cores);
    assert_eq!(pool.max_workers(), cores);
    assert_eq!(pool.stats().workers, cores);
}

#[test]
fn dropping_the_future_before_during_or_after_the_run_changes_nothing_for_the_task() {
    // The task holds the future's cell through its promise: whichever of the
    // caller and the task lets go of it last frees it, and the task runs to
    // its end however early the caller dropped its handle.
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (release, blocker) = block_one_thread(&pool);
    let (ran_tx, ran_rx) = mpsc::channel();

    // Before it starts: queued behind the blocker.
    let tx = ran_tx.clone();
    drop(pool.spawn(async move { tx.send("queued").unwrap() }));

    // While it runs: dropped as it waits for its go.
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let tx = ran_tx.clone();
    let running = pool.spawn(async move {
        started_tx.send(()).unwrap();
        let _ = go_rx.recv();
        tx.send("running").unwrap()
    });

    release.send(()).unwrap();
    blocker.result(Some(LONG)).unwrap();
    assert_eq!(ran_rx.recv_timeout(LONG), Ok("queued"));
    started_rx
        .recv_timeout(LONG)
        .expect("the second task starts");
    drop(running);
    go_tx.send(()).unwrap();
    assert_eq!(ran_rx.recv_timeout(LONG), Ok("running"));

    // After it completed.
    let done = pool.spawn(async { 7 });
    assert!(done.wait_timeout(Some(LONG)));
    drop(done);

    // And one that panics with nobody holding its future.
    drop(pool.spawn(async { panic!("nobody listens") }));
    let last = pool.spawn(async { 8 });
    assert_eq!(last.result(Some(LONG)), Ok(8));
    pool.shutdown(true, false);
    let s = pool.stats();
    assert_eq!(
        (s.submitted, s.completed, s.failed, s.cancelled),
        (6, 5, 1, 0)
    );
}

/// A task's value that spawns on the pool when it is dropped.
struct SpawnsOnDrop(Arc<AsyncPool>, mpsc::Sender<u32>, Arc<AtomicUsize>);

impl Drop for SpawnsOnDrop {
    fn drop(&mut self) {
        self.2.fetch_add(1, Ordering::SeqCst);
        let tx = self.1.clone();
        drop(self.0.spawn(async move { tx.send(1).unwrap() }));
    }
}

#[test]
fn a_value_whose_drop_spawns_on_the_pool_does_not_deadlock_the_spawner() {
    // The pool keeps a handle of every future until its sweep finds it
    // started; a value nobody read drops with the last handle, maybe in the
    // sweep inside a later spawn. Its `Drop` spawns on the same pool: the
    // sweep must not hold the pool's registry then.
    let pool = Arc::new(AsyncPool::builder().max_workers(1).build().unwrap());
    let (tx, rx) = mpsc::channel();
    let dropped = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = mpsc::channel();
    let spawner = {
        let (pool, dropped) = (pool.clone(), dropped.clone());
        std::thread::spawn(move || {
            for round in 0..4 {
                let futures: Vec<_> = (0..200)
                    .map(|_| {
                        let value = SpawnsOnDrop(pool.clone(), tx.clone(), dropped.clone());
                        pool.spawn(async move { value })
                    })
                    .collect();
                for f in &futures {
                    assert!(f.wait_timeout(Some(LONG)), "round {round}");
                }
                // Unread: the values drop with the pool's handles, in sweeps.
                drop(futures);
            }
            done_tx.send(()).unwrap();
        })
    };
    done_rx
        .recv_timeout(LONG)
        .expect("the spawner is not deadlocked on the registry");
    spawner.join().unwrap();
    pool.shutdown(true, false);
    // Every value has dropped (the last ones with the list at shutdown, when
    // their spawns are refused); those dropped in a sweep spawned and ran.
    assert_eq!(dropped.load(Ordering::SeqCst), 800);
    assert!(rx.try_iter().count() > 0, "no value dropped in a sweep");
}
