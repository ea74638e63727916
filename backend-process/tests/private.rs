//! Only the pool's own workers can join it: a worker of another build of the
//! binary is refused, and once a worker has joined, the rendezvous it used is
//! gone, so a process that learns its name (here from the worker's environment,
//! the best an attacker of the same user could do) cannot connect.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
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
fn an_impostor_cannot_join_a_running_pool() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    assert_eq!(
        pool.submit(ident, 1).result(Some(Duration::from_secs(30))),
        Ok(1)
    );
    let worker = pool.worker_pids()[0];
    let server =
        environ_var(worker, "CONCUR_PROCESS_SERVER").expect("the worker's initial environment");
    let token =
        environ_var(worker, "CONCUR_PROCESS_TOKEN").expect("the worker's initial environment");
    assert!(
        !std::path::Path::new(&server).exists(),
        "the one-shot rendezvous is removed once used: {server}"
    );

    // Even with the stolen name and token, an impostor (this binary in worker
    // mode) cannot connect, and exits.
    let status = Command::new(std::env::current_exe().unwrap())
        .env("CONCUR_PROCESS_SERVER", &server)
        .env("CONCUR_PROCESS_TOKEN", &token)
        .env("CONCUR_PROCESS_PARENT", std::process::id().to_string())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(70),
        "the impostor could not join: {status:?}"
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
