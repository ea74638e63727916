//! procspawn's `Pool` beside concur-process: W1 (tiny tasks one by one), W2
//! (squares in chunks of 1000, one task per chunk, as `map(chunksize = 1000)`)
//! and W6 (start a 2-process pool, one task, shut down). procspawn's workers are
//! this binary re-executed too: [`init`] runs first thing in `main`.
//!
//! Every pending procspawn task holds two IPC channels, four file descriptors,
//! until it is joined: W1's full size (20 000 tasks submitted before the first
//! is read) needs 80 000. [`init`] raises the soft limit on open files to the
//! hard one, and W1 is capped to what then fits, said in its `note`.

use super::work::{ident, squares};
use crate::config::Config;
use crate::runner::{Bench, time};

/// Lets procspawn take over when this process is one of its workers, then
/// raises the soft limit on open files to the hard limit.
pub(crate) fn init() {
    procspawn::init();
    // SAFETY: `rlimit` is plain data for which all-zero bytes are valid.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `limit` is a valid, writable `rlimit`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `limit` is a valid `rlimit` whose soft limit does not exceed
        // its hard limit; failing leaves the old limit, which `max_pending` reads.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    }
}

/// Descriptors each pending procspawn task holds.
const FDS_PER_TASK: u64 = 4;

/// How many tasks can be pending at once within the open-file limit, leaving
/// room for everything else the run has open.
fn max_pending() -> u64 {
    // SAFETY: `rlimit` is plain data for which all-zero bytes are valid.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `limit` is a valid, writable `rlimit`.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur
    } else {
        1024
    };
    (soft.saturating_sub(1024) / FDS_PER_TASK).max(100)
}

fn pool(workers: usize) -> procspawn::Pool {
    procspawn::Pool::new(workers).expect("a procspawn pool")
}

/// This suite's implementations of `workload`.
pub(crate) fn benches(workload: &str, config: &Config) -> Vec<Bench> {
    match workload {
        "W1" => vec![w1(config)],
        "W2" => vec![w2(config)],
        "W6" => vec![w6(config)],
        _ => Vec::new(),
    }
}

fn w1(config: &Config) -> Bench {
    let wanted = config.n(20_000);
    let n = wanted.min(max_pending());
    let workers = config.workers();
    let pool = pool(workers);
    for i in 0..10 {
        assert_eq!(pool.spawn(i, ident).join().ok(), Some(i));
    }
    let bench = Bench::new("procspawn-pool", n, move || {
        time(|| {
            let handles: Vec<_> = (0..n).map(|i| pool.spawn(i, ident)).collect();
            for (i, h) in (0..n).zip(handles) {
                assert_eq!(h.join().ok(), Some(i));
            }
        })
    });
    cut_note(bench, wanted, n).with("workers", workers)
}

/// Says when W1 was cut to fit the open-file limit.
fn cut_note(bench: Bench, wanted: u64, n: u64) -> Bench {
    if n < wanted {
        bench.with(
            "note",
            format!(
                "n cut from {wanted} to fit the open-file limit ({FDS_PER_TASK} per pending task)"
            ),
        )
    } else {
        bench
    }
}

fn w2(config: &Config) -> Bench {
    let n = config.n(1_000_000);
    let expected: u128 = (0..u128::from(n)).map(|x| x * x).sum();
    let workers = config.workers();
    let pool = pool(workers);
    Bench::new("procspawn-pool", n, move || {
        time(|| {
            let handles: Vec<_> = (0..n)
                .step_by(1000)
                .map(|lo| pool.spawn((lo, (lo + 1000).min(n)), squares))
                .collect();
            let total: u128 = handles
                .into_iter()
                .flat_map(|h| h.join().expect("squares does not fail"))
                .map(u128::from)
                .sum();
            assert_eq!(total, expected);
        })
    })
    .with("chunksize", 1000)
    .with("workers", workers)
}

fn w6(config: &Config) -> Bench {
    Bench::new("procspawn-pool", 1, || {
        time(|| {
            let pool = pool(2);
            assert_eq!(pool.spawn(7, ident).join().ok(), Some(7));
            pool.shutdown();
        })
    })
    .with("workers", 2)
    .reps(config.reps_at_least(10))
}
