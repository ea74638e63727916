//! Workers never outlive their pool's process: SIGKILL a parent process that
//! runs a pool (one worker busy in a task, one idle) and check that every worker
//! is gone. The parent is this test binary re-executed in a helper mode.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use concur_core::Executor;
use concur_process::ProcessPool;

const HELPER: &str = "CONCUR_TEST_PARENT_HELPER";

fn hang(_: ()) -> u32 {
    loop {
        std::thread::park();
    }
}

fn ident(x: u32) -> u32 {
    x
}

/// The helper mode: starts a pool, prints its workers' pids, waits to be killed.
#[test]
fn helper_parent() {
    if std::env::var_os(HELPER).is_none() {
        return;
    }
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    assert_eq!(pool.submit(ident, 1).result(None), Ok(1));
    let _busy = pool.submit(hang, ());
    let pids: Vec<String> = pool.worker_pids().iter().map(u32::to_string).collect();
    println!("WORKER-PIDS {}", pids.join(" "));
    loop {
        std::thread::park();
    }
}

/// True while `pid` is a live process (a zombie has exited).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
        Err(_) => false,
    }
}

#[test]
fn workers_exit_when_their_parent_is_killed() {
    let mut parent = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "helper_parent",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(parent.stdout.take().unwrap()).lines();
    let pids: Vec<u32> = loop {
        let line = lines
            .next()
            .expect("the helper prints its workers' pids")
            .unwrap();
        // libtest may have printed "test helper_parent ... " on the same line.
        if let Some((_, rest)) = line.split_once("WORKER-PIDS ") {
            break rest
                .split_whitespace()
                .map(|p| p.parse().unwrap())
                .collect();
        }
    };
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert!(
        pids.iter().all(|&p| alive(p)),
        "the workers run before the kill"
    );

    parent.kill().unwrap();
    parent.wait().unwrap();
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(30);
    while pids.iter().any(|&p| alive(p)) {
        assert!(
            Instant::now() < deadline,
            "workers still alive 30 s after their parent died: {pids:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!(
        "all workers gone {:?} after the parent was killed",
        killed.elapsed()
    );
}
