//! Async code awaits futures of any backend (Python's `asyncio.wrap_future`),
//! without blocking an executor thread.

use std::sync::mpsc;
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::{Error, Promise};

const LONG: Duration = Duration::from_secs(30);

#[test]
fn awaiting_a_future_completed_by_a_plain_thread() {
    // A one-thread pool: while the first task awaits a pending future, the other
    // tasks on the same thread still run, and one of them triggers the producer.
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let promise = Promise::<String>::new();
    let foreign = promise.future();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let producer = std::thread::spawn(move || {
        go_rx.recv_timeout(LONG).expect("go");
        assert!(promise.set_running());
        promise.set_result("from another thread".to_owned());
    });

    let waiter = pool.spawn(async move { foreign.await.map(|s| s + "!") });
    let progress: Vec<_> = (0..10u32).map(|i| pool.spawn(async move { i })).collect();
    for (i, f) in progress.iter().enumerate() {
        assert_eq!(
            f.result(Some(LONG)),
            Ok(i as u32),
            "other tasks run meanwhile"
        );
    }
    assert!(!waiter.is_done());
    pool.spawn(async move { go_tx.send(()).unwrap() })
        .result(Some(LONG))
        .unwrap();
    assert_eq!(
        waiter.result(Some(LONG)),
        Ok(Ok("from another thread!".to_owned()))
    );
    producer.join().unwrap();
}

#[test]
fn awaiting_a_future_by_reference_leaves_it_readable() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let promise = Promise::<u64>::new();
    let foreign = promise.future();
    let f2 = foreign.clone();
    let waiter = pool.spawn(async move { (&f2).await.map(|v| v + 1) });
    assert!(promise.set_running());
    promise.set_result(41);
    assert_eq!(waiter.result(Some(LONG)), Ok(Ok(42)));
    assert_eq!(foreign.result(None), Ok(41));
}

#[test]
fn awaiting_a_cancelled_foreign_future_yields_cancelled() {
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let promise = Promise::<u8>::new();
    let foreign = promise.future();
    let f2 = foreign.clone();
    let waiter = pool.spawn(async move { f2.await.map(u32::from) });
    assert!(foreign.cancel());
    assert_eq!(waiter.result(Some(LONG)), Ok(Err(Error::Cancelled)));
    drop(promise);
}

// as asyncio.wrap_future(executor.submit(...)): awaiting holds no thread.
#[test]
fn awaiting_a_thread_pool_future_blocks_no_executor_thread() {
    let threads = concur_threads::ThreadPool::new(1).unwrap();
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    // The thread-pool task blocks until an async task on the 1-thread pool lets it go.
    let on_threads = threads.spawn(move || {
        go_rx.recv_timeout(LONG).expect("go");
        6 * 7
    });
    let waiter = pool.spawn(async move { on_threads.await.map(|v| v + 1) });
    let progress: Vec<_> = (0..10u32).map(|i| pool.spawn(async move { i })).collect();
    for (i, f) in progress.iter().enumerate() {
        assert_eq!(
            f.result(Some(LONG)),
            Ok(i as u32),
            "other tasks run meanwhile"
        );
    }
    pool.spawn(async move { go_tx.send(()).unwrap() })
        .result(Some(LONG))
        .unwrap();
    assert_eq!(waiter.result(Some(LONG)), Ok(Ok(43)));
}

fn cube(x: u64) -> u64 {
    x * x * x
}

#[test]
fn awaiting_a_process_pool_future_from_async_code() {
    use concur_core::Executor;
    let processes = concur_process::ProcessPool::builder()
        .max_workers(1)
        .build()
        .unwrap();
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let remote = processes.submit(cube, 3);
    let waiter = pool.spawn(async move { remote.await.map(|v| v + 1) });
    let local = pool.spawn(async { "the executor thread is free" });
    assert_eq!(local.result(Some(LONG)), Ok("the executor thread is free"));
    assert_eq!(waiter.result(Some(LONG)), Ok(Ok(28)));
}

#[test]
fn map_stream_over_a_process_pool() {
    // aiomultiprocess's `Pool.map`: async code streams results computed in
    // worker processes, in input order, while the executor thread stays free.
    use concur_core::MapOptions;
    use futures_lite::StreamExt;
    let processes = concur_process::ProcessPool::builder()
        .max_workers(2)
        .build()
        .unwrap();
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let processes = std::sync::Arc::new(processes);
    let p = processes.clone();
    let cubes = pool.spawn(async move {
        let stream =
            concur_async::map_stream(&*p, cube, 0..20u64, MapOptions::new().chunksize(3)).unwrap();
        stream.map(Result::unwrap).collect::<Vec<u64>>().await
    });
    assert_eq!(
        cubes.result(Some(LONG)),
        Ok((0..20u64).map(cube).collect::<Vec<_>>())
    );
}
