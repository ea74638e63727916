//! A task that panics fails alone with `Error::Panicked`; its worker lives on.

use std::time::Duration;

use concur_core::{Error, Executor};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

fn boom(message: String) -> u32 {
    panic!("{message}")
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

#[test]
fn a_panic_fails_its_task_and_the_worker_lives() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let before = pool.submit(pid, ()).result(LONG).unwrap();
    let err = pool
        .submit(boom, "kaboom 42".to_owned())
        .result(LONG)
        .unwrap_err();
    match err {
        Error::Panicked {
            message, location, ..
        } => {
            assert_eq!(message, "kaboom 42");
            // The panic site, as the worker saw it: this file, `boom`'s line.
            let location = location.expect("a task's panic carries its location");
            assert!(
                location.starts_with("backend-process/tests/panic.rs:11:"),
                "{location}"
            );
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    let after = pool.submit(pid, ()).result(LONG).unwrap();
    assert_eq!(before, after, "the same worker process runs the next task");
    assert_eq!(pool.worker_pids(), vec![before]);
    let s = pool.stats();
    assert_eq!((s.completed, s.failed), (2, 1), "{s:?}");
}
