//! `ThreadPool::map` over closures: captured state, values and errors that
//! are neither `Serialize` nor `Sync`, input and completion order, chunks, the
//! deadline, cancellation on drop, a panic failing its item alone, refusal
//! after shutdown — and the trait's `map` still reached from generic code.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use concur_core::{Error, Executor, MapOptions, Shutdown};
use concur_threads::ThreadPool;

const LONG: Duration = Duration::from_secs(30);

/// A latch a task blocks on until the test opens it (a channel: no sleeps).
#[derive(Clone)]
struct Latch(Arc<(Mutex<bool>, std::sync::Condvar)>);

impl Latch {
    fn new() -> Self {
        Latch(Arc::default())
    }
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
    let pool = ThreadPool::new(3).unwrap();
    let offset = 1000u64;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let out: Vec<u64> = pool
        .map(
            move |x| {
                seen.fetch_add(1, Ordering::Relaxed);
                x + offset
            },
            0..500u64,
            MapOptions::new(),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(out, (1000..1500).collect::<Vec<_>>());
    assert_eq!(calls.load(Ordering::Relaxed), 500);
}

/// Like an HTTP client's error: not `Serialize`, not `Clone`, not `PartialEq`.
#[derive(Debug)]
struct FetchError {
    url: String,
    source: std::io::Error,
}

#[test]
fn values_and_errors_need_no_serde_clone_or_sync() {
    let pool = ThreadPool::new(2).unwrap();
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
    let urls = ["http://a.test", "http://b.invalid", "http://cc.test"].map(String::from);
    let out: Vec<Result<usize, FetchError>> = pool
        .map(fetch, urls, MapOptions::new())
        .unwrap()
        .map(|r| r.expect("fetch does not panic"))
        .collect();
    assert_eq!(out[0].as_ref().unwrap(), &13);
    let err = out[1].as_ref().unwrap_err();
    assert_eq!(err.url, "http://b.invalid");
    assert_eq!(err.source.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(out[2].as_ref().unwrap(), &14);

    // A `Send`-only result: `Box<dyn Error + Send>` is not `Sync`.
    let parsed: Vec<Result<u8, Box<dyn std::error::Error + Send>>> = pool
        .map(
            |s: &'static str| {
                s.parse::<u8>()
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send>)
            },
            ["7", "x", "255"],
            MapOptions::new(),
        )
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(*parsed[0].as_ref().unwrap(), 7);
    assert!(
        parsed[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("invalid digit")
    );
    assert_eq!(*parsed[2].as_ref().unwrap(), 255);
}

#[test]
fn input_order_by_default_completion_order_on_request() {
    let pool = ThreadPool::new(2).unwrap();
    // Input order: item 0 finishes only after item 1 has run, and still
    // comes first.
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
                    rx.lock()
                        .unwrap()
                        .recv_timeout(LONG)
                        .expect("item 1 was yielded");
                }
                i
            },
            0..2,
            MapOptions::new().ordered(false),
        )
        .unwrap();
    assert_eq!(unordered.next(), Some(Ok(1)));
    tx.send(()).unwrap();
    assert_eq!(unordered.next(), Some(Ok(0)));
    assert_eq!(unordered.next(), None);
}

#[test]
fn chunksize_groups_items_into_tasks_and_a_panic_fails_its_item_only() {
    let pool = ThreadPool::new(2).unwrap();
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
}

#[test]
fn a_panic_without_chunks_fails_its_item_and_the_pool_goes_on() {
    let pool = ThreadPool::new(1).unwrap();
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
    assert_eq!(pool.spawn(|| 5).result(Some(LONG)), Ok(5));
}

#[test]
fn the_deadline_yields_timeout_once_and_cancels_what_is_queued() {
    let pool = ThreadPool::new(1).unwrap();
    let latch = Latch::new();
    let ran = Arc::new(Mutex::new(Vec::new()));
    let (l, r) = (latch.clone(), ran.clone());
    let map = pool
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
        .unwrap();
    // Item 1 blocks the only worker past the deadline: whatever came before
    // it (item 0, unless the machine is slower than the deadline), then one
    // `Timeout`, then the end.
    let out: Vec<Result<u32, Error>> = map.collect();
    let (last, before) = out.split_last().expect("at least the timeout");
    assert_eq!(last, &Err(Error::Timeout), "{out:?}");
    assert!(before == [Ok(0)] || before.is_empty(), "{out:?}");
    latch.open();
    pool.shutdown_with(Shutdown::wait());
    // Items 2..5 were queued behind item 1 and cancelled; 5.. never submitted.
    let ran = ran.lock().unwrap();
    assert!(ran.iter().all(|&i| i < 2), "{ran:?}");
}

#[test]
fn dropping_the_map_cancels_what_has_not_started() {
    let pool = ThreadPool::new(1).unwrap();
    let latch = Latch::new();
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
    let queued_before = pool.stats().submitted;
    assert_eq!(queued_before, 8, "only the window is submitted");
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
    let pool = ThreadPool::new(1).unwrap();
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
    // Invalid options are still named first.
    let err = pool
        .map(|x: u8| x, 0..3, MapOptions::new().chunksize(0))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
}

#[test]
fn map_on_a_broken_pool_is_refused_with_the_reason() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .initializer(|| panic!("no database"))
        .build()
        .unwrap();
    // The first task starts the worker, whose initializer breaks the pool.
    assert!(matches!(
        pool.spawn(|| ()).result(Some(LONG)),
        Err(Error::Broken { .. })
    ));
    let err = pool.map(|x: u8| x, 0..3, MapOptions::new()).unwrap_err();
    assert!(
        matches!(&err, Error::Broken { reason } if reason.contains("no database")),
        "{err:?}"
    );
}

#[test]
fn invalid_options_are_refused() {
    let pool = ThreadPool::new(1).unwrap();
    for options in [
        MapOptions::new().chunksize(0),
        MapOptions::new().buffersize(0),
    ] {
        let err = pool.map(|x: u8| x, 0..3, options).unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig { .. }),
            "{options:?}: {err:?}"
        );
    }
}

fn square(x: u64) -> u64 {
    x * x
}

/// Generic code reaches the trait's `map`; the concrete pool its own, with
/// the same `fn` and the same items.
fn sum_via_trait<E: Executor>(pool: &E, n: u64) -> u64 {
    pool.map(square, 0..n, MapOptions::new().chunksize(3))
        .unwrap()
        .map(|r| r.unwrap())
        .sum()
}

#[test]
fn the_trait_map_and_the_closure_map_agree() {
    let pool = ThreadPool::new(2).unwrap();
    let inherent: u64 = pool
        .map(square, 0..50, MapOptions::new().chunksize(3))
        .unwrap()
        .map(|r| r.unwrap())
        .sum();
    assert_eq!(inherent, sum_via_trait(&pool, 50));
    // The trait's method is still callable by name on the concrete pool.
    let by_name: Vec<u64> = Executor::map(&pool, square, 0..4, MapOptions::new())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(by_name, [0, 1, 4, 9]);
    // An unannotated closure: its argument type comes from the items.
    let doubled: Vec<u64> = pool
        .map(|x| x * 2, 0..4u64, MapOptions::new())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(doubled, [0, 2, 4, 6]);
}
