//! `shutdown(cancel_futures)` drains the run queue: what it must drop (tasks
//! no thread picked up: cancelled, never polled) and what it must not (tasks
//! that started and were woken: they run to the end), under floods of
//! spawns, tasks that wake themselves, and user code that runs inside the
//! drain.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::{Error, Executor, Future};

mod common;
use common::{LONG, block_one_thread};

#[test]
fn floods_of_spawns_racing_cancel_futures_end_each_task_once_and_count_it() {
    // Four threads spawn as fast as they can, each task yielding a few times
    // (so that started tasks sit in the queue, woken, when the drain comes),
    // while the pool shuts down with cancel_futures. Every accepted task
    // either ran its body exactly once to the end (Ok) or never entered it
    // (Cancelled); none hangs; the stats add up to what the futures say.
    for round in 0..30 {
        let pool = Arc::new(AsyncPool::builder().max_workers(2).build().unwrap());
        const PER: usize = 400;
        let entered: Arc<Vec<AtomicU8>> =
            Arc::new((0..4 * PER).map(|_| AtomicU8::new(0)).collect());
        let barrier = Arc::new(Barrier::new(5));
        let spawners: Vec<_> = (0..4)
            .map(|s| {
                let (pool, barrier, entered) = (pool.clone(), barrier.clone(), entered.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..PER)
                        .map(|i| {
                            let id = s * PER + i;
                            let entered = entered.clone();
                            pool.spawn(async move {
                                entered[id].fetch_add(1, Ordering::SeqCst);
                                for _ in 0..id % 4 {
                                    smol::future::yield_now().await;
                                }
                                id
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        barrier.wait();
        // Let some of the flood in first, on every other round.
        if round % 2 == 0 {
            std::thread::yield_now();
        }
        let (done_tx, done_rx) = mpsc::channel();
        let shutter = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.shutdown(true, true);
                done_tx.send(()).unwrap();
            })
        };
        done_rx
            .recv_timeout(LONG)
            .unwrap_or_else(|_| panic!("round {round}: shutdown(wait, cancel) hangs"));
        shutter.join().unwrap();
        let (mut ran, mut cancelled, mut refused) = (0u64, 0u64, 0u64);
        for (s, spawner) in spawners.into_iter().enumerate() {
            for (i, f) in spawner.join().unwrap().into_iter().enumerate() {
                let id = s * PER + i;
                assert!(
                    f.wait_timeout(Some(LONG)),
                    "round {round}: task {id} never ends"
                );
                let bodies = entered[id].load(Ordering::SeqCst);
                match f.result(Some(Duration::ZERO)) {
                    Ok(got) => {
                        assert_eq!((got, bodies), (id, 1), "round {round}");
                        ran += 1;
                    }
                    Err(Error::Cancelled) => {
                        assert_eq!(bodies, 0, "round {round}: task {id} cancelled after it ran");
                        cancelled += 1;
                    }
                    Err(Error::Shutdown) => {
                        assert_eq!(bodies, 0, "round {round}: task {id} refused but ran");
                        refused += 1;
                    }
                    other => panic!("round {round}: task {id} ended with {other:?}"),
                }
            }
        }
        assert_eq!(ran + cancelled + refused, 4 * PER as u64);
        let stats = pool.stats();
        assert_eq!(stats.submitted, ran + cancelled, "round {round}: {stats:?}");
        assert_eq!(
            (stats.completed, stats.cancelled),
            (ran, cancelled),
            "round {round}"
        );
        assert_eq!(
            (stats.queued, stats.running, stats.failed, stats.workers),
            (0, 0, 0, 0)
        );
    }
}

#[test]
fn a_started_task_woken_while_the_queue_is_drained_runs_to_the_end() {
    // One thread; task `a` starts and waits for a signal; the thread is then
    // blocked and tasks are queued behind it. `a` is woken (its runnable
    // queued among the unstarted ones) and shutdown(cancel_futures) drains:
    // `a` must finish, every unstarted task must be cancelled unpolled.
    for round in 0..20 {
        let pool = AsyncPool::builder().max_workers(1).build().unwrap();
        let (go_tx, go_rx) = smol::channel::bounded::<()>(1);
        let (a_started_tx, a_started_rx) = mpsc::channel();
        let a = pool.spawn(async move {
            a_started_tx.send(()).unwrap();
            go_rx.recv().await.unwrap();
            // Woken once more from inside, so it is in the queue again.
            smol::future::yield_now().await;
            "a finished"
        });
        a_started_rx.recv_timeout(LONG).unwrap();
        let (release, blocker) = block_one_thread(&pool);
        let polled = Arc::new(AtomicUsize::new(0));
        let queued: Vec<_> = (0..100)
            .map(|i| {
                let polled = polled.clone();
                pool.spawn(async move {
                    polled.fetch_add(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        // Wakes `a`: its runnable joins the queue behind the 100.
        go_tx.try_send(()).unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                // The blocker goes once every queued task is cancelled.
                for f in &queued {
                    assert!(f.wait_timeout(Some(LONG)), "round {round}");
                }
                drop(release);
            });
            pool.shutdown(true, true);
        });
        assert_eq!(
            a.result(Some(Duration::ZERO)),
            Ok("a finished"),
            "round {round}"
        );
        assert_eq!(blocker.result(Some(Duration::ZERO)), Ok(()));
        assert_eq!(polled.load(Ordering::SeqCst), 0, "round {round}");
        assert!(queued.iter().all(Future::is_cancelled), "round {round}");
        let s = pool.stats();
        assert_eq!((s.completed, s.cancelled), (2, 100), "round {round}: {s:?}");
    }
}

#[test]
fn tasks_that_wake_themselves_finish_under_shutdown_wait() {
    // Tasks in `yield_now` loops keep putting themselves back in the queue
    // while shutdown(wait) (no cancel) closes the pool: every one runs all
    // its rounds, and shutdown returns once they did.
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let rounds = Arc::new(AtomicUsize::new(0));
    let futures: Vec<_> = (0..50)
        .map(|i| {
            let rounds = rounds.clone();
            pool.spawn(async move {
                for _ in 0..200 {
                    rounds.fetch_add(1, Ordering::SeqCst);
                    smol::future::yield_now().await;
                }
                i
            })
        })
        .collect();
    pool.shutdown(true, false);
    assert_eq!(rounds.load(Ordering::SeqCst), 50 * 200);
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result(Some(Duration::ZERO)), Ok(i));
    }
    assert_eq!(pool.stats().workers, 0);
}

/// Sets its flag when dropped, and panics then if asked to.
struct OnDrop {
    dropped: Arc<AtomicBool>,
    panic: bool,
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
        if self.panic {
            panic!("a user future's drop panics");
        }
    }
}

#[test]
fn a_panic_in_a_cancelled_futures_drop_stays_in_that_task() {
    // The drain drops the unstarted tasks on the shutting-down thread; one
    // of them panics in its drop. The panic is the task's: the drain goes
    // on, every other queued task is cancelled too, the process lives.
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (release, blocker) = block_one_thread(&pool);
    let flags: Vec<_> = (0..10).map(|_| Arc::new(AtomicBool::new(false))).collect();
    let queued: Vec<_> = flags
        .iter()
        .enumerate()
        .map(|(i, dropped)| {
            let guard = OnDrop {
                dropped: dropped.clone(),
                panic: i == 3,
            };
            pool.spawn(async move {
                let _guard = guard;
                unreachable!("a cancelled task is never polled");
            })
        })
        .collect();
    pool.shutdown(false, true);
    assert!(
        flags.iter().all(|f| f.load(Ordering::SeqCst)),
        "every queued future dropped"
    );
    assert!(queued.iter().all(Future::is_cancelled));
    drop(release);
    assert_eq!(blocker.result(Some(LONG)), Ok(()));
    pool.shutdown(true, false);
    let s = pool.stats();
    assert_eq!((s.completed, s.cancelled, s.workers), (1, 10, 0), "{s:?}");
}

#[test]
fn a_task_that_cancels_the_queue_drops_other_tasks_from_inside_itself() {
    // The running task calls shutdown(cancel_futures): the tasks queued
    // behind it are dropped on its thread, inside its poll. Their drops run
    // user code that spawns on the pool (refused) and shuts it down again
    // (a drain inside the drain). The running task goes on and finishes.
    let pool = Arc::new(AsyncPool::builder().max_workers(1).build().unwrap());
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let inner = pool.clone();
    let canceller = pool.spawn(async move {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        inner.shutdown(false, true);
        "went on"
    });
    started_rx.recv_timeout(LONG).unwrap();

    struct Reenter {
        pool: Arc<AsyncPool>,
        refused: Arc<AtomicUsize>,
    }
    impl Drop for Reenter {
        fn drop(&mut self) {
            if let Err(Error::Shutdown) = self.pool.try_spawn(async {}) {
                self.refused.fetch_add(1, Ordering::SeqCst);
            }
            self.pool.shutdown(false, true);
        }
    }
    let refused = Arc::new(AtomicUsize::new(0));
    let queued: Vec<_> = (0..20)
        .map(|_| {
            let reenter = Reenter {
                pool: pool.clone(),
                refused: refused.clone(),
            };
            pool.spawn(async move {
                let _reenter = reenter;
                unreachable!("a cancelled task is never polled");
            })
        })
        .collect();
    go_tx.send(()).unwrap();
    assert_eq!(canceller.result(Some(LONG)), Ok("went on"));
    for f in &queued {
        assert!(f.wait_timeout(Some(LONG)));
        assert!(f.is_cancelled());
    }
    assert_eq!(refused.load(Ordering::SeqCst), 20);
    let s = pool.stats();
    assert_eq!((s.completed, s.cancelled), (1, 20), "{s:?}");
    // The queued tasks held the last other handles; the threads exit on drop.
    drop(queued);
    let pool = Arc::into_inner(pool).expect("no task holds the pool any more");
    pool.shutdown(true, false);
    assert_eq!(pool.stats().workers, 0);
}
