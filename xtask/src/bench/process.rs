//! W1, W2, W3, W4, W6 and W7 for `concur-process`. The workers are this bench
//! binary re-executed (intercepted before `main` by concur-process's hook).
//! Python's `ProcessPoolExecutor` and `multiprocessing.Pool` are measured by the
//! python suite in the same run. Beside W1 and W2, the messages those workloads
//! put on the wire are encoded and decoded with bincode 2 (concur-process's
//! codec) and with postcard, so the codec stays a measured choice.

use std::hint::black_box;
use std::time::{Duration, Instant};

use concur_core::{Error, Executor, MapOptions};
use concur_process::ProcessPool;

use super::threads::count_primes;
use super::{Config, Record, Sample, time};

/// W1's and W6's task: the identity.
fn ident(x: u64) -> u64 {
    x
}

/// W2's task.
fn square(x: u64) -> u64 {
    x * x
}

/// W4's task, as the Python docs example.
fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n == 2 {
        return true;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let sqrt_n = (n as f64).sqrt().floor() as u64;
    (3..=sqrt_n).step_by(2).all(|i| !n.is_multiple_of(i))
}

/// W4's input, from the Python docs.
const PRIMES: [u64; 6] = [
    112_272_535_095_293,
    112_582_705_942_171,
    112_272_535_095_293,
    115_280_095_190_773,
    115_797_848_077_099,
    1_099_726_899_285_419,
];

/// W7's crash.
fn abort(_: u64) -> u64 {
    std::process::abort()
}

fn pool(workers: usize) -> ProcessPool {
    ProcessPool::builder()
        .max_workers(workers)
        .build()
        .expect("a process pool")
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs every workload the config asks for.
pub(crate) fn run(config: &Config) -> Vec<Record> {
    let mut records = Vec::new();
    if config.wants("W1") {
        records.push(w1(config));
        records.extend(codecs(config, "W1", &Message::w1()));
    }
    if config.wants("W2") {
        records.push(w2(config));
        records.extend(codecs(config, "W2", &Message::w2()));
    }
    if config.wants("W3") {
        records.push(w3(config));
    }
    if config.wants("W4") {
        records.push(w4(config));
    }
    if config.wants("W6") {
        records.push(w6(config));
    }
    if config.wants("W7") {
        records.push(w7());
    }
    records
}

fn w1(config: &Config) -> Record {
    let n = config.n(20_000);
    let workers = workers();
    let pool = pool(workers);
    for i in 0..10 {
        assert_eq!(pool.submit(ident, i).into_result(), Ok(i));
    }
    let sample = config.sample(|| {
        time(|| {
            let futures: Vec<_> = (0..n).map(|i| pool.submit(ident, i)).collect();
            for (i, f) in (0..n).zip(futures) {
                assert_eq!(f.into_result(), Ok(i));
            }
        })
    });
    Record::new("W1", "concur-process", n, sample).with("workers", workers)
}

fn w2(config: &Config) -> Record {
    let n = config.n(1_000_000);
    let expected: u128 = (0..u128::from(n)).map(|x| x * x).sum();
    let workers = workers();
    let pool = pool(workers);
    let sample = config.sample(|| {
        time(|| {
            let total: u128 = pool
                .map(square, 0..n, MapOptions::new().chunksize(1000))
                .expect("valid options")
                .map(|r| u128::from(r.expect("square does not fail")))
                .sum();
            assert_eq!(total, expected);
        })
    });
    Record::new("W2", "concur-process", n, sample).with("chunksize", 1000)
}

/// The pool is created inside the timing; the speedup is against two serial
/// calls measured here (the threads suite measures the raw-thread speedup in the
/// same run).
fn w3(config: &Config) -> Record {
    let limit = config.quadratic_n(30_000);
    let expected = count_primes(limit);
    let serial = config.sample(|| {
        time(|| {
            assert_eq!(count_primes(black_box(limit)), expected);
            assert_eq!(count_primes(black_box(limit)), expected);
        })
    });
    let sample = config.sample(|| {
        time(|| {
            let pool = pool(2);
            let a = pool.submit(count_primes, limit);
            let b = pool.submit(count_primes, limit);
            assert_eq!(a.into_result(), Ok(expected));
            assert_eq!(b.into_result(), Ok(expected));
        })
    });
    let speedup = (serial.median / sample.median * 100.0).round() / 100.0;
    Record::new("W3", "concur-process", limit, sample)
        .with("speedup", speedup)
        .with("serial_seconds", serial.median)
}

fn w4(config: &Config) -> Record {
    let sample = config.sample(|| {
        time(|| {
            let pool = pool(workers());
            let got: Vec<bool> = pool
                .map(is_prime, PRIMES, MapOptions::new().chunksize(4))
                .expect("valid options")
                .map(|r| r.expect("is_prime does not fail"))
                .collect();
            assert_eq!(got, [true, true, true, true, true, false]);
            pool.shutdown(true, false);
        })
    });
    Record::new("W4", "concur-process", PRIMES.len() as u64, sample).with("chunksize", 4)
}

fn w6(config: &Config) -> Record {
    let once = || {
        time(|| {
            let pool = pool(2);
            assert_eq!(pool.submit(ident, 7).into_result(), Ok(7));
            pool.shutdown(true, false);
        })
    };
    let reps = config.reps.max(10);
    let sample = Config {
        reps,
        ..config.clone()
    }
    .sample(once);
    Record::new("W6", "concur-process", 1, sample).with("workers", 2)
}

/// One task aborts its worker while 10 others run on a 2-worker pool.
fn w7() -> Record {
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
    let seconds = start.elapsed().as_secs_f64();
    let sample = Sample {
        median: seconds,
        min: seconds,
        max: seconds,
        reps: 1,
    };
    Record::new("W7", "concur-process", 11, sample)
        .with("crashed_task", crash_error)
        .with("others_ok", others_ok)
        .with("accepts_work_after", after)
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
fn codecs(config: &Config, workload: &str, message: &Message) -> Vec<Record> {
    let n = config.n(200_000);
    let bincode_config = bincode::config::standard();
    let bincode_len = bincode::serde::encode_to_vec(message, bincode_config)
        .expect("encodes")
        .len();
    let bincode = config.sample(|| {
        time(|| {
            for _ in 0..n {
                let bytes = bincode::serde::encode_to_vec(black_box(message), bincode_config)
                    .expect("encodes");
                let (back, _): (Message, usize) =
                    bincode::serde::decode_from_slice(&bytes, bincode_config).expect("decodes");
                black_box(back);
            }
        })
    });
    let postcard_len = postcard::to_stdvec(message).expect("encodes").len();
    let postcard = config.sample(|| {
        time(|| {
            for _ in 0..n {
                let bytes = postcard::to_stdvec(black_box(message)).expect("encodes");
                let back: Message = postcard::from_bytes(&bytes).expect("decodes");
                black_box(back);
            }
        })
    });
    let note = "encode + decode of the task message, no IPC";
    vec![
        Record::new(workload, "codec-bincode2", n, bincode)
            .with("bytes", bincode_len)
            .with("note", note),
        Record::new(workload, "codec-postcard", n, postcard)
            .with("bytes", postcard_len)
            .with("note", note),
    ]
}
