//! [`AnyFuture`]: a future with its type erased, and [`Waitable`], what `wait` and
//! `as_completed` accept.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::state::{self, Inner, Listener, Registered, Waiter};
use crate::{Error, Future};

/// The type-independent view of a future's state.
pub(crate) trait Erased: Send + Sync {
    fn phase(&self) -> usize;
    fn is_failed(&self) -> bool;
    fn error(&self) -> Option<Error>;
    fn listen(&self, listener: Arc<dyn Listener>, token: usize) -> Option<u64>;
    fn unlisten(&self, id: u64);
    fn cancel(self: Arc<Self>) -> bool;
    fn wait_until(&self, deadline: Option<Instant>) -> bool;
}

impl<T: Send + 'static> Erased for Inner<T> {
    fn phase(&self) -> usize {
        Inner::phase(self)
    }
    fn is_failed(&self) -> bool {
        Inner::is_failed(self)
    }
    fn error(&self) -> Option<Error> {
        match Inner::phase(self) {
            state::CANCELLED => Some(Error::Cancelled),
            state::FINISHED => self.with_outcome(|r| r.err().cloned()).unwrap_or(None),
            _ => None,
        }
    }
    fn listen(&self, listener: Arc<dyn Listener>, token: usize) -> Option<u64> {
        match self.register(Waiter::Listener(listener, token)) {
            Registered::Id(id) => Some(id),
            Registered::AlreadyDone(_) => None,
        }
    }
    fn unlisten(&self, id: u64) {
        self.deregister(id)
    }
    fn cancel(self: Arc<Self>) -> bool {
        Inner::cancel(&self)
    }
    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        crate::blocking::wait_until(self, deadline)
    }
}

/// A handle to a future of any value type, for code that watches futures of
/// different types (or from different backends) together.
///
/// ```
/// use concur_core::{wait, Future, ReturnWhen, Waitable};
/// let a = Future::ready(1u8);
/// let b = Future::ready("two");
/// let done = wait([a.as_any(), b.as_any()], None, ReturnWhen::AllCompleted);
/// assert_eq!(done.done.len(), 2);
/// ```
#[derive(Clone)]
pub struct AnyFuture {
    pub(crate) inner: Arc<dyn Erased>,
}

impl AnyFuture {
    pub(crate) fn new<T: Send + 'static>(inner: Arc<Inner<T>>) -> Self {
        AnyFuture { inner }
    }

    /// True once finished or cancelled.
    pub fn is_done(&self) -> bool {
        self.inner.phase() >= state::FINISHED
    }

    /// True while running.
    pub fn is_running(&self) -> bool {
        self.inner.phase() == state::RUNNING
    }

    /// True when cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.phase() == state::CANCELLED
    }

    /// As [`Future::cancel`].
    pub fn cancel(&self) -> bool {
        self.inner.clone().cancel()
    }

    /// Blocks until done or `timeout` passes; true if done.
    pub fn wait_timeout(&self, timeout: Option<Duration>) -> bool {
        if self.is_done() {
            return true;
        }
        if timeout == Some(Duration::ZERO) {
            return false;
        }
        let deadline = crate::backend::deadline(timeout);
        self.inner.wait_until(deadline)
    }

    /// The error of a done future (`Cancelled` for a cancelled one), `None` while
    /// not done or when it succeeded.
    pub fn error(&self) -> Option<Error> {
        self.inner.error()
    }

    /// True when both handles refer to the same future.
    pub fn same_as(&self, other: &AnyFuture) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.inner), Arc::as_ptr(&other.inner))
    }

    pub(crate) fn key(&self) -> usize {
        Arc::as_ptr(&self.inner) as *const () as usize
    }
}

/// Identity, as [`Future`]'s: equal when both refer to the same future.
impl PartialEq for AnyFuture {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other)
    }
}

impl Eq for AnyFuture {}

/// Hashes the identity, consistent with `Eq`.
impl std::hash::Hash for AnyFuture {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl fmt::Debug for AnyFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnyFuture")
            .field("state", &state::phase_name(self.inner.phase()))
            .finish()
    }
}

/// Anything [`wait`](crate::wait) and [`as_completed`](crate::as_completed) can watch:
/// a [`Future<T>`], a reference to one, or an [`AnyFuture`].
pub trait Waitable {
    /// The type-erased handle of this future.
    fn as_any(&self) -> AnyFuture;
}

impl<T: Send + 'static> Waitable for Future<T> {
    fn as_any(&self) -> AnyFuture {
        Future::as_any(self)
    }
}

impl Waitable for AnyFuture {
    fn as_any(&self) -> AnyFuture {
        self.clone()
    }
}

impl<W: Waitable + ?Sized> Waitable for &W {
    fn as_any(&self) -> AnyFuture {
        (**self).as_any()
    }
}

impl<T: Send + 'static> From<Future<T>> for AnyFuture {
    fn from(f: Future<T>) -> Self {
        Future::as_any(&f)
    }
}
