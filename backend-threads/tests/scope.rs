//! `scope`: tasks that borrow from the caller's stack.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use concur_core::Error;
use concur_threads::ThreadPool;

#[test]
fn tasks_borrow_and_mutate_the_stack() {
    let pool = ThreadPool::new(2).unwrap();
    let mut data: Vec<u64> = (0..1000).collect();
    let counter = AtomicUsize::new(0);
    pool.scope(|s| {
        for chunk in data.chunks_mut(100) {
            let counter = &counter;
            let _task = s.spawn(move || {
                chunk.iter_mut().for_each(|x| *x *= 2);
                counter.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    // Every task is done when scope returns: no join needed.
    assert_eq!(counter.load(Ordering::Relaxed), 10);
    assert!(data.iter().enumerate().all(|(i, x)| *x == 2 * i as u64));
}

#[test]
fn a_scoped_panic_surfaces_in_its_future() {
    let pool = ThreadPool::new(2).unwrap();
    let local = String::from("borrowed");
    let (bad, good) = pool.scope(|s| {
        let bad = s.spawn(|| -> usize { panic!("scoped {}", local.len()) });
        let good = s.spawn(|| local.len());
        (bad, good)
    });
    assert!(
        matches!(bad.result(None), Err(Error::Panicked { message, .. }) if message == "scoped 8")
    );
    assert_eq!(good.result(None), Ok(8));
}

#[test]
fn a_panic_of_the_scope_closure_waits_for_the_tasks_first() {
    let pool = ThreadPool::new(2).unwrap();
    let done = AtomicUsize::new(0);
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let g = gate.clone();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| {
            let _task = s.spawn(|| {
                // Blocks until the scope closure has panicked and released the lock.
                drop(g.lock());
                done.fetch_add(1, Ordering::SeqCst);
            });
            drop(held);
            panic!("scope body");
        })
    }));
    assert!(caught.is_err());
    assert_eq!(
        done.load(Ordering::SeqCst),
        1,
        "scope returned before its task ran"
    );
}

#[test]
fn scopes_nest_inside_tasks_on_one_worker() {
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let p = pool.clone();
    let f = pool.spawn(move || {
        let values = [1u64, 2, 3];
        p.scope(|s| {
            let futs: Vec<_> = values.iter().map(|v| s.spawn(move || v * 100)).collect();
            futs.into_iter()
                .map(|f| f.into_result().unwrap())
                .sum::<u64>()
        })
    });
    assert_eq!(f.result(Some(std::time::Duration::from_secs(30))), Ok(600));
}

#[test]
fn spawning_in_a_shut_down_pool_fails_the_future_and_returns() {
    let pool = ThreadPool::new(1).unwrap();
    concur_core::Executor::shutdown(&pool, true, false);
    let x = 5;
    let f = pool.scope(|s| s.spawn(|| x));
    assert_eq!(f.result(None), Err(Error::Shutdown));
}

#[test]
fn scope_waits_for_tasks_cancelled_by_a_concurrent_shutdown() {
    for round in 0..50 {
        let pool = ThreadPool::new(2).unwrap();
        let data = vec![1u64; 64];
        let live = AtomicUsize::new(0);
        let outcomes = std::thread::scope(|ts| {
            let futures = pool.scope(|s| {
                let mut futures = Vec::new();
                for i in 0..200 {
                    futures.push(s.spawn(|| {
                        live.fetch_add(1, Ordering::SeqCst);
                        let sum = data.iter().sum::<u64>();
                        live.fetch_sub(1, Ordering::SeqCst);
                        sum
                    }));
                    if i == 100 {
                        ts.spawn(|| concur_core::Executor::shutdown(&pool, false, true));
                    }
                }
                futures
            });
            // Every scoped task ran or was dropped before `scope` returned.
            assert_eq!(live.load(Ordering::SeqCst), 0, "round {round}");
            futures
        });
        for f in outcomes {
            assert!(f.is_done(), "round {round}");
            match f.result(None) {
                Ok(64) | Err(Error::Cancelled) | Err(Error::Shutdown) => {}
                other => panic!("round {round}: {other:?}"),
            }
        }
    }
}
