//! MpiPool's own behaviour beyond the conformance suite, on a real MPI job
//! (the binary relaunches itself under `mpirun -n 3`): where tasks run, the
//! initializer, many pools at once, payloads above MPI's eager limit, tasks
//! sent ahead behind a long task, the handshake refusing a rank that runs
//! another binary, and the error outside a launcher.

mod common;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::Duration;

use concur_core::{Error, Executor, MapOptions};
use concur_mpi::MpiPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// The rank the task runs on, as its launcher told it.
fn my_rank(_: ()) -> u32 {
    std::env::var("OMPI_COMM_WORLD_RANK")
        .or_else(|_| std::env::var("PMI_RANK"))
        .ok()
        .and_then(|r| r.parse().ok())
        .expect("a rank variable on a worker rank")
}

#[test]
fn tasks_run_on_the_worker_ranks_never_on_rank_0() {
    let pool = MpiPool::builder().max_workers(2).build().unwrap();
    let ranks: BTreeSet<u32> = pool
        .map(my_rank, vec![(); 200], MapOptions::new())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(!ranks.contains(&0), "{ranks:?}");
    assert!(ranks.is_subset(&BTreeSet::from([1, 2])), "{ranks:?}");
    // Two workers are two threads on two different ranks.
    assert_eq!(MpiPool::worker_ranks(), Ok(2));
}

thread_local! {
    static LEVEL: Cell<u64> = const { Cell::new(0) };
}

fn set_level(level: u64) {
    LEVEL.with(|l| l.set(level));
}

fn read_level(_: ()) -> u64 {
    LEVEL.with(Cell::get)
}

fn refuse(_: u64) {
    panic!("no configuration on this rank");
}

#[test]
fn the_initializer_runs_in_every_worker_thread_before_its_tasks() {
    // 4 threads on 2 ranks: two per rank, each initialized alone.
    let pool = MpiPool::builder()
        .max_workers(4)
        .initializer(set_level, 7)
        .build()
        .unwrap();
    let levels: Vec<u64> = pool
        .map(read_level, vec![(); 100], MapOptions::new())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(levels, vec![7; 100]);
}

#[test]
fn a_failing_initializer_breaks_its_pool_and_no_other() {
    let healthy = MpiPool::builder().max_workers(2).build().unwrap();
    let broken = MpiPool::builder()
        .max_workers(2)
        .initializer(refuse, 1)
        .build()
        .unwrap();
    let err = broken.submit(read_level, ()).result(LONG).unwrap_err();
    assert!(
        matches!(&err, Error::Broken { reason } if reason.contains("initializer failed on rank")
            && reason.contains("no configuration on this rank")),
        "{err:?}"
    );
    assert_eq!(healthy.submit(read_level, ()).result(LONG), Ok(0));
    broken.shutdown(true, false);
}

fn checksum(bytes: Vec<u8>) -> Vec<u8> {
    bytes.iter().map(|b| b.wrapping_mul(3)).collect()
}

#[test]
fn payloads_above_the_eager_limit_cross_both_ways_at_once() {
    // 4 MiB each way on both workers at once: with blocking sends, rank 0
    // and a worker each sending a large message would wait on each other.
    let pool = MpiPool::builder()
        .max_workers(2)
        .inflight_per_worker(3)
        .build()
        .unwrap();
    let input: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
    let expected = checksum(input.clone());
    let futures: Vec<_> = (0..6)
        .map(|_| pool.submit(checksum, input.clone()))
        .collect();
    for f in futures {
        assert!(
            f.result(LONG).unwrap() == expected,
            "a 4 MiB result arrived changed"
        );
    }
}

fn square(x: u64) -> u64 {
    x * x
}

#[test]
fn many_pools_on_many_threads_share_the_ranks() {
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            std::thread::spawn(move || {
                let pool = MpiPool::builder().max_workers(2).build().unwrap();
                let got: Vec<u64> = pool
                    .map(
                        square,
                        t * 1000..t * 1000 + 300,
                        MapOptions::new().chunksize(7),
                    )
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect();
                let want: Vec<u64> = (t * 1000..t * 1000 + 300).map(square).collect();
                assert_eq!(got, want, "pool of thread {t}");
                pool.stats()
            })
        })
        .collect();
    for t in threads {
        let stats = t.join().unwrap();
        assert_eq!(stats.completed, 300_u64.div_ceil(7));
        assert_eq!(stats.failed + stats.queued + stats.running, 0);
    }
}

/// Connects to `port` on rank 0's host and waits for one byte.
fn blocked_on(port: u16) -> u64 {
    let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    let mut b = [0u8];
    c.read_exact(&mut b).unwrap();
    u64::from(b[0])
}

#[test]
fn tasks_sent_ahead_behind_a_long_task_run_elsewhere() {
    let pool = MpiPool::builder()
        .max_workers(2)
        .inflight_per_worker(8)
        .build()
        .unwrap();
    // Short tasks first, so both workers are sent tasks ahead.
    for f in (0..20).map(|x| pool.submit(square, x)).collect::<Vec<_>>() {
        f.result(LONG).unwrap();
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let long = pool.submit(blocked_on, port);
    let quick: Vec<_> = (0..50).map(|x| pool.submit(square, x)).collect();
    let (mut conn, _) = listener.accept().unwrap();
    // The long task has started and holds its worker until it gets its byte:
    // every quick task must still finish, on the other worker.
    for (x, f) in quick.iter().enumerate() {
        assert_eq!(f.result(LONG), Ok((x * x) as u64), "quick task {x}");
    }
    assert!(!long.is_done());
    conn.write_all(&[9]).unwrap();
    assert_eq!(long.result(LONG), Ok(9));
}

/// Set on rank 0 of the job where rank 1 runs a modified copy of the binary.
const MISMATCH: &str = "CONCUR_MPI_TEST_MISMATCH";

/// A command for a child that must not look like part of this MPI job.
fn without_launcher_vars(mut cmd: std::process::Command) -> std::process::Command {
    for (key, _) in std::env::vars_os() {
        let key_str = key.to_string_lossy();
        if ["OMPI_", "PMIX_", "PMI_"]
            .iter()
            .any(|p| key_str.starts_with(p))
        {
            cmd.env_remove(&key);
        }
    }
    cmd
}

#[test]
fn a_rank_running_another_binary_is_refused() {
    if std::env::var_os(MISMATCH).is_some() {
        let err = MpiPool::new().unwrap_err();
        assert!(
            matches!(&err, Error::Broken { reason } if reason.contains("rank 1 runs another executable")),
            "{err:?}"
        );
        return;
    }
    // A copy of this binary with one byte more: the same code, so its
    // pre-main hook makes it a worker, but not the same executable.
    let exe = std::env::current_exe().unwrap();
    let copy = std::env::temp_dir().join(format!("concur-mpi-other-{}", std::process::id()));
    std::fs::copy(&exe, &copy).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&copy)
        .unwrap()
        .write_all(&[0])
        .unwrap();
    let mut mpirun = std::process::Command::new("mpirun");
    mpirun
        .args(["--oversubscribe", "-n", "1"])
        .arg(&exe)
        .args(["--exact", "a_rank_running_another_binary_is_refused"])
        .args([":", "-n", "1"])
        .arg(&copy);
    let mut mpirun = without_launcher_vars(mpirun);
    mpirun
        .env(MISMATCH, "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    let out = mpirun.output().unwrap();
    let _ = std::fs::remove_file(&copy);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}{stderr}");
    assert!(
        stderr.contains("refused by rank 0"),
        "the refused rank says so: {stderr}"
    );
}

#[test]
fn outside_an_mpi_launcher_the_error_says_how_to_start() {
    if std::env::var_os(common::NO_RELAUNCH).is_some() {
        let err = MpiPool::new().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { message } if message.contains("mpirun -n N")),
            "{err:?}"
        );
        assert!(!concur_mpi::launched());
        return;
    }
    // Rank 0 runs this test binary again, without the launcher's variables.
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "outside_an_mpi_launcher_the_error_says_how_to_start",
        ])
        .env(common::NO_RELAUNCH, "1");
    for (key, _) in std::env::vars_os() {
        let key_str = key.to_string_lossy();
        if ["OMPI_", "PMIX_", "PMI_"]
            .iter()
            .any(|p| key_str.starts_with(p))
        {
            child.env_remove(&key);
        }
    }
    let out = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}
