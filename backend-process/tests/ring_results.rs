//! Results that sit in a worker's result ring (written, not yet announced)
//! when the worker dies are delivered, exactly once: the pool drains the ring
//! of a dead worker before it settles the tasks the worker held. And a result
//! at either side of the ring's inline limit (a frame of 32 KiB: below it the
//! ring, above it the socket) arrives intact.
//!
//! The deaths are arranged so that results are unannounced when they happen:
//! on a 1-worker pool whose worker is fast (so tasks are sent ahead to it), a
//! gate task holds the worker while `k` short tasks, a task that aborts its
//! worker and more short tasks are sent ahead behind it; the gate opens as
//! soon as they are submitted (while the worker's reader still watches its
//! ring, having just received them), the short tasks finish in microseconds,
//! each result written to the ring and (fewer than half a window, the worker
//! still busy) left for the next doorbell, which the abort comes before.
//! Each run appends a record to an `O_APPEND` log, so a task run twice
//! shows. (Without the drain of a dead worker's ring, this fails: "task 5
//! ran 2 times".)

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use concur_core::{Error, Executor, Future};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// Records its run in `log`, sleeps `ms`, returns 2x.
fn work((x, ms, log): (u64, u64, String)) -> u64 {
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(format!("#{x:014}\n").as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    x * 2
}

/// Records its run, waits for the file `open` to exist, returns 2x.
fn gate((x, open, log): (u64, String, String)) -> u64 {
    work((x, 0, log));
    while !std::path::Path::new(&open).exists() {
        std::thread::sleep(Duration::from_micros(20));
    }
    x * 2
}

/// Ends its worker at once.
fn die(_: ()) -> u64 {
    std::process::abort()
}

fn runs(log: &str) -> HashMap<u64, u32> {
    let mut runs = HashMap::new();
    for record in std::fs::read_to_string(log).unwrap().split('#').skip(1) {
        *runs.entry(record.trim().parse().unwrap()).or_default() += 1;
    }
    runs
}

#[test]
fn results_in_the_ring_of_a_dead_worker_are_delivered_exactly_once() {
    let dir = std::env::temp_dir().join(format!("concur-ring-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let mut next = 0u64;
    for k in 0..10u64 {
        let log = dir.join(format!("{k}.log"));
        std::fs::write(&log, "").unwrap();
        let log = log.to_string_lossy().into_owned();
        let mut submit = |ms: u64| {
            next += 1;
            (next, pool.submit(work, (next, ms, log.clone())))
        };
        // Warm up: the worker is fast, so what follows is sent ahead.
        for _ in 0..4 {
            let (x, f) = submit(0);
            assert_eq!(f.result(LONG), Ok(x * 2));
        }
        let open = dir.join(format!("{k}.open")).to_string_lossy().into_owned();
        next += 1;
        let mut before: Vec<(u64, Future<u64>)> =
            vec![(next, pool.submit(gate, (next, open.clone(), log.clone())))];
        let mut submit = |ms: u64| {
            next += 1;
            (next, pool.submit(work, (next, ms, log.clone())))
        };
        before.extend((0..k).map(|_| submit(0)));
        let dead = pool.submit(die, ());
        let after: Vec<(u64, Future<u64>)> = (0..5).map(|_| submit(0)).collect();
        std::fs::write(&open, "").unwrap();
        assert!(
            matches!(
                dead.result(LONG),
                Err(Error::WorkerLost { attempts: 1, .. })
            ),
            "the task that aborted is lost"
        );
        for (x, f) in before.into_iter().chain(after) {
            assert_eq!(f.result(LONG), Ok(x * 2), "task {x} (k = {k})");
        }
        for (x, n) in runs(&log) {
            assert_eq!(n, 1, "task {x} ran {n} times (k = {k})");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + n) as u8).collect()
}

#[test]
fn results_around_the_inline_limit_arrive_intact() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    const LIMIT: usize = 32 * 1024;
    // Every size from well below to well above the limit, whatever the
    // frame's header takes: the frame exactly at it and one byte over are
    // among them. Submitted all at once, so the ring also fills up and
    // results fall back to the socket behind ones still in the ring.
    let futures: Vec<(usize, Future<Vec<u8>>)> = (LIMIT - 64..=LIMIT + 64)
        .map(|n| (n, pool.submit(bytes, n)))
        .collect();
    for (n, f) in futures {
        assert_eq!(f.result(LONG), Ok(bytes(n)), "a result of {n} bytes");
    }
}
