//! A task sent to a worker that dies before taking it up is requeued, never
//! reported lost (with or without retries): the worker records in a shared
//! beacon which task it started, and the pool reads it when the worker is lost.
//! Here the worker is killed while its initializer blocks, with a task already
//! sent to it.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use concur_core::{Error, Executor};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// Blocks until `path` exists (an event the test sets off).
fn wait_for(path: String) {
    while !std::path::Path::new(&path).exists() {
        std::thread::yield_now();
    }
}

fn record(log: String) -> u8 {
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(b"run\n").unwrap();
    7
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "concur-never-started-{}-{name}",
        std::process::id()
    ))
}

/// Kills the only worker, still in its initializer, with a task sent to it.
fn killed_before_it_started(name: &str, retries: u32) {
    let gate = temp(&format!("{name}-gate"));
    let log = temp(&format!("{name}-log"));
    let _ = std::fs::remove_file(&gate);
    std::fs::write(&log, b"").unwrap();
    let pool = ProcessPool::builder()
        .max_workers(1)
        .retries(retries)
        .initializer(wait_for, gate.to_string_lossy().into_owned())
        .build()
        .unwrap();
    let task = pool.submit(record, log.to_string_lossy().into_owned());
    // Marked running once sent to the worker, which is still in its initializer.
    while !task.is_running() {
        std::thread::yield_now();
    }
    let worker = pool.worker_pids()[0];
    // SAFETY: kill has no memory effects; the pid is the pool's live worker.
    unsafe { libc::kill(worker as i32, libc::SIGKILL) };
    std::fs::write(&gate, b"open").unwrap();
    match task.result(LONG) {
        Ok(v) => assert_eq!(v, 7),
        Err(e @ Error::WorkerLost { .. }) => panic!("reported lost though never started: {e:?}"),
        Err(e) => panic!("{e:?}"),
    }
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "run\n", "ran once");
    assert_eq!(pool.retried(), 0, "requeued, not retried: it never ran");
    assert!(!pool.worker_pids().contains(&worker));
    let _ = std::fs::remove_file(&gate);
    let _ = std::fs::remove_file(&log);
}

#[test]
fn a_task_sent_but_never_started_is_requeued() {
    killed_before_it_started("plain", 0);
}

/// Under `retries` too, and it costs none of them.
#[test]
fn a_task_sent_but_never_started_is_requeued_not_retried() {
    killed_before_it_started("retries", 2);
}
