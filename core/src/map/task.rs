//! One submitted unit of a [`Map`](super::Map) ([`Task`]: a single item, a
//! chunk, or a chunk the consumer ran itself), how the blocking iterator waits
//! for one, and the outcomes of a finished one ([`Outcomes`]).

use std::sync::Arc;
use std::task::Context;
use std::time::Instant;

use super::claim::Reclaim;
use crate::backend::{ChunkIter, ChunkResult};
use crate::{Error, Future};

/// How many times the iterator looks at the head task again, with a spin-loop
/// hint in between, before it yields: about a microsecond or two, the rest
/// of a chunk a worker is running — shorter than a trip through the
/// scheduler, and short enough not to hold a core a worker is queued on.
const SPINS_BEFORE_YIELD: usize = 64;

/// How many times the iterator looks at the head task again (yielding in
/// between) before it parks on it.
const YIELDS_BEFORE_PARK: usize = 16;

/// One submitted unit of a map: a single item or a chunk of `len` items.
pub(crate) enum Task<R: Send + 'static> {
    Single(Future<R>),
    /// A chunk, and the claim on its items while the consumer may still take
    /// them back ([`Task::reclaim`]).
    Chunk(Future<ChunkResult<R>>, usize, Option<Arc<dyn Reclaim<R>>>),
    /// A chunk the consumer took back and ran itself: its outcomes (the
    /// future's task, when a worker gets to it, finds no items).
    Ran(Future<ChunkResult<R>>, ChunkResult<R>),
}

impl<R: Send + 'static> Task<R> {
    pub(super) fn any(&self) -> crate::AnyFuture {
        match self {
            Task::Single(f) => f.as_any(),
            Task::Chunk(f, ..) | Task::Ran(f, _) => f.as_any(),
        }
    }

    pub(super) fn cancel(&self) {
        match self {
            Task::Single(f) => f.cancel(),
            Task::Chunk(f, ..) => f.cancel(),
            // Already run: its outcomes are the map's to yield or drop.
            Task::Ran(..) => false,
        };
    }

    pub(super) fn is_done(&self) -> bool {
        match self {
            Task::Single(f) => f.is_done(),
            Task::Chunk(f, ..) => f.is_done(),
            Task::Ran(..) => true,
        }
    }

    pub(super) fn wait(&self, deadline: Option<Instant>) -> bool {
        // A task of a map is short and usually about to finish: look again a
        // few times, giving the core away in between, before parking — a park
        // costs this thread a registration and the completer a wake-up call.
        for _ in 0..SPINS_BEFORE_YIELD {
            if self.is_done() {
                return true;
            }
            std::hint::spin_loop();
        }
        for _ in 0..YIELDS_BEFORE_PARK {
            if self.is_done() {
                return true;
            }
            std::thread::yield_now();
        }
        let timeout = crate::backend::remaining(deadline);
        match self {
            Task::Single(f) => f.wait_timeout(timeout),
            Task::Chunk(f, ..) => f.wait_timeout(timeout),
            Task::Ran(..) => true,
        }
    }

    pub(super) fn poll_done(&self, cx: &mut Context<'_>) -> bool {
        match self {
            Task::Single(f) => f.poll_done(cx),
            Task::Chunk(f, ..) => f.poll_done(cx),
            Task::Ran(..) => true,
        }
    }

    /// Runs this chunk on the calling thread if no worker has started it:
    /// true if it did (the task is [`Task::Ran`] now). A chunk that is done,
    /// or that a worker took, gives its claim up: it is not tried again.
    pub(super) fn reclaim(&mut self) -> bool {
        let Task::Chunk(f, _, claim) = self else {
            return false;
        };
        let Some(claim) = claim.take() else {
            return false;
        };
        if f.is_done() {
            return false;
        }
        match claim.run_here() {
            Some(items) => {
                *self = Task::Ran(f.clone(), items);
                true
            }
            None => false,
        }
    }

    /// The items' outcomes; the task is done.
    pub(super) fn outcomes(self) -> Outcomes<R> {
        match self {
            Task::Single(f) => Outcomes::One(Some(f.into_result())),
            Task::Ran(_, items) => Outcomes::Chunk(items.into_iter()),
            Task::Chunk(f, len, _) => match f.into_result() {
                Ok(items) if items.is_well_formed(len) => Outcomes::Chunk(items.into_iter()),
                // Not one outcome per item (a chunk decoded from a process that
                // lied): no item is trusted.
                Ok(items) => Outcomes::Failed(malformed(len, items.len()), len),
                Err(e) => Outcomes::Failed(e, len),
            },
        }
    }
}

/// The error of every item of a chunk whose outcome does not match its items.
#[cold]
fn malformed(len: usize, got: usize) -> Error {
    Error::Decode {
        type_name: "ChunkResult".to_owned(),
        message: format!("a chunk of {len} items came back as {got} outcomes, or out of order"),
    }
}

/// The outcomes of one finished task, yielded without copying them again.
pub(super) enum Outcomes<R> {
    One(Option<Result<R, Error>>),
    Chunk(ChunkIter<R>),
    /// The whole chunk failed (cancelled, worker lost, ...): every item gets the error.
    Failed(Error, usize),
}

impl<R> Outcomes<R> {
    pub(super) fn empty() -> Self {
        Outcomes::One(None)
    }
}

impl<R> Outcomes<R> {
    /// Folds what is left, a chunk's values in its cursor's tight loop.
    #[inline]
    pub(super) fn fold_items<B>(self, acc: B, mut g: impl FnMut(B, Result<R, Error>) -> B) -> B {
        match self {
            Outcomes::Chunk(items) => items.fold_items(acc, g),
            mut other => {
                let mut acc = acc;
                for item in other.by_ref() {
                    acc = g(acc, item);
                }
                acc
            }
        }
    }
}

impl<R> Iterator for Outcomes<R> {
    type Item = Result<R, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Outcomes::One(item) => item.take(),
            Outcomes::Chunk(items) => items.next(),
            Outcomes::Failed(_, 0) => None,
            Outcomes::Failed(e, left) => {
                *left -= 1;
                Some(Err(e.clone()))
            }
        }
    }
}
