//! Queue order on one worker: the global injector is FIFO, a worker's own
//! deque (tasks spawned from inside a task) is LIFO.

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use concur_threads::ThreadPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

#[test]
fn outside_submissions_run_first_in_first_out() {
    let pool = ThreadPool::new(1).unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let started = Arc::new(Barrier::new(2));
    let (g, s) = (gate.clone(), started.clone());
    let blocker = pool.spawn(move || {
        s.wait();
        drop(g.lock());
    });
    started.wait();
    let futures: Vec<_> = (0..20)
        .map(|i| {
            let order = order.clone();
            pool.spawn(move || order.lock().unwrap().push(i))
        })
        .collect();
    drop(held);
    blocker.result(LONG).unwrap();
    for f in futures {
        f.result(LONG).unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
}

#[test]
fn tasks_spawned_by_a_task_run_last_in_first_out() {
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let order = Arc::new(Mutex::new(Vec::new()));
    let (p, o) = (pool.clone(), order.clone());
    let children = pool
        .spawn(move || {
            (0..5)
                .map(|i| {
                    let o = o.clone();
                    p.spawn(move || o.lock().unwrap().push(i))
                })
                .collect::<Vec<_>>()
        })
        .into_result()
        .unwrap();
    for f in children {
        f.result(LONG).unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [4, 3, 2, 1, 0]);
}
