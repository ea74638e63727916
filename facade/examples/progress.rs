//! A progress bar driven by `as_completed`: 500 tasks on a pool, the bar (with
//! an ETA) advancing as each one finishes — what Python users do with
//! `tqdm(as_completed(futures), total=len(futures))`.
//!
//! ```text
//! cargo run --release --example progress
//! cargo run --release --example progress --features full -- --backend process
//! ```
//!
//! The bar is drawn on stderr by `indicatif`, only when stderr is a terminal;
//! the summary line goes to stdout either way. The pool's `stats()` (queued,
//! running) are shown beside the bar.

use std::time::{Duration, Instant};

use concur::Future;
use concur::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

/// Tasks submitted.
const TASKS: u64 = 500;
/// Workers of the pool.
const WORKERS: usize = 4;

/// A task of 2 to 14 ms (waiting on something, say a slow disk), returning
/// its number's square.
fn task(i: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(2 * (i % 7 + 1)));
    i * i
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut backend = Backend::Threads;
    let mut args = std::env::args().skip(1);
    while let (Some(flag), value) = (args.next(), args.next().unwrap_or_default()) {
        match flag.as_str() {
            "--backend" => backend = value.parse()?,
            _ => return Err("usage: progress [--backend threads|process|async]".into()),
        }
    }
    let pool = Pool::builder(backend).max_workers(WORKERS).build()?;
    let start = Instant::now();
    let futures: Vec<Future<u64>> = (0..TASKS).map(|i| pool.submit(task, i)).collect();

    let bar = ProgressBar::new(TASKS);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40.cyan/blue} {pos}/{len} [{elapsed_precise}, ETA {eta}] {msg}",
        )?
        .progress_chars("=> "),
    );
    let mut sum = 0u64;
    for future in as_completed(&futures, None) {
        sum += future?.result(None)?;
        let stats = pool.stats();
        bar.set_message(format!(
            "{} running, {} queued",
            stats.running, stats.queued
        ));
        bar.inc(1);
    }
    bar.finish_with_message("done");

    let expected: u64 = (0..TASKS).map(|i| i * i).sum();
    assert_eq!(sum, expected, "every task counted once");
    println!(
        "{TASKS} tasks on {WORKERS} workers ({backend} backend) in {:.2} s, sum of squares {sum}",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
