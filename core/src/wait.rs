//! [`wait`]: block until some or all of a set of futures are done.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::collector::Collector;
use crate::{AnyFuture, Waitable};

/// When [`wait`] returns (Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any future is done (finished or cancelled).
    FirstCompleted,
    /// As soon as any future finishes with an error; if none does, when all are
    /// done. A cancelled future is done but is not an error here, as in Python.
    FirstException,
    /// When every future is done.
    AllCompleted,
}

/// What [`wait`] returns: the futures that are done and those that are not, each
/// in the order they were given, duplicates removed.
#[derive(Debug, Clone)]
pub struct DoneAndNotDone<F> {
    /// Finished or cancelled futures.
    pub done: Vec<F>,
    /// Futures still pending or running.
    pub not_done: Vec<F>,
}

/// Waits until the futures satisfy `return_when` or `timeout` passes, and splits
/// them into done and not done. A timeout is not an error: the sets say what
/// happened.
///
/// Futures may have different value types and come from different backends;
/// pass [`AnyFuture`]s (`fut.as_any()`) to mix types in one call.
///
/// ```
/// use concur_core::{wait, Promise, ReturnWhen};
/// use std::time::Duration;
///
/// let fast = Promise::new();
/// let slow = Promise::<u8>::new();
/// let futs = [fast.future(), slow.future()];
/// fast.set_result(1u8);
/// let r = wait(&futs, Some(Duration::from_secs(10)), ReturnWhen::FirstCompleted);
/// assert_eq!(r.done.len(), 1);
/// assert_eq!(r.not_done.len(), 1);
/// # drop(slow);
/// ```
pub fn wait<F, I>(
    futures: I,
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> DoneAndNotDone<F>
where
    I: IntoIterator<Item = F>,
    F: Waitable,
{
    let deadline = crate::backend::deadline(timeout);
    let mut seen = HashSet::new();
    let entries: Vec<(F, AnyFuture)> = futures
        .into_iter()
        .filter_map(|f| {
            let any = f.as_any();
            seen.insert(any.key()).then_some((f, any))
        })
        .collect();

    let mut done = vec![false; entries.len()];
    let satisfied = |done: &[bool]| -> bool {
        let all = done.iter().all(|d| *d);
        match return_when {
            ReturnWhen::AllCompleted => all,
            ReturnWhen::FirstCompleted => all || done.iter().any(|d| *d),
            ReturnWhen::FirstException => {
                all || entries
                    .iter()
                    .zip(done)
                    .any(|((_, a), d)| *d && a.is_failed())
            }
        }
    };

    let collector = Arc::new(Collector::default());
    let mut ids = vec![None; entries.len()];
    for (i, (_, any)) in entries.iter().enumerate() {
        if any.is_done() {
            done[i] = true;
        }
    }
    if !satisfied(&done) && timeout != Some(Duration::ZERO) {
        for (i, (_, any)) in entries.iter().enumerate() {
            if !done[i] {
                match any.listen(collector.clone(), i) {
                    Some(id) => ids[i] = Some(id),
                    None => done[i] = true,
                }
            }
        }
        while !satisfied(&done) {
            match collector.next_blocking(deadline) {
                Some(i) => {
                    done[i] = true;
                    ids[i] = None;
                }
                None => break,
            }
        }
        for (i, id) in ids.iter().enumerate() {
            if let Some(id) = id {
                entries[i].1.unlisten(*id);
            }
        }
    }

    let mut out = DoneAndNotDone {
        done: Vec::new(),
        not_done: Vec::new(),
    };
    for ((f, any), _) in entries.into_iter().zip(done) {
        // Re-read the state: a future may have finished after we stopped listening.
        if any.is_done() {
            out.done.push(f)
        } else {
            out.not_done.push(f)
        }
    }
    out
}
