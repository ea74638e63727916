//! The scenarios of `map` over closures ([`map_closure`]), for every pool that
//! runs closures in process ([`SpawnClosure`]: the thread and async pools),
//! written once and made `#[test]`s by [`closure_map_suite!`](crate::closure_map_suite):
//! captured state, values and errors that are neither `Serialize` nor `Sync`,
//! input and completion order, chunks, a panic failing its item alone, the
//! deadline, cancellation on drop, refusal after shutdown, invalid options,
//! functions of zero to four arguments.
//!
//! Each scenario takes the factory, `Fn(max_workers) -> P`, and builds the
//! pools it needs. Nothing sleeps to order events: a task that must stay
//! blocked waits on a [`Latch`] or a channel the scenario controls.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use concur_core::backend::{SpawnClosure, map_closure};
use concur_core::{Error, MapOptions, Shutdown};

/// Long enough for anything a scenario waits on to happen.
const LONG: Duration = Duration::from_secs(30);

/// A latch a task blocks on until the test opens it (shared with the
/// backends' own closure-map tests).
#[derive(Clone, Debug, Default)]
pub struct Latch(Arc<(Mutex<bool>, Condvar)>);

impl Latch {
    /// Opens the latch: every `wait`, now and later, returns.
    pub fn open(&self) {
        *self.0.0.lock().expect("no panic under the lock") = true;
        self.0.1.notify_all();
    }

    /// Blocks until the latch is open.
    pub fn wait(&self) {
        let mut open = self.0.0.lock().expect("no panic under the lock");
        while !*open {
            open = self.0.1.wait(open).expect("no panic under the lock");
        }
    }
}

/// A closure uses what it captures, and every item runs once.
pub fn captures_and_counts<P: SpawnClosure>(make: impl Fn(usize) -> P) {
    let pool = make(3);
    let offset = 1000u64;
    let words: Vec<String> = ["zero", "one", "two"].map(String::from).into();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let out: Vec<(u64, String)> = map_closure(
        &pool,
        move |x: u64| {
            seen.fetch_add(1, Ordering::Relaxed);
            (x + offset, words[(x % 3) as usize].clone())
        },
        0..500u64,
        MapOptions::new(),
    )
    .expect("valid options")
    .collect::<Result<_, _>>()
    .expect("no item fails");
    assert_eq!(out.len(), 500);
    for (x, (v, w)) in (0..500u64).zip(&out) {
        assert_eq!(
            (*v, w.as_str()),
            (x + 1000, ["zero", "one", "two"][(x % 3) as usize])
        );
    }
    assert_eq!(calls.load(Ordering::Relaxed), 500);
}

/// Like an HTTP client's error: not `Serialize`, not `Clone`, not `PartialEq`.
#[derive(Debug)]
pub struct FetchError {
    /// The URL that failed.
    pub url: String,
    /// Why.
    pub source: std::io::Error,
}

/// A stand-in for an HTTP fetch: the URL's length, or a [`FetchError`]
/// (`NotFound`) for a host ending in `.invalid`.
pub fn fetch(url: String) -> Result<usize, FetchError> {
    if url.ends_with(".invalid") {
        Err(FetchError {
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such host"),
            url,
        })
    } else {
        Ok(url.len())
    }
}

/// Values and errors need no serde, `Clone` or `Sync`, and come back as they were.
pub fn values_need_no_serde_clone_or_sync<P: SpawnClosure>(make: impl Fn(usize) -> P) {
    let pool = make(2);
    let urls = ["http://a.test", "http://b.invalid", "http://cc.test"].map(String::from);
    let out: Vec<Result<usize, FetchError>> = map_closure(&pool, fetch, urls, MapOptions::new())
        .expect("valid options")
        .map(|r| r.expect("fetch does not panic"))
        .collect();
    assert_eq!(out[0].as_ref().ok(), Some(&13));
    let err = out[1].as_ref().expect_err("b.invalid fails");
    assert_eq!(err.url, "http://b.invalid");
    assert_eq!(err.source.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(out[2].as_ref().ok(), Some(&14));

    // A `Send`-only result: `Box<dyn Error + Send>` is not `Sync`.
    type SendOnly = Box<dyn std::error::Error + Send>;
    let parse = |s: &'static str| s.parse::<u8>().map_err(|e| Box::new(e) as SendOnly);
    let parsed: Vec<Result<u8, SendOnly>> = map_closure(
        &pool,
        parse,
        ["7", "x", "255"],
        MapOptions::new().chunksize(2),
    )
    .expect("valid options")
    .map(|r| r.expect("parse does not panic"))
    .collect();
    assert_eq!(parsed[0].as_ref().ok(), Some(&7));
    let message = parsed[1].as_ref().expect_err("x is no number").to_string();
    assert!(message.contains("invalid digit"), "{message}");
    assert_eq!(parsed[2].as_ref().ok(), Some(&255));
}

/// Input order by default, even when a later item finishes first; completion
/// order on request.
pub fn input_order_and_completion_order<P: SpawnClosure>(make: impl Fn(usize) -> P) {
    let pool = make(2);
    // Input order: item 0 finishes only after item 1 has run, and still
    // comes first.
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let first_waits = move |i: u32| {
        if i == 0 {
            let got = rx.lock().expect("one item locks").recv_timeout(LONG);
            got.expect("item 1 ran");
        } else {
            tx.send(()).expect("item 0 listens");
        }
        i
    };
    let ordered: Vec<u32> = map_closure(&pool, first_waits, 0..2, MapOptions::new())
        .expect("valid options")
        .map(|r| r.expect("no panic"))
        .collect();
    assert_eq!(ordered, [0, 1]);

    // Completion order: item 0 finishes only once the consumer has been
    // handed an item, which can then only be item 1.
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let first_waits = move |i: u32| {
        if i == 0 {
            let got = rx.lock().expect("one item locks").recv_timeout(LONG);
            got.expect("item 1 was yielded");
        }
        i
    };
    let mut unordered =
        map_closure(&pool, first_waits, 0..2, MapOptions::new().ordered(false)).expect("valid");
    assert_eq!(unordered.next(), Some(Ok(1)));
    tx.send(()).expect("item 0 listens");
    assert_eq!(unordered.next(), Some(Ok(0)));
    assert_eq!(unordered.next(), None);
}

/// `chunksize` items per task; a panic fails its own item only, in a chunk or
/// alone, and the pool goes on.
pub fn chunks_and_a_panic_failing_its_item<P: SpawnClosure>(make: impl Fn(usize) -> P) {
    let pool = make(2);
    let before = pool.stats().submitted;
    let unlucky = |x: u64| {
        assert!(x != 13, "unlucky {x}");
        x * x
    };
    let out: Vec<Result<u64, Error>> =
        map_closure(&pool, unlucky, 0..100u64, MapOptions::new().chunksize(7))
            .expect("valid options")
            .collect();
    // 100 items in chunks of 7: 15 tasks, the last one short.
    assert_eq!(pool.stats().submitted - before, 15);
    assert_eq!(out.len(), 100);
    for (i, r) in (0u64..).zip(out) {
        if i == 13 {
            let Err(Error::Panicked { message, .. }) = r else {
                panic!("item 13: {r:?}")
            };
            assert!(message.contains("unlucky 13"), "{message}");
        } else {
            assert_eq!(r, Ok(i * i), "item {i}");
        }
    }

    let pool = make(1);
    let one_panics = |x: u8| if x == 1 { panic!("one") } else { x };
    let out: Vec<Result<u8, Error>> = map_closure(&pool, one_panics, 0..3, MapOptions::new())
        .expect("valid options")
        .collect();
    assert_eq!(out[0], Ok(0));
    assert!(matches!(&out[1], Err(Error::Panicked { message, .. }) if message == "one"));
    assert_eq!(out[2], Ok(2));
    assert_eq!(pool.spawn_closure(|| 5).result(Some(LONG)), Ok(5));
}

/// Past the deadline: one `Timeout`, what is queued cancelled, the end.
pub fn the_deadline_times_out_once_and_cancels<P: SpawnClosure>(make: impl Fn(usize) -> P) {
    let pool = make(1);
    let latch = Latch::default();
    let ran = Arc::new(Mutex::new(Vec::new()));
    let (l, r) = (latch.clone(), Arc::clone(&ran));
    let second_blocks = move |i: u32| {
        r.lock().expect("no panic under the lock").push(i);
        if i == 1 {
            l.wait();
        }
        i
    };
    let options = MapOptions::new()
        .buffersize(5)
        .timeout(Duration::from_millis(200));
    let map = map_closure(&pool, second_blocks, 0..10, options).expect("valid options");
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
    let ran = ran.lock().expect("no panic under the lock");
    assert!(ran.iter().all(|&i| i < 2), "{ran:?}");
}

/// Only the window is submitted, and dropping the map cancels what has not started.
pub fn dropping_the_map_cancels_what_has_not_started<P: SpawnClosure>(make: impl Fn(usize) -> P) {
    let pool = make(1);
    let latch = Latch::default();
    let (started_tx, started) = mpsc::channel::<u32>();
    let l = latch.clone();
    let blocks = move |i: u32| {
        started_tx.send(i).expect("the scenario listens");
        l.wait();
        i
    };
    let map = map_closure(&pool, blocks, 0..1000, MapOptions::new().buffersize(8))
        .expect("valid options");
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

/// After shutdown the map is refused up front, as `submit` is; an empty input
/// is not; invalid options are named first, before and after shutdown.
pub fn refused_after_shutdown_and_invalid_options<P: SpawnClosure>(make: impl Fn(usize) -> P) {
    let pool = make(1);
    let invalid = [
        MapOptions::new().chunksize(0),
        MapOptions::new().buffersize(0),
    ];
    for options in invalid {
        let err = map_closure(&pool, |x: u8| x, 0..3, options).expect_err("invalid");
        assert!(
            matches!(err, Error::InvalidConfig { .. }),
            "{options:?}: {err:?}"
        );
    }
    pool.shutdown_with(Shutdown::wait());
    let err = map_closure(&pool, |x: u8| x, 0..3, MapOptions::new()).expect_err("shut down");
    assert_eq!(err, Error::Shutdown);
    // Nothing to map submits nothing, and is not refused (as Python's `map`).
    let empty = map_closure(&pool, |x: u8| x, std::iter::empty(), MapOptions::new());
    assert_eq!(empty.expect("nothing to refuse").count(), 0);
    // Chunks and completion order are refused alike.
    for options in [
        MapOptions::new().chunksize(2),
        MapOptions::new().ordered(false),
    ] {
        let err = map_closure(&pool, |x: u8| x, 0..3, options).expect_err("shut down");
        assert_eq!(err, Error::Shutdown, "{options:?}");
    }
    for options in invalid {
        let err = map_closure(&pool, |x: u8| x, 0..3, options).expect_err("invalid");
        assert!(
            matches!(err, Error::InvalidConfig { .. }),
            "{options:?}: {err:?}"
        );
    }
}

/// Functions and closures of zero to four arguments, each item the tuple of
/// them (a closure that takes one tuple keeps it whole), capturing what is
/// not `Copy`; chunked or not, a panic failing its item alone.
pub fn zero_to_four_arguments<P: SpawnClosure>(make: impl Fn(usize) -> P) {
    fn add(a: u64, b: u64) -> u64 {
        a + b
    }
    let pool = make(2);
    for chunksize in [1, 3] {
        let pairs = (0..10u64).map(|i| (i, 10 * i));
        let sums: Vec<u64> = map_closure(&pool, add, pairs, MapOptions::new().chunksize(chunksize))
            .expect("valid options")
            .collect::<Result<_, _>>()
            .expect("add does not fail");
        let expected: Vec<u64> = (0..10).map(|i| 11 * i).collect();
        assert_eq!(sums, expected, "add, chunksize {chunksize}");
    }
    let product = |(a, b): (u64, u64)| a * b;
    let out = map_closure(&pool, product, [(2, 3), (4, 5)], MapOptions::new()).expect("valid");
    assert_eq!(
        out.collect::<Vec<_>>(),
        [Ok(6), Ok(20)],
        "one tuple argument"
    );
    let sevens = map_closure(&pool, || 7u8, [(), ()], MapOptions::new()).expect("valid");
    assert_eq!(sevens.collect::<Vec<_>>(), [Ok(7), Ok(7)], "no argument");

    let label = String::from("box"); // captured, and not `Copy`
    let volume = move |w: u32, h: u32, d: u32| format!("{label} {}", w * h * d);
    let boxes: Vec<Result<String, Error>> =
        map_closure(&pool, volume, [(1, 2, 3), (2, 2, 2)], MapOptions::new())
            .expect("valid options")
            .collect();
    assert_eq!(boxes, [Ok("box 6".to_owned()), Ok("box 8".to_owned())]);
    let words: Vec<String> = ["a", "b"].map(String::from).into();
    let spell = move |i: usize, n: usize, sep: char, upper: bool| {
        let word = words[i].repeat(n);
        format!("{}{sep}", if upper { word.to_uppercase() } else { word })
    };
    let items = [(0, 2, '-', false), (1, 3, '+', true)];
    let spelled: Vec<Result<String, Error>> =
        map_closure(&pool, spell, items, MapOptions::new().chunksize(2))
            .expect("valid options")
            .collect();
    assert_eq!(spelled, [Ok("aa-".to_owned()), Ok("BBB+".to_owned())]);

    let divide = |a: u64, b: u64| {
        assert!(b != 0, "{a} / 0");
        a / b
    };
    let items = [(6, 3), (1, 0), (8, 2)];
    let out: Vec<Result<u64, Error>> =
        map_closure(&pool, divide, items, MapOptions::new().chunksize(2))
            .expect("valid options")
            .collect();
    assert_eq!((&out[0], &out[2]), (&Ok(2), &Ok(4)));
    assert!(
        matches!(&out[1], Err(Error::Panicked { message, .. }) if message == "1 / 0"),
        "{:?}",
        out[1]
    );
}

/// Makes every scenario of [`closure_map`](crate::closure_map) a `#[test]`
/// of the file it is written in, in a module `closure_map`, run against the
/// pools `$make` builds: `Fn(max_workers: usize) -> P` for a
/// [`SpawnClosure`] pool `P`.
///
/// The expansion is a private function `__concur_closure_map_factory` and
/// the module; use it once, at the top level of a test file.
///
/// ```
/// # use concur_core::{Error, Executor, Future, Stats, backend::{SpawnClosure, TaskObj}};
/// # #[derive(Debug)]
/// # pub struct MyPool;
/// # impl Executor for MyPool {
/// #     fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
/// #         task.run(&Default::default());
/// #         Ok(())
/// #     }
/// #     fn max_workers(&self) -> usize { 1 }
/// #     fn stats(&self) -> Stats { Stats::default() }
/// #     fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
/// # }
/// # impl SpawnClosure for MyPool {
/// #     fn spawn_closure<R, F>(&self, job: F) -> Future<R>
/// #     where
/// #         R: Send + 'static,
/// #         F: FnOnce() -> R + Send + 'static,
/// #     {
/// #         Future::ready(job())
/// #     }
/// # }
/// # impl MyPool { fn new(_: usize) -> Result<MyPool, Error> { Ok(MyPool) } }
/// concur_conformance::closure_map_suite!(|n| MyPool::new(n).expect("a pool"));
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! closure_map_suite {
    ($make:expr $(,)?) => {
        fn __concur_closure_map_factory(
            max_workers: usize,
        ) -> impl $crate::__SpawnClosure + 'static {
            ($make)(max_workers)
        }
        mod closure_map {
            $crate::__closure_map_tests!(
                super::__concur_closure_map_factory;
                captures_and_counts,
                values_need_no_serde_clone_or_sync,
                input_order_and_completion_order,
                chunks_and_a_panic_failing_its_item,
                the_deadline_times_out_once_and_cancels,
                dropping_the_map_cancels_what_has_not_started,
                refused_after_shutdown_and_invalid_options,
                zero_to_four_arguments,
            );
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __closure_map_tests {
    ($make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::closure_map::$name($make);
            }
        )*
    };
}
