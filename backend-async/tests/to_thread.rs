//! `to_thread` / `unblock`: blocking calls off the executor threads.

use std::sync::mpsc;
use std::time::Duration;

use concur_async::{AsyncPool, to_thread, unblock};
use concur_core::Error;

const LONG: Duration = Duration::from_secs(30);

// as Python's asyncio.to_thread: the event loop keeps running while the call blocks.
#[test]
fn a_blocking_call_does_not_hold_the_executor_thread() {
    // One executor thread. The first task awaits a blocking call that only
    // returns once a *second* async task has run on that same thread.
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (tx, rx) = mpsc::channel::<u32>();
    let blocked = pool.spawn(async move {
        let executor_thread = std::thread::current().id();
        let (value, blocking_thread) = to_thread(move || {
            (
                rx.recv_timeout(LONG).expect("sent"),
                std::thread::current().id(),
            )
        })
        .await
        .unwrap();
        assert_ne!(blocking_thread, executor_thread);
        value
    });
    let sender = pool.spawn(async move { tx.send(7).unwrap() });
    assert_eq!(sender.result(Some(LONG)), Ok(()));
    assert_eq!(blocked.result(Some(LONG)), Ok(7));
}

#[test]
fn a_panic_in_the_blocking_call_fails_its_future() {
    let f = unblock(|| -> u8 { panic!("disk on fire") });
    match smol::block_on(f) {
        Err(Error::Panicked { message, .. }) => assert_eq!(message, "disk on fire"),
        other => panic!("expected Panicked, got {other:?}"),
    }
}

#[test]
fn to_thread_futures_mix_with_pool_futures() {
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let a = pool.spawn(async { 1u32 });
    let b = to_thread(|| 2u32);
    let both = [a.as_any(), b.as_any()];
    let r = concur_core::wait(&both, Some(LONG), concur_core::ReturnWhen::AllCompleted);
    assert!(r.not_done.is_empty());
    assert_eq!(a.result(None).unwrap() + b.result(None).unwrap(), 3);
}
