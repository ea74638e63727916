//! Slots heal: a replacement worker killed before or during its handshake is
//! replaced again and costs nothing (no task is sent to a worker before it
//! joined; the killer cannot tell the instant a worker joins, so a kill that
//! lands just after costs that worker's task, as any kill may); the pool breaks
//! only when workers cannot be started at all, with a message that names what
//! was seen.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use concur_core::{Error, Executor};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(120));

fn next(x: u64) -> u64 {
    x + 1
}

/// The killer below SIGKILLs every child of this process that its pool does
/// not list, so a test running beside it would lose its workers too: the
/// tests of this file take this lock and run one at a time.
static ALONE: Mutex<()> = Mutex::new(());

fn alone() -> MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The children of this process.
fn children() -> Vec<u32> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{name}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        if stat[close + 2..].split(' ').nth(1) == Some(me.as_str()) {
            out.push(name.parse().unwrap());
        }
    }
    out
}

#[test]
fn workers_killed_while_they_start_cost_nothing() {
    let _alone = alone();
    let pool = Arc::new(
        ProcessPool::builder()
            .max_workers(2)
            .max_tasks_per_child(1)
            .build()
            .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicU64::new(0));
    let killed = Arc::new(Mutex::new(HashSet::new()));
    let killer = {
        let (pool, stop, kills) = (pool.clone(), stop.clone(), kills.clone());
        let killed = killed.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                // A child the pool does not list yet is a worker being started.
                let joined: HashSet<u32> = pool.worker_pids().into_iter().collect();
                for pid in children().into_iter().filter(|p| !joined.contains(p)) {
                    killed.lock().unwrap().insert(pid);
                    // SAFETY: kill has no memory effects; the pid is a child of
                    // this process (at worst just reaped: then no process).
                    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                    kills.fetch_add(1, Ordering::SeqCst);
                }
                std::thread::yield_now();
            }
        })
    };
    let futures: Vec<_> = (0..300u64).map(|x| pool.submit(next, x)).collect();
    let outcomes: Vec<_> = futures.into_iter().map(|f| f.result(LONG)).collect();
    stop.store(true, Ordering::SeqCst);
    killer.join().unwrap();
    let killed = killed.lock().unwrap();
    let mut lost = 0;
    for (x, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(v) => assert_eq!(v, x as u64 + 1),
            // Only a worker the killer hit (just after it joined) loses a task.
            Err(Error::WorkerLost { pid, .. }) if killed.contains(&pid) => lost += 1,
            other => panic!("task {x}: {other:?}"),
        }
    }
    println!(
        "{} kills of starting workers; {lost} landed just after the worker joined",
        kills.load(Ordering::SeqCst)
    );
    assert!(
        kills.load(Ordering::SeqCst) > 0,
        "the killer hit starting workers"
    );
    // The killer's last kill may still cost the next task (see above).
    let mut after = pool.submit(next, 41).result(LONG);
    if matches!(after, Err(Error::WorkerLost { .. })) {
        after = pool.submit(next, 41).result(LONG);
    }
    assert_eq!(after, Ok(42), "never broken");
}

#[test]
fn a_pool_whose_workers_cannot_start_breaks_naming_why() {
    let _alone = alone();
    // The program is a link to this binary, removed once the pool's first
    // worker runs (`build` returns when it has joined): that worker serves one
    // task, and its replacements cannot start at all. Removed before the first
    // task, so no replacement can have been started from the link meanwhile.
    let link = std::env::temp_dir().join(format!("concur-heal-{}", std::process::id()));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(std::env::current_exe().unwrap(), &link).unwrap();
    let pool = ProcessPool::builder()
        .max_workers(1)
        .max_tasks_per_child(1)
        .program(&link)
        .build()
        .unwrap();
    std::fs::remove_file(&link).unwrap();
    assert_eq!(pool.submit(next, 1).result(LONG), Ok(2));
    match pool.submit(next, 2).result(LONG) {
        Err(Error::Broken { reason }) => {
            assert!(
                reason.contains("5 attempts in a row") && reason.contains("cannot start a worker"),
                "{reason}"
            );
        }
        other => panic!("expected Broken, got {other:?}"),
    }
    assert!(matches!(
        pool.try_submit(next, 3),
        Err(Error::Broken { .. })
    ));
}
