//! procspawn's `Pool` beside concur-process: W1 (tiny tasks one by one), W2
//! (squares in chunks of 1000, one task per chunk, as `map(chunksize = 1000)`)
//! and W6 (start a 2-process pool, one task, shut down). procspawn's workers are
//! this binary re-executed too: `procspawn::init()` runs first thing in `main`.

use super::{Config, Record, time};

fn ident(x: u64) -> u64 {
    x
}

fn squares(range: (u64, u64)) -> Vec<u64> {
    (range.0..range.1).map(|x| x * x).collect()
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn pool(workers: usize) -> procspawn::Pool {
    procspawn::Pool::new(workers).expect("a procspawn pool")
}

/// Runs every workload the config asks for.
pub(crate) fn run(config: &Config) -> Vec<Record> {
    let mut records = Vec::new();
    if config.wants("W1") {
        let n = config.n(20_000);
        let pool = pool(workers());
        for i in 0..10 {
            assert_eq!(pool.spawn(i, ident).join().ok(), Some(i));
        }
        let sample = config.sample(|| {
            time(|| {
                let handles: Vec<_> = (0..n).map(|i| pool.spawn(i, ident)).collect();
                for (i, h) in (0..n).zip(handles) {
                    assert_eq!(h.join().ok(), Some(i));
                }
            })
        });
        pool.shutdown();
        records.push(Record::new("W1", "procspawn-pool", n, sample).with("workers", workers()));
    }
    if config.wants("W2") {
        let n = config.n(1_000_000);
        let expected: u128 = (0..u128::from(n)).map(|x| x * x).sum();
        let pool = pool(workers());
        let sample = config.sample(|| {
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
        });
        pool.shutdown();
        records.push(Record::new("W2", "procspawn-pool", n, sample).with("chunksize", 1000));
    }
    if config.wants("W6") {
        let reps = config.reps.max(10);
        let sample = Config {
            reps,
            ..config.clone()
        }
        .sample(|| {
            time(|| {
                let pool = pool(2);
                assert_eq!(pool.spawn(7, ident).join().ok(), Some(7));
                pool.shutdown();
            })
        });
        records.push(Record::new("W6", "procspawn-pool", 1, sample).with("workers", 2));
    }
    records
}
