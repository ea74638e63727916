//! The task functions scenarios submit: plain `fn`s with serializable arguments,
//! so they run unchanged in a worker thread or a worker process.

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a gated task waits for its gate before giving up (and panicking), so
/// that nothing stays blocked forever if a test process vanished.
const GATE_PATIENCE: Duration = Duration::from_secs(60);

/// Returns its argument.
pub(crate) fn ident(x: u64) -> u64 {
    x
}

/// Returns `x * x`.
pub(crate) fn square(x: u64) -> u64 {
    x * x
}

/// Panics with `message`.
pub(crate) fn panics(message: String) -> u64 {
    panic!("{message}")
}

/// `x * x`, but panics with `"bad item {x}"` when `x == bad`.
pub(crate) fn square_unless(args: (u64, u64)) -> u64 {
    let (x, bad) = args;
    if x == bad {
        panic!("bad item {x}");
    }
    x * x
}

/// The text `square_unless` panics with for `x`.
pub(crate) fn bad_item_message(x: u64) -> String {
    format!("bad item {x}")
}

/// Passes the gate whose ticket is `ticket` (0: no gate) — connects, shows the
/// ticket, waits until the gate opens — then returns `x`. A gate that is gone
/// counts as open.
pub(crate) fn gated(args: (u64, u64)) -> u64 {
    let (ticket, x) = args;
    if ticket != 0 {
        pass_gate(ticket);
    }
    x
}

/// Passes the gate `ticket`, then panics with `message`.
pub(crate) fn gated_panic(args: (u64, String)) -> u64 {
    pass_gate(args.0);
    panic!("{}", args.1)
}

/// Shows the ticket to the gate without waiting (the gate counts it: a signal
/// that this task ran), then returns `x`.
pub(crate) fn signal(args: (u64, u64)) -> u64 {
    let (ticket, x) = args;
    let _ = present(ticket);
    x
}

/// `gated` when `block`, else `signal`; returns `x`.
pub(crate) fn gated_or_signal(args: (bool, u64, u64)) -> u64 {
    let (block, ticket, x) = args;
    if block {
        gated((ticket, x))
    } else {
        signal((ticket, x))
    }
}

fn pass_gate(ticket: u64) {
    let Some(mut conn) = present(ticket) else {
        return; // the gate was dropped: it is open
    };
    let _ = conn.set_read_timeout(Some(GATE_PATIENCE));
    let mut byte = [0u8; 1];
    match conn.read(&mut byte) {
        // The byte, or the gate closed the connection (dropped, or not our
        // gate): open either way.
        Ok(_) => {}
        Err(e) => panic!("the gate {ticket:#x} did not open within {GATE_PATIENCE:?}: {e}"),
    }
}

/// Connects to the gate of `ticket` and shows the ticket; `None` when no gate
/// listens there.
///
/// Once a gate is dropped its port is free, and may be taken by another gate
/// (in this process or another): the ticket lets a gate refuse — neither count
/// nor hold — a task that belongs to another gate. And with nothing listening,
/// Linux may connect a socket to itself (TCP simultaneous open, when the
/// ephemeral source port it picks is the destination port): such a connection
/// would wait on itself, so it counts as no gate.
fn present(ticket: u64) -> Option<TcpStream> {
    let port = super::gate::ticket_port(ticket);
    let mut conn = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    match (conn.local_addr(), conn.peer_addr()) {
        (Ok(local), Ok(peer)) if local != peer => {}
        _ => return None,
    }
    conn.write_all(&ticket.to_le_bytes()).ok()?;
    Some(conn)
}

/// A value that is serializable but not `Clone`, for `into_result`.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Unclonable {
    /// Some content to check.
    pub(crate) values: Vec<u64>,
    /// More content.
    pub(crate) label: String,
}

/// Builds an [`Unclonable`] holding `0..n`.
pub(crate) fn make_unclonable(n: u64) -> Unclonable {
    Unclonable {
        values: (0..n).collect(),
        label: format!("{n} values"),
    }
}

/// Returns the length and a checksum of `bytes`.
pub(crate) fn checksum(bytes: Vec<u8>) -> (usize, u64) {
    let sum = bytes.iter().enumerate().fold(0u64, |acc, (i, b)| {
        acc.wrapping_mul(31).wrapping_add(u64::from(*b) ^ i as u64)
    });
    (bytes.len(), sum)
}

/// What `checksum` computes, in the test process.
pub(crate) fn local_checksum(bytes: &[u8]) -> (usize, u64) {
    checksum(bytes.to_vec())
}

/// Returns a string of `n` copies of `c`.
pub(crate) fn repeat(args: (char, usize)) -> String {
    std::iter::repeat_n(args.0, args.1).collect()
}

/// A structured payload: an enum and an option travel both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Shape {
    /// A square with a side.
    Square(u32),
    /// A rectangle with two sides.
    Rect {
        /// Width.
        w: u32,
        /// Height.
        h: u32,
    },
    /// No shape.
    Empty,
}

/// The area of a shape, `None` for `Empty`.
pub(crate) fn area(shape: Shape) -> Option<u64> {
    match shape {
        Shape::Square(s) => Some(u64::from(s) * u64::from(s)),
        Shape::Rect { w, h } => Some(u64::from(w) * u64::from(h)),
        Shape::Empty => None,
    }
}

/// A value whose serialization always fails (its deserialization works): a
/// backend that encodes payloads must fail that one task, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Unencodable(pub(crate) u64);

impl Serialize for Unencodable {
    fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "Unencodable refuses to be serialized",
        ))
    }
}

/// Returns the number inside.
pub(crate) fn open_unencodable(x: Unencodable) -> u64 {
    x.0
}

/// Returns `x` wrapped in a value that cannot be serialized.
pub(crate) fn make_unencodable(x: u64) -> Unencodable {
    Unencodable(x)
}

/// Panics with a payload that is not a string.
pub(crate) fn panics_with_number(x: u64) -> u64 {
    std::panic::panic_any(x)
}

/// `2 * x`.
pub(crate) fn double(x: u64) -> u64 {
    2 * x
}

/// `Send` but not `Sync` (a `Cell` inside), and serializable: a `Payload`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Tally {
    pub(crate) seen: Cell<u64>,
}

/// Counts one more in `t`, and hands it back.
pub(crate) fn bump(t: Tally) -> Tally {
    t.seen.set(t.seen.get() + 1);
    t
}
