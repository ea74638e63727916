//! `max_tasks_per_child = 1`: 2 000 tasks in a row, so 2 000 worker
//! replacements, leak no file descriptor and leave no zombie.

use std::time::Duration;

use concur_core::{Executor, Future};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));
const TASKS: u32 = 2_000;

fn pid(_: u32) -> u32 {
    std::process::id()
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Child processes of this process: (all, zombies).
fn children() -> (usize, usize) {
    let me = std::process::id().to_string();
    let mut all = 0;
    let mut zombies = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(rest) = stat.rsplit(')').next() else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next();
        if fields.next() == Some(me.as_str()) {
            all += 1;
            if state == Some("Z") {
                zombies += 1;
            }
        }
    }
    (all, zombies)
}

#[test]
fn two_thousand_replacements_leak_nothing() {
    let fds_before = open_fds();
    let children_before = children();
    let pool = ProcessPool::builder()
        .max_workers(2)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    let futs: Vec<Future<u32>> = (0..TASKS).map(|i| pool.submit(pid, i)).collect();
    let mut pids: Vec<u32> = futs.iter().map(|f| f.result(LONG).unwrap()).collect();
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(
        pids.len(),
        TASKS as usize,
        "every task ran in its own worker"
    );
    let (_, zombies) = children();
    assert!(
        zombies <= 2,
        "at most the workers exiting right now are unreaped: {zombies}"
    );
    pool.shutdown(true, false);
    drop(pool);
    let fds_after = open_fds();
    let children_after = children();
    eprintln!(
        "fds before {fds_before} after {fds_after}; children (all, zombies) before {children_before:?} after {children_after:?}"
    );
    assert_eq!(fds_after, fds_before, "no file descriptor leaked");
    assert_eq!(children_after, (0, 0), "no worker and no zombie left");
}
