//! [`Claim`]: a chunk's items, shared by the task that runs them on a worker
//! and the map that submitted it, so that the map's consumer can take back a
//! chunk no worker has started and run it itself (as a work-stealing `join`
//! runs the half nobody stole) instead of waiting for a worker to get to it.
//!
//! Whoever takes the items first runs them: the worker when its task starts,
//! or the consumer ([`Reclaim::run_here`]). The other finds the slot empty:
//! the worker's task then completes its future with an empty chunk nobody
//! reads, and the consumer waits for the worker's result as before. Either
//! way every item is run exactly once, by one thread, in one `run_chunk`.

use std::sync::{Arc, Mutex, PoisonError};

use crate::backend::ChunkResult;
use crate::run_chunk;

/// A chunk the map's consumer may run itself if no worker has started it.
pub(crate) trait Reclaim<R>: Send + Sync {
    /// Takes the items back and runs them on the calling thread, unless a
    /// worker took them first (`None`).
    fn run_here(&self) -> Option<ChunkResult<R>>;
}

/// The items of one chunk until a worker or the consumer takes them, and the
/// function every chunk of the map shares (its own closure type, so that
/// `run_chunk`'s loop inlines it).
pub(crate) struct Claim<A, G> {
    items: Mutex<Option<Vec<A>>>,
    f: Arc<G>,
}

impl<A, G> Claim<A, G> {
    pub(crate) fn new(f: Arc<G>, items: Vec<A>) -> Self {
        Claim {
            items: Mutex::new(Some(items)),
            f,
        }
    }

    /// The items, if nobody took them yet; they are gone from the slot after.
    fn take(&self) -> Option<Vec<A>> {
        // Only `take` locks, and nothing in it panics: poisoning cannot
        // happen, and would leave the slot as valid as before anyway.
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The worker's side: runs the items unless the consumer took them, in
    /// which case the chunk is empty (its future is not read).
    pub(crate) fn run_queued<R>(&self) -> ChunkResult<R>
    where
        G: Fn(A) -> R,
    {
        match self.take() {
            Some(items) => run_chunk(&*self.f, items),
            None => ChunkResult::default(),
        }
    }
}

impl<A, R, G> Reclaim<R> for Claim<A, G>
where
    A: Send,
    G: Fn(A) -> R + Send + Sync,
{
    fn run_here(&self) -> Option<ChunkResult<R>> {
        self.take().map(|items| run_chunk(&*self.f, items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_first_taker_runs_the_items_and_the_other_gets_nothing() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let f = Arc::new(move |x: u32| {
            counted.fetch_add(1, Ordering::Relaxed);
            x * 2
        });
        // The consumer first: the worker's task is then empty.
        let claim = Claim::new(Arc::clone(&f), vec![1, 2, 3]);
        let here = claim.run_here().expect("nobody took them");
        assert_eq!(here.into_vec(), [Ok(2), Ok(4), Ok(6)]);
        assert!(claim.run_queued::<u32>().into_vec().is_empty());
        assert!(claim.run_here().is_none());
        // The worker first: the consumer gets nothing back.
        let claim = Claim::new(f, vec![5]);
        assert_eq!(claim.run_queued().into_vec(), [Ok(10)]);
        assert!(claim.run_here().is_none());
        assert_eq!(runs.load(Ordering::Relaxed), 4, "each item ran once");
    }

    #[test]
    fn items_nobody_took_are_dropped_with_the_claim() {
        let token = Arc::new(());
        let claim = Claim::new(Arc::new(|t: Arc<()>| t), vec![Arc::clone(&token); 3]);
        assert_eq!(Arc::strong_count(&token), 4);
        drop(claim);
        assert_eq!(Arc::strong_count(&token), 1);
    }

    #[test]
    fn a_panic_in_a_taken_back_chunk_fails_its_item_alone() {
        let claim = Claim::new(
            Arc::new(|x: u32| {
                assert!(x != 2, "two");
                x
            }),
            vec![1, 2, 3],
        );
        let out = claim.run_here().expect("nobody took them").into_vec();
        assert_eq!(out[0], Ok(1));
        assert!(matches!(&out[1], Err(crate::Error::Panicked { message, .. }) if message == "two"));
        assert_eq!(out[2], Ok(3));
    }
}
