//! Done callbacks: once each, in registration order, immediately when already done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::prelude::*;

fn recv<T>(rx: &mpsc::Receiver<T>, what: &str) -> Result<T, String> {
    rx.recv_timeout(LONG)
        .map_err(|e| format!("{what}: no callback within {LONG:?} ({e})"))
}

// as test_base.py / FutureTests.test_done_callback_with_result
pub fn callback_fires_once<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 8));
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let c = calls.clone();
    let tx1 = tx.clone();
    f.add_done_callback(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
        let _ = tx1.send("first");
    });
    // Runs after the first has returned: callbacks run in order, one at a time.
    f.add_done_callback(move |_| {
        let _ = tx.send("second");
    });
    gate.open();
    ensure_eq!(recv(&rx, "the first callback")?, "first", "first message");
    ensure_eq!(
        recv(&rx, "the second callback")?,
        "second",
        "second message"
    );
    ensure_eq!(f.result(Some(LONG)), Ok(8), "result");
    ensure_eq!(calls.load(Ordering::SeqCst), 1, "calls of the callback");
    pool.shutdown(true, false);
    ensure_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "calls of the callback after shutdown"
    );
    ensure!(rx.try_recv().is_err(), "no callback ran twice");
    Ok(())
}

pub fn callbacks_in_registration_order<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 1));
    let order = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    for i in 0..10 {
        let order = order.clone();
        let tx = tx.clone();
        f.add_done_callback(move |_| {
            order.lock().unwrap_or_else(|e| e.into_inner()).push(i);
            if i == 9 {
                let _ = tx.send(());
            }
        });
    }
    gate.open();
    recv(&rx, "the last callback")?;
    let seen = order.lock().unwrap_or_else(|e| e.into_inner()).clone();
    ensure_eq!(seen, (0..10).collect::<Vec<_>>(), "callback order");
    Ok(())
}

// as test_base.py / FutureTests.test_done_callback_already_successful
pub fn callback_immediate_if_done<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(square, 3);
    ensure_eq!(f.result(Some(LONG)), Ok(9), "result");
    let here = std::thread::current().id();
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    f.add_done_callback(move |f| {
        *s.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((std::thread::current().id(), f.result(Some(Duration::ZERO))));
    });
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).take();
    ensure_eq!(
        seen,
        Some((here, Ok(9))),
        "the callback ran before add_done_callback returned, on the caller's thread"
    );
    Ok(())
}

// as test_base.py / FutureTests.test_done_callback_with_exception
pub fn callback_sees_the_outcome<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let ok = pool.submit(gated, (gate.ticket(), 21));
    let bad = pool.submit(
        gated_panic,
        (gate.ticket(), "callback-sees-panic".to_owned()),
    );
    let (tx, rx) = mpsc::channel();
    let t = tx.clone();
    ok.add_done_callback(move |f| {
        let _ = t.send(("ok", f.is_done(), f.result(Some(Duration::ZERO))));
    });
    bad.add_done_callback(move |f| {
        let _ = tx.send(("bad", f.is_done(), f.result(Some(Duration::ZERO))));
    });
    gate.open();
    let mut got = [recv(&rx, "a callback")?, recv(&rx, "another callback")?];
    got.sort_by_key(|g| g.0);
    let [(_, bad_done, bad_result), (_, ok_done, ok_result)] = got;
    ensure!(ok_done && bad_done, "a callback sees a done future");
    ensure_eq!(ok_result, Ok(21), "the value seen by the callback");
    expect_panic(
        bad_result,
        "callback-sees-panic",
        "the error seen by the callback",
    )?;
    Ok(())
}

// as test_base.py / FutureTests.test_done_callback_with_cancel
pub fn callback_on_cancel<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let _blocked = saturate(&pool, &gate, 1)?;
    let x = pool.submit(ident, 1);
    let (tx, rx) = mpsc::channel();
    x.add_done_callback(move |f| {
        let _ = tx.send((f.is_cancelled(), f.result(Some(Duration::ZERO))));
    });
    ensure!(x.cancel(), "cancel() of a pending future");
    let seen = recv(&rx, "the callback of a cancelled future")?;
    ensure_eq!(seen, (true, Err(Error::Cancelled)), "what the callback saw");
    ensure!(rx.try_recv().is_err(), "the callback ran once");
    Ok(())
}

// as test_base.py / FutureTests.test_done_callback_raises
pub fn callback_panic_does_not_stop_others<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 2));
    let (tx, rx) = mpsc::channel();
    // `resume_unwind` unwinds like a panic without running the panic hook, so
    // the expected failure does not print a backtrace.
    f.add_done_callback(|_| std::panic::resume_unwind(Box::new("a callback panics on purpose")));
    f.add_done_callback(move |f| {
        let _ = tx.send(f.result(Some(Duration::ZERO)));
    });
    gate.open();
    ensure_eq!(
        recv(&rx, "the callback after a panicking one")?,
        Ok(2),
        "value seen by the later callback"
    );
    ensure_eq!(f.result(Some(LONG)), Ok(2), "the future itself");
    ensure_eq!(
        pool.submit(square, 5).result(Some(LONG)),
        Ok(25),
        "the pool after a callback panicked"
    );
    Ok(())
}
