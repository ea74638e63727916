//! `AsyncPool::map` over closures: captured state, values and errors that are
//! neither `Serialize` nor `Sync`, input and completion order, chunks, the
//! deadline, cancellation on drop, a panic failing its item alone, refusal
//! after shutdown, the map as a `Stream` — and the trait's `map` still
//! reached from generic code.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::{Error, Executor, MapOptions, Shutdown};
use futures_lite::StreamExt;

const LONG: Duration = Duration::from_secs(30);

/// A latch a task blocks on until the test opens it.
#[derive(Clone, Default)]
struct Latch(Arc<(Mutex<bool>, Condvar)>);

impl Latch {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }
    fn wait(&self) {
        let mut open = self.0.0.lock().unwrap();
        while !*open {
            open = self.0.1.wait(open).unwrap();
        }
    }
}

#[test]
fn a_closure_uses_what_it_captures_and_counts_into_shared_state() {
    let pool = AsyncPool::new(2).unwrap();
    let words: Vec<String> = ["zero", "one", "two"].map(String::from).into();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let out: Vec<String> = pool
        .map(
            move |i: usize| {
                seen.fetch_add(1, Ordering::Relaxed);
                words[i % 3].clone()
            },
            0..300,
            MapOptions::new(),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(out.len(), 300);
    assert!(out.chunks(3).all(|c| c == ["zero", "one", "two"]));
    assert_eq!(calls.load(Ordering::Relaxed), 300);
}

/// Like an HTTP client's error: not `Serialize`, not `Clone`, not `PartialEq`.
#[derive(Debug)]
struct FetchError {
    url: String,
    source: std::io::Error,
}

#[test]
fn values_and_errors_need_no_serde_clone_or_sync_and_stream_from_async_code() {
    let pool = AsyncPool::new(2).unwrap();
    let fetch = |url: String| -> Result<usize, FetchError> {
        if url.ends_with(".invalid") {
            Err(FetchError {
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such host"),
                url,
            })
        } else {
            Ok(url.len())
        }
    };
    let urls = ["http://a.test", "http://b.invalid"].map(String::from);
    let stream = pool
        .map(fetch, urls, MapOptions::new())
        .unwrap()
        .into_stream();
    let out: Vec<Result<usize, FetchError>> =
        smol::block_on(stream.map(|r| r.expect("fetch does not panic")).collect());
    assert_eq!(out[0].as_ref().unwrap(), &13);
    let err = out[1].as_ref().unwrap_err();
    assert_eq!(err.url, "http://b.invalid");
    assert_eq!(err.source.kind(), std::io::ErrorKind::NotFound);

    // A `Send`-only result: `Box<dyn Error + Send>` is not `Sync`.
    let parsed: Vec<Result<u8, Box<dyn std::error::Error + Send>>> = pool
        .map(
            |s: &'static str| {
                s.parse::<u8>()
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send>)
            },
            ["7", "x"],
            MapOptions::new(),
        )
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(*parsed[0].as_ref().unwrap(), 7);
    let message = parsed[1].as_ref().unwrap_err().to_string();
    assert!(message.contains("invalid digit"), "{message}");
}

#[test]
fn input_order_by_default_completion_order_on_request() {
    let pool = AsyncPool::new(2).unwrap();
    // Input order: item 0 finishes only after item 1 has run.
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let ordered: Vec<u32> = pool
        .map(
            move |i: u32| {
                if i == 0 {
                    rx.lock().unwrap().recv_timeout(LONG).expect("item 1 ran");
                } else {
                    tx.send(()).unwrap();
                }
                i
            },
            0..2,
            MapOptions::new(),
        )
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(ordered, [0, 1]);

    // Completion order: item 0 finishes only once the consumer has been
    // handed an item, which can then only be item 1.
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let mut unordered = pool
        .map(
            move |i: u32| {
                if i == 0 {
                    let got = rx.lock().unwrap().recv_timeout(LONG);
                    got.expect("item 1 was yielded");
                }
                i
            },
            0..2,
            MapOptions::new().ordered(false),
        )
        .unwrap()
        .into_stream();
    smol::block_on(async {
        assert_eq!(unordered.next().await, Some(Ok(1)));
        tx.send(()).unwrap();
        assert_eq!(unordered.next().await, Some(Ok(0)));
        assert_eq!(unordered.next().await, None);
    });
}

#[test]
fn chunksize_groups_items_into_tasks_and_a_panic_fails_its_item_only() {
    let pool = AsyncPool::new(2).unwrap();
    let before = pool.stats().submitted;
    let out: Vec<Result<u64, Error>> = pool
        .map(
            |x: u64| {
                assert!(x != 13, "unlucky {x}");
                x * x
            },
            0..100u64,
            MapOptions::new().chunksize(7),
        )
        .unwrap()
        .collect();
    // 100 items in chunks of 7: 15 tasks, the last one short.
    assert_eq!(pool.stats().submitted - before, 15);
    assert_eq!(out.len(), 100);
    for (i, r) in out.into_iter().enumerate() {
        let i = i as u64;
        if i == 13 {
            let Err(Error::Panicked { message, .. }) = r else {
                panic!("item 13: {r:?}")
            };
            assert!(message.contains("unlucky 13"), "{message}");
        } else {
            assert_eq!(r, Ok(i * i), "item {i}");
        }
    }
    // Without chunks too; the pool goes on.
    let out: Vec<Result<u8, Error>> = pool
        .map(
            |x: u8| if x == 1 { panic!("one") } else { x },
            0..3,
            MapOptions::new(),
        )
        .unwrap()
        .collect();
    assert_eq!(out[0], Ok(0));
    assert!(matches!(&out[1], Err(Error::Panicked { message, .. }) if message == "one"));
    assert_eq!(out[2], Ok(2));
    assert_eq!(pool.spawn(async { 5 }).result(Some(LONG)), Ok(5));
}

#[test]
fn the_deadline_yields_timeout_once_and_cancels_what_is_queued() {
    let pool = AsyncPool::new(1).unwrap();
    let latch = Latch::default();
    let ran = Arc::new(Mutex::new(Vec::new()));
    let (l, r) = (latch.clone(), ran.clone());
    let stream = pool
        .map(
            move |i: u32| {
                r.lock().unwrap().push(i);
                if i == 1 {
                    l.wait();
                }
                i
            },
            0..10,
            MapOptions::new()
                .buffersize(5)
                .timeout(Duration::from_millis(200)),
        )
        .unwrap()
        .into_stream();
    // Item 1 blocks the only thread past the deadline: item 0 (unless the
    // machine is slower than the deadline), one `Timeout`, the end.
    let out: Vec<Result<u32, Error>> = smol::block_on(stream.collect());
    let (last, before) = out.split_last().expect("at least the timeout");
    assert_eq!(last, &Err(Error::Timeout), "{out:?}");
    assert!(before == [Ok(0)] || before.is_empty(), "{out:?}");
    latch.open();
    pool.shutdown_with(Shutdown::wait());
    let ran = ran.lock().unwrap();
    assert!(ran.iter().all(|&i| i < 2), "{ran:?}");
}

#[test]
fn dropping_the_map_cancels_what_has_not_started() {
    let pool = AsyncPool::new(1).unwrap();
    let latch = Latch::default();
    let (started_tx, started) = mpsc::channel::<u32>();
    let l = latch.clone();
    let map = pool
        .map(
            move |i: u32| {
                started_tx.send(i).unwrap();
                l.wait();
                i
            },
            0..1000,
            MapOptions::new().buffersize(8),
        )
        .unwrap();
    assert_eq!(started.recv_timeout(LONG), Ok(0), "the first item runs");
    assert_eq!(pool.stats().submitted, 8, "only the window is submitted");
    drop(map);
    latch.open();
    pool.shutdown_with(Shutdown::wait());
    // The running item finished; the 7 queued behind it never started.
    assert_eq!(started.try_iter().collect::<Vec<_>>(), Vec::<u32>::new());
    let stats = pool.stats();
    assert_eq!(stats.completed, 1, "{stats:?}");
    assert_eq!(stats.cancelled, 7, "{stats:?}");
}

#[test]
fn map_after_shutdown_is_refused_up_front_like_submit() {
    let pool = AsyncPool::new(1).unwrap();
    pool.shutdown_with(Shutdown::wait());
    let err = pool.map(|x: u8| x, 0..3, MapOptions::new()).unwrap_err();
    assert_eq!(err, Error::Shutdown);
    // Nothing to map submits nothing, and is not refused (as Python's `map`).
    let empty = pool.map(|x: u8| x, std::iter::empty(), MapOptions::new());
    assert_eq!(empty.unwrap().count(), 0);
    // Chunks and completion order are refused alike.
    for options in [
        MapOptions::new().chunksize(2),
        MapOptions::new().ordered(false),
    ] {
        let err = pool.map(|x: u8| x, 0..3, options).unwrap_err();
        assert_eq!(err, Error::Shutdown, "{options:?}");
    }
    for options in [
        MapOptions::new().chunksize(0),
        MapOptions::new().buffersize(0),
    ] {
        let err = pool.map(|x: u8| x, 0..3, options).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
    }
}

fn square(x: u64) -> u64 {
    x * x
}

fn sum_via_trait<E: Executor>(pool: &E, n: u64) -> u64 {
    pool.map(square, 0..n, MapOptions::new().chunksize(3))
        .unwrap()
        .map(|r| r.unwrap())
        .sum()
}

#[test]
fn the_trait_map_and_the_closure_map_agree() {
    let pool = AsyncPool::new(2).unwrap();
    let inherent: u64 = pool
        .map(square, 0..50, MapOptions::new().chunksize(3))
        .unwrap()
        .map(|r| r.unwrap())
        .sum();
    assert_eq!(inherent, sum_via_trait(&pool, 50));
    let doubled: Vec<u64> = pool
        .map(|x| x * 2, 0..4u64, MapOptions::new())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(doubled, [0, 2, 4, 6]);
}
