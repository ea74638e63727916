//! A typed task's future lives in the task's own allocation (its cell is in
//! the task's metadata; a waker of the task keeps the allocation for the
//! future's handles). These tests drop the handles in every order against
//! the task's run — before it runs, while it runs, after, in a done-callback,
//! on another thread, as an `AnyFuture`, after `shutdown(cancel_futures)`
//! cancelled the task unpolled, after the pool is gone — with values that
//! count their drops: each is dropped exactly once, none leaked, none read
//! changed. Run under valgrind memcheck they show no invalid access and no
//! leak.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::{Error, Executor, Future};

const LONG: Duration = Duration::from_secs(30);

/// A value that counts its drops in a shared counter.
#[derive(Debug)]
struct Counted {
    id: usize,
    drops: Arc<AtomicUsize>,
}

impl Counted {
    fn new(id: usize, drops: &Arc<AtomicUsize>) -> Self {
        Counted {
            id,
            drops: drops.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// Occupies the pool's one thread until the returned sender sends (or is
/// dropped), so that tasks spawned meanwhile stay queued.
fn block_the_thread(pool: &AsyncPool) -> (mpsc::Sender<()>, Future<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = pool.spawn(async move {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx.recv_timeout(LONG).expect("the blocker starts");
    (release_tx, blocker)
}

#[test]
fn the_future_dropped_before_the_task_runs() {
    let pool = AsyncPool::new(1).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicUsize::new(0));
    let (release, blocker) = block_the_thread(&pool);
    let captured = Counted::new(0, &drops);
    let made = drops.clone();
    let ran2 = ran.clone();
    let f = pool.spawn(async move {
        ran2.fetch_add(1, Ordering::SeqCst);
        let _keep = captured;
        Counted::new(1, &made)
    });
    drop(f);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "nothing dropped yet");
    release.send(()).unwrap();
    blocker.result(Some(LONG)).unwrap();
    drop(pool); // waits for every task
    assert_eq!(
        ran.load(Ordering::SeqCst),
        1,
        "a dropped future does not cancel"
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "the capture and the result, once each"
    );
}

#[test]
fn the_future_dropped_while_the_task_runs() {
    let pool = AsyncPool::new(1).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let made = drops.clone();
    let f = pool.spawn(async move {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        Counted::new(7, &made)
    });
    started_rx.recv_timeout(LONG).unwrap();
    assert!(f.is_running());
    drop(f);
    go_tx.send(()).unwrap();
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn the_future_dropped_after_the_task_completed_and_the_pool_is_gone() {
    let pool = AsyncPool::new(2).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let futures: Vec<_> = (0..64)
        .map(|i| {
            let made = drops.clone();
            pool.spawn(async move { Counted::new(i, &made) })
        })
        .collect();
    for f in &futures {
        assert!(f.wait_timeout(Some(LONG)));
    }
    drop(pool);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the futures hold the values"
    );
    // Half are read (the value moves to the reader), half never are (the
    // value goes with the task's allocation).
    for (i, f) in futures.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        assert_eq!(f.take(None).unwrap().id, i, "each value as it was made");
    }
    assert_eq!(drops.load(Ordering::SeqCst), 32, "the values read");
    drop(futures);
    assert_eq!(drops.load(Ordering::SeqCst), 64, "each value once");
}

#[test]
fn values_taken_out_are_dropped_by_their_reader_only() {
    let pool = AsyncPool::new(2).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let made = drops.clone();
    let f = pool.spawn(async move { Counted::new(3, &made) });
    let value = f.take(Some(LONG)).unwrap();
    assert_eq!(value.id, 3);
    drop(f);
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "the reader has it");
    drop(value);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn the_last_handle_dropped_in_a_done_callback_on_the_completing_thread() {
    let pool = AsyncPool::new(1).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (seen_tx, seen_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let made = drops.clone();
    let f = pool.spawn(async move {
        go_rx.recv().unwrap();
        Counted::new(5, &made)
    });
    let last = f.clone();
    f.add_done_callback(move |done| {
        let id = done.take(None).map(|c| c.id);
        // The callback owns the last handle besides the task's promise.
        drop(last);
        seen_tx.send((id, std::thread::current().id())).unwrap();
    });
    drop(f);
    go_tx.send(()).unwrap();
    let (id, on) = seen_rx.recv_timeout(LONG).unwrap();
    assert_eq!(id, Ok(5));
    assert_ne!(
        on,
        std::thread::current().id(),
        "ran on the executor thread"
    );
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn the_last_handle_dropped_in_a_done_callback_registered_after_the_end() {
    let pool = AsyncPool::new(1).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let made = drops.clone();
    let f = pool.spawn(async move { Counted::new(9, &made) });
    assert!(f.wait_timeout(Some(LONG)));
    drop(pool);
    let last = f.clone();
    let (tx, rx) = mpsc::channel();
    f.add_done_callback(move |done| {
        tx.send(done.error(None).map(|e| e.is_none())).unwrap();
        drop(last);
    });
    assert_eq!(rx.recv().unwrap(), Ok(true));
    assert_eq!(drops.load(Ordering::SeqCst), 0, "`f` still holds it");
    drop(f);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn the_last_handle_dropped_on_another_thread_and_as_any_future() {
    let pool = AsyncPool::new(2).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..32)
        .map(|i| {
            let made = drops.clone();
            let f = pool.spawn(async move { Counted::new(i, &made) });
            if i % 2 == 0 {
                std::thread::spawn(move || f.take(Some(LONG)).map(|c| c.id))
            } else {
                let any = f.as_any();
                drop(f);
                std::thread::spawn(move || {
                    assert!(any.wait_timeout(Some(LONG)));
                    assert!(any.error().is_none());
                    Ok(i)
                })
            }
        })
        .collect();
    for (i, r) in readers.into_iter().enumerate() {
        assert_eq!(r.join().unwrap(), Ok(i));
    }
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 32);
}

#[test]
fn tasks_cancelled_unpolled_by_shutdown_keep_their_futures_readable() {
    let pool = AsyncPool::new(1).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let polled = Arc::new(AtomicUsize::new(0));
    let (release, blocker) = block_the_thread(&pool);
    let futures: Vec<_> = (0..16)
        .map(|i| {
            let captured = Counted::new(i, &drops);
            let made = drops.clone();
            let polled = polled.clone();
            pool.spawn(async move {
                polled.fetch_add(1, Ordering::SeqCst);
                let _keep = captured;
                Counted::new(100 + i, &made)
            })
        })
        .collect();
    pool.shutdown(false, true);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        16,
        "the drain dropped each unpolled task's capture, once"
    );
    release.send(()).unwrap();
    blocker.result(Some(LONG)).unwrap();
    drop(pool);
    assert_eq!(polled.load(Ordering::SeqCst), 0, "none was polled");
    for f in &futures {
        assert!(f.is_cancelled());
        assert_eq!(f.take(None).map(|c| c.id), Err(Error::Cancelled));
    }
    drop(futures);
    assert_eq!(drops.load(Ordering::SeqCst), 16, "no result was made");
}

#[test]
fn a_future_cancelled_while_queued_and_dropped_before_its_task_is_dropped() {
    let pool = AsyncPool::new(1).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (release, blocker) = block_the_thread(&pool);
    let captured = Counted::new(0, &drops);
    let f = pool.spawn(async move {
        let _keep = captured;
        unreachable!("a cancelled task is never polled past its start")
    });
    assert!(f.cancel());
    drop(f);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "the task is still queued");
    release.send(()).unwrap();
    blocker.result(Some(LONG)).unwrap();
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_panicking_task_whose_future_is_dropped_first() {
    let pool = AsyncPool::new(1).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let captured = Counted::new(0, &drops);
    let f: Future<Counted> = pool.spawn(async move {
        let _keep = captured;
        panic!("boom")
    });
    let g = f.clone();
    drop(f);
    assert!(matches!(
        g.error(Some(LONG)),
        Ok(Some(Error::Panicked { .. }))
    ));
    drop(g);
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_pending_task_woken_from_outside_after_its_future_is_gone() {
    // The task waits on a waker the test holds; its future is dropped while
    // it is pending; the test wakes it from its own thread. The kept waker
    // and the test's waker both reference the task: it is freed after both.
    let pool = AsyncPool::new(1).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (waker_tx, waker_rx) = mpsc::channel();
    let made = drops.clone();
    let f = pool.spawn(async move {
        let mut sent = Some(waker_tx);
        std::future::poll_fn(move |cx| match sent.take() {
            Some(tx) => {
                tx.send(cx.waker().clone()).unwrap();
                std::task::Poll::Pending
            }
            None => std::task::Poll::Ready(()),
        })
        .await;
        Counted::new(1, &made)
    });
    let waker: std::task::Waker = waker_rx.recv_timeout(LONG).unwrap();
    drop(f);
    waker.wake_by_ref();
    drop(pool);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the test's waker still holds the task, and the value in its cell"
    );
    // The last reference: waking a completed task does nothing, and the
    // drop of this waker frees the task with the value in its cell.
    waker.wake();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "completed once, dropped once"
    );
}

#[test]
fn handles_dropped_racing_the_tasks_end_from_many_threads() {
    // Futures are dropped by other threads at any instant of their tasks'
    // run; the values are counted: each exactly once.
    for round in 0..20 {
        let pool = Arc::new(AsyncPool::new(2).unwrap());
        let drops = Arc::new(AtomicUsize::new(0));
        const PER: usize = 200;
        let barrier = Arc::new(Barrier::new(3));
        let (tx, rx) = mpsc::channel::<Future<Counted>>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let droppers: Vec<_> = (0..2)
            .map(|d| {
                let (rx, barrier) = (rx.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut read = 0;
                    loop {
                        let next = rx.lock().unwrap().recv();
                        let Ok(f) = next else { break };
                        if d == 0 {
                            drop(f);
                        } else {
                            let id = f.take(Some(LONG)).unwrap().id;
                            assert!(id < PER);
                            read += 1;
                        }
                    }
                    read
                })
            })
            .collect();
        barrier.wait();
        for i in 0..PER {
            let made = drops.clone();
            let f = pool.spawn(async move {
                if i % 3 == 0 {
                    smol::future::yield_now().await;
                }
                Counted::new(i, &made)
            });
            tx.send(f).unwrap();
        }
        drop(tx);
        for d in droppers {
            d.join().unwrap();
        }
        drop(pool);
        assert_eq!(drops.load(Ordering::SeqCst), PER, "round {round}");
    }
}
