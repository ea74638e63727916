//! The MPI side of one rank: non-blocking sends that own their buffers, a
//! receive that never blocks, and the back-off of a polling loop.
//!
//! Every send is an `MPI_Isend` whose buffer is kept until `MPI_Test` says it
//! completed. With blocking sends, rank 0 sending a large task to a worker while
//! that worker sends it a large result would deadlock once both messages are
//! above the eager limit (each send waits for a receive the other never posts);
//! with non-blocking ones both loops go on receiving.
//!
//! Receives are `MPI_Improbe` + matched receive: a message is taken only when it
//! is there. Nothing waits inside MPI: Open MPI's blocking calls spin a core,
//! which on an oversubscribed node steals it from the tasks. The loops poll
//! instead, spinning briefly after activity and then sleeping with a doubling
//! back-off capped at [`MAX_BACKOFF`] (mpi4py.futures sleeps 1 ms between polls
//! too); local events (a submit on rank 0, a finished task on a worker) unpark
//! the loop at once.

use std::time::{Duration, Instant};

use mpi::Rank;
use mpi::point_to_point::{Destination, MatchedReceiveVec, Source};
use mpi::request::{Request, StaticScope};
use mpi::topology::{Communicator, SimpleCommunicator};

use crate::protocol::TAG;

/// The longest a polling loop sleeps between two looks at MPI.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_millis(1);

/// How long a loop keeps spinning (yielding its core between looks) after its
/// last event before it sleeps. Shorter spins (50 µs was tried) let the loops
/// fall asleep between the messages of a steady stream of small tasks: W1 then
/// cost ~200 µs per task instead of ~15 µs.
const SPIN: Duration = Duration::from_micros(500);

/// The first sleep after spinning.
const MIN_BACKOFF: Duration = Duration::from_micros(20);

/// A send in flight: its request and the buffer it reads from.
struct InFlight {
    request: Request<'static, [u8], StaticScope>,
    buffer: *mut [u8],
}

/// The world communicator of this rank, with its sends in flight. Lives on one
/// thread: the progress thread of rank 0, or the main thread of a worker rank.
pub(crate) struct Transport {
    world: SimpleCommunicator,
    sends: Vec<InFlight>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("rank", &self.world.rank())
            .field("sends_in_flight", &self.sends.len())
            .finish()
    }
}

impl Transport {
    /// The transport of the world communicator.
    pub(crate) fn new(world: SimpleCommunicator) -> Transport {
        Transport {
            world,
            sends: Vec::new(),
        }
    }

    /// This rank's number.
    pub(crate) fn rank(&self) -> Rank {
        self.world.rank()
    }

    /// The number of ranks.
    pub(crate) fn size(&self) -> Rank {
        self.world.size()
    }

    /// Starts sending `bytes` to `to`; the buffer is freed once the send completed.
    pub(crate) fn send(&mut self, to: Rank, bytes: Vec<u8>) {
        let buffer: &'static mut [u8] = Box::leak(bytes.into_boxed_slice());
        let buffer_ptr: *mut [u8] = buffer;
        // SAFETY: the leaked buffer lives until `reap` turns it back into a Box,
        // which happens only after MPI reported the send complete; until then
        // nothing else reads or writes it (the `&'static` handed to MPI is the
        // only reference made from the pointer).
        let shared: &'static [u8] = unsafe { &*buffer_ptr };
        let request =
            self.world
                .process_at_rank(to)
                .immediate_send_with_tag(StaticScope, shared, TAG);
        self.sends.push(InFlight {
            request,
            buffer: buffer_ptr,
        });
    }

    /// Frees the buffers of completed sends; true if any completed.
    pub(crate) fn reap(&mut self) -> bool {
        let before = self.sends.len();
        let mut still = Vec::with_capacity(before);
        for s in self.sends.drain(..) {
            match s.request.test() {
                Ok(_) => {
                    // SAFETY: the send completed, so MPI no longer reads the
                    // buffer; it came from `Box::leak` in `send` and is freed once.
                    drop(unsafe { Box::from_raw(s.buffer) });
                }
                Err(request) => still.push(InFlight {
                    request,
                    buffer: s.buffer,
                }),
            }
        }
        self.sends = still;
        self.sends.len() != before
    }

    /// Waits until every send completed (before `MPI_Finalize`).
    pub(crate) fn flush(&mut self) {
        for s in self.sends.drain(..) {
            s.request.wait();
            // SAFETY: as in `reap`: the send completed.
            drop(unsafe { Box::from_raw(s.buffer) });
        }
    }

    /// The next concur message from any rank, if one has arrived.
    pub(crate) fn try_recv(&mut self) -> Option<(Rank, Vec<u8>)> {
        let matched = self
            .world
            .any_process()
            .immediate_matched_probe_with_tag(TAG)?;
        let (bytes, status) = matched.matched_receive_vec::<u8>();
        Some((status.source_rank(), bytes))
    }

    /// The next concur message from `from`, waiting for it (polling, so
    /// without spinning a core) until `deadline`.
    pub(crate) fn recv_from(&mut self, from: Rank, deadline: Option<Instant>) -> Option<Vec<u8>> {
        let mut idle = Idle::new();
        loop {
            self.reap();
            if let Some(matched) = self
                .world
                .process_at_rank(from)
                .immediate_matched_probe_with_tag(TAG)
            {
                return Some(matched.matched_receive_vec::<u8>().0);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            idle.wait();
        }
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The back-off of a polling loop: spin for a moment after the last event,
/// then park for doubling intervals up to [`MAX_BACKOFF`]. A thread that has
/// local work for the loop unparks it.
#[derive(Debug)]
pub(crate) struct Idle {
    since: Instant,
    sleep: Duration,
}

impl Idle {
    /// A loop that just saw an event.
    pub(crate) fn new() -> Idle {
        Idle {
            since: Instant::now(),
            sleep: MIN_BACKOFF,
        }
    }

    /// Something happened: spin again.
    pub(crate) fn busy(&mut self) {
        self.since = Instant::now();
        self.sleep = MIN_BACKOFF;
    }

    /// Nothing happened in this round: spin, or park a little longer each time.
    pub(crate) fn wait(&mut self) {
        if self.since.elapsed() < SPIN {
            std::thread::yield_now();
        } else {
            std::thread::park_timeout(self.sleep);
            self.sleep = (self.sleep * 2).min(MAX_BACKOFF);
        }
    }
}
