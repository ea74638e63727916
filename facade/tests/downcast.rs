//! `Pool::downcast_ref` / `downcast_mut` / `downcast`: a pool chosen at run
//! time hands back its backend as its own type, for what only that backend
//! offers — on every backend compiled in and on a third party's executor. A
//! wrong type is `None` (or the pool back, unchanged and still running), and
//! a downcast by value does not shut the executor down.

use concur::Stats;
use concur::backend::{StatsCounter, TaskObj};
use concur::prelude::*;

fn square(x: u64) -> u64 {
    x * x
}

/// A third party's executor, with a `&mut self` method of its own.
#[derive(Debug, Default)]
struct Inline {
    stats: StatsCounter,
    label: String,
}

impl Inline {
    fn relabel(&mut self, label: &str) {
        self.label = label.to_owned();
    }
}

impl Executor for Inline {
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.stats.submitted();
        task.run(&self.stats);
        Ok(())
    }
    fn max_workers(&self) -> usize {
        1
    }
    fn stats(&self) -> Stats {
        self.stats.snapshot(1)
    }
    fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
}

/// Another third party's type, to downcast to by mistake.
#[derive(Debug)]
struct Other;

impl Executor for Other {
    fn submit_task(&self, _task: TaskObj) -> Result<(), Error> {
        Err(Error::Shutdown)
    }
    fn max_workers(&self) -> usize {
        1
    }
    fn stats(&self) -> Stats {
        Stats::default()
    }
    fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
}

#[test]
fn a_third_party_executor_comes_back_as_itself() {
    let mut pool = Pool::from_executor(Inline::default());
    assert!(pool.is::<Inline>());
    assert!(!pool.is::<Other>());
    assert!(pool.downcast_ref::<Other>().is_none());
    assert!(pool.downcast_mut::<Other>().is_none());

    // The value the pool holds, not a copy: a change through `downcast_mut`
    // is seen through `downcast_ref`, and the counters are the pool's.
    pool.downcast_mut::<Inline>()
        .expect("an Inline")
        .relabel("mine");
    assert_eq!(pool.submit(square, 9).result(None), Ok(81));
    let inline = pool.downcast_ref::<Inline>().expect("an Inline");
    assert_eq!(inline.label, "mine");
    assert_eq!(inline.stats().completed, 1);

    // A wrong type by value: the pool comes back and still works.
    let pool = pool.downcast::<Other>().expect_err("not an Other");
    assert_eq!(pool.submit(square, 3).result(None), Ok(9));
    let inline: Inline = pool.downcast().expect("an Inline");
    assert_eq!(
        (inline.label.as_str(), inline.stats().completed),
        ("mine", 2)
    );
}

#[test]
fn downcast_dyn_and_pool_agree() {
    let pool = Pool::from_executor(Inline::default());
    let before = pool.as_dyn().stats().submitted;
    let _ = pool.submit(square, 1).result(None);
    assert_eq!(pool.as_dyn().stats().submitted, before + 1);
    assert_eq!(
        pool.downcast_ref::<Inline>().map(|e| e.stats().submitted),
        Some(before + 1)
    );
}

#[cfg(feature = "threads")]
#[test]
fn threads_downcast_to_thread_pool() {
    let pool = Pool::builder(Backend::Threads)
        .max_workers(2)
        .build()
        .expect("a thread pool");
    assert!(pool.downcast_ref::<Inline>().is_none());
    let pool = pool.downcast::<Inline>().expect_err("not an Inline");
    assert_eq!(
        pool.backend(),
        Some(Backend::Threads),
        "the pool comes back whole"
    );
    let threads = pool.downcast_ref::<ThreadPool>().expect("a ThreadPool");
    // The thread pool's own closure `spawn`: a value that is no payload.
    let shared = std::sync::Arc::new(5u64);
    let f: concur::Future<u64> = threads.spawn(move || *shared * 2);
    assert_eq!(f.result(None), Ok(10));
    assert_eq!(
        pool.stats().completed,
        1,
        "the same pool, seen through Pool"
    );

    // By value: the pool is not shut down by the move.
    let threads: ThreadPool = pool.downcast().expect("a ThreadPool");
    assert_eq!(threads.submit(square, 4).result(None), Ok(16));
    assert_eq!(threads.max_workers(), 2);
}

#[cfg(feature = "async")]
#[test]
fn async_downcast_to_async_pool() {
    let pool = Pool::builder(Backend::Async)
        .max_workers(2)
        .build()
        .expect("an async pool");
    #[cfg(feature = "threads")]
    assert!(pool.downcast_ref::<ThreadPool>().is_none());
    let asyncio = pool.downcast_ref::<AsyncPool>().expect("an AsyncPool");
    // The async pool's own `spawn` of a future.
    let f = asyncio.spawn(async { 6u8 * 7 });
    assert_eq!(f.result(None), Ok(42));
    let asyncio: AsyncPool = pool.downcast().expect("an AsyncPool");
    assert_eq!(asyncio.submit(square, 5).result(None), Ok(25));
}

#[cfg(feature = "process")]
fn spin(_: ()) -> u8 {
    loop {
        std::hint::spin_loop();
    }
}

#[cfg(feature = "process")]
#[test]
fn process_downcast_to_process_pool_kills_one_task() {
    // This test binary is re-executed as the workers (concur-process's
    // pre-main hook).
    let pool = Pool::builder(Backend::Process)
        .max_workers(1)
        .build()
        .expect("a process pool");
    #[cfg(feature = "threads")]
    assert!(pool.downcast_ref::<ThreadPool>().is_none());
    let stuck = pool.submit(spin, ());
    while !stuck.is_running() {
        std::thread::yield_now();
    }
    // What only the process pool offers: kill one running task.
    let processes = pool
        .downcast_ref::<concur::process::ProcessPool>()
        .expect("a ProcessPool");
    assert!(processes.kill(&stuck));
    assert_eq!(stuck.result(None), Err(Error::Cancelled));
    assert_eq!(pool.submit(square, 8).result(None), Ok(64), "a new worker");
    let processes: ProcessPool = pool.downcast().expect("a ProcessPool");
    assert_eq!(processes.submit(square, 3).result(None), Ok(9));
}

#[test]
fn a_pool_in_a_pool_unwraps_one_layer_at_a_time() {
    let outer = Pool::from_executor(Pool::from_executor(Inline::default()));
    assert!(
        outer.downcast_ref::<Inline>().is_none(),
        "only the outer layer"
    );
    let inner: Pool = outer.downcast().expect("a Pool");
    assert!(inner.is::<Inline>());
    assert_eq!(inner.submit(square, 2).result(None), Ok(4));
}
