//! Many threads racing cancel, complete, blocking waits, async waits, `wait`,
//! `as_completed` and callbacks on the same futures: every future ends exactly
//! once, every callback runs exactly once, every waiter wakes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use concur_core::{Error, Promise, ReturnWhen, as_completed, wait};

const ROUNDS: usize = if cfg!(miri) { 20 } else { 10_000 };
const LONG: Option<Duration> = Some(Duration::from_secs(60));

#[test]
fn racing_everything_on_the_same_futures() {
    let barrier = Arc::new(Barrier::new(6));
    let promises: Vec<std::sync::Mutex<Option<Promise<usize>>>> = (0..ROUNDS)
        .map(|_| std::sync::Mutex::new(Some(Promise::new())))
        .collect();
    let futures: Vec<_> = promises
        .iter()
        .map(|p| p.lock().unwrap().as_ref().unwrap().future())
        .collect();
    let callbacks = Arc::new(AtomicUsize::new(0));
    let completed_ok = AtomicUsize::new(0);
    let cancelled_ok = AtomicUsize::new(0);

    std::thread::scope(|s| {
        // completer
        s.spawn(|| {
            for (i, slot) in promises.iter().enumerate() {
                barrier.wait();
                let p = slot.lock().unwrap().take().unwrap();
                let won = if i % 2 == 0 {
                    p.set_running() && p.set_result(i)
                } else {
                    p.set_result(i)
                };
                if won {
                    completed_ok.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        // canceller
        s.spawn(|| {
            for f in &futures {
                barrier.wait();
                if f.cancel() {
                    cancelled_ok.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        // blocking waiter
        s.spawn(|| {
            for (i, f) in futures.iter().enumerate() {
                barrier.wait();
                match f.result(LONG) {
                    Ok(v) => assert_eq!(v, i),
                    Err(e) => assert_eq!(e, Error::Cancelled),
                }
            }
        });
        // callback registrar
        s.spawn(|| {
            for f in &futures {
                barrier.wait();
                let c = callbacks.clone();
                f.add_done_callback(move |f| {
                    assert!(f.is_done());
                    c.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        // wait / as_completed
        s.spawn(|| {
            for f in &futures {
                barrier.wait();
                let r = wait([f], LONG, ReturnWhen::FirstCompleted);
                assert_eq!(r.done.len(), 1);
                let mut it = as_completed([f], LONG);
                assert!(it.next().unwrap().is_ok());
                assert!(it.next().is_none());
            }
        });
        // async waiter
        s.spawn(|| {
            for (i, f) in futures.iter().enumerate() {
                barrier.wait();
                match futures_lite::future::block_on(f) {
                    Ok(v) => assert_eq!(v, i),
                    Err(e) => assert_eq!(e, Error::Cancelled),
                }
            }
        });
    });

    let ok = completed_ok.load(Ordering::Relaxed);
    let cancelled = cancelled_ok.load(Ordering::Relaxed);
    assert_eq!(ok + cancelled, ROUNDS, "each future ended exactly once");
    assert_eq!(
        callbacks.load(Ordering::Relaxed),
        ROUNDS,
        "each callback ran exactly once"
    );
    for (i, f) in futures.iter().enumerate() {
        assert!(f.is_done());
        if f.is_cancelled() {
            assert_eq!(f.result(None), Err(Error::Cancelled));
        } else {
            assert_eq!(f.result(None), Ok(i));
        }
    }
}

#[test]
fn many_readers_race_one_consumer() {
    for _ in 0..if cfg!(miri) { 5 } else { 300 } {
        let p = Promise::new();
        let f = p.future();
        p.set_result(vec![1u8; 64]);
        let barrier = Barrier::new(4);
        let taken = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    barrier.wait();
                    match f.result(None) {
                        Ok(v) => assert_eq!(v, vec![1u8; 64]),
                        Err(e) => assert!(matches!(e, Error::InvalidState { .. })),
                    }
                });
            }
            let g = f.clone();
            let taken = &taken;
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                assert_eq!(g.into_result(), Ok(vec![1u8; 64]));
                taken.fetch_add(1, Ordering::Relaxed);
            });
        });
        assert_eq!(taken.load(Ordering::Relaxed), 1);
    }
}
