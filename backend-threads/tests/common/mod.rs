//! Helpers shared by the behaviour tests: reading this process's threads from /proc.
#![allow(dead_code)]

use std::fs;

/// One thread of this process, as /proc/self/task/<tid>/stat shows it.
#[derive(Debug, Clone)]
pub(crate) struct ThreadInfo {
    pub(crate) name: String,
    pub(crate) state: char,
    /// utime + stime, in clock ticks.
    pub(crate) cpu_ticks: u64,
}

/// Every thread of this process.
pub(crate) fn threads() -> Vec<ThreadInfo> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/proc/self/task") else {
        return out;
    };
    for entry in dir.flatten() {
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ... ; comm may hold spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let rest: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let state = rest[0].chars().next().unwrap_or('?');
        // Fields after the state: ppid(1) pgrp(2) ... utime is field 14 overall, index 11 here.
        let utime: u64 = rest[11].parse().unwrap_or(0);
        let stime: u64 = rest[12].parse().unwrap_or(0);
        out.push(ThreadInfo {
            name,
            state,
            cpu_ticks: utime + stime,
        });
    }
    out
}

/// Threads whose name starts with `prefix` (Linux truncates names to 15 bytes).
pub(crate) fn threads_named(prefix: &str) -> Vec<ThreadInfo> {
    threads()
        .into_iter()
        .filter(|t| t.name.starts_with(prefix))
        .collect()
}

/// How many threads this process has.
pub(crate) fn thread_count() -> usize {
    fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Waits (up to 30 s) until `done()` holds, re-reading /proc.
///
/// `join` returns when the kernel has cleared the thread's id, a moment before
/// it removes the thread from /proc/self/task; a thread that really leaked never
/// leaves, so the generous bound only absorbs that reaping lag.
pub(crate) fn eventually(done: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if done() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::yield_now();
    }
}
