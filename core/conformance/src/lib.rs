//! The conformance suite: the behaviour every [`Executor`](concur_core::Executor) must show, as a list of
//! named scenarios any backend — ours or a third party's — runs against itself.
//!
//! It is CPython's `create_executor_tests` idea: the same tests multiplied by every
//! executor. A backend's test file hands [`suite!`] a factory that builds a pool
//! from a [`PoolConfig`]; the macro makes every scenario a `#[test]` of its own,
//! named `<area>::<scenario>` (`cancel::cancel_running_fails`), so libtest, nextest
//! and IDEs list, filter, run alone and run in parallel each one. Every scenario
//! builds the small pools it needs (1–4 workers), drives them through the public
//! API only, and checks the outcome; a failed scenario's test panics with what
//! was expected and what was seen.
//!
//! # What it checks
//!
//! - `submit` and `result`, with and without timeouts (`Some(Duration::ZERO)` polls),
//!   10 000 tasks all correct, `into_result` without `Clone`, `error`, large payloads;
//! - a task's panic becomes [`Error::Panicked`](concur_core::Error::Panicked) with its message, and the pool goes on;
//! - `cancel`: succeeds on a pending future (twice), fails on a running or finished
//!   one; a cancelled future is done at once for `result`, `wait` and `as_completed`;
//! - done callbacks: once, in registration order, immediately when already done;
//! - [`wait`](concur_core::wait) in its three modes with and without timeout, across
//!   value types and pools; [`as_completed`](concur_core::as_completed) order, duplicates,
//!   timeout, and as a `Stream`; awaiting futures from async code;
//! - `map`: input order, completion order, `chunksize`, the lazy `buffersize`
//!   window, `timeout`, a failed item, dropping the iterator, invalid options,
//!   an input that is not `Send` (it owns an `Rc`);
//! - `shutdown` (wait, cancel_futures, idempotent, `Error::Shutdown` afterwards),
//!   drop waits for queued work; `try_submit` and `Error::Full` at the
//!   `max_queued` bound; `stats()` counts that add up; `max_workers` is honoured and
//!   zero workers refused;
//! - edges: `submit_chunk` directly, a payload that cannot be serialized fails its
//!   own task only (a backend that never serializes just runs it), a value
//!   that is `Send` but not `Sync` is a payload, a panic
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
//! that scenario's failure (a hang names the last check that passed) and the
//! other tests go on; after three hangs in one test binary the remaining
//! scenarios fail without running, so a deadlocking backend fails in minutes.
//! No scenario measures anything process-wide (thread counts, open files), so
//! none has to run alone: scenarios run as parallel as libtest runs tests
//! (`--test-threads`, `RUST_TEST_THREADS`).
//!
//! Two assumptions about a backend, both loose:
//! - a process backend may dispatch tasks ahead to a busy worker (and mark them
//!   running); the suite assumes at most 8 such tasks per worker, and only
//!   expects a task to be pending (cancellable) when at least that many were
//!   submitted before it while every worker was blocked;
//! - `max_workers()` reports the configured number of workers.
//!
//! # Running it against a backend
//!
//! A backend crate has `concur-conformance` as a dev-dependency and a
//! `tests/conformance.rs` of a few lines:
//!
//! ```
//! use concur_conformance::PoolConfig;
//! use concur_core::Error;
//! # use concur_core::{Executor, Stats};
//! # mod my_backend {
//! #     use super::*;
//! #     #[derive(Debug)]
//! #     pub struct MyPool;
//! #     #[derive(Debug, Default)]
//! #     pub struct Builder(usize);
//! #     impl MyPool { pub fn builder() -> Builder { Builder(1) } }
//! #     impl Builder {
//! #         pub fn max_workers(self, n: usize) -> Builder { Builder(n) }
//! #         pub fn max_queued(self, _: Option<usize>) -> Builder { self }
//! #         pub fn build(self) -> Result<MyPool, Error> {
//! #             if self.0 == 0 { Err(Error::invalid_config("max_workers must be at least 1")) } else { Ok(MyPool) }
//! #         }
//! #     }
//! #     impl Executor for MyPool {
//! #         fn submit_task(&self, task: concur_core::backend::TaskObj) -> Result<(), Error> {
//! #             task.run(&Default::default());
//! #             Ok(())
//! #         }
//! #         fn max_workers(&self) -> usize { 1 }
//! #         fn stats(&self) -> Stats { Stats::default() }
//! #         fn shutdown(&self, _wait: bool, _cancel_futures: bool) {}
//! #     }
//! # }
//! use my_backend::MyPool;
//!
//! fn make(config: PoolConfig) -> Result<MyPool, Error> {
//!     // Refuses `max_workers: 0` with `Error::InvalidConfig`.
//!     MyPool::builder()
//!         .max_workers(config.max_workers)
//!         .max_queued(config.max_queued)
//!         .build()
//! }
//!
//! concur_conformance::suite!(make);
//! # fn main() {}
//! ```
//!
//! `cargo test --test conformance` runs every scenario, `cargo test --test
//! conformance -- cancel` those whose name contains `cancel`, and `-- --list`
//! lists them. The factory may also be a closure: `suite!(|config| ...)`.
//!
//! `core/conformance/tests/third_party.rs` in this repository is a complete
//! example: a small executor written against concur-core's public API only,
//! passing the whole suite.
#[macro_use]
mod check;
pub mod closure_map;
mod erased;
#[doc(hidden)]
pub use concur_core::backend::SpawnClosure as __SpawnClosure;
mod gate;
mod runner;
#[doc(hidden)]
pub mod scenarios;
mod tasks;

pub use erased::Erased;
pub(crate) use runner::{Ctx, Outcome};

/// What a scenario asks the factory for: a pool of `max_workers` workers, with an
/// optional bound on the tasks waiting to start.
///
/// ```
/// fn make(config: concur_conformance::PoolConfig) -> Result<(), concur_core::Error> {
///     if config.max_workers == 0 {
///         return Err(concur_core::Error::invalid_config("max_workers must be at least 1"));
///     }
///     Ok(())
/// }
/// # let _ = make;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// The most tasks the pool runs at once. A factory given 0 must return
    /// [`Error::InvalidConfig`](concur_core::Error::InvalidConfig).
    pub max_workers: usize,
    /// The bound at which `try_submit` refuses with
    /// [`Error::Full`](concur_core::Error::Full); `None`: unbounded.
    pub max_queued: Option<usize>,
}

impl PoolConfig {
    /// `max_workers` workers and no bound: what a test of its own asks for.
    ///
    /// ```
    /// let config = concur_conformance::PoolConfig::new(2);
    /// assert_eq!((config.max_workers, config.max_queued), (2, None));
    /// ```
    pub fn new(max_workers: usize) -> PoolConfig {
        PoolConfig {
            max_workers,
            max_queued: None,
        }
    }
}

/// Makes every conformance scenario a `#[test]` of the file it is written in,
/// run against the pools `$make` builds.
///
/// `$make` is a function or closure `Fn(PoolConfig) -> Result<E, Error>` for an
/// [`Executor`](concur_core::Executor) `E: 'static`. It is called with the
/// configuration a scenario needs; it must refuse `max_workers: 0` with
/// `Error::InvalidConfig` and honour `max_queued` in `try_submit`. Every pool
/// it returns is shut down or dropped by the scenario.
///
/// The expansion is a private function `__concur_conformance_factory` and one
/// module per area (`basics`, `cancel`, `callbacks`, `waits`, `completed`,
/// `asyncs`, `map`, `shutdown`, `pressure`, `edge`) holding one `#[test]` per
/// scenario; use it once, at the top level of a test file that declares none of
/// those names.
///
/// See the [crate documentation](crate) for a whole test file.
#[macro_export]
macro_rules! suite {
    ($make:expr $(,)?) => {
        $crate::__suite! {
            $make;
            basics:
                submit_result,
                submit_many_results,
                result_zero_timeout_polls,
                result_timeout_leaves_future_usable,
                into_result_without_clone,
                error_of_failed_and_succeeded,
                panic_yields_panicked_with_message,
                pool_survives_many_panics,
                future_states_through_lifecycle,
                clones_share_the_outcome,
                structured_payloads,
                large_payloads,
                max_workers_reported,
                max_workers_bounds_concurrency,
                workers_run_in_parallel,
                idle_workers_take_every_new_task,
                zero_workers_refused;
            cancel:
                cancel_pending_succeeds,
                cancel_twice_returns_true,
                cancel_running_fails,
                cancel_finished_fails,
                cancel_wakes_blocked_waiter,
                cancelled_is_done_for_wait,
                cancelled_is_done_for_as_completed;
            callbacks:
                callback_fires_once,
                callbacks_in_registration_order,
                callback_immediate_if_done,
                callback_sees_the_outcome,
                callback_on_cancel,
                callback_panic_does_not_stop_others;
            waits:
                wait_all_completed,
                wait_all_completed_timeout,
                wait_first_completed,
                wait_first_completed_timeout,
                wait_first_exception,
                wait_first_exception_none_fails,
                wait_first_exception_timeout,
                wait_first_exception_wakes_on_failure,
                wait_many_all_completed,
                wait_already_done,
                wait_mixed_types_and_pools;
            completed:
                as_completed_order,
                as_completed_already_done_first,
                as_completed_duplicates_once,
                as_completed_timeout_once,
                as_completed_zero_timeout,
                as_completed_many_from_two_pools,
                as_completed_stream,
                as_completed_stream_timeout;
            asyncs:
                await_by_value,
                await_by_reference,
                await_pending_wakes,
                await_failed_and_cancelled,
                await_many;
            map:
                map_keeps_input_order,
                map_ordered_despite_slow_head,
                map_unordered_yields_all,
                map_unordered_completion_order,
                map_chunksize_same_results,
                map_chunksize_failure_per_item,
                map_buffersize_bounds_pulls,
                map_infinite_input_is_lazy,
                map_timeout_yields_timeout_once,
                map_continues_after_panic,
                map_drop_cancels_unstarted,
                map_empty_input,
                map_invalid_options_refused,
                map_input_that_is_not_send;
            shutdown:
                shutdown_wait_finishes_queued,
                shutdown_nowait_returns_then_wait_finishes,
                shutdown_cancel_futures_cancels_pending,
                shutdown_wait_with_cancel_futures,
                submit_after_shutdown_fails,
                shutdown_idempotent,
                drop_waits_for_queued;
            pressure:
                try_submit_refuses_when_full,
                try_submit_unbounded_accepts,
                stats_fresh_pool_is_zero,
                stats_add_up_while_busy,
                stats_add_up_after_work,
                stats_count_cancelled;
            edge:
                submit_chunk_per_item_failures,
                unencodable_argument_fails_alone,
                unencodable_result_fails_alone,
                non_string_panic_payload,
                many_waiters_all_woken,
                wait_and_as_completed_empty,
                send_but_not_sync_payloads;
            args:
                two_to_four_arguments,
                fn_pointers_and_closures_that_capture_nothing,
                map_chunks_and_try_submit_spread_tuples,
                multi_argument_failures_fail_alone,
                capturing_closure_runs_or_is_refused;
        }
    };
}

/// The expansion of [`suite!`]: the factory, then a module of tests per area.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite {
    ($make:expr; $($area:ident: $($name:ident),+;)+) => {
        /// The factory every scenario builds its pools with.
        fn __concur_conformance_factory(
            config: $crate::PoolConfig,
        ) -> ::core::result::Result<
            impl $crate::__private::Executor + 'static,
            $crate::__private::Error,
        > {
            $crate::__private::make($make, config)
        }
        $(
            mod $area {
                $(
                    #[test]
                    fn $name() {
                        $crate::__private::run(
                            ::core::stringify!($name),
                            $crate::scenarios::$area::$name,
                            super::__concur_conformance_factory,
                        );
                    }
                )+
            }
        )+
    };
}

/// What the expansion of [`suite!`] calls; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::runner::{Body, Ctx, Outcome, make, run};
    pub use concur_core::{Error, Executor};
}

#[cfg(test)]
mod tests {
    /// The scenario functions of the area files, in file order.
    fn defined() -> Vec<(&'static str, String)> {
        let files = [
            ("args", include_str!("scenarios/args.rs")),
            ("asyncs", include_str!("scenarios/asyncs.rs")),
            ("basics", include_str!("scenarios/basics.rs")),
            ("callbacks", include_str!("scenarios/callbacks.rs")),
            ("cancel", include_str!("scenarios/cancel.rs")),
            ("completed", include_str!("scenarios/completed.rs")),
            ("edge", include_str!("scenarios/edge.rs")),
            ("map", include_str!("scenarios/map.rs")),
            ("pressure", include_str!("scenarios/pressure.rs")),
            ("shutdown", include_str!("scenarios/shutdown.rs")),
            ("waits", include_str!("scenarios/waits.rs")),
        ];
        let mut found = Vec::new();
        for (area, text) in files {
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("pub fn ") {
                    let name = rest.split('<').next().unwrap_or_default();
                    found.push((area, name.to_owned()));
                }
            }
        }
        found
    }

    /// The `area: name, ...;` list inside `suite!`.
    fn listed() -> Vec<(String, String)> {
        let text = include_str!("lib.rs");
        let start = text
            .find("$crate::__suite! {")
            .expect("suite! calls __suite!");
        let body = &text[start..];
        let body = &body[body.find("$make;").expect("the list follows $make") + 6..];
        let body = &body[..body.find('}').expect("the list ends")];
        let mut found = Vec::new();
        for group in body.split(';').filter(|g| !g.trim().is_empty()) {
            let (area, names) = group.split_once(':').expect("area: names");
            for name in names.split(',') {
                found.push((area.trim().to_owned(), name.trim().to_owned()));
            }
        }
        found
    }

    #[test]
    fn suite_lists_every_scenario_once() {
        let mut defined: Vec<(String, String)> = defined()
            .into_iter()
            .map(|(a, n)| (a.to_owned(), n))
            .collect();
        let mut listed = listed();
        assert!(
            listed.len() >= 80,
            "at least 80 scenarios, found {}",
            listed.len()
        );
        defined.sort();
        listed.sort();
        let names: std::collections::HashSet<&str> =
            listed.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names.len(), listed.len(), "scenario names are unique");
        assert_eq!(
            listed, defined,
            "suite! lists exactly the scenarios defined"
        );
        for (_, name) in &listed {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
        }
    }
}
