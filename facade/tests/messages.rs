//! Every error a user can meet on the thread and async pools, met the way a
//! user meets it (not built by hand), says what happened — with the context
//! to find it: where a task panicked, which bound was hit, what the
//! initializer said — and what to do about it.

#![cfg(any(feature = "threads", feature = "async"))]

use std::sync::mpsc;
use std::time::Duration;

use concur::{Error, Executor, MapOptions, Shutdown};

const LONG: Duration = Duration::from_secs(30);

/// `error`'s message holds every fragment of `what` and of `to_do`.
fn says(error: &Error, what: &[&str], to_do: &[&str]) {
    let text = error.to_string();
    for fragment in what.iter().chain(to_do) {
        assert!(text.contains(fragment), "{text:?} lacks {fragment:?}");
    }
}

/// A pool under test: the few calls that differ between the two.
trait Pool: Executor + Sized + std::fmt::Debug {
    fn with(max_workers: usize, max_queued: Option<usize>) -> Result<Self, Error>;
    fn broken() -> Result<Self, Error>;
    fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> concur::Future<R>;
}

#[cfg(feature = "threads")]
impl Pool for concur::threads::ThreadPool {
    fn with(max_workers: usize, max_queued: Option<usize>) -> Result<Self, Error> {
        Self::builder()
            .max_workers(max_workers)
            .max_queued(max_queued)
            .build()
    }
    fn broken() -> Result<Self, Error> {
        // A thread pool starts its workers lazily: it breaks at the first task.
        let pool = Self::builder()
            .max_workers(1)
            .initializer(|| panic!("no database"))
            .build()?;
        let _ = pool.spawn(|| ()).result(Some(LONG));
        Ok(pool)
    }
    fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> concur::Future<R> {
        self.spawn(f)
    }
}

#[cfg(feature = "async")]
impl Pool for concur::asyncio::AsyncPool {
    fn with(max_workers: usize, max_queued: Option<usize>) -> Result<Self, Error> {
        Self::builder()
            .max_workers(max_workers)
            .max_queued(max_queued)
            .build()
    }
    fn broken() -> Result<Self, Error> {
        // An async pool starts its threads in `build`, which reports it.
        Self::builder()
            .max_workers(1)
            .initializer(|| panic!("no database"))
            .build()
    }
    fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> concur::Future<R> {
        self.spawn(async move { f() })
    }
}

fn ident(x: u64) -> u64 {
    x
}

fn every_message<P: Pool>() {
    // InvalidConfig: zero workers, zero queue, a zero chunk size.
    let zero = P::with(0, None).unwrap_err();
    says(
        &zero,
        &["invalid configuration", "max_workers must be at least 1"],
        &["fix the value where it is given"],
    );
    let zero_queue = P::with(1, Some(0)).unwrap_err();
    says(&zero_queue, &["max_queued"], &["fix the value"]);

    let pool = P::with(1, Some(1)).unwrap();
    let chunk = pool
        .map(ident, 0..3, MapOptions::new().chunksize(0))
        .unwrap_err();
    says(&chunk, &["chunksize must be at least 1"], &["`MapOptions`"]);

    // Panicked: where, what, and how to see more.
    let before = line!();
    let boom = pool
        .run(|| -> u8 { panic!("boom") })
        .result(Some(LONG))
        .unwrap_err();
    let after = line!();
    says(
        &boom,
        &["the task panicked at", ": boom"],
        &["the pool goes on", "{:#}"],
    );
    // The location is the panic's, `file:line:col`, in this very test.
    let at = boom.location().expect("a location");
    let mut parts = at.rsplitn(3, ':');
    let (_col, line, file) = (parts.next(), parts.next(), parts.next());
    let line: u32 = line.and_then(|l| l.parse().ok()).expect("a line number");
    assert!(file.is_some_and(|f| f.ends_with("messages.rs")), "{at}");
    assert!(before < line && line < after, "{at}");
    assert!(boom.to_string().contains(at), "{boom}");

    // Timeout: a task held on a channel, read with a short timeout.
    let (release, held) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel::<()>();
    let blocked = pool.run(move || {
        started_tx.send(()).unwrap();
        held.recv_timeout(LONG).is_ok()
    });
    // Running, so out of the queue: the bound below counts what follows it.
    started.recv_timeout(LONG).unwrap();
    let late = blocked.result(Some(Duration::from_millis(10))).unwrap_err();
    says(
        &late,
        &["timed out", "deadline passed"],
        &["leaves the task running", "wait again"],
    );

    // Full: one task queued behind the blocked one fills `max_queued(1)`;
    // Cancelled: that queued one, cancelled.
    let queued = pool.try_submit(ident, 1).unwrap();
    let full = pool.try_submit(ident, 2).unwrap_err();
    says(
        &full,
        &["queue is full", "1 tasks are queued"],
        &["raise `max_queued`", "try again"],
    );
    assert!(queued.cancel());
    let cancelled = queued.result(Some(LONG)).unwrap_err();
    says(
        &cancelled,
        &["cancelled before its task started"],
        &["submit the task again"],
    );
    release.send(()).unwrap();
    assert_eq!(blocked.result(Some(LONG)), Ok(true));

    // InvalidState: a value moved out twice.
    let once = pool.submit(ident, 7);
    assert_eq!(once.take(Some(LONG)), Ok(7));
    let twice = once.take(Some(LONG)).unwrap_err();
    says(&twice, &["already moved out"], &["read it with `result`"]);

    // Shutdown: submit and map after shutdown.
    pool.shutdown_with(Shutdown::wait());
    let late_submit = pool.submit(ident, 1).result(Some(LONG)).unwrap_err();
    says(&late_submit, &["shut down"], &["create a new pool"]);
    let late_try = pool.try_submit(ident, 1).unwrap_err();
    assert_eq!(late_try, late_submit);

    // Broken: the initializer's panic, named.
    let broken = match P::broken() {
        Ok(pool) => pool.submit(ident, 1).result(Some(LONG)).unwrap_err(),
        Err(e) => e,
    };
    says(&broken, &["broken", "no database"], &["create a new pool"]);
}

#[cfg(feature = "threads")]
#[test]
fn thread_pool_messages_say_what_and_what_to_do() {
    every_message::<concur::threads::ThreadPool>();
}

#[cfg(feature = "async")]
#[test]
fn async_pool_messages_say_what_and_what_to_do() {
    every_message::<concur::asyncio::AsyncPool>();
}
