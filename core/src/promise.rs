//! The producer side: how a backend completes a future.

use std::fmt;

use crate::handle::Handle;
use crate::state;
use crate::{Error, Future};

/// The producer side of a [`Future`]: the one handle that can complete it.
///
/// A backend creates a promise per task, hands [`future()`](Promise::future) to the
/// caller, and when a worker picks the task up calls [`set_running`](Promise::set_running)
/// (false means the caller cancelled it meanwhile: skip it, as Python's
/// `set_running_or_notify_cancel`), then exactly one of [`set_result`](Promise::set_result),
/// [`set_error`](Promise::set_error) or [`complete`](Promise::complete). Those consume
/// the promise, so completing twice does not compile.
///
/// A promise dropped without completing (its job was dropped, its worker thread
/// died) does not leave waiters hanging: a pending future becomes cancelled, a
/// running one fails with [`Error::Broken`].
///
/// Completing costs one atomic read-modify-write when nobody waits on the future.
///
/// ```
/// use concur_core::{Error, Promise};
/// let promise = Promise::new();
/// let fut = promise.future();
/// assert!(promise.set_running());
/// assert!(fut.is_running());
/// assert!(!fut.cancel(), "a running future cannot be cancelled");
/// promise.set_error(Error::Timeout);
/// assert_eq!(fut.result(None), Err::<u8, _>(Error::Timeout));
/// ```
pub struct Promise<T: Send + 'static> {
    /// The cell's one producer handle, until a completing call consumes it.
    inner: Option<Handle<T>>,
}

impl<T: Send + 'static> Promise<T> {
    /// A new pending future and its producer: one allocation, the cell,
    /// freed when its last handle drops. A backend can put the cell in an
    /// allocation of its own instead: [`FutureCell`](crate::backend::FutureCell).
    pub fn new() -> Self {
        Self::from_handle(Handle::boxed())
    }

    /// The promise holding `handle` (the cell's first).
    pub(crate) fn from_handle(handle: Handle<T>) -> Self {
        Promise {
            inner: Some(handle),
        }
    }

    fn inner(&self) -> &Handle<T> {
        self.inner.as_ref().expect("present until consumed")
    }

    /// A handle to the future this promise completes.
    pub fn future(&self) -> Future<T> {
        Future::from_inner(self.inner().clone())
    }

    /// Marks the future running. Returns false if it was cancelled: the task must
    /// not run and the promise can be dropped.
    pub fn set_running(&self) -> bool {
        self.inner().set_running()
    }

    /// True if the future was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner().phase() == state::CANCELLED
    }

    /// Finishes the future with `value`. Returns false (dropping `value`) if the
    /// future had been cancelled.
    pub fn set_result(self, value: T) -> bool {
        self.complete(Ok(value))
    }

    /// Finishes the future with `error`. Returns false if it had been cancelled.
    pub fn set_error(self, error: Error) -> bool {
        self.complete(Err(error))
    }

    /// Finishes the future with `outcome`, wakes its waiters and runs its
    /// callbacks on this thread. Returns false if the future had been cancelled.
    pub fn complete(mut self, outcome: Result<T, Error>) -> bool {
        let inner = self.inner.take().expect("present until consumed");
        inner.complete(outcome).is_ok()
    }
}

impl<T: Send + 'static> Default for Promise<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take()
            && !inner.cancel()
        {
            let _ = inner.complete(Err(Error::broken(
                "the task was dropped before it completed (its worker is gone)",
            )));
        }
    }
}

impl<T: Send + 'static> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Some(inner) => f.debug_struct("Promise").field("state", &**inner).finish(),
            None => f.write_str("Promise(consumed)"),
        }
    }
}
