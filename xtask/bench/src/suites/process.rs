//! W1, W2, W3, W4, W6 and W7 for `concur-process`. The workers are this bench
//! binary re-executed (intercepted before `main` by concur-process's hook).
//! Python's `ProcessPoolExecutor` and `multiprocessing.Pool` are measured by the
//! python suite; procspawn's `Pool` by its own. Beside W1 and W2, the messages
//! those workloads put on the wire are encoded and decoded with bincode 2
//! (concur-process's codec) and with postcard, so the codec stays a measured
//! choice.
//!
//! W2 runs twice too: through `map(chunksize 1000)`, and with the same chunks
//! submitted by hand (`submit(Vec<u64>)`, anchored to the first), so that what
//! `map` adds over its chunks is a measured figure.
//!
//! W1 runs twice, interleaved: as configured by default, and with `retries(3)`
//! (anchored to the first), so that what `retries` costs when no worker is
//! lost is a measured figure.
//!
//! The allocation columns count the parent only.

use std::hint::black_box;
use std::time::{Duration, Instant};

use concur_core::{Error, Executor, MapOptions};
use concur_process::ProcessPool;

use super::work::{PRIMES, PRIMES_EXPECTED, abort, count_primes, ident, is_prime, square};
use crate::config::Config;
use crate::runner::{Bench, time};

fn pool(workers: usize) -> ProcessPool {
    ProcessPool::builder()
        .max_workers(workers)
        .build()
        .expect("a process pool")
}

/// The `retries` of W1's second line.
const W1_RETRIES: u32 = 3;

/// This suite's implementations of `workload`.
pub(crate) fn benches(workload: &str, config: &Config) -> Vec<Bench> {
    match workload {
        "W1" => {
            let mut benches = vec![w1(config, 0), w1(config, W1_RETRIES)];
            benches.extend(codecs(config.n(200_000), &Message::w1()));
            benches
        }
        "W2" => {
            let mut benches = vec![w2(config), w2_by_hand(config)];
            // A message a thousand times larger: a tenth of the count.
            benches.extend(codecs(config.n(20_000), &Message::w2()));
            benches
        }
        "W3" => vec![w3(config)],
        "W4" => vec![w4(config)],
        "W6" => vec![w6(config)],
        "W7" => vec![w7()],
        _ => Vec::new(),
    }
}

/// W1 on a pool with `retries` (0: the default pool, anchored to procspawn;
/// otherwise anchored to the default pool: the cost of `retries` when no
/// worker is lost).
fn w1(config: &Config, retries: u32) -> Bench {
    let n = config.n(20_000);
    let workers = config.workers();
    let pool = ProcessPool::builder()
        .max_workers(workers)
        .retries(retries)
        .build()
        .expect("a process pool");
    for i in 0..10 {
        assert_eq!(pool.submit(ident, i).into_result(), Ok(i));
    }
    let name = match retries {
        0 => "concur-process".to_owned(),
        r => format!("concur-process-retries{r}"),
    };
    let bench = Bench::new(&name, n, move || {
        time(|| {
            let futures: Vec<_> = (0..n).map(|i| pool.submit(ident, i)).collect();
            for (i, f) in (0..n).zip(futures) {
                assert_eq!(f.into_result(), Ok(i));
            }
        })
    })
    .with("workers", workers);
    match retries {
        0 => bench.anchor("procspawn-pool"),
        r => bench.anchor("concur-process").with("retries", r).with(
            "note",
            "retries set, no worker lost: their cost when unused",
        ),
    }
}

fn w2(config: &Config) -> Bench {
    let n = config.n(1_000_000);
    let expected: u128 = (0..u128::from(n)).map(|x| x * x).sum();
    let workers = config.workers();
    let pool = pool(workers);
    Bench::new("concur-process", n, move || {
        time(|| {
            let total: u128 = pool
                .map(square, 0..n, MapOptions::new().chunksize(1000))
                .expect("valid options")
                .map(|r| u128::from(r.expect("square does not fail")))
                .sum();
            assert_eq!(total, expected);
        })
    })
    .anchor("procspawn-pool")
    .with("chunksize", 1000)
    .with("workers", workers)
}

/// W2's chunks submitted by hand, one `submit(Vec<u64>)` per 1 000 items and
/// the squares summed from the returned `Vec`s: what `map(chunksize 1000)`
/// does underneath, without its bookkeeping (per-item results in order, one
/// `Result` per item). `map` should stay within 1.5× of it.
fn w2_by_hand(config: &Config) -> Bench {
    let n = config.n(1_000_000);
    let expected: u128 = (0..u128::from(n)).map(|x| x * x).sum();
    let workers = config.workers();
    let pool = pool(workers);
    Bench::new("concur-process-hand-chunks", n, move || {
        time(|| {
            let futures: Vec<_> = (0..n)
                .step_by(1000)
                .map(|lo| pool.submit(square_all, (lo..(lo + 1000).min(n)).collect()))
                .collect();
            let total: u128 = futures
                .into_iter()
                .flat_map(|f| f.into_result().expect("square_all does not fail"))
                .map(u128::from)
                .sum();
            assert_eq!(total, expected);
        })
    })
    .anchor("concur-process")
    .with("chunksize", 1000)
    .with("workers", workers)
    .with(
        "note",
        "map(chunksize 1000) is within 1.5x of this when this ratio is at least 0.67",
    )
}

/// The squares of a chunk, as one task.
fn square_all(items: Vec<u64>) -> Vec<u64> {
    items.into_iter().map(square).collect()
}

/// One `count_primes` task per worker, the pool created inside the timing; the
/// speedup is against the threads suite's `serial` (the same calls in a row).
fn w3(config: &Config) -> Bench {
    let limit = config.w3_limit();
    let tasks = config.w3_tasks();
    let expected = count_primes(limit);
    Bench::new("concur-process", limit, move || {
        time(|| {
            let pool = pool(tasks);
            let futures: Vec<_> = (0..tasks)
                .map(|_| pool.submit(count_primes, limit))
                .collect();
            for f in futures {
                assert_eq!(f.into_result(), Ok(expected));
            }
        })
    })
    .with("tasks", tasks)
}

fn w4(config: &Config) -> Bench {
    let workers = config.workers();
    Bench::new("concur-process", PRIMES.len() as u64, move || {
        time(|| {
            let pool = pool(workers);
            let got: Vec<bool> = pool
                .map(is_prime, PRIMES, MapOptions::new().chunksize(4))
                .expect("valid options")
                .map(|r| r.expect("is_prime does not fail"))
                .collect();
            assert_eq!(got, PRIMES_EXPECTED);
            pool.shutdown(true, false);
        })
    })
    .with("chunksize", 4)
    .with("workers", workers)
}

fn w6(config: &Config) -> Bench {
    Bench::new("concur-process", 1, || {
        time(|| {
            let pool = pool(2);
            assert_eq!(pool.submit(ident, 7).into_result(), Ok(7));
            pool.shutdown(true, false);
        })
    })
    .anchor("procspawn-pool")
    .with("workers", 2)
    .reps(config.reps_at_least(10))
}

/// One task aborts its worker while 10 others run on a 2-worker pool: which
/// futures fail, with what, and whether the pool takes work afterwards.
fn w7() -> Bench {
    Bench::observing("concur-process", 11, |extra| {
        let start = Instant::now();
        let pool = pool(2);
        let crash = pool.submit(abort, 0);
        let others: Vec<_> = (0..10).map(|i| pool.submit(square, i)).collect();
        let crash_error = match crash.into_result() {
            Err(Error::WorkerLost { status, .. }) => format!("WorkerLost ({status})"),
            other => format!("unexpected: {other:?}"),
        };
        let others_ok = others
            .into_iter()
            .filter(|f| f.result(Some(Duration::from_secs(60))).is_ok())
            .count();
        let after = pool.submit(square, 12).into_result() == Ok(144);
        pool.shutdown(true, false);
        let took = start.elapsed();
        extra.insert("crashed_task".into(), crash_error.into());
        extra.insert("others_ok".into(), others_ok.into());
        extra.insert("accepts_work_after".into(), after.into());
        took
    })
    .reps(1)
}

/// The shape of a task message on concur-process's wire: a `Run` header (task
/// id, function and trampoline offsets, where the payload is) and the encoded
/// argument: W1's `u64`, or W2's chunk of 1 000 `u64`s.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Message {
    id: u64,
    func: i64,
    tramp: i64,
    inline: bool,
    arg: Vec<u64>,
}

impl Message {
    fn w1() -> Message {
        Message {
            id: 123_456,
            func: -73_216,
            tramp: 1_048_576,
            inline: true,
            arg: vec![123_456],
        }
    }

    fn w2() -> Message {
        Message {
            arg: (500_000..501_000).collect(),
            ..Message::w1()
        }
    }
}

/// Encodes and decodes `message` n times with each codec.
fn codecs(n: u64, message: &Message) -> Vec<Bench> {
    let bincode_config = bincode::config::standard();
    let bincode_len = bincode::serde::encode_to_vec(message, bincode_config)
        .expect("encodes")
        .len();
    let postcard_len = postcard::to_stdvec(message).expect("encodes").len();
    let ours = message.clone();
    let bincode = Bench::new("codec-bincode2", n, move || {
        time(|| {
            for _ in 0..n {
                let bytes = bincode::serde::encode_to_vec(black_box(&ours), bincode_config)
                    .expect("encodes");
                let (back, _): (Message, usize) =
                    bincode::serde::decode_from_slice(&bytes, bincode_config).expect("decodes");
                black_box(back);
            }
        })
    });
    let theirs = message.clone();
    let postcard = Bench::new("codec-postcard", n, move || {
        time(|| {
            for _ in 0..n {
                let bytes = postcard::to_stdvec(black_box(&theirs)).expect("encodes");
                let back: Message = postcard::from_bytes(&bytes).expect("decodes");
                black_box(back);
            }
        })
    });
    let note = "encode + decode of the task message, no IPC";
    vec![
        bincode.with("bytes", bincode_len).with("note", note),
        postcard.with("bytes", postcard_len).with("note", note),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w1_w2_w6_and_w7_run_against_real_worker_processes() {
        let config =
            Config::parse(&["--quick".into(), "--workers".into(), "2".into()]).expect("valid");
        let mut w1 = benches("W1", &config);
        assert_eq!(w1.len(), 4, "two pools and two codecs");
        for b in &mut w1 {
            b.run_once();
        }
        let mut w2 = benches("W2", &config);
        assert_eq!(w2.len(), 4, "map, the same chunks by hand, two codecs");
        for b in &mut w2[..2] {
            b.run_once();
        }
        benches("W6", &config)[0].run_once();
        let mut w7 = w7();
        w7.run_once();
        let extra = w7.extra();
        assert_eq!(extra["others_ok"], 10);
        assert_eq!(extra["accepts_work_after"], true);
        assert!(
            extra["crashed_task"]
                .as_str()
                .is_some_and(|e| e.starts_with("WorkerLost")),
            "{extra:?}"
        );
    }
}
