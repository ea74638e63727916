//! A task's value needs `Send`, not `Sync` (as std's, rayon's and tokio's
//! spawn): boxed `Send` errors and `Cell`s come back, by move or by clone, and
//! two threads never touch one value at once.

use std::cell::Cell;
use std::error::Error as StdError;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

use concur_core::{Error, FlatError, Future, as_completed};
use concur_threads::ThreadPool;

type Fetched = Result<usize, Box<dyn StdError + Send>>;

/// An error that is `Send` but not `Sync` (the `Cell`), as many are.
#[derive(Debug)]
struct NoPage {
    n: usize,
    _not_sync: Cell<()>,
}

impl std::fmt::Display for NoPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no page {}", self.n)
    }
}

impl StdError for NoPage {}

fn fetch(n: usize) -> Fetched {
    if n.is_multiple_of(3) {
        Err(Box::new(NoPage {
            n,
            _not_sync: Cell::new(()),
        }))
    } else {
        Ok(n * 10)
    }
}

fn is_send_sync<T: Send + Sync>(_: &T) {}

#[test]
fn a_boxed_send_error_is_a_value() {
    let pool = ThreadPool::new(2).unwrap();
    let futures: Vec<Future<Fetched>> = (1..=6).map(|n| pool.spawn(move || fetch(n))).collect();
    is_send_sync(&futures[0]);
    let (mut ok, mut failed) = (0, Vec::new());
    for f in as_completed(&futures, None) {
        match f.unwrap().take(None).unwrap() {
            Ok(v) => ok += v,
            Err(e) => failed.push(e.to_string()),
        }
    }
    failed.sort();
    assert_eq!(ok, 10 + 20 + 40 + 50);
    assert_eq!(failed, ["no page 3", "no page 6"]);
    // Moved out once: every handle now says so.
    assert!(matches!(
        futures[0].take(None),
        Err(Error::InvalidState { .. })
    ));
}

#[test]
fn flatten_keeps_both_layers() {
    let pool = ThreadPool::new(1).unwrap();
    assert_eq!(pool.spawn(|| fetch(2)).flatten().unwrap(), 20);
    match pool.spawn(|| fetch(3)).flatten() {
        Err(FlatError::Task(e)) => assert_eq!(e.to_string(), "no page 3"),
        other => panic!("expected the task's error, saw {other:?}"),
    }
    let boom = pool.spawn(|| -> Fetched { panic!("no network") }).flatten();
    assert!(matches!(
        boom,
        Err(FlatError::Run(Error::Panicked { ref message, .. })) if message == "no network"
    ));
}

/// `Clone` that fails the test if two clones of one value ever overlap —
/// what `T: Sync` would have allowed and `T: Send` does not.
struct Exclusive {
    busy: Cell<bool>,
    clones: &'static AtomicUsize,
}

impl Clone for Exclusive {
    fn clone(&self) -> Self {
        assert!(!self.busy.replace(true), "two threads inside one clone");
        // Widen the window an overlap would need.
        for _ in 0..64 {
            std::hint::spin_loop();
        }
        self.clones.fetch_add(1, Ordering::Relaxed);
        self.busy.set(false);
        Exclusive {
            busy: Cell::new(false),
            clones: self.clones,
        }
    }
}

#[test]
fn readers_of_a_send_only_value_take_turns() {
    static CLONES: AtomicUsize = AtomicUsize::new(0);
    const THREADS: usize = 4;
    const READS: usize = 2_000;
    let pool = ThreadPool::new(2).unwrap();
    let f = pool.spawn(|| Exclusive {
        busy: Cell::new(false),
        clones: &CLONES,
    });
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                start.wait();
                for _ in 0..READS {
                    let v = f.result(None).expect("a value");
                    assert!(!v.busy.get());
                }
            });
        }
    });
    assert_eq!(CLONES.load(Ordering::Relaxed), THREADS * READS);
}

#[test]
fn one_take_wins_against_readers() {
    const THREADS: usize = 4;
    let pool = ThreadPool::new(2).unwrap();
    for round in 0..200u64 {
        let f = pool.spawn(move || Cell::new(round));
        f.wait_timeout(None);
        let start = Barrier::new(THREADS + 1);
        let (taken, read) = std::thread::scope(|s| {
            let readers: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        match f.result(None) {
                            Ok(c) => {
                                assert_eq!(c.get(), round, "a value arrived changed");
                                1
                            }
                            Err(Error::InvalidState { .. }) => 0,
                            Err(e) => panic!("unexpected {e}"),
                        }
                    })
                })
                .collect();
            start.wait();
            let taken = f.take(None).expect("the one take").get();
            let read: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
            (taken, read)
        });
        assert_eq!(taken, round);
        assert!(read <= THREADS);
        assert!(matches!(f.take(None), Err(Error::InvalidState { .. })));
    }
}
