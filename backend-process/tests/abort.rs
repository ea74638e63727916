//! `ProcessPool::kill(&future)`: cancels one task even while it runs. The
//! running task's worker ends, the future fails with `Cancelled`, a new worker
//! takes the slot, and every other task is left alone; a kill racing the
//! task's completion leaves either its result or `Cancelled`, nothing else.

use std::path::PathBuf;
use std::time::Duration;

use concur_core::{Error, Executor, Future};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

fn square(x: u64) -> u64 {
    x * x
}

/// Writes its worker's pid to `path`, then spins until killed.
fn spin(path: String) -> u64 {
    std::fs::write(format!("{path}.tmp"), std::process::id().to_string()).unwrap();
    std::fs::rename(format!("{path}.tmp"), &path).unwrap();
    loop {
        std::hint::spin_loop();
    }
}

fn marker(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("concur-abort-{}-{name}", std::process::id()))
}

/// Waits (an event: the file appears) until the task wrote its pid.
fn started(path: &PathBuf) -> u32 {
    loop {
        if let Ok(pid) = std::fs::read_to_string(path) {
            let _ = std::fs::remove_file(path);
            return pid.parse().unwrap();
        }
        std::thread::yield_now();
    }
}

#[test]
fn killing_a_running_task_cancels_it_alone() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let path = marker("running");
    let stuck = pool.submit(spin, path.to_string_lossy().into_owned());
    let pid = started(&path);
    let others: Vec<Future<u64>> = (0..50).map(|i| pool.submit(square, i)).collect();
    assert!(pool.kill(&stuck));
    assert_eq!(stuck.result(LONG), Err(Error::Cancelled));
    for (i, f) in others.into_iter().enumerate() {
        assert_eq!(f.result(LONG), Ok((i * i) as u64), "task {i} untouched");
    }
    assert!(!pool.worker_pids().contains(&pid), "its worker is gone");
    assert_eq!(pool.submit(square, 9).result(LONG), Ok(81));
    assert!(!pool.kill(&stuck), "already finished");
}

#[test]
fn killing_a_queued_task_cancels_it_without_running_it() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let path = marker("busy");
    let busy = pool.submit(spin, path.to_string_lossy().into_owned());
    started(&path);
    let never = marker("never");
    let queued = pool.submit(spin, never.to_string_lossy().into_owned());
    assert!(pool.kill(&queued));
    assert_eq!(queued.result(LONG), Err(Error::Cancelled));
    assert!(pool.kill(&busy));
    assert_eq!(busy.result(LONG), Err(Error::Cancelled));
    assert_eq!(pool.submit(square, 3).result(LONG), Ok(9));
    assert!(!never.exists(), "the queued task never ran");
}

#[test]
fn a_kill_racing_completion_leaves_the_result_or_cancelled() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let (mut done, mut cancelled) = (0, 0);
    for i in 0..300u64 {
        let target = pool.submit(square, i);
        let bystander = pool.submit(square, i + 1);
        // Let the target get anywhere from queued to finished.
        for _ in 0..(i % 7) * 100 {
            std::hint::spin_loop();
        }
        pool.kill(&target);
        match target.result(LONG) {
            Ok(v) => {
                assert_eq!(v, i * i);
                done += 1;
            }
            Err(Error::Cancelled) => cancelled += 1,
            Err(e) => panic!("round {i}: {e:?}"),
        }
        assert_eq!(bystander.result(LONG), Ok((i + 1) * (i + 1)), "round {i}");
    }
    println!("kill racing completion: {done} completed, {cancelled} cancelled");
    assert_eq!(pool.submit(square, 5).result(LONG), Ok(25));
}

/// `kill` is the caller's choice, not a system failure: under `retries` the
/// killed task is cancelled, not run again. On a one-worker pool a rerun of
/// the spinning task would hold the only worker for good, so the next task
/// finishing shows there was none.
#[test]
fn a_killed_task_is_not_retried() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .retries(3)
        .build()
        .unwrap();
    let path = marker("retries");
    let stuck = pool.submit(spin, path.to_string_lossy().into_owned());
    let pid = started(&path);
    assert!(pool.kill(&stuck));
    assert_eq!(stuck.result(LONG), Err(Error::Cancelled));
    assert_eq!(pool.submit(square, 4).result(LONG), Ok(16), "not rerun");
    assert_eq!(pool.retried(), 0);
    assert!(!path.exists(), "the killed task did not start again");
    assert!(!pool.worker_pids().contains(&pid), "its worker is gone");
}
