//! An idle pool parks its workers: they sleep in the kernel ('S' in
//! /proc/self/task/*/stat) and burn no CPU time while nothing is submitted.

mod common;

use std::time::{Duration, Instant};

use concur_threads::ThreadPool;

#[test]
fn idle_workers_sleep_and_use_no_cpu() {
    let pool = ThreadPool::builder()
        .max_workers(2)
        .thread_name_prefix("idler")
        .build()
        .unwrap();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let futures: Vec<_> = (0..2)
        .map(|_| {
            let b = barrier.clone();
            pool.spawn(move || b.wait().is_leader())
        })
        .collect();
    for f in futures {
        f.result(Some(Duration::from_secs(30))).unwrap();
    }
    // Both workers go to sleep once they ran out of work.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let workers = common::threads_named("idler-");
        if workers.len() == 2 && workers.iter().all(|t| t.state == 'S') && pool.sleeps() >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "workers never went to sleep: {workers:?}"
        );
        std::thread::yield_now();
    }
    let sleeps = pool.sleeps();
    let cpu_before: u64 = common::threads_named("idler-")
        .iter()
        .map(|t| t.cpu_ticks)
        .sum();
    // An observation window, not an ordering device: a spinning worker would
    // burn ~30 clock ticks here.
    std::thread::sleep(Duration::from_millis(300));
    let after = common::threads_named("idler-");
    let cpu_after: u64 = after.iter().map(|t| t.cpu_ticks).sum();
    assert!(after.iter().all(|t| t.state == 'S'), "{after:?}");
    assert!(
        cpu_after - cpu_before <= 2,
        "idle workers used {} ticks",
        cpu_after - cpu_before
    );
    assert_eq!(pool.sleeps(), sleeps, "a worker woke up with nothing to do");
    // And they wake up for new work.
    assert_eq!(
        pool.spawn(|| 5).result(Some(Duration::from_secs(30))),
        Ok(5)
    );
}

#[test]
fn sleeping_workers_wake_up_for_every_new_task() {
    // Each round lets the workers fall asleep, then submits: a lost wake-up
    // would leave the task queued and the result would time out.
    let pool = ThreadPool::new(2).unwrap();
    for i in 0..300u32 {
        let naps = pool.sleeps();
        assert_eq!(
            pool.spawn(move || i).result(Some(Duration::from_secs(30))),
            Ok(i)
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while pool.sleeps() == naps {
            assert!(
                Instant::now() < deadline,
                "round {i}: no worker went back to sleep"
            );
            std::thread::yield_now();
        }
    }
}
