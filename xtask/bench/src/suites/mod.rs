//! The suites: one module per backend or anchor family, each giving, for a
//! workload, its implementations set up and ready to time.
//!
//! # Adding a suite
//!
//! Write `src/suites/<name>.rs` with
//! `pub(crate) fn benches(workload: &str, config: &Config) -> Vec<Bench>` (see
//! [`threads`]): a [`Bench`] per implementation of `workload` it has, empty for
//! the others. Set up outside the timed part (build the pool, warm it), move
//! what it owns into the closure, and time only what the workload says; name
//! the implementation it is compared with through [`Bench::anchor`]. Then add
//! `mod <name>;` and one line to [`SUITES`]. Its implementations then run
//! round-robin with everyone else's, with allocation and CPU columns for free.
//!
//! A suite that must run as a program of its own (another language's runtime,
//! or ranks started by a launcher such as `mpirun`) is a [`Suite::External`]:
//! it runs the program for one workload and returns the records it printed
//! (the format of [`crate::record::Record::from_json`]); see [`python`]. Its
//! figures are flagged with the other processes' CPU over the whole call, and
//! cannot be interleaved with the others.

mod async_pool;
mod mpi;
mod process;
mod procspawn_anchor;
mod python;
mod threads;
mod work;

use crate::config::Config;
use crate::record::Record;
use crate::runner::Bench;

/// How a suite is run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Suite {
    /// In this process, round-robin with every other in-process suite.
    InProcess(fn(&str, &Config) -> Vec<Bench>),
    /// A program of its own, run once per workload after the in-process ones.
    External(fn(&str, &Config) -> Vec<Record>),
}

/// Every suite, in the order its implementations appear in the table. One line
/// per suite: register yours here.
pub(crate) const SUITES: &[(&str, Suite)] = &[
    // concur-threads, rayon (spawn + channel, spawn + oneshot, par_iter, scope),
    // std::thread, the serial loops.
    ("threads", Suite::InProcess(threads::benches)),
    // concur-async, a raw async-executor, tokio.
    ("async", Suite::InProcess(async_pool::benches)),
    // concur-process, and the codec comparison of its wire messages.
    ("process", Suite::InProcess(process::benches)),
    // procspawn's Pool, the process pool's anchor.
    ("procspawn", Suite::InProcess(procspawn_anchor::benches)),
    // Python's concurrent.futures, multiprocessing and asyncio (when python3 is
    // on PATH and --no-python is not given).
    ("python", Suite::External(python::records)),
    // concur-mpi on 3 ranks (2 workers), W1-W3, when Open MPI is installed.
    ("mpi", Suite::External(mpi::records)),
];

/// Runs before anything else in `main`: the anchors whose workers are this
/// binary re-executed take over here when this process is one of them, and the
/// global pools get their size.
pub(crate) fn init(config: &Config) {
    procspawn_anchor::init();
    threads::init(config);
}
