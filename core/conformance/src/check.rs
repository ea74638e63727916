//! Small assertion helpers: a failed check returns `Err(why)` from the scenario,
//! naming what was expected and what was seen.

use std::fmt::Debug;
use std::sync::{Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;

use concur_core::Error;

/// Time allowed for anything expected to take milliseconds.
pub(crate) const LONG: Duration = Duration::from_secs(30);

/// A timeout that is meant to expire (the behaviour under test).
pub(crate) const SHORT: Duration = Duration::from_millis(100);

/// The last check that passed on each scenario thread (file, line): what a
/// hang report points at. Scenarios run in parallel, so it is kept per thread.
static LAST_PASSED: Mutex<Vec<(ThreadId, &'static str, u32)>> = Mutex::new(Vec::new());

fn last_passed() -> MutexGuard<'static, Vec<(ThreadId, &'static str, u32)>> {
    // A poisoned list is still a list of positions: keep reporting them.
    LAST_PASSED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records that the check at `file:line` passed on this thread.
pub(crate) fn passed(file: &'static str, line: u32) {
    let me = std::thread::current().id();
    let mut list = last_passed();
    match list.iter_mut().find(|(id, ..)| *id == me) {
        Some(entry) => *entry = (me, file, line),
        None => list.push((me, file, line)),
    }
}

/// Forgets where the scenario on thread `id` got to (it finished).
pub(crate) fn forget(id: ThreadId) {
    last_passed().retain(|(t, ..)| *t != id);
}

/// Where the scenario on thread `id` got to, for a hang report.
pub(crate) fn progress(id: ThreadId) -> String {
    match last_passed().iter().find(|(t, ..)| *t == id) {
        Some((_, file, line)) => format!("the last check that passed is at {file}:{line}"),
        None => "no check passed yet".to_owned(),
    }
}

/// Returns `Err("<message> (file:line)")` from the scenario unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {{
        if !$cond {
            return Err(format!("{} (at {}:{})", format_args!($($fmt)+), file!(), line!()));
        }
        $crate::check::passed(file!(), line!());
    }};
}

/// Returns an error from the scenario unless `seen == expected`, showing both.
macro_rules! ensure_eq {
    ($seen:expr, $expected:expr, $($fmt:tt)+) => {{
        match (&$seen, &$expected) {
            (seen, expected) => {
                if seen != expected {
                    return Err(format!(
                        "{}: expected {:?}, saw {:?} (at {}:{})",
                        format_args!($($fmt)+), expected, seen, file!(), line!()
                    ));
                }
            }
        }
        $crate::check::passed(file!(), line!());
    }};
}

/// Polls `cond` (every millisecond) until it holds or `timeout` passes; true if
/// it held. Only for state a backend may publish with a lag, such as `stats()`
/// counters fed by messages from worker processes — never to order events.
pub(crate) fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Turns any `Result` into the scenario's error type, with context.
pub(crate) trait Check<T> {
    /// `Ok(value)`, or `Err("<what>: <error>")`.
    fn check(self, what: &str) -> Result<T, String>;
}

impl<T, E: Debug> Check<T> for Result<T, E> {
    fn check(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: unexpected error {e:?}"))
    }
}

/// True for a panic error carrying exactly `message`.
pub(crate) fn is_panic(e: &Error, message: &str) -> bool {
    matches!(e, Error::Panicked { message: m, .. } if m == message)
}

/// Checks `r` is a panic carrying `message`.
pub(crate) fn expect_panic<T: Debug>(
    r: Result<T, Error>,
    message: &str,
    what: &str,
) -> Result<(), String> {
    match r {
        Err(e) if is_panic(&e, message) => Ok(()),
        other => Err(format!(
            "{what}: expected Err(Panicked {{ message: {message:?} }}), saw {other:?}"
        )),
    }
}
