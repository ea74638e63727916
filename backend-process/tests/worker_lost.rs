//! A worker that dies — abort, segfault, `exit`, SIGKILL from outside — fails only
//! the task it was running, with `Error::WorkerLost { pid, status }`; the tasks
//! beside it succeed, the worker is replaced and the pool takes new work. With
//! `break_on_worker_loss(true)` the pool breaks instead, as Python's does.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use concur_core::{Error, Executor, ExitStatus, Future, LostCause};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

fn square(x: u64) -> u64 {
    x * x
}

fn abort(_: ()) -> u64 {
    std::process::abort()
}

fn segfault(_: ()) -> u64 {
    // SAFETY: raising a signal has no memory effects; SIGSEGV's default action
    // ends the process, which is what this task is for.
    unsafe { libc::raise(libc::SIGSEGV) };
    unreachable!("SIGSEGV ends the process")
}

fn exit(code: i32) -> u64 {
    std::process::exit(code)
}

/// Writes the worker's pid to `path`, then waits to be killed.
fn hang(path: String) -> u64 {
    std::fs::write(&path, std::process::id().to_string()).unwrap();
    loop {
        std::thread::park();
    }
}

/// Submits `crash` beside 10 ordinary tasks on a 2-worker pool and checks the
/// outcome; returns the crashed worker's pid and the status seen.
fn crash_beside_ten(
    pool: &ProcessPool,
    crash: impl FnOnce(&ProcessPool) -> Future<u64>,
) -> (u32, ExitStatus) {
    let before = pool.worker_pids();
    let crashed = crash(pool);
    let others: Vec<Future<u64>> = (0..10).map(|i| pool.submit(square, i)).collect();
    let err = crashed.result(LONG).unwrap_err();
    let Error::WorkerLost {
        pid,
        status,
        attempts,
        cause,
    } = err
    else {
        panic!("expected WorkerLost, got {err:?}")
    };
    assert_eq!(attempts, 1, "no retries: one attempt");
    assert_eq!(cause, LostCause::Died, "a crash, not an overflow");
    assert!(
        before.contains(&pid),
        "the pid of one of the pool's workers: {pid} not in {before:?}"
    );
    for (i, f) in others.iter().enumerate() {
        assert_eq!(
            f.result(LONG),
            Ok(i as u64 * i as u64),
            "task {i} beside the crash"
        );
    }
    // The pool takes new work, on a replaced worker.
    assert_eq!(pool.submit(square, 12).result(LONG), Ok(144));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pids = pool.worker_pids();
        if pids.len() == 2 && !pids.contains(&pid) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the lost worker is replaced: {pids:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    (pid, status)
}

fn pool() -> ProcessPool {
    ProcessPool::builder().max_workers(2).build().unwrap()
}

#[test]
fn abort_loses_only_its_task() {
    let (_, status) = crash_beside_ten(&pool(), |p| p.submit(abort, ()));
    assert_eq!(status, ExitStatus::Signal(libc::SIGABRT));
}

#[test]
fn segfault_loses_only_its_task() {
    let (_, status) = crash_beside_ten(&pool(), |p| p.submit(segfault, ()));
    assert_eq!(status, ExitStatus::Signal(libc::SIGSEGV));
}

#[test]
fn exit_loses_only_its_task() {
    let (_, status) = crash_beside_ten(&pool(), |p| p.submit(exit, 3));
    assert_eq!(status, ExitStatus::Code(3));
}

#[test]
fn sigkill_from_outside_loses_only_its_task() {
    let path: PathBuf = std::env::temp_dir().join(format!("concur-hang-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let path_s = path.to_str().unwrap().to_owned();
    let (pid, status) = crash_beside_ten(&pool(), |p| {
        let f = p.submit(hang, path_s.clone());
        let deadline = Instant::now() + Duration::from_secs(30);
        let pid: i32 = loop {
            if let Some(pid) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|s| s.parse().ok())
            {
                break pid;
            }
            assert!(Instant::now() < deadline, "the hanging task starts");
            std::thread::sleep(Duration::from_millis(2));
        };
        // SAFETY: kill has no memory effects; `pid` is the pool's worker.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
        f
    });
    let _ = std::fs::remove_file(&path);
    assert_eq!(status, ExitStatus::Signal(libc::SIGKILL));
    assert!(pid > 0);
}

// as test_process_pool.py / ExecutorDeadlockTest: Python breaks the whole pool.
#[test]
fn break_on_worker_loss_breaks_the_pool() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .break_on_worker_loss(true)
        .build()
        .unwrap();
    let crashed = pool.submit(abort, ());
    let pending: Vec<Future<u64>> = (0..5).map(|i| pool.submit(square, i)).collect();
    assert!(matches!(
        crashed.result(LONG),
        Err(Error::WorkerLost { .. })
    ));
    for f in &pending {
        match f.result(LONG) {
            Err(Error::Broken { reason }) => assert!(reason.contains("lost"), "{reason}"),
            other => panic!("a pending task of a broken pool: {other:?}"),
        }
    }
    assert!(matches!(
        pool.submit(square, 1).result(LONG),
        Err(Error::Broken { .. })
    ));
    assert!(matches!(
        pool.try_submit(square, 1),
        Err(Error::Broken { .. })
    ));
}
