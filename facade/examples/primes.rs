//! The classic benchmark: count the primes up to `--limit` (default 30 000) by
//! naive trial division, as two tasks, serially and on each pool, and print the
//! times and the speedup — the processes / threads / asyncio programs of the
//! Python articles, as the rows of one table. Its Python original (three
//! programs) is `python/primes.py`.
//!
//! ```text
//! cargo run --release --example primes --features full                 # every backend
//! cargo run --release --example primes                                 # serial and threads
//! cargo run --release --example primes --features full -- --backend process --limit 50000
//! ```
//!
//! Across the ranks of an MPI job (Open MPI installed; see the README,
//! "Beyond one machine"), the `mpi` row runs the tasks on ranks 1 and 2:
//!
//! ```text
//! RUSTFLAGS="--cfg concur_mpi" cargo build --release --example primes --features full,mpi
//! mpirun -n 3 target/release/examples/primes --backend mpi
//! ```
//!
//! Each pool row goes through [`concur::Pool`], the pool chosen at run time, so
//! `--backend` is parsed by [`concur::Backend`]. On the async backend the tasks
//! are async tasks on 2 executor threads: CPU-bound, each holds a thread, so
//! they run in parallel (asyncio has one thread). On the process backend the
//! workers are this binary re-executed: no `if __name__ == "__main__"`.

use std::time::Instant;

use concur::prelude::*;

/// The primes up to `num`, by trial division: deliberately slow, pure CPU.
fn test(num: u64) -> u64 {
    (2..=num).filter(|&i| (2..i).all(|j| i % j != 0)).count() as u64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut limit, mut backends) = (30_000, Vec::new());
    let mut args = std::env::args().skip(1);
    while let (Some(flag), value) = (args.next(), args.next().unwrap_or_default()) {
        match flag.as_str() {
            "--limit" => limit = value.replace('_', "").parse()?,
            "--backend" => backends.push(value.parse()?),
            _ => return Err("usage: primes [--limit N] [--backend NAME]...".into()),
        }
    }
    if backends.is_empty() {
        backends = Backend::available(); // mpi only when started by mpirun
    }
    // Start MPI (once per job) before the table, so the mpi row times a pool
    // as the other rows do.
    #[cfg(all(feature = "mpi", concur_mpi))]
    if backends.contains(&Backend::Mpi) {
        concur::mpi::MpiPool::worker_ranks()?;
    }
    println!("counting primes up to {limit} by trial division, 2 tasks\n");
    println!("| backend             |   time (s) | speedup | primes (each task) |");
    println!("|---------------------|-----------:|--------:|-------------------:|");
    let mut serial = None;
    for backend in [None].into_iter().chain(backends.into_iter().map(Some)) {
        let start_time = Instant::now();
        let primes: Vec<u64> = match backend {
            None => (0..2).map(|_| test(std::hint::black_box(limit))).collect(),
            Some(backend) => {
                let pool = Pool::builder(backend).max_workers(2).build()?;
                let tasks = [pool.submit(test, limit), pool.submit(test, limit)];
                tasks
                    .into_iter()
                    .map(concur::Future::into_result)
                    .collect::<Result<_, _>>()?
            }
        };
        let took = start_time.elapsed().as_secs_f64();
        let speedup = *serial.get_or_insert(took) / took;
        let name = backend.map_or("serial".into(), |b| format!("{b} (2 workers)"));
        println!(
            "| {name:<19} | {took:>10.3} | {speedup:>6.2}x | {:>18} |",
            format!("{primes:?}")
        );
    }
    let missing: Vec<_> = Backend::ALL
        .iter()
        .filter(|b| !b.is_enabled() && **b != Backend::Mpi)
        .map(|b| b.feature())
        .collect();
    if !missing.is_empty() {
        println!(
            "\nnot compiled in: {}; add `--features full` for every row",
            missing.join(", ")
        );
    }
    Ok(())
}
