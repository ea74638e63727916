//! [`FutureSet`]: many futures of one type polled together inside one task,
//! each with a waker of its own, so a wake-up re-polls only the future it
//! came from — what [`gather`](crate::gather) and
//! [`as_completed`](crate::as_completed) drive.
//!
//! The futures are plain `std::future::Future`s: concur futures of any
//! backend, `async fn`s, timers, another crate's. None is spawned: they make
//! progress only while the set is polled (as `futures::join_all`), and a
//! panic inside one unwinds out of the poll of the set.
//!
//! # Wake-ups
//!
//! Each future has a [`ChildWaker`]: waking it puts its index on the ready
//! list (once, until it is polled again) and wakes the task that polls the
//! set. A poll first stores that task's waker, then takes the ready list and
//! polls those futures once each; a wake-up arriving meanwhile — even from a
//! future polled in this pass waking itself — lands on the next list and
//! wakes the task again, so none is lost and the set never spins inside one
//! poll.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use crate::sync::lock;

/// What the futures' wakers share with the set.
#[derive(Default)]
struct Ready {
    state: Mutex<ReadyState>,
}

#[derive(Default)]
struct ReadyState {
    /// Indexes woken since the last pass, each once.
    woken: Vec<usize>,
    /// `queued[i]`: `i` is on `woken`.
    queued: Vec<bool>,
    /// The task polling the set, taken by the first wake-up after a poll.
    parent: Option<Waker>,
}

/// The waker of the future at `index`.
struct ChildWaker {
    index: usize,
    ready: Arc<Ready>,
}

impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let parent = {
            let mut s = lock(&self.ready.state);
            if !s.queued[self.index] {
                s.queued[self.index] = true;
                s.woken.push(self.index);
            }
            s.parent.take()
        };
        if let Some(parent) = parent {
            parent.wake();
        }
    }
}

/// Futures polled together; finished ones come out with their input index.
pub(crate) struct FutureSet<F: Future> {
    /// The futures not finished yet (`None` once finished).
    futures: Vec<Option<Pin<Box<F>>>>,
    wakers: Vec<Waker>,
    ready: Arc<Ready>,
    /// How many are not finished.
    left: usize,
    /// Finished in the last pass, not yet handed out.
    finished: VecDeque<(usize, F::Output)>,
}

impl<F: Future> FutureSet<F> {
    /// Every future of `futures`, each to be polled once first.
    pub(crate) fn new<I>(futures: I) -> Self
    where
        I: IntoIterator,
        I::Item: IntoFuture<IntoFuture = F>,
    {
        let futures: Vec<Option<Pin<Box<F>>>> = futures
            .into_iter()
            .map(|f| Some(Box::pin(f.into_future())))
            .collect();
        let n = futures.len();
        let ready = Arc::new(Ready {
            state: Mutex::new(ReadyState {
                woken: (0..n).collect(),
                queued: vec![true; n],
                parent: None,
            }),
        });
        let wakers = (0..n)
            .map(|index| {
                Waker::from(Arc::new(ChildWaker {
                    index,
                    ready: ready.clone(),
                }))
            })
            .collect();
        FutureSet {
            futures,
            wakers,
            ready,
            left: n,
            finished: VecDeque::new(),
        }
    }

    /// How many futures the set was made of.
    pub(crate) fn len(&self) -> usize {
        self.futures.len()
    }

    /// The next future to finish, with its index; `None` when all have.
    /// Pending after one pass over the woken futures with none finished.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        if let Some(done) = self.finished.pop_front() {
            return Poll::Ready(Some(done));
        }
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let woken = {
            let mut s = lock(&self.ready.state);
            let keep = s.parent.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
            if !keep {
                s.parent = Some(cx.waker().clone());
            }
            let woken = std::mem::take(&mut s.woken);
            for &i in &woken {
                s.queued[i] = false;
            }
            woken
        };
        for i in woken {
            let Some(future) = self.futures[i].as_mut() else {
                continue;
            };
            let mut child = Context::from_waker(&self.wakers[i]);
            if let Poll::Ready(output) = future.as_mut().poll(&mut child) {
                self.futures[i] = None;
                self.left -= 1;
                self.finished.push_back((i, output));
            }
        }
        match self.finished.pop_front() {
            Some(done) => Poll::Ready(Some(done)),
            None => Poll::Pending,
        }
    }
}

// The futures are boxed: the set itself moves freely.
impl<F: Future> Unpin for FutureSet<F> {}

impl<F: Future> fmt::Debug for FutureSet<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FutureSet")
            .field("len", &self.futures.len())
            .field("left", &self.left)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its polls; with `wakes`, wakes itself on its first poll and is
    /// ready on its second; without, is never ready.
    struct Probe {
        polls: Arc<AtomicUsize>,
        wakes: bool,
    }

    impl Future for Probe {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let n = self.polls.fetch_add(1, Ordering::Relaxed);
            match (self.wakes, n) {
                (true, 0) => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                (true, _) => Poll::Ready(()),
                (false, _) => Poll::Pending,
            }
        }
    }

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn only_woken_futures_are_polled_again_and_a_self_wake_is_not_lost() {
        let polls: Vec<Arc<AtomicUsize>> = (0..4).map(|_| Arc::default()).collect();
        // 0 and 2 wake themselves; 1 and 3 wait for a wake-up that never comes.
        let probes = polls.iter().enumerate().map(|(i, p)| Probe {
            polls: p.clone(),
            wakes: i % 2 == 0,
        });
        let mut set = FutureSet::new(probes);
        let parent = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(parent.clone());
        let mut cx = Context::from_waker(&waker);
        // First pass: each polled once; the self-wakes woke the task, once.
        assert!(set.poll_next(&mut cx).is_pending());
        assert_eq!(parent.0.load(Ordering::Relaxed), 1);
        let mut done = Vec::new();
        while let Poll::Ready(Some((i, ()))) = set.poll_next(&mut cx) {
            done.push(i);
        }
        assert_eq!(done, [0, 2]);
        let counts: Vec<usize> = polls.iter().map(|p| p.load(Ordering::Relaxed)).collect();
        assert_eq!(
            counts,
            [2, 1, 2, 1],
            "the unwoken ones were polled once only"
        );
        assert!(set.poll_next(&mut cx).is_pending());
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn an_empty_set_is_done_at_once() {
        let mut set = FutureSet::new(Vec::<std::future::Ready<()>>::new());
        let waker = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
        assert!(matches!(
            set.poll_next(&mut Context::from_waker(&waker)),
            Poll::Ready(None)
        ));
    }
}
