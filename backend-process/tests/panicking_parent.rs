//! A pool dropped while its thread panics does not run its queue (which here
//! would never end): the queued tasks are cancelled, the workers killed (the
//! running task fails with `WorkerLost`), and the panic goes on.

use std::path::PathBuf;
use std::time::Duration;

use concur_core::{Error, Executor, Future};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// Writes its pid to `path`, then spins forever.
fn spin(path: String) -> u8 {
    if !path.is_empty() {
        std::fs::write(format!("{path}.tmp"), std::process::id().to_string()).unwrap();
        std::fs::rename(format!("{path}.tmp"), &path).unwrap();
    }
    loop {
        std::hint::spin_loop();
    }
}

#[test]
fn a_panicking_owner_cancels_the_queue_and_kills_the_workers() {
    let path: PathBuf =
        std::env::temp_dir().join(format!("concur-panicking-parent-{}", std::process::id()));
    let (tx, rx) = std::sync::mpsc::channel::<(Future<u8>, Vec<Future<u8>>, u32)>();
    let marker = path.clone();
    let owner = std::thread::spawn(move || {
        let pool = ProcessPool::builder().max_workers(1).build().unwrap();
        let running = pool.submit(spin, marker.to_string_lossy().into_owned());
        let pid = loop {
            if let Ok(pid) = std::fs::read_to_string(&marker) {
                break pid.parse().unwrap();
            }
            std::thread::yield_now();
        };
        let queued = (0..100).map(|_| pool.submit(spin, String::new())).collect();
        tx.send((running, queued, pid)).unwrap();
        panic!("the owner panics with the pool in scope");
    });
    assert!(owner.join().is_err(), "the panic went on");
    let _ = std::fs::remove_file(&path);
    let (running, queued, pid) = rx.recv().unwrap();
    match running.result(LONG) {
        Err(Error::WorkerLost { pid: lost, .. }) => assert_eq!(lost, pid),
        other => panic!("expected WorkerLost, got {other:?}"),
    }
    for f in queued {
        assert_eq!(f.result(LONG), Err(Error::Cancelled));
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
    assert!(stat.is_err(), "the worker was reaped: {stat:?}");
}
