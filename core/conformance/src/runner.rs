//! What runs one scenario: the pool factory a scenario builds its pools with
//! ([`Ctx`]), and [`run`], which the `#[test]` functions of
//! [`suite!`](crate::suite) call — the scenario on its own thread under the
//! suite's watchdog, a failure or a hang turned into the test's panic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use concur_core::{Error, Executor};

use crate::PoolConfig;
use crate::check;

/// How long a scenario may run before it is reported as hung.
const WATCHDOG: Duration = Duration::from_secs(60);

/// After this many hung scenarios in one test binary the rest fail at once
/// without running, so a backend that deadlocks everywhere fails in minutes,
/// not hours.
const MAX_HANGS: usize = 3;

/// Scenarios of this test binary that hung so far.
static HANGS: AtomicUsize = AtomicUsize::new(0);

/// What a scenario body gets: the way to build pools.
#[doc(hidden)]
pub struct Ctx<E> {
    make: Box<dyn Fn(PoolConfig) -> Result<E, Error> + Send>,
}

impl<E> std::fmt::Debug for Ctx<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").finish_non_exhaustive()
    }
}

impl<E: Executor> Ctx<E> {
    /// A pool of `workers` workers, no queue bound.
    pub(crate) fn pool(&self, workers: usize) -> Result<E, String> {
        self.pool_with(PoolConfig {
            max_workers: workers,
            max_queued: None,
        })
    }

    /// A pool built from `config`.
    pub(crate) fn pool_with(&self, config: PoolConfig) -> Result<E, String> {
        (self.make)(config).map_err(|e| format!("the factory refused {config:?}: {e}"))
    }

    /// The factory's answer, unchecked.
    pub(crate) fn try_pool(&self, config: PoolConfig) -> Result<E, Error> {
        (self.make)(config)
    }
}

/// A scenario's body: `Ok(())` or what went wrong.
#[doc(hidden)]
pub type Outcome = Result<(), String>;

/// A scenario: a body generic over the pool type, instantiated for one.
#[doc(hidden)]
pub type Body<E> = fn(&Ctx<E>) -> Outcome;

/// Calls the factory: a function, so that a closure given to
/// [`suite!`](crate::suite) gets its parameter type from the bound.
#[doc(hidden)]
pub fn make<E, F: FnOnce(PoolConfig) -> Result<E, Error>>(
    f: F,
    config: PoolConfig,
) -> Result<E, Error> {
    f(config)
}

/// Runs the scenario `name` against the pools `make` builds, on its own thread
/// under a 60 s watchdog.
///
/// # Panics
///
/// When the scenario fails (with its reason), panics, hangs, or is not run
/// because three scenarios of this binary hung already.
#[doc(hidden)]
pub fn run<E, F>(name: &'static str, body: Body<E>, make: F)
where
    E: Executor + 'static,
    F: Fn(PoolConfig) -> Result<E, Error> + Send + 'static,
{
    if let Err(why) = run_with(name, body, make, WATCHDOG, &HANGS) {
        panic!("conformance scenario `{name}` failed: {why}");
    }
}

/// [`run`] with its watchdog and hang counter given, and the verdict returned.
fn run_with<E, F>(
    name: &'static str,
    body: Body<E>,
    make: F,
    watchdog: Duration,
    hangs: &AtomicUsize,
) -> Outcome
where
    E: Executor + 'static,
    F: Fn(PoolConfig) -> Result<E, Error> + Send + 'static,
{
    // Relaxed: a counter read for a decision that needs no other memory.
    let hung = hangs.load(Ordering::Relaxed);
    if hung >= MAX_HANGS {
        return Err(format!("not run: {hung} scenarios hung before it"));
    }
    let ctx = Ctx {
        make: Box::new(make),
    };
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(format!("conformance-{name}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&ctx)))
                .unwrap_or_else(|payload| {
                    Err(format!(
                        "panicked: {}",
                        concur_core::payload_message(&*payload)
                    ))
                });
            let _ = tx.send(outcome);
        })
        .map_err(|e| format!("could not spawn the scenario thread: {e}"))?;
    let id = handle.thread().id();
    let verdict = match rx.recv_timeout(watchdog) {
        Ok(outcome) => {
            let _ = handle.join();
            outcome
        }
        // The thread is left behind: it cannot be stopped, only reported.
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // Relaxed: see the load above.
            hangs.fetch_add(1, Ordering::Relaxed);
            Err(format!(
                "hung: not finished after {watchdog:?} ({})",
                check::progress(id)
            ))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("the scenario thread died without a verdict".to_owned())
        }
    };
    check::forget(id);
    verdict
}

#[cfg(test)]
mod tests {
    use std::sync::{Condvar, Mutex};

    use super::*;
    use crate::scenarios::basics;
    use concur_core::Stats;

    fn refuse(_: PoolConfig) -> Result<Never, Error> {
        Err(Error::invalid_config("no pools here"))
    }

    #[test]
    fn a_refusing_factory_fails_a_scenario_with_the_reason() {
        let hangs = AtomicUsize::new(0);
        let why = run_with(
            "submit_result",
            basics::submit_result,
            refuse,
            WATCHDOG,
            &hangs,
        )
        .expect_err("no pool, no pass");
        assert!(why.contains("the factory refused"), "{why}");
        assert!(why.contains("no pools here"), "{why}");
        // Refusing zero workers is exactly what that scenario wants.
        run_with(
            "zero_workers_refused",
            basics::zero_workers_refused,
            refuse,
            WATCHDOG,
            &hangs,
        )
        .expect("a refusal of 0 workers passes");
    }

    #[test]
    fn run_panics_with_the_scenario_and_its_reason() {
        let err = std::panic::catch_unwind(|| run("submit_result", basics::submit_result, refuse))
            .expect_err("a failure panics");
        let message = concur_core::payload_message(&*err);
        assert!(
            message.contains("`submit_result` failed: the factory refused"),
            "{message}"
        );
    }

    /// Held shut until the hang test is over, so `blocks` really hangs.
    static RELEASE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

    fn blocks(_: &Ctx<Never>) -> Outcome {
        check::passed("here.rs", 7);
        let (lock, cv) = &RELEASE;
        let mut open = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = cv.wait(open).unwrap_or_else(|e| e.into_inner());
        }
        Ok(())
    }

    fn panics(_: &Ctx<Never>) -> Outcome {
        panic!("boom in the body")
    }

    #[test]
    fn a_hang_is_reported_with_its_last_check_and_counted() {
        let hangs = AtomicUsize::new(MAX_HANGS - 1);
        let short = Duration::from_millis(50);
        let why = run_with("blocks", blocks, refuse, short, &hangs).expect_err("it hangs");
        assert!(why.starts_with("hung: not finished after"), "{why}");
        assert!(why.contains("here.rs:7"), "{why}");
        assert_eq!(hangs.load(Ordering::Relaxed), MAX_HANGS);
        // Past the limit, nothing more runs: not even a scenario that would pass.
        let why = run_with(
            "zero_workers_refused",
            basics::zero_workers_refused,
            refuse,
            WATCHDOG,
            &hangs,
        )
        .expect_err("not run");
        assert!(why.starts_with("not run: 3 scenarios hung"), "{why}");
        *RELEASE.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        RELEASE.1.notify_all();
    }

    #[test]
    fn a_panicking_body_is_a_failure_with_its_message() {
        let hangs = AtomicUsize::new(0);
        let why = run_with("panics", panics, refuse, WATCHDOG, &hangs).expect_err("fails");
        assert_eq!(why, "panicked: boom in the body");
        assert_eq!(hangs.load(Ordering::Relaxed), 0);
    }

    #[derive(Debug)]
    struct Never;
    impl Executor for Never {
        fn submit_task(&self, _: concur_core::backend::TaskObj) -> Result<(), Error> {
            Err(Error::Shutdown)
        }
        fn max_workers(&self) -> usize {
            1
        }
        fn stats(&self) -> Stats {
            Stats::default()
        }
        fn shutdown(&self, _: bool, _: bool) {}
    }
}
