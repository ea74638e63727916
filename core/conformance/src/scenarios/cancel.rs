//! `cancel`: only a pending future can be cancelled, and a cancelled one is done
//! at once for every way of waiting.

use super::prelude::*;

// as test_base.py / FutureTests.test_cancel (on a real pool, saturated by blocked tasks)
pub fn cancel_pending_succeeds<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let ran = Gate::new()?;
    let blocked = saturate(&pool, &gate, 2)?;
    let x = pool.submit(signal, (ran.ticket(), 77));
    ensure!(
        !x.is_running() && !x.is_done(),
        "a task behind a saturated pool is pending: {x:?}"
    );
    ensure!(x.cancel(), "cancel() of a pending future returns true");
    ensure!(
        x.is_cancelled() && x.is_done() && !x.is_running(),
        "cancelled means done: {x:?}"
    );
    ensure_eq!(
        x.result(Some(Duration::ZERO)),
        Err(Error::Cancelled),
        "result() of a cancelled future"
    );
    ensure_eq!(
        x.error(Some(Duration::ZERO)),
        Err(Error::Cancelled),
        "error() of a cancelled future"
    );
    gate.open();
    for (i, f) in blocked.iter().enumerate() {
        ensure_eq!(
            f.result(Some(LONG)),
            Ok(i as u64),
            "blocked task {i} after the gate opened"
        );
    }
    pool.shutdown(true, false);
    ensure_eq!(
        ran.started(),
        0,
        "the cancelled task must never run (connections to its gate)"
    );
    Ok(())
}

// as test_base.py / FutureTests.test_cancel (CANCELLED_AND_NOTIFIED case returns True)
pub fn cancel_twice_returns_true<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let _blocked = saturate(&pool, &gate, 1)?;
    let x = pool.submit(ident, 1);
    ensure!(x.cancel(), "first cancel() of a pending future");
    ensure!(
        x.cancel(),
        "second cancel() of the same future is still true"
    );
    ensure!(x.clone().cancel(), "cancel() through a clone is true too");
    ensure!(x.is_cancelled(), "still cancelled");
    Ok(())
}

pub fn cancel_running_fails<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 3));
    gate.expect_started(1)?;
    ensure!(
        f.is_running(),
        "the task reached the gate, so it is running: {f:?}"
    );
    ensure!(!f.cancel(), "cancel() of a running future returns false");
    ensure!(
        !f.is_cancelled() && f.is_running(),
        "a refused cancel changes nothing: {f:?}"
    );
    gate.open();
    ensure_eq!(
        f.result(Some(LONG)),
        Ok(3),
        "the running task still finishes"
    );
    Ok(())
}

pub fn cancel_finished_fails<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(square, 4);
    ensure_eq!(f.result(Some(LONG)), Ok(16), "result");
    ensure!(!f.cancel(), "cancel() of a finished future returns false");
    ensure!(!f.is_cancelled(), "a finished future stays finished");
    ensure_eq!(
        f.result(Some(Duration::ZERO)),
        Ok(16),
        "the value is untouched"
    );
    let bad = pool.submit(panics, "cancel-after-failure".to_owned());
    ensure!(bad.wait_timeout(Some(LONG)), "the failing task finishes");
    ensure!(!bad.cancel(), "cancel() of a failed future returns false");
    expect_panic(
        bad.result(None),
        "cancel-after-failure",
        "the error is untouched",
    )?;
    Ok(())
}

pub fn cancel_wakes_blocked_waiter<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let _blocked = saturate(&pool, &gate, 1)?;
    let x = pool.submit(ident, 1);
    let waiter = {
        let x = x.clone();
        std::thread::spawn(move || x.result(Some(LONG)))
    };
    ensure!(x.cancel(), "cancel() of a pending future");
    let seen = waiter
        .join()
        .map_err(|_| "the waiting thread panicked".to_owned())?;
    ensure_eq!(
        seen,
        Err(Error::Cancelled),
        "what a thread blocked in result() sees"
    );
    Ok(())
}

// gh-92001 / gh-87893: a cancelled future must not leave waiters hanging
pub fn cancelled_is_done_for_wait<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let blocked = saturate(&pool, &gate, 1)?;
    let x = pool.submit(ident, 1);
    ensure!(x.cancel(), "cancel() of a pending future");
    let r = wait([&x], Some(LONG), ReturnWhen::AllCompleted);
    ensure!(
        r.done.len() == 1 && r.not_done.is_empty(),
        "AllCompleted over a cancelled future: {r:?}"
    );
    let r = wait([&blocked[0], &x], Some(LONG), ReturnWhen::FirstCompleted);
    ensure!(
        r.done.len() == 1 && r.done[0].same_as(&x),
        "FirstCompleted picks the cancelled one: {r:?}"
    );
    // A cancelled future is done but not an exception (as Python): FirstException
    // waits on, here until its timeout.
    let r = wait([&blocked[0], &x], Some(SHORT), ReturnWhen::FirstException);
    ensure!(
        r.done.len() == 1 && r.done[0].same_as(&x),
        "FirstException: cancelled is done, blocked is not: {r:?}"
    );
    ensure!(
        r.not_done.len() == 1 && r.not_done[0].same_as(&blocked[0]),
        "blocked one not done: {r:?}"
    );
    Ok(())
}

pub fn cancelled_is_done_for_as_completed<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let blocked = saturate(&pool, &gate, 1)?;
    let x = pool.submit(ident, 1);
    let y = pool.submit(ident, 2);
    let futs = [blocked[0].clone(), x.clone(), y.clone()];
    let mut it = as_completed(&futs, Some(LONG));
    ensure!(y.cancel(), "cancel() of a pending future");
    match it.next() {
        Some(Ok(f)) if f.same_as(&y) => {}
        other => {
            return Err(format!(
                "as_completed after a cancel: expected the cancelled future, saw {other:?}"
            ));
        }
    }
    ensure!(x.cancel(), "cancel() of a second pending future");
    match it.next() {
        Some(Ok(f)) if f.same_as(&x) => {}
        other => {
            return Err(format!(
                "as_completed after a second cancel: expected it, saw {other:?}"
            ));
        }
    }
    ensure_eq!(it.remaining(), 1, "only the blocked future is left");
    gate.open();
    match it.next() {
        Some(Ok(f)) if f.same_as(&blocked[0]) => {}
        other => {
            return Err(format!(
                "as_completed after the gate opened: expected the blocked one, saw {other:?}"
            ));
        }
    }
    ensure!(it.next().is_none(), "as_completed ends after every future");
    Ok(())
}
