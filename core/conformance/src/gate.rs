//! The gate: how a test process holds tasks back, even tasks running in other
//! processes.
//!
//! A [`Gate`] listens on a loopback port. A task given the gate's *ticket* (the
//! port and a random nonce in one `u64`) connects, sends the ticket (see
//! [`tasks::gated`](super::tasks::gated)) and blocks reading one byte; the gate
//! counts the connections that show its ticket, so `wait_started(n)` is an
//! event — "n tasks have started" — not a guess. A connection with another
//! ticket (a late task of a dropped gate whose port was reused) is closed
//! uncounted, which releases it. [`Gate::open`] writes the byte to every connection accepted so
//! far and to every later one. Dropping a gate opens it, so a failed scenario
//! leaves no task blocked.

use std::hash::{BuildHasher, RandomState};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::check::LONG;

/// A loopback barrier that counts the tasks that reached it and releases them on demand.
pub(crate) struct Gate {
    port: u16,
    ticket: u64,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    /// Notified on every accepted connection.
    changed: Condvar,
}

struct State {
    /// Connections accepted so far (tasks that reached the gate).
    started: usize,
    /// Once open, every connection gets its byte at once.
    open: bool,
    /// Set by `Drop`: the acceptor thread exits on the next connection.
    stopping: bool,
    /// Connections waiting for the gate to open.
    waiting: Vec<TcpStream>,
}

impl Gate {
    /// A closed gate on a fresh loopback port.
    pub(crate) fn new() -> Result<Gate, String> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| format!("gate: bind failed: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("gate: no local address: {e}"))?
            .port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                started: 0,
                open: false,
                stopping: false,
                waiting: Vec::new(),
            }),
            changed: Condvar::new(),
        });
        // 48 random bits beside the port: a different ticket for every gate.
        let nonce =
            (RandomState::new().hash_one((port, std::process::id())) & 0xFFFF_FFFF_FFFF) | 1;
        let ticket = nonce << 16 | u64::from(port);
        let s = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name(format!("conformance-gate-{port}"))
            .spawn(move || accept_loop(listener, ticket, &s))
            .map_err(|e| format!("gate: could not spawn the acceptor: {e}"))?;
        Ok(Gate {
            port,
            ticket,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// What a task needs to pass this gate: the port and this gate's nonce.
    pub(crate) fn ticket(&self) -> u64 {
        self.ticket
    }

    /// How many tasks reached the gate so far.
    pub(crate) fn started(&self) -> usize {
        self.shared.lock().started
    }

    /// Blocks until at least `n` tasks reached the gate or `timeout` passes; true if they did.
    pub(crate) fn wait_started(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        while st.started < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// As `wait_started(n, 30 s)`, as a scenario error naming what was seen.
    pub(crate) fn expect_started(&self, n: usize) -> Result<(), String> {
        if self.wait_started(n, LONG) {
            Ok(())
        } else {
            Err(format!(
                "expected {n} task(s) to start (reach the gate) within {LONG:?}, saw {}",
                self.started()
            ))
        }
    }

    /// Releases every task that reached the gate, and every later one at once.
    pub(crate) fn open(&self) {
        let mut st = self.shared.lock();
        st.open = true;
        for mut conn in st.waiting.drain(..) {
            // A task that gave up waiting has closed its end: nothing to release.
            let _ = conn.write_all(b"o");
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The port a ticket names.
pub(crate) fn ticket_port(ticket: u64) -> u16 {
    (ticket & 0xFFFF) as u16
}

/// How long the acceptor waits for a connected task to show its ticket (tasks
/// send it right after connecting; this only bounds a stray client).
const TICKET_PATIENCE: Duration = LONG;

fn accept_loop(listener: TcpListener, ticket: u64, shared: &Shared) {
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        // Tasks send their ticket right after connecting.
        let mut shown = [0u8; 8];
        let _ = conn.set_read_timeout(Some(TICKET_PATIENCE));
        let ours = conn.read_exact(&mut shown).is_ok() && u64::from_le_bytes(shown) == ticket;
        let mut st = shared.lock();
        if st.stopping {
            return;
        }
        if !ours {
            continue; // not one of ours: closed uncounted, which releases it
        }
        st.started += 1;
        if st.open {
            let _ = conn.write_all(b"o");
        } else {
            st.waiting.push(conn);
        }
        shared.changed.notify_all();
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.open();
        self.shared.lock().stopping = true;
        // Wake the acceptor with one last connection, closed at once (the
        // acceptor reads no ticket from it), so it sees `stopping` and returns.
        let woke = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok();
        if woke && let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("port", &self.port)
            .field("started", &self.started())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::{gated, signal};

    #[test]
    fn counts_tickets_and_releases_on_open() {
        let gate = Gate::new().expect("a gate");
        let ticket = gate.ticket();
        let waiters: Vec<_> = (0..3)
            .map(|i| std::thread::spawn(move || gated((ticket, i))))
            .collect();
        assert!(gate.wait_started(3, LONG), "three tasks reach the gate");
        assert!(
            waiters.iter().all(|w| !w.is_finished()),
            "a closed gate holds them"
        );
        gate.open();
        let got: Vec<u64> = waiters
            .into_iter()
            .map(|w| w.join().expect("no panic"))
            .collect();
        assert_eq!(got, vec![0, 1, 2]);
        // Once open, a later task passes at once and is still counted.
        assert_eq!(gated((ticket, 7)), 7);
        assert_eq!(signal((ticket, 8)), 8);
        assert!(gate.wait_started(5, LONG));
    }

    #[test]
    fn refuses_a_foreign_ticket_uncounted() {
        let gate = Gate::new().expect("a gate");
        let foreign = gate.ticket() ^ (1 << 40);
        // Not counted, and released at once although the gate is closed.
        assert_eq!(gated((foreign, 1)), 1);
        assert_eq!(signal((foreign, 2)), 2);
        let ours = gate.ticket();
        assert_eq!(signal((ours, 3)), 3);
        assert!(gate.wait_started(1, LONG));
        assert_eq!(
            gate.started(),
            1,
            "only the task with the gate's ticket counts"
        );
    }

    #[test]
    fn drop_releases_and_later_tasks_pass() {
        let gate = Gate::new().expect("a gate");
        let ticket = gate.ticket();
        let waiter = std::thread::spawn(move || gated((ticket, 4)));
        assert!(gate.wait_started(1, LONG));
        drop(gate);
        assert_eq!(
            waiter.join().expect("no panic"),
            4,
            "dropping a gate opens it"
        );
        assert_eq!(gated((ticket, 5)), 5, "a gate that is gone counts as open");
    }

    #[test]
    fn wait_started_times_out_false() {
        let gate = Gate::new().expect("a gate");
        assert!(!gate.wait_started(1, Duration::from_millis(20)));
        assert!(gate.expect_started(0).is_ok());
        assert_eq!(ticket_port(gate.ticket()), gate.port);
    }
}
