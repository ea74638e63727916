//! `wait` in its three modes, with and without timeout, across types and pools.

use super::prelude::*;
use concur_core::{DoneAndNotDone, Waitable};

/// True when `set` holds exactly the futures `expected` (by identity, any order).
fn same_set<F: Waitable>(set: &[F], expected: &[&Future<u64>]) -> bool {
    set.len() == expected.len()
        && expected
            .iter()
            .all(|e| set.iter().any(|f| f.as_any().same_as(&e.as_any())))
}

fn sets<F: Waitable>(
    r: &DoneAndNotDone<F>,
    done: &[&Future<u64>],
    not_done: &[&Future<u64>],
) -> bool {
    same_set(&r.done, done) && same_set(&r.not_done, not_done)
}

// as test_wait.py / WaitTests.test_all_completed
pub fn wait_all_completed<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let a = pool.submit(square, 2);
    let b = pool.submit(panics, "all-completed".to_owned());
    let c = pool.submit(ident, 5);
    let r = wait([&a, &b, &c], None, ReturnWhen::AllCompleted);
    ensure!(
        sets(&r, &[&a, &b, &c], &[]),
        "AllCompleted without timeout: all done, saw {r:?}"
    );
    ensure!(
        [&a, &b, &c].iter().all(|f| f.is_done()),
        "every future reports done"
    );
    ensure_eq!(c.result(Some(Duration::ZERO)), Ok(5), "a value after wait");
    Ok(())
}

// as test_wait.py / WaitTests.test_timeout
pub fn wait_all_completed_timeout<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let fast = pool.submit(ident, 1);
    ensure_eq!(fast.result(Some(LONG)), Ok(1), "the fast task");
    let slow = pool.submit(gated, (gate.ticket(), 2));
    let r = wait([&fast, &slow], Some(SHORT), ReturnWhen::AllCompleted);
    ensure!(
        sets(&r, &[&fast], &[&slow]),
        "AllCompleted with a timeout: done=[fast], not_done=[slow], saw {r:?}"
    );
    gate.open();
    let r = wait([&fast, &slow], Some(LONG), ReturnWhen::AllCompleted);
    ensure!(
        sets(&r, &[&fast, &slow], &[]),
        "AllCompleted after the gate opened: {r:?}"
    );
    Ok(())
}

// as test_wait.py / WaitTests.test_first_completed
pub fn wait_first_completed<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate_a = Gate::new()?;
    let gate_b = Gate::new()?;
    let a = pool.submit(gated, (gate_a.ticket(), 1));
    let b = pool.submit(gated, (gate_b.ticket(), 2));
    gate_a.expect_started(1)?;
    gate_b.expect_started(1)?;
    gate_b.open();
    let r = wait([&a, &b], None, ReturnWhen::FirstCompleted);
    ensure!(
        sets(&r, &[&b], &[&a]),
        "FirstCompleted with b released: done=[b], not_done=[a], saw {r:?}"
    );
    ensure_eq!(b.result(Some(Duration::ZERO)), Ok(2), "b's value");
    gate_a.open();
    let r = wait([&a, &b], Some(LONG), ReturnWhen::FirstCompleted);
    ensure!(
        !r.done.is_empty(),
        "FirstCompleted with one already done returns: {r:?}"
    );
    Ok(())
}

pub fn wait_first_completed_timeout<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let a = pool.submit(gated, (gate.ticket(), 1));
    let b = pool.submit(gated, (gate.ticket(), 2));
    let r = wait([&a, &b], Some(SHORT), ReturnWhen::FirstCompleted);
    ensure!(
        sets(&r, &[], &[&a, &b]),
        "FirstCompleted timing out: nothing done, saw {r:?}"
    );
    let r = wait([&a, &b], Some(Duration::ZERO), ReturnWhen::FirstCompleted);
    ensure!(
        sets(&r, &[], &[&a, &b]),
        "FirstCompleted with a zero timeout: nothing done, saw {r:?}"
    );
    gate.open();
    let r = wait([&a, &b], Some(LONG), ReturnWhen::FirstCompleted);
    ensure!(
        !r.done.is_empty(),
        "FirstCompleted after the gate opened: {r:?}"
    );
    Ok(())
}

// as test_wait.py / WaitTests.test_first_exception
pub fn wait_first_exception<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(3)?;
    let gate = Gate::new()?;
    let ok = pool.submit(square, 3);
    ensure_eq!(ok.result(Some(LONG)), Ok(9), "the successful task");
    let bad = pool.submit(panics, "first-exception".to_owned());
    let slow = pool.submit(gated, (gate.ticket(), 1));
    let r = wait([&ok, &bad, &slow], None, ReturnWhen::FirstException);
    ensure!(
        sets(&r, &[&ok, &bad], &[&slow]),
        "FirstException: done=[ok, bad], not_done=[slow], saw {r:?}"
    );
    expect_panic(
        bad.result(Some(Duration::ZERO)),
        "first-exception",
        "the failed task",
    )?;
    Ok(())
}

// as test_wait.py / WaitTests.test_first_exception_one_already_failed + all succeed
pub fn wait_first_exception_none_fails<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let futs: Vec<Future<u64>> = (0..6).map(|i| pool.submit(square, i)).collect();
    let r = wait(&futs, Some(LONG), ReturnWhen::FirstException);
    ensure!(
        r.done.len() == 6 && r.not_done.is_empty(),
        "FirstException with no failure waits for all: {r:?}"
    );
    let failed = pool.submit(panics, "already-failed".to_owned());
    ensure!(failed.wait_timeout(Some(LONG)), "the failing task finishes");
    let gate = Gate::new()?;
    let slow = pool.submit(gated, (gate.ticket(), 1));
    let r = wait([&failed, &slow], None, ReturnWhen::FirstException);
    ensure!(
        sets(&r, &[&failed], &[&slow]),
        "FirstException with one already failed returns at once: {r:?}"
    );
    Ok(())
}

pub fn wait_first_exception_timeout<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let ok = pool.submit(ident, 4);
    ensure_eq!(ok.result(Some(LONG)), Ok(4), "the successful task");
    let slow = pool.submit(gated_panic, (gate.ticket(), "late-exception".to_owned()));
    let r = wait([&ok, &slow], Some(SHORT), ReturnWhen::FirstException);
    ensure!(
        sets(&r, &[&ok], &[&slow]),
        "FirstException timing out: done=[ok], not_done=[slow], saw {r:?}"
    );
    gate.open();
    let r = wait([&ok, &slow], Some(LONG), ReturnWhen::FirstException);
    ensure!(
        sets(&r, &[&ok, &slow], &[]),
        "FirstException once the exception came: {r:?}"
    );
    Ok(())
}

// as test_wait.py / WaitTests.test_pending_calls_race (futures already done)
pub fn wait_already_done<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let futs: Vec<Future<u64>> = (0..4).map(|i| pool.submit(ident, i)).collect();
    for f in &futs {
        ensure!(f.wait_timeout(Some(LONG)), "a task finishes");
    }
    for mode in [
        ReturnWhen::AllCompleted,
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstException,
    ] {
        let r = wait(&futs, Some(Duration::ZERO), mode);
        ensure!(
            r.done.len() == 4 && r.not_done.is_empty(),
            "{mode:?} over done futures, zero timeout: {r:?}"
        );
    }
    let dup = wait(
        [&futs[0], &futs[0], &futs[1]],
        None,
        ReturnWhen::AllCompleted,
    );
    ensure!(
        dup.done.len() == 2,
        "a future given twice is listed once: {dup:?}"
    );
    Ok(())
}

pub fn wait_mixed_types_and_pools<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool_a = ctx.pool(1)?;
    let pool_b = ctx.pool(2)?;
    let gate = Gate::new()?;
    let a = pool_a.submit(square, 5);
    let b = pool_b.submit(repeat, ('z', 2));
    let c = pool_b.submit(gated, (gate.ticket(), 3));
    let all = [a.as_any(), b.as_any()];
    let r = wait(&all, Some(LONG), ReturnWhen::AllCompleted);
    ensure!(
        r.done.len() == 2 && r.not_done.is_empty(),
        "AllCompleted over two pools and two types: {r:?}"
    );
    ensure_eq!(a.result(Some(Duration::ZERO)), Ok(25), "pool A's value");
    ensure_eq!(
        b.result(Some(Duration::ZERO)),
        Ok("zz".to_owned()),
        "pool B's value"
    );
    let r = wait(
        [a.as_any(), c.as_any()],
        Some(LONG),
        ReturnWhen::FirstCompleted,
    );
    ensure!(
        r.done.len() == 1 && r.done[0].same_as(&a.as_any()),
        "FirstCompleted across pools: the finished one, saw {r:?}"
    );
    gate.open();
    ensure_eq!(c.result(Some(LONG)), Ok(3), "pool B's gated value");
    Ok(())
}

pub fn wait_first_exception_wakes_on_failure<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(3)?;
    let gate_ok = Gate::new()?;
    let gate_bad = Gate::new()?;
    let done = pool.submit(ident, 1);
    ensure!(done.wait_timeout(Some(LONG)), "the fast task finishes");
    let slow = pool.submit(gated, (gate_ok.ticket(), 2));
    let bad = pool.submit(
        gated_panic,
        (gate_bad.ticket(), "wakes-on-failure".to_owned()),
    );
    let r = std::thread::scope(|s| {
        // The failure comes while `wait` blocks: it must wake for it.
        s.spawn(|| {
            gate_bad.wait_started(1, LONG);
            gate_bad.open();
        });
        wait([&done, &slow, &bad], Some(LONG), ReturnWhen::FirstException)
    });
    ensure!(
        sets(&r, &[&done, &bad], &[&slow]),
        "FirstException woken by a failure: done=[done, bad], not_done=[slow], saw {r:?} (the failing task {} on a pool of 3 with 1 busy worker)",
        if gate_bad.started() == 1 {
            "started"
        } else {
            "never started"
        }
    );
    Ok(())
}

pub fn wait_many_all_completed<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(4)?;
    let futs: Vec<Future<u64>> = (0..2000).map(|i| pool.submit(square, i)).collect();
    let r = wait(&futs, Some(LONG), ReturnWhen::AllCompleted);
    ensure!(
        r.done.len() == 2000 && r.not_done.is_empty(),
        "AllCompleted over 2000 futures finishing on 4 workers: {} done, {} not done",
        r.done.len(),
        r.not_done.len()
    );
    ensure!(futs.iter().all(Future::is_done), "every future is done");
    Ok(())
}
