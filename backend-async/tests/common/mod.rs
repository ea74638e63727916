//! What several of the async pool's test files share.

use std::sync::mpsc;
use std::time::Duration;

use concur_async::AsyncPool;
use concur_core::Future;

/// How long a test waits for an event that should come at once.
pub(crate) const LONG: Duration = Duration::from_secs(30);

/// Occupies one executor thread until the returned sender sends (or is
/// dropped): the task blocks its thread on purpose, so tasks spawned after it
/// stay queued while the pool has no other thread.
pub(crate) fn block_one_thread(pool: &AsyncPool) -> (mpsc::Sender<()>, Future<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = pool.spawn(async move {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx
        .recv_timeout(LONG)
        .expect("the blocking task starts");
    (release_tx, blocker)
}
