//! A parent SIGKILLed while its pool churns workers leaves nothing in the
//! temporary directory (there is no rendezvous on disk to leave), and its
//! workers die with it: 20 rounds, each in a fresh `TMPDIR`.
//!
//! No test harness: the binary runs itself again as the parent to kill.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use concur_core::Executor;
use concur_process::ProcessPool;

const ROLE: &str = "CONCUR_TEST_PARENT_TO_KILL";

fn next(x: u64) -> u64 {
    x + 1
}

/// Churns workers forever; says "ready" once a task has come back.
fn parent() -> ! {
    let pool = ProcessPool::builder()
        .max_workers(2)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    assert_eq!(pool.submit(next, 0).result(None), Ok(1));
    println!("ready");
    loop {
        let _ = pool.submit(next, 1).result(Some(Duration::from_secs(30)));
    }
}

fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{name}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        if stat[close + 2..].split(' ').nth(1) == Some(&pid.to_string()) {
            out.push(name.parse().unwrap());
        }
    }
    out
}

fn main() {
    if std::env::var_os(ROLE).is_some() {
        parent();
    }
    let base = std::env::temp_dir().join(format!("concur-killed-parent-{}", std::process::id()));
    for round in 0..20 {
        let tmp = base.join(round.to_string());
        std::fs::create_dir_all(&tmp).unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(ROLE, "1")
            .env("TMPDIR", &tmp)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        // Kept open until the parent is dead, so that its writes never fail.
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "round {round}");
        let workers = children_of(child.id());
        child.kill().unwrap();
        child.wait().unwrap();
        drop(out);
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "round {round}: left behind {left:?}");
        // The workers die with their parent (PR_SET_PDEATHSIG): their /proc
        // entries go once they are reaped by init.
        for w in workers {
            let stat = format!("/proc/{w}/stat");
            let mut spins = 0u64;
            while std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z")) {
                std::thread::yield_now();
                spins += 1;
                assert!(spins < 50_000_000, "worker {w} outlived its parent");
            }
        }
    }
    std::fs::remove_dir_all(&base).unwrap();
    println!("killed_parent_leaves_nothing: 20 rounds, temp dirs empty: ok");
}
