//! `ThreadPool::map`'s consumer runs the chunks no worker has started (see
//! core's map/claim.rs): every item still runs exactly once and comes back
//! unchanged and in order, a panic in a chunk run by the consumer fails its
//! item alone, dropping the map at any chunk boundary leaks nothing and runs
//! nothing twice, a map inside a task of the same pool (its consumer a
//! worker) completes, and a shutdown during a map strands nobody.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread::{self, ThreadId};
use std::time::Duration;

use concur_core::{Error, Executor, MapOptions};
use concur_threads::ThreadPool;

/// Long enough never to be reached by a test that works.
const LONG: Duration = Duration::from_secs(60);

/// How often each item ran, for items `0..n`.
fn counters(n: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
}

/// A pool whose only worker is held by a task until the returned sender is
/// used (or dropped): no worker can start a chunk meanwhile.
fn held_pool() -> (ThreadPool, mpsc::Sender<()>, concur_core::Future<()>) {
    let pool = ThreadPool::new(1).unwrap();
    let (release, wait) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let held = pool.spawn(move || {
        started.send(()).unwrap();
        // Released by the test, or at worst after `LONG`.
        let _ = wait.recv_timeout(LONG);
    });
    running.recv().unwrap();
    (pool, release, held)
}

#[test]
fn with_every_worker_busy_the_consumer_runs_each_chunk_itself_once_and_in_order() {
    let (pool, release, held) = held_pool();
    let me = thread::current().id();
    let runs = counters(1000);
    let seen = Arc::clone(&runs);
    let out: Vec<(u64, ThreadId)> = pool
        .map(
            move |i: usize| {
                seen[i].fetch_add(1, Ordering::Relaxed);
                (i as u64 * 3, thread::current().id())
            },
            0..1000,
            MapOptions::new().chunksize(7),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // The only worker was held all along: the consumer ran every chunk.
    assert!(out.iter().all(|&(_, t)| t == me));
    let values: Vec<u64> = out.iter().map(|&(v, _)| v).collect();
    assert_eq!(values, (0..1000).map(|i| i * 3).collect::<Vec<_>>());
    release.send(()).unwrap();
    held.result(Some(LONG)).unwrap();
    // The worker then finds the tasks the consumer emptied: nothing runs twice.
    pool.shutdown(true, false);
    assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
    let stats = pool.stats();
    assert_eq!(stats.failed + stats.cancelled, 0, "{stats:?}");
}

#[test]
fn a_panic_in_a_chunk_the_consumer_runs_fails_that_item_alone() {
    let (pool, release, held) = held_pool();
    let me = thread::current().id();
    let out: Vec<Result<u32, Error>> = pool
        .map(
            move |x: u32| {
                assert!(x % 10 != 4, "item {x}");
                assert_eq!(thread::current().id(), me, "the worker is held");
                x + 1
            },
            0..50,
            MapOptions::new().chunksize(6),
        )
        .unwrap()
        .collect();
    assert_eq!(out.len(), 50);
    for (x, r) in (0..).zip(out) {
        if x % 10 == 4 {
            let want = format!("item {x}");
            assert!(
                matches!(&r, Err(Error::Panicked { message, .. }) if *message == want),
                "{x}: {r:?}"
            );
        } else {
            assert_eq!(r, Ok(x + 1));
        }
    }
    release.send(()).unwrap();
    held.result(Some(LONG)).unwrap();
    // The consumer is fine, and so is the worker.
    assert_eq!(pool.spawn(|| 7).result(Some(LONG)), Ok(7));
}

#[test]
fn dropping_the_map_at_every_chunk_boundary_leaks_nothing_and_runs_nothing_twice() {
    const N: usize = 240;
    const CHUNK: usize = 8;
    let token = Arc::new(());
    for workers in [1, 2, 3] {
        for boundary in 0..=N / CHUNK {
            let pool = ThreadPool::new(workers).unwrap();
            let runs = counters(N);
            let seen = Arc::clone(&runs);
            let items: Vec<(usize, Arc<()>)> = (0..N).map(|i| (i, Arc::clone(&token))).collect();
            let mut map = pool
                .map(
                    move |(i, t): (usize, Arc<()>)| {
                        seen[i].fetch_add(1, Ordering::Relaxed);
                        (i, t)
                    },
                    items,
                    MapOptions::new().chunksize(CHUNK).buffersize(4),
                )
                .unwrap();
            for want in 0..boundary * CHUNK {
                let (i, _t) = map.next().expect("an item").expect("no failure");
                assert_eq!(i, want);
            }
            drop(map);
            pool.shutdown(true, false);
            // Every item ran at most once; those yielded exactly once.
            for (i, r) in runs.iter().enumerate() {
                let n = r.load(Ordering::Relaxed);
                assert!(n <= 1, "item {i} ran {n} times");
                if i < boundary * CHUNK {
                    assert_eq!(n, 1, "item {i}");
                }
            }
            // Every item, value and claim was dropped: only ours is left.
            assert_eq!(
                Arc::strong_count(&token),
                1,
                "{workers} workers, dropped after chunk {boundary}"
            );
        }
    }
}

#[test]
fn a_map_inside_a_task_of_the_same_pool_completes_with_its_consumer_a_worker() {
    for workers in [1, 2] {
        let pool = Arc::new(ThreadPool::new(workers).unwrap());
        // As many maps as workers, each consumed on a worker: every worker is
        // a consumer, and each runs its own chunks when nobody else can.
        let futures: Vec<_> = (0..workers as u64)
            .map(|k| {
                let p = Arc::clone(&pool);
                pool.spawn(move || {
                    p.map(
                        move |x: u64| {
                            assert!(x != 500, "five hundred");
                            x * k
                        },
                        0..2000u64,
                        MapOptions::new().chunksize(16),
                    )
                    .unwrap()
                    .enumerate()
                    .map(|(x, r)| match r {
                        Ok(v) => {
                            assert_eq!(v, x as u64 * k);
                            1
                        }
                        Err(Error::Panicked { message, .. }) => {
                            assert_eq!((x, message.as_str()), (500, "five hundred"));
                            0
                        }
                        Err(e) => panic!("item {x}: {e:?}"),
                    })
                    .sum::<u64>()
                })
            })
            .collect();
        for f in futures {
            assert_eq!(f.result(Some(LONG)), Ok(1999), "{workers} workers");
        }
    }
}

#[test]
fn a_shutdown_during_a_map_strands_no_item_and_no_consumer() {
    let token = Arc::new(());
    for cancel in [false, true] {
        for round in 0..20 {
            let pool = Arc::new(ThreadPool::new(2).unwrap());
            let runs = counters(4000);
            let seen = Arc::clone(&runs);
            let start = Arc::new(Barrier::new(2));
            let go = Arc::clone(&start);
            let items: Vec<(usize, Arc<()>)> = (0..4000).map(|i| (i, Arc::clone(&token))).collect();
            let map = pool
                .map(
                    move |(i, _t): (usize, Arc<()>)| {
                        seen[i].fetch_add(1, Ordering::Relaxed);
                        if i == 100 {
                            // The shutdown starts while this chunk runs.
                            go.wait();
                        }
                        i
                    },
                    items,
                    MapOptions::new().chunksize(10),
                )
                .unwrap();
            let p = Arc::clone(&pool);
            let stopper = thread::spawn(move || {
                start.wait();
                p.shutdown(round % 2 == 0, cancel);
            });
            let mut count = 0;
            for (i, r) in map.enumerate() {
                count += 1;
                match r {
                    Ok(v) => assert_eq!(v, i),
                    Err(Error::Cancelled | Error::Shutdown) => {}
                    Err(e) => panic!("item {i}: {e:?}"),
                }
            }
            assert_eq!(count, 4000, "one result per item");
            stopper.join().unwrap();
            pool.shutdown(true, false);
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) <= 1));
            assert!(runs[100].load(Ordering::Relaxed) == 1);
            assert_eq!(
                Arc::strong_count(&token),
                1,
                "cancel {cancel} round {round}"
            );
        }
    }
}

#[test]
fn with_a_timeout_the_consumer_waits_for_the_workers_instead() {
    // A chunk run by the consumer could not be cut short at the deadline, so
    // a map with a `timeout` leaves every chunk to the workers.
    let (pool, release, held) = held_pool();
    let me = thread::current().id();
    let mut map = pool
        .map(
            |_: u32| thread::current().id(),
            0..20,
            MapOptions::new()
                .chunksize(5)
                .timeout(Duration::from_millis(50)),
        )
        .unwrap();
    // The worker is held: nothing can be done by the deadline.
    assert_eq!(map.next(), Some(Err(Error::Timeout)));
    assert_eq!(map.next(), None);
    release.send(()).unwrap();
    held.result(Some(LONG)).unwrap();
    let ran_here = pool
        .map(
            |_: u32| thread::current().id(),
            0..20,
            MapOptions::new().chunksize(5).timeout(LONG),
        )
        .unwrap()
        .filter(|t| *t == Ok(me))
        .count();
    assert_eq!(ran_here, 0);
}
