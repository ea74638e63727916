//! The slot thread's side of a worker's result ring (`ring.rs`): [`Drain`]
//! copies the published records out and decodes each as a `Done` frame, and
//! the two places that drain deliver what it found — [`Shared::deliver`]
//! while the worker lives (before each of its messages is handled, under one
//! lock for the whole batch), [`deliver_to_window`] once it is dead and its
//! link is out of the state (before its tasks are settled), so that a result
//! written before a worker died is never lost and never run again.
//!
//! The worker is untrusted: a record is decoded from the pool's own copy, and
//! a ring out of bounds, a record that is not an inline `Done`, a result
//! before `Ready` or for a task the worker does not hold loses the worker.
//! The records before the bad one are delivered (they are results of its own
//! tasks, as it could have sent them on the socket); no task of another
//! worker is ever touched.

use std::ops::Range;
use std::time::Instant;

use concur_core::Error;

use super::job::Task;
use super::link::Link;
use super::shared::Shared;
use crate::codec::{self, Body, FromWorker};
use crate::ring::{self, Reader};
use crate::shm::Beacon;

/// The most records one drain takes: a ring's worth, so a worker writing as
/// fast as the pool reads cannot keep a drain going (nor, with the bound on
/// bytes below, make it copy more than a ring's worth and one record).
const MAX_RECORDS: usize = ring::CAPACITY / 16;

/// A drained result: the task's id and its outcome (a range of
/// [`Drain::bytes`] on success).
type Found = (u64, Result<Range<usize>, Error>);

/// The pool's reader of one worker's ring, with its reused buffers.
#[derive(Default)]
pub(super) struct Drain {
    reader: Reader,
    /// The records' frames, copied out of the ring.
    bytes: Vec<u8>,
    found: Vec<Found>,
    tasks: Vec<Task>,
}

impl Drain {
    /// Copies out and decodes every record published in `beacon`'s ring (up
    /// to [`MAX_RECORDS`], or until a ring's worth of bytes is copied). The
    /// results found before an error are kept.
    fn collect(&mut self, beacon: &Beacon, ready: bool) -> Result<(), String> {
        self.bytes.clear();
        self.found.clear();
        for _ in 0..MAX_RECORDS {
            if self.bytes.len() >= ring::CAPACITY {
                return Ok(());
            }
            let Some(range) = self
                .reader
                .pop(beacon.words(), &mut self.bytes)
                .map_err(|e| e.0)?
            else {
                return Ok(());
            };
            if !ready {
                return Err("a result in its ring before Ready".into());
            }
            let frame = &self.bytes[range.clone()];
            let (header, tail) = codec::decode_frame::<FromWorker>(frame)
                .map_err(|e| format!("an undecodable record in its ring: {e}"))?;
            let tail = range.end - tail.len()..range.end;
            match header {
                FromWorker::Done {
                    id,
                    outcome: Ok(Body::Inline),
                } => self.found.push((id, Ok(tail))),
                FromWorker::Done {
                    id,
                    outcome: Err(e),
                } => self.found.push((id, Err(e))),
                other => {
                    return Err(format!(
                        "a record in its ring that is not a result: {other:?}"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Shared {
    /// Drains the ring of the worker of `slot` and completes what it held:
    /// the tasks taken out of its window and the window refilled under one
    /// lock, the futures completed after it.
    ///
    /// # Errors
    ///
    /// The worker broke the ring or lied about a result (see the module
    /// docs): it is to be lost. What came before is delivered.
    pub(super) fn drain(
        &self,
        slot: usize,
        beacon: &Beacon,
        drain: &mut Drain,
        ready: bool,
    ) -> Result<(), String> {
        let collected = drain.collect(beacon, ready);
        if !drain.found.is_empty() {
            let ids = drain.found.iter().map(|(id, _)| *id);
            let taken = self.take_results(slot, ids, &mut drain.tasks);
            let tasks = drain.tasks.drain(..);
            for (task, (_, outcome)) in tasks.zip(drain.found.drain(..)) {
                let outcome = outcome.map(|r| &drain.bytes[r]);
                task.sink.finish(outcome, &self.stats);
            }
            taken?;
        }
        collected
    }

    /// Takes the tasks `ids` out of the window of the worker of `slot`, in
    /// order, into `out`, and refills the windows: one lock for them all.
    ///
    /// # Errors
    ///
    /// A result for a task not in the worker's window: an honest worker
    /// reports only what it was sent (a task given back or aborted is never
    /// reported), so it is lying, and it may be naming a task of another
    /// worker's; that task is left alone and this worker is lost (the tasks
    /// before it in `ids` are in `out`).
    pub(super) fn take_results(
        &self,
        slot: usize,
        ids: impl Iterator<Item = u64>,
        out: &mut Vec<Task>,
    ) -> Result<(), String> {
        let mut dead = Vec::new();
        let mut result = Ok(());
        {
            let mut st = self.lock();
            let Some(link) = st.workers[slot].as_mut() else {
                return Ok(());
            };
            // A result is a sign of life too (a worker busy sending a large
            // one may answer a ping late).
            link.heard(Instant::now());
            let before = out.len();
            for id in ids {
                match link.take_finished(id) {
                    Some(task) => out.push(task),
                    None => {
                        result = Err(format!("a result for task {id}, which it was not given"));
                        break;
                    }
                }
            }
            if link.finished(out.len() - before) {
                self.timer_cv.notify_all();
            }
            if result.is_err() {
                link.lose();
            }
            self.pump(&mut st, &mut dead);
            let idle = st.workers[slot]
                .as_ref()
                .is_some_and(|l| l.inflight.is_empty());
            if idle && st.workers.iter().flatten().any(|l| l.inflight.len() >= 2) {
                // The watchdog may give this worker a task stuck behind a long
                // one elsewhere.
                self.timer_cv.notify_all();
            }
        }
        drop(dead);
        result
    }
}

/// The worker is dead and reaped, and `link` out of the state: delivers what
/// its ring still holds to the tasks of its window (before they are
/// settled). Returns why it stopped early, if the ring was bad.
pub(super) fn deliver_to_window(
    link: &mut Link,
    beacon: &Beacon,
    drain: &mut Drain,
    ready: bool,
    stats: &concur_core::StatsCounter,
) -> Option<String> {
    // One collect takes every record a ring can hold: the worker is dead,
    // nothing is written any more by an honest one.
    let why = drain.collect(beacon, ready).err();
    for (id, outcome) in drain.found.drain(..) {
        let Some(task) = link.take_finished(id) else {
            return Some(format!("a result for task {id}, which it was not given"));
        };
        task.sink.finish(outcome.map(|r| &drain.bytes[r]), stats);
    }
    why
}
