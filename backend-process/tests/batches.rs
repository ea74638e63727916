//! The batch path: a worker whose window is refilled with several tasks in
//! one message (`RunMany`). A worker killed with a batch half run costs the
//! task it was running only: what it finished stays done, what it had not
//! started runs elsewhere, once. A worker that reports a result for a task
//! it was never sent (another worker's) is lost, and that task is left alone.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::RawFd;
use std::path::PathBuf;
use std::time::Duration;

use concur_core::{Error, Executor, Future, LostCause};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

fn ident(x: u64) -> u64 {
    x
}

/// Appends `i` to the log (one `write` on an `O_APPEND` file) and returns it.
fn record((log, i): (String, u64)) -> u64 {
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(format!("{i}\n").as_bytes()).unwrap();
    i
}

/// Blocks until the test closes the connection.
fn blocked(port: u16) -> u64 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 1];
    let _ = s.read(&mut buf);
    u64::MAX
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("concur-batches-{}-{name}", std::process::id()))
}

#[test]
fn a_worker_killed_with_a_batch_half_run_costs_its_running_task_only() {
    let log = temp("log");
    std::fs::write(&log, b"").unwrap();
    let log_name = log.to_string_lossy().into_owned();
    let pool = ProcessPool::builder()
        .max_workers(1)
        .inflight_per_worker(6)
        .build()
        .unwrap();
    // Short tasks first: the worker is fast, so tasks are sent ahead to it.
    for i in 0..50 {
        assert_eq!(pool.submit(ident, i).result(LONG), Ok(i));
    }
    // The worker holds `first` while everything else is queued: r0, r1, r2
    // are sent ahead one by one (the window is open up to its low-water mark
    // of 3), the rest waits in the parent.
    let first_gate = TcpListener::bind("127.0.0.1:0").unwrap();
    let first = pool.submit(blocked, first_gate.local_addr().unwrap().port());
    let (first_conn, _) = first_gate.accept().unwrap();
    let record_task = |i: u64| pool.submit(record, (log_name.clone(), i));
    let mut tasks: Vec<Future<u64>> = (0..4).map(record_task).collect();
    let gate = TcpListener::bind("127.0.0.1:0").unwrap();
    let stuck = pool.submit(blocked, gate.local_addr().unwrap().port());
    tasks.extend((4..20).map(record_task));
    // Once `first` is done (slow: nothing more is sent ahead) and r0 is done
    // (fast again), the window is topped up in one message: r3, `stuck`, r4,
    // r5. The worker runs r1, r2, r3 and blocks in `stuck`, with r4 and r5 of
    // its batch not started; the results of r1..r3 refill the window behind
    // it (up to 6 in all).
    drop(first_conn);
    assert_eq!(first.result(LONG), Ok(u64::MAX));
    let (conn, _) = gate.accept().unwrap();
    for (i, f) in tasks[..4].iter().enumerate() {
        assert_eq!(f.result(LONG), Ok(i as u64));
    }
    // r4, sent with `stuck`, is marked running. (Sending ahead needs the
    // worker's last task to have taken under 1 ms; on a machine so loaded that
    // r0 took longer, nothing was sent ahead and the kill below finds `stuck`
    // alone: the outcome asserted is the same, the batch is just not in it.)
    let waited = std::time::Instant::now();
    while !tasks[4].is_running() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::yield_now();
    }
    let worker = pool.worker_pids()[0];
    // SAFETY: kill has no memory effects; the pid is the pool's live worker.
    unsafe { libc::kill(worker as i32, libc::SIGKILL) };
    match stuck.result(LONG) {
        Err(Error::WorkerLost { attempts: 1, .. }) => {}
        other => panic!("the running task: expected WorkerLost, got {other:?}"),
    }
    for (i, f) in tasks.iter().enumerate() {
        assert_eq!(f.result(LONG), Ok(i as u64), "task r{i}");
    }
    drop(conn);
    let mut runs: Vec<u64> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    runs.sort_unstable();
    assert_eq!(runs, (0..20).collect::<Vec<_>>(), "each ran once");
    assert!(!pool.worker_pids().contains(&worker));
    let _ = std::fs::remove_file(&log);
}

fn own_socket() -> RawFd {
    std::env::var("CONCUR_PROCESS_FD").unwrap().parse().unwrap()
}

/// Reports a result for task `id` (sent to the other worker), in a frame of
/// the right shape, then stays silent.
fn forges_a_result_for(id: u64) -> u64 {
    // bincode: Done = variant 0, id (a varint below 251), Ok = 0,
    // Body::Inline = 0; then a tail where the result would be.
    let frame = [0, u8::try_from(id).unwrap(), 0, 0, 42];
    let mut packet = (frame.len() as u64).to_le_bytes().to_vec();
    packet.extend_from_slice(&0u64.to_le_bytes());
    packet.push(0);
    packet.extend_from_slice(&frame);
    // SAFETY: send on the worker's own socket, from a live buffer.
    let sent = unsafe {
        libc::send(
            own_socket(),
            packet.as_ptr().cast(),
            packet.len(),
            libc::MSG_NOSIGNAL,
        )
    };
    assert_eq!(sent, packet.len() as isize);
    loop {
        std::thread::park();
    }
}

#[test]
fn a_result_for_a_task_never_sent_to_it_loses_the_worker_and_leaves_the_task_alone() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let gate = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = gate.local_addr().unwrap().port();
    // The first task of a fresh pool has id 0 and goes to the first idle
    // worker; the forger, id 1, to the other one.
    let victim = pool.submit(blocked, port);
    let (conn, _) = gate.accept().unwrap();
    let forger = pool.submit(forges_a_result_for, 0);
    match forger.result(LONG) {
        Err(Error::WorkerLost {
            cause: LostCause::Misbehaved { reason },
            ..
        }) => assert!(reason.contains("a result for task 0"), "{reason}"),
        other => panic!("expected the forger lost, got {other:?}"),
    }
    assert!(
        !victim.is_done(),
        "the forged result completed another task"
    );
    drop(conn);
    assert_eq!(victim.result(LONG), Ok(u64::MAX), "its own worker's result");
    assert_eq!(pool.submit(ident, 9).result(LONG), Ok(9), "the pool serves");
}
