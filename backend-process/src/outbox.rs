//! The worker's outbox: how a finished task's outcome reaches the pool.
//!
//! An outcome whose `Done` frame fits a record ([`ring::MAX_RECORD`]) and the
//! room left is written to the result ring in the pool's beacon (`ring.rs`)
//! and announced later, several at a time, by a doorbell message
//! (`FromWorker::Results`); anything else (a result in shared memory, a
//! longer one, a full ring, no beacon) is sent on the socket as before. The
//! pool drains the ring before it handles any message, so a result sent on
//! the socket never overtakes one written to the ring before it.
//!
//! The doorbell rings (at most once per batch):
//!
//! - when the main thread is about to wait for work (its queue is empty): a
//!   worker never sleeps on unannounced results;
//! - when half its window of results is unannounced (the pool says how many
//!   in `Welcome`), or the ring is half full: the pool refills a window once
//!   it has drained to half (`pool/shared.rs`), so it hears of that while
//!   the worker still has tasks queued;
//! - at once after a task sent with `report_now` (it has a deadline: the
//!   pool must not take a finished task for a running one);
//! - from the reader thread, when the main thread has been busy for
//!   [`LATE_AFTER`] with results unannounced (a short task followed by a long
//!   one: the short one's result is not held for the long one's time);
//! - at once whenever the reader does not watch: it watches (polls with a
//!   timeout) from the moment it queues tasks until [`LATE_AFTER`] passes
//!   with no message and nothing pending (a long task runs, or the worker
//!   is idle); so a worker running a long task costs its reader one
//!   wake-up, not one per `LATE_AFTER`, and the result of a long task is
//!   announced as soon as it is written.
//!
//! Whatever the worker holds unannounced when it dies is still in the ring,
//! which the pool drains before it settles the worker's tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use concur_core::Error;

use crate::codec::{self, Body, Encoded, FromWorker};
use crate::ring;
use crate::shm::{Beacon, Region};
use crate::transport::Channel;

/// How long the main thread may sit on unannounced results while it runs
/// another task before the reader rings for it.
pub(crate) const LATE_AFTER: Duration = Duration::from_millis(1);

/// What the worker's two threads share to report results.
#[derive(Debug)]
pub(crate) struct Outbox {
    chan: Arc<Channel>,
    ring: Option<ring::Writer<'static>>,
    /// Records written to the ring (by the main thread only).
    written: AtomicU64,
    /// Records announced (by whichever thread rang last).
    announced: AtomicU64,
    /// Unannounced results after which the doorbell rings.
    batch: u64,
    /// The reader watches the ring (it polls with a timeout of
    /// [`LATE_AFTER`]): only then may the main thread leave results
    /// unannounced while it runs another task.
    watched: AtomicBool,
}

impl Outbox {
    /// The outbox of a worker whose pool gave it `beacon` (no ring without one).
    pub(crate) fn new(chan: Arc<Channel>, beacon: Option<&'static Beacon>, batch: u64) -> Self {
        Outbox {
            chan,
            ring: beacon.map(|b| ring::Writer::new(b.words())),
            written: AtomicU64::new(0),
            announced: AtomicU64::new(0),
            batch: batch.max(1),
            watched: AtomicBool::new(false),
        }
    }

    /// The reader watches the ring from now on (it is about to queue tasks).
    pub(crate) fn watch(&self) {
        self.watched.store(true, Ordering::SeqCst);
    }

    /// The reader would stop watching (nothing came for [`LATE_AFTER`]);
    /// false if results are pending, which it must watch (or announce).
    ///
    /// SeqCst with [`report`](Outbox::report)'s count and load: either the
    /// reader sees the new result pending, or the main thread sees the ring
    /// unwatched and announces it itself; never neither.
    pub(crate) fn unwatch(&self) -> bool {
        self.watched.store(false, Ordering::SeqCst);
        if self.written.load(Ordering::SeqCst) != self.announced.load(Ordering::SeqCst) {
            self.watched.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// The worker's channel.
    pub(crate) fn chan(&self) -> &Channel {
        &self.chan
    }

    /// True if results written to the ring have not been announced.
    pub(crate) fn pending(&self) -> bool {
        // Acquire: pairs with the main thread's Release increment, so a ring
        // seen pending has its records published.
        self.written.load(Ordering::Acquire) != self.announced.load(Ordering::Acquire)
    }

    /// Rings the doorbell if results are unannounced.
    pub(crate) fn flush(&self) {
        let written = self.written.load(Ordering::Acquire);
        if self.announced.swap(written, Ordering::AcqRel) != written {
            send(&self.chan, &FromWorker::Results, &[], None);
        }
    }

    /// Reports task `id`'s outcome (see the module docs); `report_now` rings
    /// the doorbell at once. `frame` is the main thread's reused buffer.
    pub(crate) fn report(
        &self,
        (id, report_now): (u64, bool),
        outcome: Result<Encoded, Error>,
        frame: &mut Vec<u8>,
    ) {
        let done = |outcome| FromWorker::Done { id, outcome };
        let (header, tail) = match outcome {
            Ok(Encoded::Shared(region)) => {
                return send(&self.chan, &done(Ok(Body::Shared)), &[], Some(&region));
            }
            Ok(Encoded::Inline(bytes)) => (done(Ok(Body::Inline)), bytes),
            Err(error) => (done(Err(error)), Vec::new()),
        };
        let Some(ring) = &self.ring else {
            return send(&self.chan, &header, &tail, None);
        };
        frame.clear();
        codec::encode_frame_into(&header, &tail, frame);
        if !ring.push(frame) {
            // The pool drains the ring before it reads this: nothing overtakes.
            return send(&self.chan, &header, &tail, None);
        }
        // SeqCst: the record is published (by `push`) before it is counted,
        // and see `unwatch`.
        let written = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        let unannounced = written - self.announced.load(Ordering::Acquire);
        let late = !self.watched.load(Ordering::SeqCst);
        if report_now
            || late
            || unannounced >= self.batch
            || ring.used() >= ring::CAPACITY as u64 / 2
        {
            self.flush();
        }
    }
}

/// Sends one message to the pool; a failed send means the pool is gone.
pub(crate) fn send(chan: &Channel, msg: &FromWorker, tail: &[u8], region: Option<&Region>) {
    let frame = codec::encode_frame(msg, tail);
    if chan.send(&frame, region).is_err() {
        crate::worker::pool_gone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{Inbox, RecvError};

    /// The messages sent so far, without waiting for more: `report` and
    /// `flush` send before they return, so what is not there was not sent.
    fn sent(chan: &Channel, inbox: &mut Inbox) -> Vec<FromWorker> {
        let mut out = Vec::new();
        loop {
            match inbox.recv(chan) {
                Ok(msg) => out.push(codec::decode_frame::<FromWorker>(&msg.bytes).unwrap().0),
                Err(RecvError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => return out,
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn results_are_announced_when_the_rules_say_and_not_before() {
        let (worker, pool) = Channel::pair().unwrap();
        pool.set_recv_timeout(Some(Duration::from_micros(1)))
            .unwrap();
        let mut inbox = Inbox::default();
        let beacon: &'static Beacon = Box::leak(Box::new(Beacon::new().unwrap()));
        let outbox = Outbox::new(Arc::new(worker), Some(beacon), 3);
        let mut frame = Vec::new();
        let ok = |x: u8| Ok(Encoded::Inline(vec![x]));
        let doorbell = [FromWorker::Results];

        // Unwatched (the reader would not ring for it): at once.
        outbox.report((0, false), ok(0), &mut frame);
        assert_eq!(sent(&pool, &mut inbox), doorbell);
        // Watched: at the batch only.
        outbox.watch();
        outbox.report((1, false), ok(1), &mut frame);
        outbox.report((2, false), ok(2), &mut frame);
        assert_eq!(sent(&pool, &mut inbox), []);
        assert!(outbox.pending());
        outbox.report((3, false), ok(3), &mut frame);
        assert_eq!(sent(&pool, &mut inbox), doorbell);
        assert!(!outbox.pending());
        // A task with a deadline: at once.
        outbox.report((4, true), ok(4), &mut frame);
        assert_eq!(sent(&pool, &mut inbox), doorbell);
        // The reader cannot stop watching over a pending result; it rings.
        outbox.report((5, false), ok(5), &mut frame);
        assert!(!outbox.unwatch(), "a result is pending");
        outbox.flush();
        assert_eq!(sent(&pool, &mut inbox), doorbell);
        outbox.flush();
        assert_eq!(sent(&pool, &mut inbox), [], "nothing new, no doorbell");
        assert!(outbox.unwatch());
        // Too large for a record: on the socket, whole.
        let large = Ok(Encoded::Inline(vec![1; ring::MAX_RECORD]));
        outbox.report((6, false), large, &mut frame);
        let got = sent(&pool, &mut inbox);
        assert!(
            matches!(got[..], [FromWorker::Done { id: 6, .. }]),
            "{got:?}"
        );

        // The ring holds the others, in order, each with its value.
        let (mut reader, mut bytes) = (ring::Reader::default(), Vec::new());
        let mut seen = Vec::new();
        while let Some(range) = reader.pop(beacon.words(), &mut bytes).unwrap() {
            let (header, tail) = codec::decode_frame::<FromWorker>(&bytes[range]).unwrap();
            let FromWorker::Done { id, outcome } = header else {
                panic!("{header:?}")
            };
            assert_eq!(outcome, Ok(Body::Inline));
            seen.push((id, tail.to_vec()));
        }
        let expected: Vec<(u64, Vec<u8>)> = (0..6).map(|i| (i, vec![i as u8])).collect();
        assert_eq!(seen, expected);
    }
}
