//! A worker pool fed from a bounded task queue: a producer thread puts work
//! items on a queue of 4, the main thread moves them onto a 2-worker pool
//! (never more than 4 in the pool at once) and collects the results in
//! completion order. Ctrl-C (SIGINT) stops the producer, cancels what is
//! pending, lets the running tasks finish, and prints what was done — the
//! `JoinableQueue` + `KeyboardInterrupt` pattern of the Python articles.
//!
//! ```text
//! cargo run --release --example pipeline                          # press Ctrl-C
//! cargo run --release --example pipeline -- --interrupt-after 5   # unattended
//! cargo run --release --example pipeline --features full -- --backend process
//! ```
//!
//! `--interrupt-after N` raises SIGINT on this process after N results, so the
//! interrupted path runs without a terminal (`cargo xtask ci` runs it). With
//! `--backend process` a Ctrl-C typed at a terminal reaches this process only:
//! the worker processes run in a process group of their own, so their running
//! tasks finish as on the other backends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use concur::Future;
use concur::prelude::*;

/// Set by the SIGINT handler, read by the producer and the collecting loop.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The SIGINT handler: one atomic store, which is async-signal-safe.
extern "C" fn on_sigint(_signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Room on the queue between the producer and the pool.
const QUEUE: usize = 4;
/// Workers of the pool.
const WORKERS: usize = 2;
/// Tasks in the pool at once (running or waiting for a worker).
const IN_POOL: usize = 4;

/// One work item: pretends to process record `n` for 20 ms, returns a digest.
fn process(n: u64) -> (u64, u64) {
    std::thread::sleep(Duration::from_millis(20));
    (n, n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48)
}

struct Args {
    backend: Backend,
    items: u64,
    interrupt_after: Option<usize>,
}

const USAGE: &str =
    "usage: pipeline [--backend threads|process|async] [--items N] [--interrupt-after N]";

fn parse_args() -> Result<Args, String> {
    let mut parsed = Args {
        backend: Backend::Threads,
        items: 100,
        interrupt_after: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--backend" => {
                parsed.backend = value("--backend")?.parse().map_err(|e| format!("{e}"))?;
            }
            "--items" => {
                let v = value("--items")?;
                parsed.items = v
                    .parse()
                    .map_err(|_| format!("--items: `{v}` is not a number"))?;
            }
            "--interrupt-after" => {
                let v = value("--interrupt-after")?;
                let n = v
                    .parse()
                    .map_err(|_| format!("--interrupt-after: `{v}` is not a number"))?;
                parsed.interrupt_after = Some(n);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    Ok(parsed)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    // SAFETY: `on_sigint` only stores to an atomic, which is async-signal-safe,
    // and has the signature `signal` expects.
    let previous = unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        )
    };
    if previous == libc::SIG_ERR {
        return Err("cannot install the SIGINT handler".into());
    }

    let pool = Pool::builder(args.backend).max_workers(WORKERS).build()?;
    println!(
        "{} items, queue of {QUEUE}, {WORKERS} workers ({} backend); Ctrl-C to stop",
        args.items, args.backend
    );

    // The producer: blocks while the queue is full, stops when interrupted or
    // when the consumer is gone.
    let (queue, from_queue) = mpsc::sync_channel::<u64>(QUEUE);
    let items = args.items;
    let producer = std::thread::spawn(move || {
        let mut produced = 0;
        for n in 0..items {
            if INTERRUPTED.load(Ordering::SeqCst) || queue.send(n).is_err() {
                break;
            }
            produced += 1;
        }
        produced
    });

    let mut in_pool: Vec<Future<(u64, u64)>> = Vec::new();
    let mut done = 0usize;
    let mut failed = 0usize;
    let mut queue_open = true;
    let mut raised = false;
    loop {
        // Feed the pool from the queue, up to IN_POOL tasks.
        while queue_open && in_pool.len() < IN_POOL && !INTERRUPTED.load(Ordering::SeqCst) {
            match from_queue.recv() {
                Ok(n) => in_pool.push(pool.submit(process, n)),
                Err(_) => queue_open = false, // the producer is done
            }
        }
        // `--interrupt-after`: a Ctrl-C arriving now, with the pool full.
        if args.interrupt_after.is_some_and(|n| done >= n) && !raised {
            raised = true;
            println!("--interrupt-after: raising SIGINT after {done} results");
            // SAFETY: `raise` has no preconditions; the handler installed
            // above runs on this thread before `raise` returns.
            unsafe { libc::raise(libc::SIGINT) };
        }
        if in_pool.is_empty() || INTERRUPTED.load(Ordering::SeqCst) {
            break;
        }
        // Collect what finished, in completion order. The timeout only bounds
        // how late a Ctrl-C is noticed.
        let ready = wait(
            in_pool.drain(..),
            Some(Duration::from_millis(50)),
            ReturnWhen::FirstCompleted,
        );
        in_pool = ready.not_done;
        for f in ready.done {
            match f.into_result() {
                Ok((n, digest)) => {
                    done += 1;
                    println!("item {n:>3} -> {digest:>5}");
                }
                Err(e) => {
                    failed += 1;
                    println!("a task failed: {e}");
                }
            }
        }
    }

    let mut cancelled = 0usize;
    if INTERRUPTED.load(Ordering::SeqCst) {
        println!("\ninterrupted: cancelling what is pending, letting running tasks finish");
        // Pending tasks are cancelled; running ones refuse and are waited for.
        let mut running = Vec::new();
        for f in in_pool {
            if f.cancel() {
                cancelled += 1;
            } else {
                running.push(f);
            }
        }
        for f in running {
            match f.into_result() {
                Ok((n, digest)) => {
                    done += 1;
                    println!("item {n:>3} -> {digest:>5} (was running)");
                }
                Err(e) => {
                    failed += 1;
                    println!("a task failed: {e}");
                }
            }
        }
    }
    // What the producer had queued was never submitted; dropping the
    // receiver makes the producer's next send fail, and it stops.
    let unsubmitted = from_queue.try_iter().count();
    drop(from_queue);
    let produced = producer.join().map_err(|_| "the producer panicked")?;
    pool.shutdown(true, false);
    println!(
        "\n{done} done, {failed} failed, {cancelled} cancelled in the pool, \
         {unsubmitted} left in the queue; {produced} of {items} items produced"
    );
    Ok(())
}
