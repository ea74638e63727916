//! `retries(n)`: a task whose worker is lost runs again on another worker, up
//! to n more times, before it fails with `WorkerLost`; a task that panics is
//! not retried, nor is one that overflows its stack; the error says how many
//! attempts the task had. Each run appends a line to a file, so the runs are
//! counted.

use std::io::Write;
use std::time::Duration;

use concur_core::{Error, Executor, ExitStatus, LostCause};
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
    match &err {
        Error::WorkerLost {
            status,
            attempts,
            cause,
            ..
        } => {
            assert_eq!(*status, ExitStatus::Signal(libc::SIGABRT));
            assert_eq!(*attempts, 3, "the error says how many attempts");
            assert_eq!(*cause, LostCause::Died);
        }
        other => panic!("expected WorkerLost, got {other:?}"),
    }
    assert!(err.to_string().contains("started 3 times"), "{err}");
    assert_eq!(runs(&log), 3, "one run and two retries");
    assert_eq!(pool.retried(), 2);
    let after = log_file("after");
    assert_eq!(pool.submit(flaky, (after.clone(), 0)).result(LONG), Ok(1));
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&after);
}

#[test]
fn without_retries_a_lost_task_runs_once() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let log = log_file("once");
    let err = pool
        .submit(flaky, (log.clone(), 1))
        .result(LONG)
        .unwrap_err();
    assert!(
        matches!(err, Error::WorkerLost { attempts: 1, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("times"), "{err}");
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

#[inline(never)]
fn recurse(n: u64) -> u64 {
    let pad = std::hint::black_box([n; 64]);
    if n == 0 {
        pad[1]
    } else {
        recurse(n - 1).wrapping_add(pad[0])
    }
}

fn overflows(log: String) -> u64 {
    record(&log);
    recurse(u64::MAX)
}

/// A stack overflow is the task's own doing, as a panic is: it would overflow
/// again, so it is not retried, and the error names it.
#[test]
fn a_task_that_overflows_its_stack_is_not_retried() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .retries(3)
        .build()
        .unwrap();
    let log = log_file("overflows");
    let err = pool
        .submit(overflows, log.clone())
        .result(LONG)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::WorkerLost {
                attempts: 1,
                cause: LostCause::StackOverflow,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(runs(&log), 1);
    assert_eq!(pool.retried(), 0);
    let _ = std::fs::remove_file(&log);
}
