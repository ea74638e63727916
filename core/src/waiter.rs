//! The waiters of one future: who is woken when it is done, in
//! registration order (`Inner`'s waiter list, behind its mutex).

use std::sync::Arc;
use std::task::Waker;

use crate::Future;
use crate::collector::Collector;
use crate::sync::thread::Thread;

pub(crate) type Callback<T> = Box<dyn FnOnce(&Future<T>) + Send>;

/// One registered waiter.
pub(crate) enum Waiter<T> {
    /// A thread blocked on this one future. It re-reads the phase after each
    /// wake-up (the phase is done before any waiter is woken), so the entry
    /// is the thread's handle alone: a blocking wait allocates nothing.
    Thread(Thread),
    Waker(Waker),
    /// A `wait`, `as_completed` or unordered `map` watching many futures,
    /// told the token given at registration. A concrete `Arc` (one word, not
    /// a `dyn` pointer's two) keeps a waiter at 24 bytes (32 with its id): see
    /// "The cell's size" in `state.rs`.
    Listener(Arc<Collector>, usize),
    Callback(Callback<T>),
}

/// The list and the id the next registration gets (a timed-out wait
/// deregisters by it).
pub(crate) struct Waiters<T> {
    pub(crate) next_id: u64,
    pub(crate) list: WaiterList<T>,
}

/// Registered waiters in registration order. The first one lives inline: the
/// common case — one `.await` or one blocking `result` — allocates nothing.
pub(crate) struct WaiterList<T> {
    first: Option<(u64, Waiter<T>)>,
    rest: Vec<(u64, Waiter<T>)>,
}

impl<T> WaiterList<T> {
    pub(crate) const fn new() -> Self {
        WaiterList {
            first: None,
            rest: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, entry: (u64, Waiter<T>)) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(entry);
        } else {
            self.rest.push(entry);
        }
    }

    pub(crate) fn pop(&mut self) -> Option<(u64, Waiter<T>)> {
        self.rest.pop().or_else(|| self.first.take())
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &(u64, Waiter<T>)> {
        self.first.iter().chain(self.rest.iter())
    }

    pub(crate) fn remove(&mut self, id: u64) {
        if self.first.as_ref().is_some_and(|(i, _)| *i == id) {
            self.first = None;
        } else if let Some(pos) = self.rest.iter().position(|(i, _)| *i == id) {
            self.rest.remove(pos);
        }
    }

    #[allow(clippy::type_complexity)]
    pub(crate) fn take(
        &mut self,
    ) -> std::iter::Chain<
        std::option::IntoIter<(u64, Waiter<T>)>,
        std::vec::IntoIter<(u64, Waiter<T>)>,
    > {
        let first = self.first.take();
        first.into_iter().chain(std::mem::take(&mut self.rest))
    }
}
