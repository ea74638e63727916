//! The pre-main hook intercepts a worker before `main`: this test binary has no
//! test harness, and its `main` refuses to run in a worker process. If the hook
//! did not take over, the worker would reach this `main`, exit with 99, never
//! connect, and `build()` would fail.

use concur_core::{Executor, MapOptions};
use concur_process::ProcessPool;

fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    if std::env::var_os("CONCUR_PROCESS_SERVER").is_some() {
        eprintln!("a worker reached main: the pre-main hook did not run");
        std::process::exit(99);
    }
    let pool = ProcessPool::builder()
        .max_workers(2)
        .build()
        .expect("workers intercepted before main");
    let total: u64 = pool
        .map(square, 0..100, MapOptions::new().chunksize(10))
        .expect("valid options")
        .map(|r| r.expect("square does not fail"))
        .sum();
    assert_eq!(total, (0..100).map(|x| x * x).sum::<u64>());
    println!("hook: workers were intercepted before main");
}
