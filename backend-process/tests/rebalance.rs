//! A task sent ahead to a worker that turns out to run a long task does not wait
//! behind it while another worker idles: the pool revokes it (the worker gives
//! back a task it has not started) and runs it elsewhere.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use concur_core::{Executor, Future};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

fn ident(x: u64) -> u64 {
    x
}

/// Blocks until the test closes the connection.
fn blocked(port: u16) -> u64 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 1];
    let _ = s.read(&mut buf);
    u64::MAX
}

#[test]
fn tasks_behind_a_long_task_move_to_an_idle_worker() {
    let pool = ProcessPool::builder()
        .max_workers(2)
        .inflight_per_worker(4)
        .build()
        .unwrap();
    // Fast tasks first, so both workers get tasks sent ahead.
    let warm: Vec<Future<u64>> = (0..50).map(|i| pool.submit(ident, i)).collect();
    for (i, f) in warm.iter().enumerate() {
        assert_eq!(f.result(LONG), Ok(i as u64));
    }
    let gate = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = gate.local_addr().unwrap().port();
    let long = pool.submit(blocked, port);
    let fast: Vec<Future<u64>> = (0..20).map(|i| pool.submit(ident, i)).collect();
    let (conn, _) = gate.accept().unwrap();
    // Every fast task finishes while the long one still blocks its worker.
    for (i, f) in fast.iter().enumerate() {
        assert_eq!(
            f.result(LONG),
            Ok(i as u64),
            "fast task {i} behind the long one"
        );
    }
    assert!(!long.is_done());
    drop(conn);
    assert_eq!(long.result(LONG), Ok(u64::MAX));
}
