//! [`Future<T>`]: a handle to one task's outcome.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::handle::Handle;
use crate::state::{self, Registered};
use crate::waiter::Waiter;
use crate::{AnyFuture, Error};

/// A handle to the outcome of one task, as Python's `concurrent.futures.Future`.
///
/// A future is created pending by an executor (or by [`Promise::new`](crate::Promise::new)),
/// may start running, and ends either finished (with a value or an [`Error`]) or
/// cancelled:
///
/// ```text
/// pending ──set_running──▶ running ──complete──▶ finished
///    │
///    └──────cancel──────▶ cancelled
/// ```
///
/// Handles are cheap to clone (one reference count) and every clone sees the same
/// outcome. A future is `Send + Sync` when `T` is `Send` (values are handed
/// out by clone or by move, never shared by reference between threads, so `T`
/// need not be `Sync`).
///
/// Waiting: [`result`](Future::result) blocks (with an optional timeout that leaves
/// the future untouched), [`take`](Future::take) and
/// [`into_result`](Future::into_result) move the value out without needing
/// `T: Clone`, and a future can be `.await`ed on any async runtime
/// (`&Future<T>` yields a clone, `Future<T>` moves the value out).
///
/// ```
/// use concur_core::{Error, Promise};
/// use std::time::Duration;
///
/// let promise = Promise::new();
/// let fut = promise.future();
/// assert!(!fut.is_done());
/// assert_eq!(fut.result(Some(Duration::ZERO)), Err(Error::Timeout));
///
/// std::thread::spawn(move || promise.set_result(6 * 7));
/// assert_eq!(fut.result(None), Ok(42));
/// assert!(fut.is_done());
/// ```
#[must_use = "the task runs from `submit` on; dropping its future throws its result and error away unread"]
pub struct Future<T> {
    /// One counted handle to the shared cell (`handle.rs`).
    inner: Handle<T>,
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Send + 'static> Future<T> {
    pub(crate) fn from_inner(inner: Handle<T>) -> Self {
        Future { inner }
    }

    /// A future that is already finished with `value`.
    ///
    /// ```
    /// let f = concur_core::Future::ready(5);
    /// assert_eq!(f.result(None), Ok(5));
    /// ```
    pub fn ready(value: T) -> Self {
        Self::completed(Ok(value))
    }

    /// A future that is already finished with `error`.
    ///
    /// ```
    /// use concur_core::{Error, Future};
    /// let f: Future<u8> = Future::failed(Error::Shutdown);
    /// assert_eq!(f.result(None), Err(Error::Shutdown));
    /// ```
    pub fn failed(error: Error) -> Self {
        Self::completed(Err(error))
    }

    fn completed(outcome: Result<T, Error>) -> Self {
        let inner = Handle::boxed();
        if inner.complete(outcome).is_err() {
            unreachable!("a fresh future cannot be completed twice");
        }
        Future { inner }
    }

    /// True once the future is finished or cancelled.
    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }

    /// True while the task is running (started and not yet finished).
    pub fn is_running(&self) -> bool {
        self.inner.phase() == state::RUNNING
    }

    /// True when the future was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.phase() == state::CANCELLED
    }

    /// Cancels the task if it has not started.
    ///
    /// Returns true if the future is now cancelled (also when it already was),
    /// false if the task is running or finished, in which case nothing changes.
    /// Cancelling wakes every waiter at once: a cancelled future is done.
    ///
    /// ```
    /// use concur_core::{Error, Promise};
    /// let promise = Promise::<u32>::new();
    /// let fut = promise.future();
    /// assert!(fut.cancel());
    /// assert!(fut.cancel(), "cancelling twice is still true");
    /// assert!(!promise.set_running(), "the producer learns it must not run");
    /// assert_eq!(fut.result(None), Err(Error::Cancelled));
    /// ```
    pub fn cancel(&self) -> bool {
        self.inner.cancel()
    }

    /// Blocks until the future is done (or `timeout` passes) and returns a clone
    /// of its value.
    ///
    /// `Some(Duration::ZERO)` polls without blocking.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] if the timeout passed (the future is untouched and can be
    /// waited on again), [`Error::Cancelled`] if it was cancelled, or the task's own
    /// error.
    pub fn result(&self, timeout: Option<Duration>) -> Result<T, Error>
    where
        T: Clone,
    {
        if !self.wait_timeout(timeout) {
            return Err(Error::Timeout);
        }
        self.inner
            .with_outcome(|r| r.cloned().map_err(Error::clone))?
    }

    /// Blocks until the future is done and moves the value out. Needs no `Clone`.
    ///
    /// Other handles to the same future see [`Error::InvalidState`] from a later
    /// `result`; use [`result`](Future::result) when the value is shared.
    ///
    /// # Errors
    ///
    /// As [`result`](Future::result) without the timeout.
    ///
    /// ```
    /// let f = concur_core::Future::ready(vec![1, 2, 3]);
    /// assert_eq!(f.into_result(), Ok(vec![1, 2, 3]));
    /// ```
    pub fn into_result(self) -> Result<T, Error> {
        self.wait_timeout(None);
        self.inner.take_outcome()
    }

    /// Blocks until the future is done (or `timeout` passes) and moves the value
    /// out through this handle. Needs no `Clone`: what a loop over
    /// [`as_completed(&futures, ..)`](crate::as_completed) calls on the `&Future`
    /// it is given.
    ///
    /// The value leaves the future: a later `result` or `take` on any handle
    /// of it fails with [`Error::InvalidState`].
    ///
    /// # Errors
    ///
    /// As [`result`](Future::result): [`Error::Timeout`] leaves the future (and
    /// its value) untouched.
    ///
    /// ```
    /// use concur_core::{as_completed, Error, Future};
    ///
    /// // A value that is not `Clone`.
    /// struct Page(String);
    /// let futures = vec![Future::ready(Page("a".into())), Future::ready(Page("bb".into()))];
    /// let mut total = 0;
    /// for f in as_completed(&futures, None) {
    ///     total += f?.take(None)?.0.len();
    /// }
    /// assert_eq!(total, 3);
    /// assert!(matches!(futures[0].take(None), Err(Error::InvalidState { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn take(&self, timeout: Option<Duration>) -> Result<T, Error> {
        if !self.wait_timeout(timeout) {
            return Err(Error::Timeout);
        }
        self.inner.take_outcome()
    }

    /// Blocks until the future is done (or `timeout` passes) and returns its error,
    /// if any (Python's `exception()`).
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] if the timeout passed; [`Error::Cancelled`] if cancelled.
    ///
    /// ```
    /// use concur_core::{Error, Future};
    /// assert_eq!(Future::ready(1).error(None), Ok(None));
    /// let f: Future<u8> = Future::failed(Error::Shutdown);
    /// assert_eq!(f.error(None), Ok(Some(Error::Shutdown)));
    /// ```
    pub fn error(&self, timeout: Option<Duration>) -> Result<Option<Error>, Error> {
        if !self.wait_timeout(timeout) {
            return Err(Error::Timeout);
        }
        self.inner.with_outcome(|r| r.err().cloned())
    }

    /// Blocks until the future is done or `timeout` passes; true if done.
    pub fn wait_timeout(&self, timeout: Option<Duration>) -> bool {
        if self.inner.is_done() {
            return true;
        }
        if timeout == Some(Duration::ZERO) {
            return false;
        }
        let deadline = crate::backend::deadline(timeout);
        if timeout.is_some() && deadline.is_none() {
            // A timeout too large to represent is no timeout.
            return self.wait_timeout(None);
        }
        crate::blocking::wait_until(&self.inner, deadline)
    }

    /// Registers `f` to run once the future is done, with the future as argument.
    ///
    /// Callbacks run in registration order on the thread that completes (or
    /// cancels) the future; if the future is already done, `f` runs immediately on
    /// the caller's thread. A panicking callback is reported on stderr and does not
    /// stop later callbacks, the future or the pool.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// let promise = concur_core::Promise::new();
    /// let (tx, rx) = mpsc::channel();
    /// promise.future().add_done_callback(move |f| tx.send(f.result(None)).unwrap());
    /// promise.set_result("done");
    /// assert_eq!(rx.recv().unwrap(), Ok("done"));
    /// ```
    pub fn add_done_callback<F>(&self, f: F)
    where
        F: FnOnce(&Future<T>) + Send + 'static,
    {
        if let Registered::AlreadyDone(Waiter::Callback(cb)) =
            self.inner.register(Waiter::Callback(Box::new(f)))
        {
            state::run_callback(cb, self);
        }
    }

    /// A type-erased handle, for waiting on futures of different types together.
    pub fn as_any(&self) -> AnyFuture {
        AnyFuture::new(self.inner.clone())
    }

    /// True when both handles refer to the same future.
    pub fn same_as(&self, other: &Future<T>) -> bool {
        std::ptr::eq(self.inner.as_ptr(), other.inner.as_ptr())
    }

    /// True once done; otherwise `cx`'s waker is registered (once: a waker it
    /// already holds is not added again).
    pub(crate) fn poll_done(&self, cx: &mut Context<'_>) -> bool {
        self.inner.is_done() || !self.inner.register_waker(cx.waker())
    }
}

/// Two handles are equal when they refer to the same future (the same shared
/// state), whatever its value: identity, as Python's futures compare.
///
/// So a future can key a map, as Python's
/// `{executor.submit(load, url): url for url in urls}`:
///
/// ```
/// use concur_core::{as_completed, Future};
/// use std::collections::HashMap;
///
/// fn load(url: &str) -> usize { url.len() }
///
/// let urls = ["a.example", "bb.example"];
/// let pending: HashMap<Future<usize>, &str> =
///     urls.iter().map(|&url| (Future::ready(load(url)), url)).collect();
/// for f in as_completed(pending.keys(), None) {
///     let f = f.expect("no timeout");
///     assert_eq!(f.result(None), Ok(pending[f].len()));
/// }
/// // Equal values are still different futures; clones are the same one.
/// let (a, b) = (Future::ready(1), Future::ready(1));
/// assert_ne!(a, b);
/// assert_eq!(a, a.clone());
/// ```
impl<T> PartialEq for Future<T> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.inner.as_ptr(), other.inner.as_ptr())
    }
}

impl<T> Eq for Future<T> {}

/// Hashes the identity (the address of the shared state), consistent with `Eq`.
///
/// Clippy's `mutable_key_type` lint flags maps keyed by futures because the
/// shared state has atomics inside; here that is a false positive — hash,
/// equality and order read only the address, which never changes — and
/// `#[allow(clippy::mutable_key_type)]` is the answer.
impl<T> std::hash::Hash for Future<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.inner.as_ptr(), state)
    }
}

/// An arbitrary but stable order by identity (the address of the shared
/// state), so futures fit a `BTreeMap` or can be sorted and deduplicated. It
/// says nothing about submission or completion order.
impl<T> Ord for Future<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.inner.as_ptr().cmp(&other.inner.as_ptr())
    }
}

impl<T> PartialOrd for Future<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Future")
            .field("state", &state::phase_name(self.inner.phase()))
            .finish()
    }
}

/// Awaiting a `Future<T>` by value moves the value out (no `Clone` needed).
impl<T: Send + 'static> std::future::Future for Future<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.poll_done(cx) {
            Poll::Ready(self.inner.take_outcome())
        } else {
            Poll::Pending
        }
    }
}

/// Awaiting `&Future<T>` yields a clone of the value and leaves it in place.
impl<T: Clone + Send + 'static> std::future::Future for &Future<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.poll_done(cx) {
            Poll::Ready(
                self.inner
                    .with_outcome(|r| r.cloned().map_err(Error::clone))
                    .and_then(|r| r),
            )
        } else {
            Poll::Pending
        }
    }
}
