//! Wakers of the pool's tasks used in ways the task does not expect: kept
//! and woken after the task finished (and after the pool is gone), woken
//! many times from many threads at once, dropped on another thread.

use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::Executor;

const LONG: Duration = Duration::from_secs(30);

#[test]
fn a_waker_woken_after_its_task_finished_and_its_pool_went_does_nothing() {
    let kept: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let futures: Vec<_> = (0..100u64)
        .map(|i| {
            let kept = kept.clone();
            pool.spawn(async move {
                // Polled twice: keeps its waker, wakes itself, finishes.
                let mut first = true;
                std::future::poll_fn(|cx| {
                    if first {
                        first = false;
                        kept.lock().unwrap().push(cx.waker().clone());
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    }
                })
                .await;
                i
            })
        })
        .collect();
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result(Some(LONG)), Ok(i as u64));
    }
    let wakers = std::mem::take(&mut *kept.lock().unwrap());
    assert_eq!(wakers.len(), 100);
    // Woken after the task finished: nothing is queued, nothing runs.
    for w in &wakers {
        w.wake_by_ref();
    }
    let s = pool.stats();
    assert_eq!((s.completed, s.running, s.queued), (100, 0, 0), "{s:?}");
    drop(pool);
    // And after the pool is gone, from another thread, by value.
    std::thread::spawn(move || {
        for w in wakers {
            w.wake();
        }
    })
    .join()
    .unwrap();
}

#[test]
fn many_wakes_from_many_threads_at_once_poll_a_task_until_it_is_done() {
    // Eight threads wake one pending task as fast as they can; each poll
    // takes a token; the task finishes after 1000 tokens. Wakes coalesce,
    // none is lost: the task finishes and the pool shuts down.
    let pool = AsyncPool::builder().max_workers(2).build().unwrap();
    let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
    let tokens = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let task_tokens = tokens.clone();
    let f = pool.spawn(async move {
        let mut polls = 0u64;
        std::future::poll_fn(|cx| {
            polls += 1;
            if polls == 1 {
                waker_tx.send(cx.waker().clone()).unwrap();
            }
            if task_tokens.load(std::sync::atomic::Ordering::SeqCst) >= 1000 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        polls
    });
    let waker = waker_rx.recv_timeout(LONG).unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let wakers: Vec<_> = (0..8)
        .map(|_| {
            let (waker, barrier, tokens) = (waker.clone(), barrier.clone(), tokens.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..125 {
                    tokens.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    waker.wake_by_ref();
                }
            })
        })
        .collect();
    for w in wakers {
        w.join().unwrap();
    }
    let polls = f.result(Some(LONG)).expect("the task finishes");
    // One poll when every token came in before the first poll's check;
    // never more than one a wake.
    assert!((1..=1001).contains(&polls), "{polls} polls");
    pool.shutdown(true, false);
    assert_eq!(pool.stats().workers, 0);
    drop(waker);
}

/// A waker that panics when woken.
struct Panicking;

impl Wake for Panicking {
    fn wake(self: Arc<Self>) {
        panic!("a waker panics");
    }
}

#[test]
fn a_waker_that_panics_when_the_task_completes_leaves_the_thread_serving() {
    // The task's future is polled by hand with a waker that panics; the
    // task's completion wakes it on the executor thread, outside the task's
    // own catch. The only thread must go on serving. (Nothing else waits on
    // `f`: core's completion stops at a waker that panics, so a waiter
    // registered after it would not be woken.)
    let pool = AsyncPool::builder().max_workers(1).build().unwrap();
    let (go_tx, go_rx) = smol::channel::bounded::<()>(1);
    let mut f = pool.spawn(async move {
        go_rx.recv().await.unwrap();
        1
    });
    let waker = Waker::from(Arc::new(Panicking));
    let polled = std::pin::Pin::new(&mut f).poll_fn_once(&mut Context::from_waker(&waker));
    assert!(polled.is_pending());
    go_tx.try_send(()).unwrap();
    // Queued behind `f`'s wake-up on the one thread.
    let next = pool.spawn(async { 2 });
    assert_eq!(next.result(Some(LONG)), Ok(2), "the thread still serves");
    assert_eq!(f.result(Some(Duration::ZERO)), Ok(1));
    assert_eq!(pool.stats().workers, 1);
}

/// `Future::poll` once, named for what the test does.
trait PollOnce {
    fn poll_fn_once(self, cx: &mut Context<'_>) -> Poll<Result<u64, concur_core::Error>>;
}

impl PollOnce for std::pin::Pin<&mut concur_core::Future<u64>> {
    fn poll_fn_once(self, cx: &mut Context<'_>) -> Poll<Result<u64, concur_core::Error>> {
        std::future::Future::poll(self, cx)
    }
}
