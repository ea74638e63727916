//! An impostor: a process of the same user that, during 500 worker starts,
//! reads everything it can from `/proc` about every starting worker (its
//! environment, its command line, its descriptors) and tries to use it: open
//! each descriptor through `/proc/PID/fd`, connect to every socket path it
//! finds. It never gets a descriptor or a connection, so it never receives an
//! argument nor completes a task; every task completes with its own value and
//! the pool never breaks.
//!
//! No test harness: the binary runs itself again as the impostor.

use std::io::{BufRead, Read, Write};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use concur_core::Executor;
use concur_process::ProcessPool;

const ROLE: &str = "CONCUR_TEST_IMPOSTOR_OF";

fn next(x: u64) -> u64 {
    x + 1
}

fn ppid(pid: &str) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split(' ').nth(1)?.parse().ok()
}

/// Scans the pool's children until stdin closes; prints what it achieved.
fn impostor(pool: u32) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let me = std::process::id().to_string();
    let (mut seen, mut read, mut opened, mut connected) = (0u64, 0u64, 0u64, 0u64);
    let mut pids = std::collections::HashSet::new();
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            continue;
        };
        for entry in dir.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if pid == me || ppid(&pid) != Some(pool) {
                continue;
            }
            seen += 1;
            pids.insert(pid.clone());
            let mut strings = Vec::new();
            for what in ["environ", "cmdline"] {
                if let Ok(bytes) = std::fs::read(format!("/proc/{pid}/{what}")) {
                    read += 1;
                    strings.extend(
                        bytes
                            .split(|b| *b == 0)
                            .map(|s| String::from_utf8_lossy(s).into_owned()),
                    );
                }
            }
            if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
                for fd in fds.flatten() {
                    if std::fs::read_link(fd.path())
                        .is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
                        && std::fs::OpenOptions::new()
                            .read(true)
                            .write(true)
                            .open(fd.path())
                            .is_ok()
                    {
                        opened += 1;
                    }
                }
            }
            // Any value that names a path: try it as a socket.
            for s in &strings {
                for part in s.split(['=', ':']) {
                    if part.starts_with('/')
                        && (UnixStream::connect(part).is_ok()
                            || UnixDatagram::unbound().is_ok_and(|d| d.connect(part).is_ok()))
                    {
                        connected += 1;
                    }
                }
            }
        }
    }
    println!(
        "seen {seen} ({} workers) read {read} opened {opened} connected {connected}",
        pids.len()
    );
}

fn main() {
    if let Ok(pool) = std::env::var(ROLE) {
        impostor(pool.parse().unwrap());
        return;
    }
    let mut spy = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pool = ProcessPool::builder()
        .max_workers(2)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    // 500 tasks, one worker each: 500 worker starts under the impostor's eyes.
    let futures: Vec<_> = (0..500u64).map(|x| pool.submit(next, x)).collect();
    for (x, f) in futures.into_iter().enumerate() {
        assert_eq!(f.result(Some(Duration::from_secs(120))), Ok(x as u64 + 1));
    }
    assert_eq!(pool.submit(next, 41).result(None), Ok(42), "never broken");
    drop(pool);
    drop(spy.stdin.take());
    let mut line = String::new();
    std::io::BufReader::new(spy.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(spy.wait().unwrap().success());
    println!("impostor: {}", line.trim());
    let field = |name: &str| -> u64 {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| *w == name).unwrap();
        words[at + 1].parse().unwrap()
    };
    assert!(
        field("seen") > 0 && field("read") > 0,
        "the impostor watched the workers: {line}"
    );
    assert_eq!(field("opened"), 0, "no worker socket opened: {line}");
    assert_eq!(field("connected"), 0, "no connection: {line}");
    std::io::stdout().flush().unwrap();
    println!("impostor: ok");
}
