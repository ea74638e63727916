//! `AsyncPool::map` over closures, what is this pool's own: the map as a
//! `Stream` awaited from async code (values, completion order, the deadline),
//! and the inherent `map` answering a concrete pool while generic code
//! reaches the trait's. The scenarios every in-process pool shares (captured
//! state, non-serde values, order, chunks, deadline, cancellation, refusal)
//! are core's `closure_map` suite, run from `tests/conformance.rs`.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use concur_async::AsyncPool;
use concur_conformance::closure_map::{FetchError, Latch, fetch};
use concur_core::{Error, Executor, MapOptions, Shutdown};
use futures_lite::StreamExt;

const LONG: Duration = Duration::from_secs(30);

#[test]
fn values_and_errors_need_no_serde_clone_or_sync_and_stream_from_async_code() {
    let pool = AsyncPool::new(2).unwrap();
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

/// `(a, b, c, d)` as one line, from a closure that captures a `String`.
#[test]
fn the_inherent_map_takes_functions_of_several_arguments() {
    let pool = AsyncPool::new(2).unwrap();
    let sums: Vec<Result<u64, Error>> = pool
        .map(add_pair, [(1, 2), (30, 12)], MapOptions::new())
        .unwrap()
        .collect();
    assert_eq!(sums, [Ok(3), Ok(42)]);
    let through_trait = Executor::map(&pool, add_pair, [(1, 2), (30, 12)], MapOptions::new());
    assert_eq!(through_trait.unwrap().collect::<Vec<_>>(), sums);

    let sep = String::from("/");
    let join =
        move |a: u8, b: char, c: &'static str, d: bool| format!("{a}{sep}{b}{sep}{c}{sep}{d}");
    let stream = pool
        .map(
            join,
            [(1, 'x', "y", true), (2, 'z', "w", false)],
            MapOptions::new().chunksize(2),
        )
        .unwrap()
        .into_stream();
    let lines: Vec<String> = smol::block_on(stream.map(|r| r.unwrap()).collect());
    assert_eq!(lines, ["1/x/y/true", "2/z/w/false"]);
}

fn add_pair(a: u64, b: u64) -> u64 {
    a + b
}
