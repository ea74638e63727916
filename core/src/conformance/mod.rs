//! The conformance suite: the behaviour every [`Executor`] must show, as a list of
//! named scenarios any backend — ours or a third party's — runs against itself.
//!
//! It is CPython's `create_executor_tests` idea: the same tests multiplied by every
//! executor. A backend hands [`run`] a factory that builds a pool from a
//! [`PoolConfig`]; every scenario builds the small pools it needs (1–4 workers),
//! drives them through the public API only, and checks the outcome. The
//! [`Report`] names each scenario that failed and why.
//!
//! # What it checks
//!
//! - `submit` and `result`, with and without timeouts (`Some(Duration::ZERO)` polls),
//!   10 000 tasks all correct, `into_result` without `Clone`, `error`, large payloads;
//! - a task's panic becomes [`Error::Panicked`] with its message, and the pool goes on;
//! - `cancel`: succeeds on a pending future (twice), fails on a running or finished
//!   one; a cancelled future is done at once for `result`, `wait` and `as_completed`;
//! - done callbacks: once, in registration order, immediately when already done;
//! - [`wait`](crate::wait) in its three modes with and without timeout, across
//!   value types and pools; [`as_completed`](crate::as_completed) order, duplicates,
//!   timeout, and as a `Stream`; awaiting futures from async code;
//! - `map`: input order, completion order, `chunksize`, the lazy `buffersize`
//!   window, `timeout`, a failed item, dropping the iterator, invalid options;
//! - `shutdown` (wait, cancel_futures, idempotent, `Error::Shutdown` afterwards),
//!   drop waits for queued work; `try_submit` and `Error::Full` at the
//!   `max_queued` bound; `stats()` counts that add up; `max_workers` is honoured and
//!   zero workers refused;
//! - edges: `submit_chunk` directly, a payload that cannot be serialized fails its
//!   own task only (a backend that never serializes just runs it), a panic
//!   payload that is not a string, many threads blocked on one future, empty
//!   inputs to `wait` and `as_completed`.
//!
//! # How a scenario is built
//!
//! Tasks are plain `fn`s with serializable arguments, so every scenario also runs
//! on a backend whose workers are other processes. A task that must stay blocked
//! connects to a *gate* — a loopback TCP listener in the test process — shows the
//! gate's ticket (its port and a random nonce, passed as the task's argument) and
//! waits for one byte; the test counts the connections (proof that the task
//! started) and opens the gate when it chooses. Nothing in the suite sleeps to
//! order events (the one poll is for `stats()` counters, which a process backend
//! may publish a moment late); timeouts are generous (30 s for what takes
//! milliseconds) except where a timeout is the behaviour under test. Each
//! scenario runs on its own thread under a 60 s watchdog: a panic or a hang is
//! reported as that scenario's failure (a hang names the last check that
//! passed) and the suite goes on; after three hangs the remaining scenarios
//! are reported as not run, so a deadlocking backend fails in minutes.
//!
//! Two assumptions about a backend, both loose:
//! - a process backend may dispatch tasks ahead to a busy worker (and mark them
//!   running); the suite assumes at most 8 such tasks per worker, and only
//!   expects a task to be pending (cancellable) when at least that many were
//!   submitted before it while every worker was blocked;
//! - `max_workers()` reports the configured number of workers.
//!
//! Set `CONCUR_CONFORMANCE_FILTER=substring` to run only the scenarios whose name
//! contains it, and `CONCUR_CONFORMANCE_VERBOSE=1` to print each scenario's name
//! and time on stderr as it runs.
//!
//! # Running it against a backend
//!
//! A backend crate has `tests/conformance.rs`:
//!
//! ```no_run
//! use concur_core::conformance::{self, PoolConfig};
//! use concur_core::{ChunkResult, Error, Executor, Future, Payload, Stats};
//! # #[derive(Debug)]
//! # struct MyPool;
//! # impl MyPool {
//! #     fn new(_workers: usize, _max_queued: Option<usize>) -> Result<MyPool, Error> { Ok(MyPool) }
//! # }
//! # impl Executor for MyPool {
//! #     fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, a: A) -> Future<R> {
//! #         match concur_core::catch_panic(|| f(a)) { Ok(v) => Future::ready(v), Err(e) => Future::failed(e) }
//! #     }
//! #     fn try_submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, a: A) -> Result<Future<R>, Error> { Ok(self.submit(f, a)) }
//! #     fn submit_chunk<A: Payload, R: Payload>(&self, f: fn(A) -> R, items: Vec<A>) -> Future<ChunkResult<R>> {
//! #         Future::ready(concur_core::run_chunk(f, items))
//! #     }
//! #     fn max_workers(&self) -> usize { 1 }
//! #     fn stats(&self) -> Stats { Stats::default() }
//! #     fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
//! # }
//!
//! // One test that runs every scenario against `MyPool`.
//! fn conformance() {
//!     let report = conformance::run("my-pool", |config: &PoolConfig| {
//!         // `MyPool::new` refuses 0 workers with `Error::InvalidConfig`.
//!         MyPool::new(config.max_workers, config.max_queued)
//!     });
//!     report.print(); // failures, then "conformance my-pool: N passed, M failed"
//!     report.assert_all_passed();
//! }
//! # conformance();
//! ```
//!
//! `core/tests/third_party.rs` in this repository is a complete example: a small
//! executor written against the public API only, passing the whole suite.

#[macro_use]
mod check;
mod gate;
mod scenarios;
mod tasks;

use std::fmt;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Error, Executor};

/// What a scenario asks the factory for: a pool of `max_workers` workers, with an
/// optional bound on the tasks waiting to start.
///
/// ```
/// let c = concur_core::conformance::PoolConfig { max_workers: 2, max_queued: None };
/// assert_eq!(c.max_workers, 2);
/// ```
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The most tasks the pool runs at once. A factory given 0 must return
    /// [`Error::InvalidConfig`].
    pub max_workers: usize,
    /// The bound at which `try_submit` refuses with [`Error::Full`]; `None`: unbounded.
    pub max_queued: Option<usize>,
}

/// The outcome of [`run`]: which scenarios passed, which failed and why.
#[derive(Debug, Clone)]
pub struct Report {
    backend: String,
    passed: Vec<String>,
    failures: Vec<(String, String)>,
}

impl Report {
    /// How many scenarios passed.
    pub fn passed(&self) -> usize {
        self.passed.len()
    }

    /// The failed scenarios: `(scenario name, why)`.
    pub fn failures(&self) -> &[(String, String)] {
        &self.failures
    }

    /// Exactly `conformance <backend>: N passed, M failed`.
    pub fn summary_line(&self) -> String {
        format!(
            "conformance {}: {} passed, {} failed",
            self.backend,
            self.passed(),
            self.failures.len()
        )
    }

    /// Prints each failure, then the summary line, on stdout.
    pub fn print(&self) {
        for (name, why) in &self.failures {
            println!("FAILED {name}: {why}");
        }
        println!("{}", self.summary_line());
    }

    /// Panics, listing the failures, unless every scenario passed.
    ///
    /// # Panics
    ///
    /// When at least one scenario failed.
    pub fn assert_all_passed(&self) {
        if !self.failures.is_empty() {
            let list: Vec<String> = self
                .failures
                .iter()
                .map(|(n, why)| format!("  {n}: {why}"))
                .collect();
            panic!("{}\n{}", self.summary_line(), list.join("\n"));
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary_line())
    }
}

/// How long a scenario may run before it is reported as hung.
const WATCHDOG: Duration = Duration::from_secs(60);

/// After this many hung scenarios the rest are reported as not run, so a
/// backend that deadlocks everywhere fails in minutes, not hours.
const MAX_HANGS: usize = 3;

/// The factory, shared with the scenario threads.
type Factory<E> = Arc<dyn Fn(&PoolConfig) -> Result<E, Error> + Send + Sync>;

/// What a scenario body gets: the way to build pools.
pub(crate) struct Ctx<E> {
    make: Factory<E>,
}

impl<E: Executor> Ctx<E> {
    /// A pool of `workers` workers, no queue bound.
    pub(crate) fn pool(&self, workers: usize) -> Result<E, String> {
        self.pool_with(&PoolConfig {
            max_workers: workers,
            max_queued: None,
        })
    }

    /// A pool built from `config`.
    pub(crate) fn pool_with(&self, config: &PoolConfig) -> Result<E, String> {
        (self.make)(config).map_err(|e| format!("the factory refused {config:?}: {e}"))
    }

    /// The factory's answer, unchecked.
    pub(crate) fn try_pool(&self, config: &PoolConfig) -> Result<E, Error> {
        (self.make)(config)
    }
}

/// A scenario's body: `Ok(())` or what went wrong.
pub(crate) type Outcome = Result<(), String>;

/// Runs every scenario (or those matching `CONCUR_CONFORMANCE_FILTER`) against the
/// pools `make` builds, one scenario at a time, each on its own thread under a
/// 60 s watchdog, and reports which passed.
///
/// `make` is called with the configuration a scenario needs; it must refuse
/// `max_workers: 0` with [`Error::InvalidConfig`] and honour `max_queued` in
/// `try_submit`. Every pool it returns is shut down or dropped by the scenario.
///
/// See the [module documentation](self) for an example.
pub fn run<E, F>(backend: &str, make: F) -> Report
where
    E: Executor + 'static,
    F: Fn(&PoolConfig) -> Result<E, Error> + Send + Sync + 'static,
{
    let make: Factory<E> = Arc::new(make);
    let filter = std::env::var("CONCUR_CONFORMANCE_FILTER")
        .ok()
        .filter(|f| !f.is_empty());
    let verbose = std::env::var_os("CONCUR_CONFORMANCE_VERBOSE").is_some_and(|v| v != "0");
    let mut report = Report {
        backend: backend.to_owned(),
        passed: Vec::new(),
        failures: Vec::new(),
    };
    let mut hangs = 0;
    for (name, body) in scenarios::all::<E>() {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        if hangs >= MAX_HANGS {
            let why = format!("not run: {hangs} scenarios hung before it");
            report.failures.push((name.to_owned(), why));
            continue;
        }
        let start = Instant::now();
        check::reset_progress();
        let (outcome, hung) = run_one(name, body, Ctx { make: make.clone() });
        hangs += usize::from(hung);
        if verbose {
            let status = if outcome.is_ok() { "ok" } else { "FAILED" };
            eprintln!(
                "conformance {backend}: {name} {status} in {:.3}s",
                start.elapsed().as_secs_f64()
            );
        }
        match outcome {
            Ok(()) => report.passed.push(name.to_owned()),
            Err(why) => report.failures.push((name.to_owned(), why)),
        }
    }
    report
}

/// Runs one scenario on its own thread; a panic or a hang is a failure. The
/// flag says whether it hung.
fn run_one<E: Executor + 'static>(
    name: &'static str,
    body: scenarios::Body<E>,
    ctx: Ctx<E>,
) -> (Outcome, bool) {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("conformance-{name}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&ctx)))
                .unwrap_or_else(|payload| {
                    Err(format!("panicked: {}", crate::payload_message(&*payload)))
                });
            let _ = tx.send(outcome);
        });
    let handle = match spawned {
        Ok(h) => h,
        Err(e) => {
            return (
                Err(format!("could not spawn the scenario thread: {e}")),
                false,
            );
        }
    };
    match rx.recv_timeout(WATCHDOG) {
        Ok(outcome) => {
            let _ = handle.join();
            (outcome, false)
        }
        // The thread is left behind: it cannot be stopped, only reported.
        Err(mpsc::RecvTimeoutError::Timeout) => {
            let why = format!(
                "hung: not finished after {WATCHDOG:?} ({})",
                check::progress()
            );
            (Err(why), true)
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => (
            Err("the scenario thread died without a verdict".to_owned()),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_summary_and_failures() {
        let report = Report {
            backend: "demo".to_owned(),
            passed: vec!["a".to_owned(), "b".to_owned()],
            failures: vec![("c".to_owned(), "expected 1, saw 2".to_owned())],
        };
        assert_eq!(report.passed(), 2);
        assert_eq!(
            report.summary_line(),
            "conformance demo: 2 passed, 1 failed"
        );
        assert_eq!(report.to_string(), report.summary_line());
        assert_eq!(report.failures()[0].0, "c");
        let err =
            std::panic::catch_unwind(|| report.assert_all_passed()).expect_err("a failure panics");
        let message = crate::payload_message(&*err);
        assert!(message.contains("c: expected 1, saw 2"), "{message}");
    }

    #[test]
    fn every_scenario_has_a_unique_snake_case_name() {
        let names: Vec<&str> = scenarios::all::<Never>()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(
            names.len() >= 40,
            "at least 40 scenarios, found {}",
            names.len()
        );
        let unique: std::collections::HashSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "scenario names are unique");
        for n in names {
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{n}"
            );
        }
    }

    #[test]
    fn a_failing_factory_fails_scenarios_without_hanging() {
        // Only the refusal scenario passes when every pool is refused.
        let report = run::<Never, _>("refusing", |_| Err(Error::invalid_config("no pools here")));
        assert!(
            report
                .failures()
                .iter()
                .any(|(n, why)| n == "submit_result" && why.contains("refused"))
        );
        assert!(
            report
                .failures()
                .iter()
                .all(|(n, _)| n != "zero_workers_refused")
        );
    }

    #[derive(Debug)]
    struct Never;
    impl Executor for Never {
        fn submit<A: crate::Payload, R: crate::Payload>(
            &self,
            _: fn(A) -> R,
            _: A,
        ) -> crate::Future<R> {
            crate::Future::failed(Error::Shutdown)
        }
        fn try_submit<A: crate::Payload, R: crate::Payload>(
            &self,
            _: fn(A) -> R,
            _: A,
        ) -> Result<crate::Future<R>, Error> {
            Err(Error::Shutdown)
        }
        fn submit_chunk<A: crate::Payload, R: crate::Payload>(
            &self,
            _: fn(A) -> R,
            _: Vec<A>,
        ) -> crate::Future<crate::ChunkResult<R>> {
            crate::Future::failed(Error::Shutdown)
        }
        fn max_workers(&self) -> usize {
            1
        }
        fn stats(&self) -> crate::Stats {
            crate::Stats::default()
        }
        fn shutdown(&self, _: bool, _: bool) {}
    }
}
