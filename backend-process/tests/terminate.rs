//! `terminate_workers()` and `kill_workers()` (Python 3.14): running tasks fail
//! with `WorkerLost` and the signal, queued tasks are cancelled, the pool is shut
//! down and no worker remains.

use std::time::Duration;

use concur_core::{Error, Executor, ExitStatus, Future, LostCause};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

fn hang(_: ()) -> u64 {
    loop {
        std::thread::park();
    }
}

fn ident(x: u64) -> u64 {
    x
}

fn check(signal: i32, stop: fn(&ProcessPool)) {
    // A fresh pool: no worker has shown it runs fast tasks, so nothing is sent
    // ahead of the hanging tasks and the `ident` tasks stay queued.
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let running: Vec<Future<u64>> = (0..2).map(|_| pool.submit(hang, ())).collect();
    let queued: Vec<Future<u64>> = (0..3).map(|i| pool.submit(ident, i)).collect();
    // Both hanging tasks are on their workers (marked running when sent).
    for f in &running {
        assert!(f.is_running(), "{f:?}");
    }
    let pids = pool.worker_pids();
    stop(&pool);
    for f in &running {
        match f.result(LONG) {
            Err(Error::WorkerLost {
                pid,
                status,
                attempts,
                cause,
            }) => {
                assert!(pids.contains(&pid));
                assert_eq!(status, ExitStatus::Signal(signal));
                assert_eq!((attempts, cause), (1, LostCause::Died));
            }
            other => panic!("expected WorkerLost, got {other:?}"),
        }
    }
    for f in &queued {
        assert_eq!(f.result(LONG), Err(Error::Cancelled));
    }
    assert!(pool.worker_pids().is_empty());
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} reaped"
        );
    }
    assert_eq!(pool.submit(ident, 1).result(LONG), Err(Error::Shutdown));
}

#[test]
fn terminate_workers_sends_sigterm() {
    check(libc::SIGTERM, ProcessPool::terminate_workers);
}

#[test]
fn kill_workers_sends_sigkill() {
    check(libc::SIGKILL, ProcessPool::kill_workers);
}

/// Terminating at once, while the workers may not yet have taken up the tasks
/// they were sent: those tasks fail with their workers, never run again on a
/// replacement (there is none), and the call returns. Repeated, so that some
/// rounds land before a worker starts its task and some after.
#[test]
fn terminating_before_the_tasks_start_runs_nothing_more() {
    for round in 0..20 {
        let pool = ProcessPool::builder().max_workers(2).build().unwrap();
        let sent: Vec<Future<u64>> = (0..2).map(|_| pool.submit(hang, ())).collect();
        if round % 2 == 0 {
            pool.kill_workers();
        } else {
            pool.terminate_workers();
        }
        for f in &sent {
            assert!(
                matches!(f.result(LONG), Err(Error::WorkerLost { .. })),
                "round {round}: {f:?}"
            );
        }
        assert!(pool.worker_pids().is_empty(), "round {round}");
    }
}
