//! Shutdown: from inside a task, with queued work, twice.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use concur_core::{Error, Executor};
use concur_threads::ThreadPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

#[test]
fn shutdown_from_inside_a_task_does_not_deadlock() {
    for wait in [false, true] {
        let pool = Arc::new(ThreadPool::new(2).unwrap());
        let p = pool.clone();
        let f = pool.spawn(move || {
            p.shutdown(wait, false);
            p.spawn(|| 1).result(None)
        });
        assert_eq!(f.result(LONG), Ok(Err(Error::Shutdown)));
    }
}

#[test]
fn the_last_handle_dropped_on_a_worker_does_not_join_itself() {
    let pool = Arc::new(ThreadPool::new(2).unwrap());
    let (tx, rx) = mpsc::channel();
    let p = pool.clone();
    drop(pool);
    let weak = Arc::downgrade(&p);
    let f = {
        let p2 = p.clone();
        p.spawn(move || {
            // Blocks until the test dropped its handle; then this one is the last.
            rx.recv().unwrap();
            drop(p2);
        })
    };
    drop(p);
    tx.send(()).unwrap();
    assert_eq!(f.result(LONG), Ok(()));
    // The pool was dropped on its own worker, which did not join itself.
    while weak.upgrade().is_some() {
        std::thread::yield_now();
    }
}

#[test]
fn cancel_futures_cancels_what_waits_and_wait_finishes_what_runs() {
    let pool = ThreadPool::new(1).unwrap();
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let g = gate.clone();
    let running = pool.spawn(move || {
        started_tx.send(()).unwrap();
        drop(g.lock());
        "ran"
    });
    started_rx.recv().unwrap();
    let queued: Vec<_> = (0..10).map(|i| pool.spawn(move || i)).collect();
    std::thread::scope(|s| {
        s.spawn(|| pool.shutdown(true, true));
        // Queued tasks are cancelled right away, while the running one still runs.
        for f in &queued {
            assert_eq!(f.result(LONG), Err(Error::Cancelled));
        }
        assert!(!running.is_done());
        drop(held);
    });
    assert_eq!(running.result(Some(Duration::ZERO)), Ok("ran"));
    assert_eq!(pool.spawn(|| 0).result(None), Err(Error::Shutdown));
    let s = pool.stats();
    assert_eq!(
        (s.submitted, s.completed, s.cancelled, s.workers),
        (11, 1, 10, 0)
    );
    pool.shutdown(true, true);
}

#[test]
fn wait_without_cancel_runs_every_queued_task() {
    let pool = ThreadPool::new(2).unwrap();
    let futures: Vec<_> = (0..1000u64).map(|i| pool.spawn(move || i * 3)).collect();
    pool.shutdown(true, false);
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result(Some(Duration::ZERO)), Ok(i as u64 * 3));
    }
    assert_eq!(pool.stats().workers, 0);
}

#[test]
fn submissions_racing_a_shutdown_all_end() {
    // Submitters race `shutdown(wait = false)`: each future must end, with its
    // value (accepted in time: it runs) or `Error::Shutdown` (refused). A job
    // accepted but stranded after the workers exit would time out here.
    for round in 0..200 {
        let pool = ThreadPool::new(2).unwrap();
        let futures = std::thread::scope(|s| {
            let submitters: Vec<_> = (0..2)
                .map(|t| {
                    let pool = &pool;
                    s.spawn(move || {
                        (0..50u64)
                            .map(|i| pool.spawn(move || t * 100 + i))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            pool.shutdown(false, round % 2 == 0);
            submitters
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        for f in &futures {
            match f.result(LONG) {
                Ok(_) | Err(Error::Shutdown) | Err(Error::Cancelled) => {}
                Err(other) => panic!("round {round}: {other:?}"),
            }
        }
        let s = pool.stats();
        assert_eq!(
            s.submitted,
            s.completed + s.cancelled,
            "round {round}: {s:?}"
        );
    }
}

#[test]
fn shutdown_with_names_the_keywords() {
    use concur_core::Shutdown;
    let pool = ThreadPool::new(1).unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let running = pool.spawn(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        "ran"
    });
    started_rx.recv().unwrap();
    let queued: Vec<_> = (0..3).map(|i| pool.spawn(move || i)).collect();
    // wait=False, cancel_futures=True: returns while the task still runs.
    pool.shutdown_with(Shutdown::no_wait().cancel_futures());
    for f in &queued {
        assert_eq!(f.result(LONG), Err(Error::Cancelled));
    }
    assert!(!running.is_done());
    assert_eq!(pool.spawn(|| 0).result(LONG), Err(Error::Shutdown));
    release_tx.send(()).unwrap();
    // wait=True: blocks until the running task is done.
    pool.shutdown_with(Shutdown::wait());
    assert_eq!(running.result(Some(Duration::ZERO)), Ok("ran"));
}
