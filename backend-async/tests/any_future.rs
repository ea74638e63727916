//! `gather`, `try_gather` and `as_completed` over any `std::future::Future`:
//! plain `async fn`s (polled together, not one after another), concur futures
//! of several backends mixed with them, the deadline, and empty inputs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use concur_async::{AsyncPool, as_completed, gather, try_gather};
use concur_core::{Error, Executor, Future};
use futures_lite::{FutureExt, StreamExt};
use smol::channel::{Receiver, Sender, bounded};

const LONG: Duration = Duration::from_secs(30);

/// Waits for `wait` (unless `None`), then tells `tell` (unless `None`).
async fn relay(i: usize, wait: Option<Receiver<()>>, tell: Option<Sender<()>>) -> usize {
    if let Some(rx) = wait {
        rx.recv().await.expect("the next one tells");
    }
    if let Some(tx) = tell {
        tx.send(()).await.expect("the previous one waits");
    }
    i
}

/// `n` relays where relay `i` waits for relay `i + 1`: they can only finish
/// in reverse input order, and only if they are polled together.
fn reverse_chain(n: usize) -> Vec<impl std::future::Future<Output = usize> + Send> {
    let mut waits: Vec<Option<Receiver<()>>> = Vec::new();
    let mut tells: Vec<Option<Sender<()>>> = vec![None];
    for _ in 1..n {
        let (tx, rx) = bounded(1);
        waits.push(Some(rx));
        tells.push(Some(tx));
    }
    waits.push(None);
    (0..n)
        .map(|i| relay(i, waits[i].take(), tells[i].take()))
        .collect()
}

#[test]
fn gather_polls_plain_async_fns_together_and_keeps_input_order() {
    let pool = AsyncPool::new(1).unwrap();
    // On the pool, so that a `gather` that awaited one future after the other
    // (and so waited forever on the first) fails by timeout, not by a hang.
    let gathered = pool.spawn(gather(reverse_chain(50)));
    assert_eq!(gathered.result(Some(LONG)), Ok((0..50).collect::<Vec<_>>()));
}

#[test]
fn as_completed_yields_plain_async_fns_in_completion_order() {
    let got: Vec<usize> = smol::block_on(
        as_completed(reverse_chain(20), Some(LONG))
            .map(|r| r.expect("no timeout"))
            .collect(),
    );
    assert_eq!(got, (0..20).rev().collect::<Vec<_>>());
}

#[test]
fn concur_futures_of_two_backends_and_async_fns_go_together_boxed() {
    let threads = concur_threads::ThreadPool::new(1).unwrap();
    let pool = AsyncPool::new(1).unwrap();
    fn triple(x: u64) -> u64 {
        3 * x
    }
    async fn checked(x: u64) -> Result<u64, Error> {
        smol::Timer::after(Duration::from_millis(1)).await;
        if x == 0 { Err(Error::Cancelled) } else { Ok(x) }
    }
    let (tx, rx) = bounded::<u64>(1);
    let on_threads: Future<u64> = threads.submit(triple, 5);
    let on_async: Future<u64> = pool.spawn(async move { rx.recv().await.unwrap() });
    let mixed = vec![
        on_threads.boxed(),
        checked(7).boxed(),
        on_async.boxed(),
        checked(0).boxed(),
        async move {
            tx.send(11).await.unwrap();
            Ok(1)
        }
        .boxed(),
    ];
    let results = smol::block_on(gather(mixed));
    assert_eq!(
        results,
        vec![Ok(15), Ok(7), Ok(11), Err(Error::Cancelled), Ok(1)]
    );
}

#[test]
fn as_completed_over_mixed_futures_by_reference_leaves_them_readable() {
    let pool = AsyncPool::new(2).unwrap();
    let (tx, rx) = bounded::<()>(1);
    let late = pool.spawn(async move {
        rx.recv().await.unwrap();
        "late"
    });
    let futures = vec![late, Future::ready("ready")];
    let order = smol::block_on(async {
        let mut done = as_completed(&futures, Some(LONG));
        let first = done.next().await.unwrap().unwrap();
        tx.send(()).await.unwrap();
        let second = done.next().await.unwrap().unwrap();
        assert!(done.next().await.is_none());
        (first, second)
    });
    assert_eq!(order, (Ok("ready"), Ok("late")));
    // Read by reference (values are `Clone`): the futures still hold them.
    assert_eq!(futures[0].result(None), Ok("late"));
}

#[test]
fn as_completed_times_out_once_then_ends_and_drops_what_did_not_finish() {
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Flag(dropped.clone());
    let (_tx, rx) = bounded::<()>(1);
    let never = async move {
        let _flag = flag;
        let _ = rx.recv().await;
        0u8
    };
    let quick = async { 1u8 };
    let out: Vec<Result<u8, Error>> = smol::block_on(async {
        let mut stream = as_completed(
            [never.boxed(), quick.boxed()],
            Some(Duration::from_millis(50)),
        );
        let mut out = Vec::new();
        while let Some(item) = stream.next().await {
            out.push(item);
            if out.len() == 2 {
                // The unfinished future is gone before the stream is.
                assert!(dropped.load(Ordering::SeqCst));
            }
        }
        out
    });
    assert_eq!(out, vec![Ok(1), Err(Error::Timeout)]);
}

#[test]
fn try_gather_returns_the_first_error_in_input_order() {
    #[derive(Debug, PartialEq)]
    struct Bad(usize);
    async fn check(i: usize, ok: bool) -> Result<usize, Bad> {
        if ok { Ok(i) } else { Err(Bad(i)) }
    }
    let all_ok = smol::block_on(try_gather((0..4).map(|i| check(i, true))));
    assert_eq!(all_ok, Ok(vec![0, 1, 2, 3]));
    let some_bad = smol::block_on(try_gather((0..4).map(|i| check(i, i % 2 == 0))));
    assert_eq!(some_bad, Err(Bad(1)));
}

#[test]
fn empty_inputs_finish_at_once() {
    let none: Vec<std::future::Ready<u8>> = Vec::new();
    assert_eq!(smol::block_on(gather(none.clone())), Vec::<u8>::new());
    let mut stream = as_completed(none, Some(LONG));
    assert!(smol::block_on(stream.next()).is_none());
}
