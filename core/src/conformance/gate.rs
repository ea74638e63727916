//! The gate: how a test process holds tasks back, even tasks running in other
//! processes.
//!
//! A [`Gate`] listens on a loopback port. A task given the port connects to it
//! (see [`tasks::gated`](super::tasks::gated)) and blocks reading one byte; the gate
//! counts connections, so `wait_started(n)` is an event — "n tasks have started" —
//! not a guess. [`Gate::open`] writes the byte to every connection accepted so
//! far and to every later one. Dropping a gate opens it, so a failed scenario
//! leaves no task blocked.

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::check::LONG;

/// A loopback barrier that counts the tasks that reached it and releases them on demand.
pub(crate) struct Gate {
    port: u16,
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
        let s = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name(format!("conformance-gate-{port}"))
            .spawn(move || accept_loop(listener, &s))
            .map_err(|e| format!("gate: could not spawn the acceptor: {e}"))?;
        Ok(Gate {
            port,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The port tasks connect to.
    pub(crate) fn port(&self) -> u16 {
        self.port
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

fn accept_loop(listener: TcpListener, shared: &Shared) {
    for conn in listener.incoming() {
        let mut st = shared.lock();
        if st.stopping {
            return;
        }
        if let Ok(mut conn) = conn {
            st.started += 1;
            if st.open {
                let _ = conn.write_all(b"o");
            } else {
                st.waiting.push(conn);
            }
            shared.changed.notify_all();
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.open();
        self.shared.lock().stopping = true;
        // Wake the acceptor with one last connection so it sees `stopping`.
        if let (Ok(_), Some(acceptor)) = (
            TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)),
            self.acceptor.take(),
        ) {
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
