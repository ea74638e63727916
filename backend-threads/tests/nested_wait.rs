//! A worker that blocks on a pending future runs queued tasks instead of
//! deadlocking (Python's `ThreadPoolExecutor` deadlocks here: a 1-worker pool
//! whose task waits on another task it submitted).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use concur_core::Executor;
use concur_threads::ThreadPool;

static POOL: OnceLock<ThreadPool> = OnceLock::new();

fn inner(x: u64) -> u64 {
    x + 1
}

fn outer(x: u64) -> u64 {
    let pool = POOL.get().expect("set before submitting");
    let b = pool.submit(inner, x);
    b.result(Some(Duration::from_secs(30)))
        .expect("B runs on the waiting worker")
        * 10
}

#[test]
fn one_worker_task_waits_on_a_task_it_submitted() {
    let pool = POOL.get_or_init(|| ThreadPool::new(1).unwrap());
    assert_eq!(
        pool.submit(outer, 4).result(Some(Duration::from_secs(30))),
        Ok(50)
    );
    assert_eq!(pool.stats().workers, 1);
}

fn fib(pool: Arc<ThreadPool>, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let p = pool.clone();
    let a = pool.spawn(move || fib(p, n - 1));
    let b = fib(pool, n - 2);
    a.result(None).unwrap() + b
}

#[test]
fn recursive_fork_join_on_a_small_pool() {
    let pool = Arc::new(ThreadPool::new(2).unwrap());
    let p = pool.clone();
    let f = pool.spawn(move || fib(p, 15));
    assert_eq!(f.result(Some(Duration::from_secs(30))), Ok(610));
}

#[test]
fn wait_and_as_completed_inside_a_task_run_the_awaited_tasks() {
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let p = pool.clone();
    let f = pool.spawn(move || {
        let futures: Vec<_> = (0..4u64).map(|i| p.spawn(move || i * i)).collect();
        let r = concur_core::wait(
            &futures,
            Some(Duration::from_secs(30)),
            concur_core::ReturnWhen::AllCompleted,
        );
        assert!(r.not_done.is_empty());
        let more: Vec<_> = (0..4u64).map(|i| p.spawn(move || i + 100)).collect();
        let sum: u64 = concur_core::as_completed(&more, Some(Duration::from_secs(30)))
            .map(|f| f.unwrap().result(None).unwrap())
            .sum();
        futures.iter().map(|f| f.result(None).unwrap()).sum::<u64>() + sum
    });
    assert_eq!(f.result(Some(Duration::from_secs(60))), Ok(14 + 406));
}
