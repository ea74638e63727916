//! Only the pool's own workers can join it: a worker of another build of the
//! binary is refused, and a worker's socket has no name and cannot be opened
//! through `/proc` (what a process of the same user reading `/proc` could try).

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use concur_core::{Error, Executor};
use concur_process::ProcessPool;

fn ident(x: u32) -> u32 {
    x
}

#[test]
fn a_worker_of_another_binary_file_is_refused() {
    // A byte-identical copy is another file (another inode, another mtime): the
    // pool only trusts the executable it runs from.
    let copy = std::env::temp_dir().join(format!("concur-process-copy-{}", std::process::id()));
    std::fs::copy(std::env::current_exe().unwrap(), &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o700)).unwrap();
    let result = ProcessPool::builder().max_workers(1).program(&copy).build();
    let _ = std::fs::remove_file(&copy);
    match result {
        Err(Error::Broken { reason }) => assert!(reason.contains("different build"), "{reason}"),
        other => panic!("expected a refused worker, got {other:?}"),
    }
}

fn environ_var(pid: u32, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    environ.split(|b| *b == 0).find_map(|kv| {
        let kv = std::str::from_utf8(kv).ok()?;
        kv.strip_prefix(name)?.strip_prefix('=').map(str::to_owned)
    })
}

#[test]
fn a_workers_socket_cannot_be_reached_from_proc() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    assert_eq!(
        pool.submit(ident, 1).result(Some(Duration::from_secs(30))),
        Ok(1)
    );
    let worker = pool.worker_pids()[0];
    // All the environment tells is which descriptor the worker inherited.
    let fd = environ_var(worker, "CONCUR_PROCESS_FD").expect("the worker's environment");
    let path = format!("/proc/{worker}/fd/{fd}");
    let target = std::fs::read_link(&path).expect("the worker's descriptor");
    assert!(
        target.to_string_lossy().starts_with("socket:"),
        "{path} -> {}",
        target.display()
    );
    // A socket has no name to connect to, and cannot be opened through /proc.
    let err = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .expect_err("a socket cannot be opened through /proc");
    assert_eq!(err.raw_os_error(), Some(libc::ENXIO), "{err}");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{worker}/fd")).unwrap() {
        if let Ok(t) = std::fs::read_link(entry.unwrap().path()) {
            names.push(t);
        }
    }
    let named_socket = |t: &std::path::PathBuf| {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(t).is_ok_and(|m| m.file_type().is_socket())
    };
    assert!(
        !names.iter().any(named_socket),
        "no descriptor of the worker is a socket with a name: {names:?}"
    );
    assert_eq!(pool.worker_pids(), vec![worker]);
    assert_eq!(
        pool.submit(ident, 2).result(Some(Duration::from_secs(30))),
        Ok(2),
        "the pool is unaffected"
    );
}

#[test]
fn a_program_that_never_connects_is_reported() {
    // What a binary without the pre-main hook (and without `init()`) looks like
    // to the pool: a child that exits without connecting.
    match ProcessPool::builder()
        .max_workers(1)
        .program("/bin/true")
        .build()
    {
        Err(Error::Broken { reason }) => {
            assert!(
                reason.contains("did not connect") && reason.contains("init()"),
                "{reason}"
            )
        }
        other => panic!("expected a clear error, got {other:?}"),
    }
}
