//! A soak: 100 000 tiny tasks on a 2-worker pool, then 2 000 worker
//! replacements (`max_tasks_per_child = 1`), printing this process's open
//! descriptors, threads, zombie children and resident memory before, between
//! and after, to show that nothing leaks.
//!
//! ```text
//! cargo run --release -p concur-process --example soak
//! ```

use std::time::Instant;

use concur_core::{Executor, Future};
use concur_process::ProcessPool;

fn inc(x: u64) -> u64 {
    x + 1
}

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

fn zombies() -> usize {
    let me = std::process::id().to_string();
    let mut n = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let mut rest = stat[close + 2..].split(' ');
        let state = rest.next();
        if rest.next() == Some(&me) && state == Some("Z") {
            n += 1;
        }
    }
    n
}

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

fn report(when: &str) {
    println!(
        "{when:>8}: fds {:>3}  threads {:>2}  zombies {}  rss {:>6} KiB",
        count("/proc/self/fd"),
        count("/proc/self/task"),
        zombies(),
        rss_kib()
    );
}

fn main() {
    report("before");
    let t = Instant::now();
    {
        let pool = ProcessPool::builder().max_workers(2).build().unwrap();
        for batch in 0..100u64 {
            let futs: Vec<Future<u64>> = (0..1000)
                .map(|i| pool.submit(inc, batch * 1000 + i))
                .collect();
            for (i, f) in futs.into_iter().enumerate() {
                assert_eq!(f.result(None), Ok(batch * 1000 + i as u64 + 1));
            }
        }
        report("tasks");
    }
    println!("100 000 tasks: {:.2} s", t.elapsed().as_secs_f64());
    report("dropped");
    let t = Instant::now();
    {
        let pool = ProcessPool::builder()
            .max_workers(2)
            .max_tasks_per_child(1)
            .build()
            .unwrap();
        let futs: Vec<Future<u64>> = (0..2000).map(|i| pool.submit(inc, i)).collect();
        for (i, f) in futs.into_iter().enumerate() {
            assert_eq!(f.result(None), Ok(i as u64 + 1));
        }
        report("recycled");
    }
    println!("2 000 recycles: {:.2} s", t.elapsed().as_secs_f64());
    report("after");
}
