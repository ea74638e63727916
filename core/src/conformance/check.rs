//! Small assertion helpers: a failed check returns `Err(why)` from the scenario,
//! naming what was expected and what was seen.

use std::fmt::Debug;
use std::time::Duration;

use crate::Error;

/// Time allowed for anything expected to take milliseconds.
pub(crate) const LONG: Duration = Duration::from_secs(30);

/// A timeout that is meant to expire (the behaviour under test).
pub(crate) const SHORT: Duration = Duration::from_millis(100);

/// Returns `Err("<message> (file:line)")` from the scenario unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!("{} (at {}:{})", format_args!($($fmt)+), file!(), line!()));
        }
    };
}

/// Returns an error from the scenario unless `seen == expected`, showing both.
macro_rules! ensure_eq {
    ($seen:expr, $expected:expr, $($fmt:tt)+) => {
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
    };
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
