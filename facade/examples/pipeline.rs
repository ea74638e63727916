//! Workers fed from a bounded task queue, results collected as they come,
//! Ctrl-C stops it: the `JoinableQueue` + `KeyboardInterrupt` program of the
//! Python articles. Its Python original is `python/pipeline.py`.
//!
//! ```text
//! cargo run --release --example pipeline                          # press Ctrl-C
//! cargo run --release --example pipeline -- --interrupt-after 5   # unattended
//! cargo run --release --example pipeline --features full -- --backend process
//! ```
//!
//! A producer thread puts 100 tasks on a queue of 4 (Python's `add_tasks`);
//! `map` takes them from the queue as workers free up, so the queue is the
//! map's input, and yields results in completion order. On SIGINT the loop
//! stops: dropping the map cancels the tasks that have not started (the
//! producer, finding the queue gone, stops too) and dropping the pool waits
//! for the running ones. `--interrupt-after N` raises SIGINT after N results,
//! so the interrupted path runs without a terminal (`cargo xtask ci` runs it).
//! With `--backend process` a Ctrl-C typed at a terminal reaches this process
//! only: the workers run in a process group of their own.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use concur::prelude::*;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, SeqCst); // one atomic store: async-signal-safe
}

fn download(task: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(20));
    task * task
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut backend, mut interrupt_after) = (Backend::Threads, usize::MAX);
    let mut args = std::env::args().skip(1);
    while let (Some(flag), value) = (args.next(), args.next().unwrap_or_default()) {
        match flag.as_str() {
            "--backend" => backend = value.parse()?,
            "--interrupt-after" => interrupt_after = value.parse()?,
            _ => return Err("usage: pipeline [--backend NAME] [--interrupt-after N]".into()),
        }
    }
    // SAFETY: `on_sigint` only stores to an atomic, which is async-signal-safe.
    unsafe { libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t) };
    let pool = Pool::builder(backend).max_workers(2).build()?;
    let (tasks, queue) = std::sync::mpsc::sync_channel(4);
    std::thread::spawn(move || (0..100).try_for_each(|task| tasks.send(task)));
    let mut results = Vec::new();
    for result in pool.map(download, queue, MapOptions::new().ordered(false))? {
        results.push(result?);
        if results.len() == interrupt_after {
            // SAFETY: `raise` has no preconditions; the handler runs before it returns.
            unsafe { libc::raise(libc::SIGINT) };
        }
        if INTERRUPTED.load(SeqCst) {
            println!("Tasks has been stopped! (after {} results)", results.len());
            break;
        }
    }
    drop(pool); // shutdown(wait=True): the running tasks finish
    println!("{} results: {results:?}", results.len());
    Ok(())
}
