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

/// Everything that can go wrong with a task, a future or a pool.
///
/// One enum for every backend, so code written against the [`Executor`](crate::Executor)
/// trait handles failures the same way whichever backend runs it. Each variant carries
/// what a caller needs to act on it.
///
/// ```
/// use concur_core::Error;
/// let e = Error::Panicked { message: "boom".into(), backtrace: None };
/// assert_eq!(e.to_string(), "task panicked: boom");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Error {
    /// The future was cancelled before it started.
    Cancelled,
    /// A deadline passed. For `result`/`wait` the future is untouched and can be
    /// waited on again; for a per-task timeout the task was stopped.
    Timeout,
    /// The task panicked (Python: the task raised). The pool survives it.
    Panicked {
        /// The panic payload, when it was a string.
        message: String,
        /// The backtrace at the panic site, captured when `RUST_BACKTRACE` is set.
        backtrace: Option<String>,
    },
    /// The worker process that held the task died.
    WorkerLost {
        /// The process id of the worker.
        pid: u32,
        /// How it ended.
        status: ExitStatus,
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

impl Error {
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

    /// True for [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout)
    }

    /// True for [`Error::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cancelled => f.write_str("the future was cancelled"),
            Error::Timeout => f.write_str("timed out"),
            Error::Panicked { message, backtrace } => {
                write!(f, "task panicked: {message}")?;
                if let Some(bt) = backtrace {
                    write!(f, "\nworker backtrace:\n{bt}")?;
                }
                Ok(())
            }
            Error::WorkerLost { pid, status } => {
                write!(f, "worker process {pid} was lost ({status})")
            }
            Error::Shutdown => f.write_str("the executor has been shut down"),
            Error::Broken { reason } => write!(f, "the executor is broken: {reason}"),
            Error::Encode { type_name, message } => {
                write!(
                    f,
                    "could not encode a value of type `{type_name}`: {message}"
                )
            }
            Error::Decode { type_name, message } => {
                write!(
                    f,
                    "could not decode a value of type `{type_name}`: {message}"
                )
            }
            Error::InvalidState { message } => write!(f, "invalid state: {message}"),
            Error::InvalidConfig { message } => write!(f, "invalid configuration: {message}"),
            Error::Full { max_queued } => {
                write!(f, "the queue is full ({max_queued} tasks queued)")
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_context() {
        let lost = Error::WorkerLost {
            pid: 42,
            status: ExitStatus::Signal(9),
        };
        assert_eq!(lost.to_string(), "worker process 42 was lost (signal 9)");
        let enc = Error::Encode {
            type_name: "Foo".into(),
            message: "nope".into(),
        };
        assert!(enc.to_string().contains("`Foo`"));
        assert!(
            Error::invalid_config("max_workers must be at least 1")
                .to_string()
                .contains("max_workers")
        );
    }
}
