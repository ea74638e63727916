//! The one error type of concur.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a worker process ended, as seen by the parent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExitStatus {
    /// The process exited with this code (`exit(code)`).
    Code(i32),
    /// The process was killed by this signal number (`SIGKILL` = 9, `SIGSEGV` = 11, ...).
    Signal(i32),
    /// The process is gone but its status could not be read.
    Unknown,
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Code(c) => write!(f, "exit code {c}"),
            ExitStatus::Signal(s) => write!(f, "signal {s}"),
            ExitStatus::Unknown => f.write_str("unknown exit status"),
        }
    }
}

/// Why a worker process was lost, as far as the pool can tell.
///
/// The [`ExitStatus`] says how the process ended; this says what the pool
/// knows beyond it. New causes may be added, so match with a `_` arm.
///
/// ```
/// use concur_core::{Error, ExitStatus, LostCause};
/// let e = Error::WorkerLost {
///     pid: 7,
///     status: ExitStatus::Signal(6),
///     attempts: 1,
///     cause: LostCause::StackOverflow,
/// };
/// assert!(e.to_string().contains("overflowed the worker's stack"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LostCause {
    /// The process ended on its own or was killed from outside (a crash, an
    /// `abort`, an `exit`, the out-of-memory killer, a `kill`): the
    /// [`ExitStatus`] is all there is to know.
    Died,
    /// The task overflowed the worker's stack (the worker reported it before
    /// it aborted, as Rust's `main` does; the status is `SIGABRT`). A task that
    /// overflows is not retried: it would overflow again.
    StackOverflow,
    /// The pool killed the worker because it misbehaved: it broke the
    /// protocol (bad framing, a frame that does not decode, a message out of
    /// place, ...), stopped answering pings, or did not exit when it said it
    /// would.
    Misbehaved {
        /// What the worker did.
        reason: String,
    },
}

/// Everything that can go wrong with a task, a future or a pool.
///
/// One enum for every backend, so code written against the [`Executor`](crate::Executor)
/// trait handles failures the same way whichever backend runs it. Each variant carries
/// what a caller needs to act on it.
///
/// ```
/// use concur_core::Error;
/// let e = Error::panicked("boom", Some("src/main.rs:3:5".into()), None);
/// assert!(e.to_string().starts_with("the task panicked at src/main.rs:3:5: boom"));
/// ```
///
/// Equality compares what a caller acts on and leaves out a panic's
/// backtrace, which depends on `RUST_BACKTRACE` and on the build.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Error {
    /// The future was cancelled before it started.
    Cancelled,
    /// A deadline passed. For `result`/`wait` the future is untouched and can be
    /// waited on again; for a per-task timeout the task was stopped.
    Timeout,
    /// The task panicked (Python: the task raised). The pool survives it.
    ///
    /// Plain `Display` shows the message and the location; the alternate form
    /// (`{:#}`) adds the backtrace, also available from [`Error::backtrace`].
    Panicked {
        /// The panic payload, when it was a string.
        message: String,
        /// Where the task panicked, `file:line:col`, as a thread's panic
        /// message shows it (`None` when the panic hook was replaced after
        /// the first task ran, see `concur_core::backend`'s panic docs).
        #[serde(default)]
        location: Option<String>,
        /// The backtrace at the panic site, captured when `RUST_BACKTRACE` is
        /// set. Not compared by `==` and not shown by plain `Display`.
        backtrace: Option<String>,
    },
    /// The worker process that held the task died (the last one, if the task
    /// was retried).
    ///
    /// Match it with `..` (`Error::WorkerLost { pid, .. }`) where only some
    /// fields matter; [`LostCause`] may grow new variants.
    WorkerLost {
        /// The process id of the (last) worker.
        pid: u32,
        /// How it ended.
        status: ExitStatus,
        /// How many times the task was started, each time on a worker that was
        /// then lost: 1 without `retries`, up to `1 + n` with `retries(n)`.
        attempts: u32,
        /// Why the (last) worker was lost, as far as the pool can tell.
        cause: LostCause,
    },
    /// The executor was shut down before the task was accepted.
    Shutdown,
    /// The executor is broken and accepts no work (for example a process pool in
    /// Python's break-on-crash mode after a worker died).
    Broken {
        /// Why the executor broke.
        reason: String,
    },
    /// A payload could not be serialized. The task fails at `submit`, on the caller's thread.
    ///
    /// Also the refusal of a task function that is a closure capturing
    /// values, sent to a pool of worker processes (what it captured lives in
    /// this process only): `type_name` is the closure's, and the message,
    /// and `Display`, say what to pass instead.
    Encode {
        /// The Rust type that failed to encode.
        type_name: String,
        /// What the encoder said.
        message: String,
    },
    /// A payload could not be deserialized.
    Decode {
        /// The Rust type that failed to decode.
        type_name: String,
        /// What the decoder said.
        message: String,
    },
    /// The operation does not fit the future's state (for example the value was
    /// already moved out by a consuming call).
    InvalidState {
        /// What was attempted.
        message: String,
    },
    /// A configuration value was refused (zero workers, a `chunksize` of 0, ...).
    InvalidConfig {
        /// Which value and why.
        message: String,
    },
    /// `try_submit` refused the task because the queue holds `max_queued` tasks.
    Full {
        /// The bound that was reached.
        max_queued: usize,
    },
}

/// The message of the [`Error::Encode`] that refuses a task function that
/// is a closure capturing values ([`Error::capturing_closure`]); `Display`
/// knows it by it, so the advice holds after the error crossed processes.
const CAPTURING_CLOSURE: &str = "the task function is a closure that captures values, and \
     what it captured lives in this process only; pass a `fn` item or a closure that \
     captures nothing, with the captured values as arguments (`submit(f, (a, b))`), or \
     run it on a thread or async pool";

impl Error {
    /// The refusal of a task function of type `type_name` that is a
    /// closure capturing values, by a backend whose workers are other
    /// processes: an [`Error::Encode`] whose message says what to do.
    pub(crate) fn capturing_closure(type_name: &str) -> Self {
        Error::Encode {
            type_name: type_name.to_owned(),
            message: CAPTURING_CLOSURE.to_owned(),
        }
    }

    /// Shorthand for [`Error::Panicked`], for backends that rebuild a panic
    /// reported elsewhere (a worker process).
    pub fn panicked(
        message: impl Into<String>,
        location: Option<String>,
        backtrace: Option<String>,
    ) -> Self {
        Error::Panicked {
            message: message.into(),
            location,
            backtrace,
        }
    }

    /// The backtrace of a [`Error::Panicked`], when `RUST_BACKTRACE` asked for
    /// one. The alternate `Display` (`{:#}`) shows it too.
    ///
    /// ```
    /// use concur_core::Error;
    /// let e = Error::panicked("boom", None, Some("0: main".into()));
    /// assert_eq!(e.backtrace(), Some("0: main"));
    /// assert!(!e.to_string().contains("0: main"));
    /// assert!(format!("{e:#}").contains("0: main"));
    /// assert_eq!(e, Error::panicked("boom", None, None), "backtraces are not compared");
    /// ```
    pub fn backtrace(&self) -> Option<&str> {
        match self {
            Error::Panicked { backtrace, .. } => backtrace.as_deref(),
            _ => None,
        }
    }

    /// Where a [`Error::Panicked`] task panicked, `file:line:col`.
    pub fn location(&self) -> Option<&str> {
        match self {
            Error::Panicked { location, .. } => location.as_deref(),
            _ => None,
        }
    }

    /// Shorthand for [`Error::InvalidConfig`].
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Error::InvalidConfig {
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::InvalidState`].
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Error::InvalidState {
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Broken`].
    pub fn broken(reason: impl Into<String>) -> Self {
        Error::Broken {
            reason: reason.into(),
        }
    }

    /// Shorthand for a [`Error::WorkerLost`] of a task's first and only
    /// attempt, on a worker that died ([`LostCause::Died`]).
    ///
    /// ```
    /// use concur_core::{Error, ExitStatus};
    /// let e = Error::worker_lost(42, ExitStatus::Signal(9));
    /// assert!(e.to_string().starts_with("worker process 42 died (signal 9)"));
    /// ```
    pub fn worker_lost(pid: u32, status: ExitStatus) -> Self {
        Error::WorkerLost {
            pid,
            status,
            attempts: 1,
            cause: LostCause::Died,
        }
    }

    /// True for [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout)
    }

    /// True for [`Error::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }
}

/// Every message says what happened and what to do about it. The alternate
/// form (`{:#}`) adds a panic's backtrace.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cancelled => f.write_str(
                "the future was cancelled before its task started (by `cancel`, \
                 `shutdown` with `cancel_futures`, or a dropped `map`), so it has no \
                 result; submit the task again if it is still needed",
            ),
            Error::Timeout => f.write_str(
                "timed out: the deadline passed before the future was done; a \
                 `result`, `wait` or `as_completed` timeout leaves the task running \
                 (wait again or give a longer timeout), a `map` timeout cancelled \
                 what had not started, a per-task timeout stopped the task",
            ),
            Error::Panicked {
                message,
                location,
                backtrace,
            } => {
                f.write_str("the task panicked")?;
                if let Some(at) = location {
                    write!(f, " at {at}")?;
                }
                write!(f, ": {message}")?;
                match backtrace {
                    Some(bt) if f.alternate() => write!(f, "\nbacktrace:\n{bt}"),
                    Some(_) => f.write_str(" (the pool goes on; `{:#}` shows the backtrace)"),
                    None => f.write_str(
                        " (the pool goes on; run with RUST_BACKTRACE=1 and print \
                         the error with `{:#}` for a backtrace)",
                    ),
                }
            }
            Error::WorkerLost {
                pid,
                status,
                attempts,
                cause,
            } => {
                match cause {
                    LostCause::Misbehaved { reason } => write!(
                        f,
                        "worker process {pid} was killed by the pool ({status}) while it \
                         held the task, as it misbehaved: {reason}"
                    )?,
                    _ => write!(
                        f,
                        "worker process {pid} died ({status}) while it held the task"
                    )?,
                }
                if *attempts > 1 {
                    write!(
                        f,
                        "; the task was started {attempts} times, each time on a worker \
                         that was lost"
                    )?;
                }
                f.write_str("; the pool replaced the worker and goes on. ")?;
                match cause {
                    LostCause::StackOverflow => f.write_str(
                        "The task overflowed the worker's stack (it aborted, as Rust's \
                         `main` does): make it recurse less, or run the deep part on a \
                         thread with a larger stack (`std::thread::Builder::stack_size`)",
                    ),
                    LostCause::Misbehaved { .. } => f.write_str(
                        "A worker misbehaves only if the task or native code writes to \
                         or closes the pool's descriptors, stops the worker's threads, or \
                         the process is not the pool's own build; check what the task does \
                         to the process",
                    ),
                    _ if *attempts > 1 => f.write_str(
                        "A task that kills every worker it runs on (out of memory, a \
                         crash in native code) needs fixing, not more retries",
                    ),
                    _ => f.write_str(
                        "Signal 9 is often the out-of-memory killer, signal 11 a crash in \
                         native code; submit the task again if it is safe to run twice (or \
                         give the pool `retries`)",
                    ),
                }
            }
            Error::Shutdown => f.write_str(
                "the executor was shut down (or dropped) before this task was \
                 accepted; submit before `shutdown`, or create a new pool",
            ),
            Error::Broken { reason } => write!(
                f,
                "the executor is broken and accepts no more work: {reason}; create a \
                 new pool"
            ),
            Error::Encode { type_name, message } if message == CAPTURING_CLOSURE => write!(
                f,
                "could not send the task function `{type_name}` to a worker: {message}; \
                 the task was not sent"
            ),
            Error::Encode { type_name, message } => write!(
                f,
                "could not encode a value of type `{type_name}` to send it to a \
                 worker: {message}; the task was not sent. Check the type's \
                 `Serialize` implementation and its serde attributes"
            ),
            Error::Decode { type_name, message } => write!(
                f,
                "could not decode a value of type `{type_name}`: {message}; the bytes \
                 do not match the type. Check that every side runs the same build, \
                 and that the type's serde attributes suit the pool's codec \
                 (`skip_serializing_if`, `flatten` and untagged enums need a \
                 self-describing one)"
            ),
            Error::InvalidState { message } => write!(
                f,
                "the operation does not fit the future's state: {message}"
            ),
            Error::InvalidConfig { message } => write!(
                f,
                "invalid configuration: {message}; fix the value where it is given \
                 (the builder or the `MapOptions`)"
            ),
            Error::Full { max_queued } => write!(
                f,
                "the queue is full: {max_queued} tasks are queued, the pool's \
                 `max_queued`; try again once some have finished, raise `max_queued`, \
                 or use `submit`, which waits for no room"
            ),
        }
    }
}

/// Equality of what a caller acts on: a panic's backtrace is left out (it
/// depends on `RUST_BACKTRACE` and the build, so an `assert_eq!` must not).
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        use Error::*;
        match (self, other) {
            (
                Panicked {
                    message: m1,
                    location: l1,
                    ..
                },
                Panicked {
                    message: m2,
                    location: l2,
                    ..
                },
            ) => m1 == m2 && l1 == l2,
            (Cancelled, Cancelled) | (Timeout, Timeout) | (Shutdown, Shutdown) => true,
            (
                WorkerLost {
                    pid: p1,
                    status: s1,
                    attempts: a1,
                    cause: c1,
                },
                WorkerLost {
                    pid: p2,
                    status: s2,
                    attempts: a2,
                    cause: c2,
                },
            ) => p1 == p2 && s1 == s2 && a1 == a2 && c1 == c2,
            (Broken { reason: a }, Broken { reason: b }) => a == b,
            (
                Encode {
                    type_name: t1,
                    message: m1,
                },
                Encode {
                    type_name: t2,
                    message: m2,
                },
            )
            | (
                Decode {
                    type_name: t1,
                    message: m1,
                },
                Decode {
                    type_name: t2,
                    message: m2,
                },
            ) => t1 == t2 && m1 == m2,
            (InvalidState { message: a }, InvalidState { message: b })
            | (InvalidConfig { message: a }, InvalidConfig { message: b }) => a == b,
            (Full { max_queued: a }, Full { max_queued: b }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Error {}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests;
