//! `as_completed` as a Stream, `gather`, and `map_stream` from async code.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use concur_async::{AsyncPool, as_completed, gather, map_stream, try_gather};
use concur_core::{Error, Executor, Future, MapOptions, Promise};
use futures_lite::StreamExt;

const LONG: Duration = Duration::from_secs(30);
const SHORT: Duration = Duration::from_millis(50);

/// A gate that tasks (plain `fn`s) block on until a test opens it. Each test
/// that uses one has its own.
struct Gate {
    open: Mutex<bool>,
    cond: Condvar,
}

impl Gate {
    const fn new() -> Self {
        Gate {
            open: Mutex::new(false),
            cond: Condvar::new(),
        }
    }
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.cond.wait(open).unwrap();
        }
    }
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cond.notify_all();
    }
}

fn square(x: u64) -> u64 {
    x * x
}

fn fail_on_three(x: u64) -> u64 {
    assert_ne!(x, 3, "three is refused");
    x
}

#[test]
fn as_completed_stream_over_several_backends_yields_in_completion_order_then_times_out() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let never = Promise::<u64>::new();
    let (tx, rx) = smol::channel::bounded::<()>(1);
    let late = pool.spawn(async move {
        rx.recv().await.unwrap();
        2u64
    });
    // A future of another backend in the same stream.
    let threads = concur_threads::ThreadPool::new(1).unwrap();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let on_threads = threads.spawn(move || {
        go_rx.recv().unwrap();
        3u64
    });
    let futures = vec![never.future(), late.clone(), Future::ready(1), on_threads];
    let got = smol::block_on(async {
        let mut stream = as_completed(&futures, Some(Duration::from_secs(1)));
        let first = stream.next().await.unwrap().unwrap().unwrap();
        tx.send(()).await.unwrap();
        let second = stream.next().await.unwrap().unwrap().unwrap();
        go_tx.send(()).unwrap();
        let third = stream.next().await.unwrap().unwrap().unwrap();
        let fourth = stream.next().await.unwrap();
        assert!(
            matches!(fourth, Err(Error::Timeout)),
            "the never-completed future times out"
        );
        assert!(stream.next().await.is_none(), "the timeout ends the stream");
        (first, second, third)
    });
    assert_eq!(got, (1, 2, 3));
    drop(never);
}

// as asyncio.gather(..., return_exceptions=True): results in input order.
#[test]
fn gather_keeps_input_order() {
    let promises: Vec<Promise<usize>> = (0..5).map(|_| Promise::new()).collect();
    let futures: Vec<_> = promises.iter().map(Promise::future).collect();
    // Completed in reverse order by a plain thread.
    let producer = std::thread::spawn(move || {
        for (i, p) in promises.into_iter().enumerate().rev() {
            assert!(p.set_running());
            p.set_result(i);
        }
    });
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let gathered = pool.spawn(gather(futures));
    assert_eq!(
        gathered.result(Some(LONG)),
        Ok(vec![Ok(0), Ok(1), Ok(2), Ok(3), Ok(4)])
    );
    producer.join().unwrap();

    let with_failure = smol::block_on(try_gather(vec![
        Future::ready(1),
        Future::failed(Error::Timeout),
    ]));
    assert_eq!(with_failure, Err(Error::Timeout));
}

#[test]
fn map_stream_keeps_order_and_goes_on_after_a_failure() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    for chunksize in [1, 3] {
        let stream = map_stream(
            &pool,
            fail_on_three,
            0..8,
            MapOptions::new().chunksize(chunksize),
        )
        .unwrap();
        let out: Vec<_> = smol::block_on(stream.collect());
        assert_eq!(out.len(), 8, "chunksize {chunksize}");
        for (i, r) in out.iter().enumerate() {
            if i == 3 {
                assert!(matches!(r, Err(Error::Panicked { .. })), "{r:?}");
            } else {
                assert_eq!(r, &Ok(i as u64));
            }
        }
    }
}

#[test]
fn map_stream_gives_the_same_results_for_any_chunksize() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let expected: Vec<u64> = (0..1000u64).map(square).collect();
    for chunksize in [1, 7, 100, 5000] {
        let stream = map_stream(
            &pool,
            square,
            0..1000u64,
            MapOptions::new().chunksize(chunksize),
        )
        .unwrap();
        let out: Vec<u64> = smol::block_on(stream.map(Result::unwrap).collect());
        assert_eq!(out, expected, "chunksize {chunksize}");
    }
}

static UNORDERED_GATE: Gate = Gate::new();

fn zero_waits_for_gate(x: u64) -> u64 {
    if x == 0 {
        UNORDERED_GATE.wait();
    }
    x
}

#[test]
fn map_stream_unordered_yields_in_completion_order() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let options = MapOptions::new().ordered(false).buffersize(10);
    let mut stream = map_stream(&pool, zero_waits_for_gate, 0..10u64, options).unwrap();
    smol::block_on(async {
        let mut first: Vec<u64> = Vec::new();
        for _ in 0..9 {
            first.push(stream.next().await.unwrap().unwrap());
        }
        first.sort_unstable();
        assert_eq!(
            first,
            (1..10).collect::<Vec<_>>(),
            "item 0 is blocked, the others come first"
        );
        UNORDERED_GATE.open();
        assert_eq!(stream.next().await, Some(Ok(0)));
        assert_eq!(stream.next().await, None);
    });
}

#[test]
fn map_stream_pulls_at_most_buffersize_items_ahead() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let p = pulled.clone();
    let input = (0..u64::MAX).inspect(move |_| {
        p.fetch_add(1, Ordering::SeqCst);
    });
    let mut stream = map_stream(&pool, square, input, MapOptions::new().buffersize(3)).unwrap();
    smol::block_on(async {
        for consumed in 1..=20u64 {
            let v = stream.next().await.unwrap().unwrap();
            assert_eq!(v, (consumed - 1) * (consumed - 1));
            let ahead = pulled.load(Ordering::SeqCst) as u64;
            assert!(
                ahead <= consumed + 3,
                "pulled {ahead} items after consuming {consumed}"
            );
        }
    });
}

static TIMEOUT_GATE: Gate = Gate::new();

fn blocked(x: u64) -> u64 {
    TIMEOUT_GATE.wait();
    x
}

#[test]
fn map_stream_timeout_yields_timeout_once_and_cancels_the_rest() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let options = MapOptions::new().buffersize(3).timeout(SHORT);
    let mut stream = map_stream(&pool, blocked, 0..10u64, options).unwrap();
    smol::block_on(async {
        assert_eq!(stream.next().await, Some(Err(Error::Timeout)));
        assert_eq!(stream.next().await, None);
    });
    drop(stream);
    TIMEOUT_GATE.open();
    pool.shutdown(true, false);
    let s = pool.stats();
    // One task was running (it finishes once the gate opens); the two queued
    // behind it were cancelled; the other seven items were never submitted.
    assert_eq!((s.submitted, s.completed, s.cancelled), (3, 1, 2));
}

#[test]
fn map_stream_refuses_invalid_options() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    assert!(matches!(
        map_stream(&pool, square, 0..3, MapOptions::new().chunksize(0)),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        map_stream(&pool, square, 0..3, MapOptions::new().buffersize(0)),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn map_stream_runs_inside_a_pool_task() {
    // The stream is Send: an async task on the pool can drive a map over another pool.
    let workers = Arc::new(AsyncPool::builder().max_workers(2).build().unwrap());
    let driver = AsyncPool::builder().max_workers(1).build().unwrap();
    let w = workers.clone();
    let total = driver.spawn(async move {
        let stream = map_stream(&*w, square, 0..100u64, MapOptions::new().ordered(false)).unwrap();
        stream.map(Result::unwrap).fold(0, |a, b| a + b).await
    });
    assert_eq!(total.result(Some(LONG)), Ok((0..100u64).map(square).sum()));
}
