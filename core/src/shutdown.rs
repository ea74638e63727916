//! [`Shutdown`]: how [`Executor::shutdown_with`](crate::Executor::shutdown_with)
//! stops a pool, named at the call site as Python's keywords are.

/// How to shut an executor down, read like Python's
/// `executor.shutdown(wait=True, cancel_futures=False)`.
///
/// [`Shutdown::wait()`] blocks until the work is done (the default, and what
/// dropping a pool does); [`Shutdown::no_wait()`] returns at once;
/// [`cancel_futures`](Shutdown::cancel_futures) also cancels every task that
/// has not started. The semantics are
/// [`Executor::shutdown`](crate::Executor::shutdown)'s.
///
/// ```
/// use concur_core::Shutdown;
/// assert_eq!(Shutdown::wait(), Shutdown::default());
/// let now = Shutdown::no_wait().cancel_futures();
/// assert_eq!((now.waits(), now.cancels_futures()), (false, true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "a Shutdown does nothing until given to `shutdown_with`"]
pub struct Shutdown {
    wait: bool,
    cancel_futures: bool,
}

impl Shutdown {
    /// Block until running (and, unless cancelled, queued) tasks are done and
    /// the workers have exited: `wait=True`.
    pub const fn wait() -> Self {
        Shutdown {
            wait: true,
            cancel_futures: false,
        }
    }

    /// Return at once; the work finishes in the background: `wait=False`.
    pub const fn no_wait() -> Self {
        Shutdown {
            wait: false,
            cancel_futures: false,
        }
    }

    /// Also cancel every task that has not started: `cancel_futures=True`.
    pub const fn cancel_futures(self) -> Self {
        Shutdown {
            cancel_futures: true,
            ..self
        }
    }

    /// True when the shutdown blocks until the work is done.
    pub const fn waits(&self) -> bool {
        self.wait
    }

    /// True when the shutdown cancels what has not started.
    pub const fn cancels_futures(&self) -> bool {
        self.cancel_futures
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::wait()
    }
}
