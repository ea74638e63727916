//! Inside a worker, Rust's conventions hold as they would in `main`: a write
//! to a closed pipe is an `EPIPE` error (SIGPIPE ignored), a stack overflow is
//! reported as one and aborts (not a bare SIGSEGV), and a process a task starts
//! from the same binary is not taken for a worker (it runs `main`).

use std::io::Write;
use std::time::Duration;

use concur_core::{Error, Executor, ExitStatus, LostCause};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

fn write_to_closed_pipe(_: ()) -> String {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two descriptors; close takes one of them.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
    }
    // SAFETY: fds[1] is the write end just created and owned by nobody else.
    let mut w = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) };
    match w.write_all(b"x") {
        Ok(()) => "written".into(),
        Err(e) => format!("{:?}", e.kind()),
    }
}

#[inline(never)]
fn recurse(n: u64) -> u64 {
    let pad = std::hint::black_box([n; 64]);
    if n == 0 {
        pad[1]
    } else {
        recurse(n - 1).wrapping_add(pad[0])
    }
}

fn abort(_: ()) -> u64 {
    std::process::abort()
}

fn overflow(_: ()) -> u64 {
    recurse(u64::MAX)
}

/// Runs this test binary (it inherited the worker's environment) to list its
/// tests: it must run `main`, not become a worker.
fn run_self(_: ()) -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--list")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sigpipe_is_ignored_as_in_main() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let pid = pool.worker_pids();
    assert_eq!(
        pool.submit(write_to_closed_pipe, ()).result(LONG),
        Ok("BrokenPipe".to_owned())
    );
    assert_eq!(pool.worker_pids(), pid, "the worker lives on");
}

#[test]
fn a_stack_overflow_aborts_as_in_main() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let err = pool.submit(overflow, ()).result(LONG).unwrap_err();
    match &err {
        Error::WorkerLost {
            status,
            attempts,
            cause,
            ..
        } => {
            assert_eq!(
                *status,
                ExitStatus::Signal(libc::SIGABRT),
                "not a bare SIGSEGV"
            );
            assert_eq!(*cause, LostCause::StackOverflow, "reported as such");
            assert_eq!(*attempts, 1);
        }
        other => panic!("expected WorkerLost, got {other:?}"),
    }
    assert!(
        err.to_string().contains("overflowed the worker's stack"),
        "{err}"
    );
    // The next worker starts with a clear flag: an ordinary crash after an
    // overflow is not taken for one.
    match pool.submit(abort, ()).result(LONG) {
        Err(Error::WorkerLost { cause, .. }) => assert_eq!(cause, LostCause::Died),
        other => panic!("expected WorkerLost, got {other:?}"),
    }
}

#[test]
fn a_process_a_task_starts_is_not_a_worker() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let listed = pool.submit(run_self, ()).result(LONG).unwrap();
    assert!(
        listed.contains("a_process_a_task_starts_is_not_a_worker: test"),
        "{listed}"
    );
}
