//! `shutdown(wait, cancel_futures)`, `Error::Shutdown` afterwards, and drop.

use super::prelude::*;

// as test_shutdown.py / ThreadPoolShutdownTest.test_hang_issue12364 (queued work runs)
pub fn shutdown_wait_finishes_queued<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let head = pool.submit(gated, (gate.ticket(), 100));
    let queued: Vec<Future<u64>> = (0..20).map(|i| pool.submit(square, i)).collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            gate.wait_started(1, LONG);
            gate.open();
        });
        pool.shutdown(true, false);
    });
    ensure_eq!(
        head.result(Some(Duration::ZERO)),
        Ok(100),
        "the running task, right after shutdown(wait) returned"
    );
    for (i, f) in queued.iter().enumerate() {
        let i = i as u64;
        ensure_eq!(
            f.result(Some(Duration::ZERO)),
            Ok(i * i),
            "queued task {i}, right after shutdown(wait) returned"
        );
    }
    Ok(())
}

// as test_shutdown.py / test_shutdown_no_wait, then a second call that waits
pub fn shutdown_nowait_returns_then_wait_finishes<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let head = pool.submit(gated, (gate.ticket(), 1));
    let queued: Vec<Future<u64>> = (0..5).map(|i| pool.submit(ident, i)).collect();
    gate.expect_started(1)?;
    pool.shutdown(false, false);
    ensure!(
        !head.is_done(),
        "shutdown(wait: false) returned while the task is still blocked: {head:?}"
    );
    ensure!(
        queued.iter().all(|f| !f.is_cancelled()),
        "without cancel_futures nothing is cancelled"
    );
    ensure_eq!(
        pool.submit(ident, 9).result(Some(LONG)),
        Err(Error::Shutdown),
        "submit after shutdown(wait: false)"
    );
    gate.open();
    pool.shutdown(true, false);
    ensure_eq!(
        head.result(Some(Duration::ZERO)),
        Ok(1),
        "the running task after the second shutdown(wait: true)"
    );
    for (i, f) in queued.iter().enumerate() {
        ensure_eq!(
            f.result(Some(Duration::ZERO)),
            Ok(i as u64),
            "queued task {i} after the second shutdown(wait: true)"
        );
    }
    Ok(())
}

// as test_shutdown.py / test_cancel_futures
pub fn shutdown_cancel_futures_cancels_pending<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let ran = Gate::new()?;
    let blocked = saturate(&pool, &gate, 2)?;
    let pending: Vec<Future<u64>> = (0..5)
        .map(|i| pool.submit(signal, (ran.ticket(), i)))
        .collect();
    pool.shutdown(false, true);
    for (i, f) in pending.iter().enumerate() {
        ensure!(
            f.is_cancelled(),
            "pending task {i} is cancelled by shutdown(cancel_futures): {f:?}"
        );
        ensure_eq!(
            f.result(Some(Duration::ZERO)),
            Err(Error::Cancelled),
            "result of pending task {i}"
        );
    }
    ensure!(
        blocked[..2].iter().all(|f| !f.is_cancelled()),
        "running tasks are not cancelled"
    );
    gate.open();
    for (i, f) in blocked[..2].iter().enumerate() {
        ensure_eq!(
            f.result(Some(LONG)),
            Ok(i as u64),
            "running task {i} finishes"
        );
    }
    for f in &blocked[2..] {
        ensure!(
            f.wait_timeout(Some(LONG)),
            "every task ends, cancelled or run: {f:?}"
        );
    }
    pool.shutdown(true, false);
    ensure_eq!(ran.started(), 0, "cancelled tasks never ran");
    Ok(())
}

pub fn shutdown_wait_with_cancel_futures<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let blocked = saturate(&pool, &gate, 1)?;
    let pending: Vec<Future<u64>> = (0..3).map(|i| pool.submit(ident, i)).collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            // Open only once shutdown has cancelled what it can: a pending task
            // cancelled is the sign.
            pending[0].wait_timeout(Some(LONG));
            gate.open();
        });
        pool.shutdown(true, true);
    });
    gate.open();
    ensure_eq!(
        blocked[0].result(Some(Duration::ZERO)),
        Ok(0),
        "the running task, after shutdown(wait, cancel_futures)"
    );
    for (i, f) in pending.iter().enumerate() {
        ensure_eq!(
            f.result(Some(Duration::ZERO)),
            Err(Error::Cancelled),
            "pending task {i}"
        );
    }
    ensure!(
        blocked.iter().all(Future::is_done),
        "everything is done once shutdown(wait) returned"
    );
    Ok(())
}

// as test_shutdown.py / test_run_after_shutdown
pub fn submit_after_shutdown_fails<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    ensure_eq!(
        pool.submit(ident, 1).result(Some(LONG)),
        Ok(1),
        "before shutdown"
    );
    pool.shutdown(true, false);
    let f = pool.submit(ident, 2);
    ensure!(
        f.is_done(),
        "submit after shutdown returns a future that is already done: {f:?}"
    );
    ensure_eq!(
        f.result(Some(Duration::ZERO)),
        Err(Error::Shutdown),
        "submit after shutdown"
    );
    match pool.try_submit(ident, 3) {
        Err(Error::Shutdown) => {}
        other => {
            return Err(format!(
                "try_submit after shutdown: expected Err(Shutdown), saw {other:?}"
            ));
        }
    }
    let c = pool.submit_chunk(ident, vec![1, 2]);
    ensure_eq!(
        c.result(Some(LONG)),
        Err(Error::Shutdown),
        "submit_chunk after shutdown"
    );
    for (ordered, chunksize) in [(true, 1), (false, 1), (true, 2), (false, 2)] {
        let options = MapOptions::new().ordered(ordered).chunksize(chunksize);
        match pool.map(ident, 0..3, options) {
            Err(Error::Shutdown) => {}
            Err(other) => {
                return Err(format!(
                    "map after shutdown (ordered {ordered}, chunksize {chunksize}): \
                     expected Err(Shutdown), saw Err({other:?})"
                ));
            }
            Ok(map) => {
                let items: Vec<_> = map.collect();
                return Err(format!(
                    "map after shutdown (ordered {ordered}, chunksize {chunksize}) \
                     was accepted and yielded {items:?}; expected Err(Shutdown) up front"
                ));
            }
        }
    }
    // An empty input submits nothing, so nothing is refused (as Python's map).
    let empty: Vec<_> = pool
        .map(ident, Vec::<u64>::new(), MapOptions::new())
        .check("map of nothing after shutdown")?
        .collect();
    ensure_eq!(empty, Vec::new(), "map of nothing after shutdown");
    let s = pool.stats();
    ensure_eq!(
        s.submitted,
        1,
        "submitted counts the task accepted before shutdown only ({s:?})"
    );
    Ok(())
}

pub fn shutdown_idempotent<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let f = pool.submit(square, 3);
    pool.shutdown(true, false);
    pool.shutdown(true, false);
    pool.shutdown(false, true);
    pool.shutdown(true, true);
    pool.shutdown(false, false);
    ensure_eq!(
        f.result(Some(Duration::ZERO)),
        Ok(9),
        "a finished task is untouched by repeated shutdowns"
    );
    ensure_eq!(
        pool.submit(ident, 1).result(Some(LONG)),
        Err(Error::Shutdown),
        "still shut down"
    );
    Ok(())
}

// as test_shutdown.py / test_context_manager_shutdown (Python's `with` block)
pub fn drop_waits_for_queued<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let head = pool.submit(gated, (gate.ticket(), 7));
    let queued: Vec<Future<u64>> = (0..10).map(|i| pool.submit(square, i)).collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            gate.wait_started(1, LONG);
            gate.open();
        });
        drop(pool);
    });
    ensure_eq!(
        head.result(Some(Duration::ZERO)),
        Ok(7),
        "the running task, right after the pool was dropped"
    );
    for (i, f) in queued.iter().enumerate() {
        let i = i as u64;
        ensure_eq!(
            f.result(Some(Duration::ZERO)),
            Ok(i * i),
            "queued task {i}, right after the pool was dropped"
        );
    }
    Ok(())
}
