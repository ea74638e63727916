//! `retries(n)`: a task whose worker is lost runs again on another worker, up
//! to n more times, before it fails with `WorkerLost`; a task that panics is
//! not retried. Each run appends a line to a file, so the runs are counted.

use std::io::Write;
use std::time::Duration;

use concur_core::{Error, Executor};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// Records a run; returns the number of runs so far.
fn record(log: &str) -> usize {
    let mut f = std::fs::OpenOptions::new().append(true).open(log).unwrap();
    f.write_all(b"run\n").unwrap();
    std::fs::read_to_string(log).unwrap().lines().count()
}

/// Kills its worker on its first `fails` runs, then returns the run count.
fn flaky((log, fails): (String, usize)) -> usize {
    let runs = record(&log);
    if runs <= fails {
        std::process::abort();
    }
    runs
}

fn panics(log: String) -> usize {
    record(&log);
    panic!("not a system failure")
}

fn log_file(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("concur-retries-{}-{name}", std::process::id()));
    std::fs::write(&path, b"").unwrap();
    path.to_string_lossy().into_owned()
}

fn runs(log: &str) -> usize {
    std::fs::read_to_string(log).unwrap().lines().count()
}

#[test]
fn a_lost_task_runs_again_until_it_succeeds() {
    let pool = ProcessPool::builder()
        .max_workers(2)
        .retries(2)
        .build()
        .unwrap();
    let log = log_file("succeeds");
    assert_eq!(pool.submit(flaky, (log.clone(), 2)).result(LONG), Ok(3));
    assert_eq!(runs(&log), 3);
    assert_eq!(pool.retried(), 2);
    let _ = std::fs::remove_file(&log);
}

#[test]
fn a_task_lost_more_often_than_its_retries_fails_with_worker_lost() {
    let pool = ProcessPool::builder()
        .max_workers(2)
        .retries(2)
        .build()
        .unwrap();
    let log = log_file("exhausted");
    let err = pool
        .submit(flaky, (log.clone(), 100))
        .result(LONG)
        .unwrap_err();
    assert!(matches!(err, Error::WorkerLost { .. }), "{err:?}");
    assert_eq!(runs(&log), 3, "one run and two retries");
    assert_eq!(
        pool.submit(flaky, (log_file("after"), 0)).result(LONG),
        Ok(1)
    );
    let _ = std::fs::remove_file(&log);
}

#[test]
fn without_retries_a_lost_task_runs_once() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let log = log_file("once");
    let err = pool
        .submit(flaky, (log.clone(), 1))
        .result(LONG)
        .unwrap_err();
    assert!(matches!(err, Error::WorkerLost { .. }), "{err:?}");
    assert_eq!(runs(&log), 1);
    assert_eq!(pool.retried(), 0);
    let _ = std::fs::remove_file(&log);
}

#[test]
fn a_panicking_task_is_not_retried() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .retries(3)
        .build()
        .unwrap();
    let log = log_file("panics");
    let err = pool.submit(panics, log.clone()).result(LONG).unwrap_err();
    assert!(matches!(err, Error::Panicked { .. }), "{err:?}");
    assert_eq!(runs(&log), 1);
    let _ = std::fs::remove_file(&log);
}
