//! `submit`, `result`, panics, payloads, states and the pool's size.

use super::prelude::*;

// as test_thread_pool.py / ExecutorTest.test_submit
pub fn submit_result<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let f = pool.submit(square, 7);
    ensure_eq!(f.result(Some(LONG)), Ok(49), "square(7)");
    let g = pool.submit(ident, u64::MAX);
    ensure_eq!(g.result(Some(LONG)), Ok(u64::MAX), "ident(u64::MAX)");
    Ok(())
}

pub fn submit_many_results<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    const N: u64 = 10_000;
    let pool = ctx.pool(4)?;
    let futs: Vec<Future<u64>> = (0..N).map(|i| pool.submit(square, i)).collect();
    for (i, f) in futs.iter().enumerate() {
        let i = i as u64;
        ensure_eq!(f.result(Some(LONG)), Ok(i * i), "result of task {i} of {N}");
    }
    ensure!(
        futs.iter().all(Future::is_done),
        "every future is done after its result"
    );
    Ok(())
}

pub fn result_zero_timeout_polls<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 5));
    gate.expect_started(1)?;
    ensure_eq!(
        f.result(Some(Duration::ZERO)),
        Err(Error::Timeout),
        "result(Some(0)) of a blocked task"
    );
    ensure_eq!(
        f.error(Some(Duration::ZERO)),
        Err(Error::Timeout),
        "error(Some(0)) of a blocked task"
    );
    ensure!(!f.is_done(), "polling must not change the future");
    gate.open();
    ensure_eq!(f.result(Some(LONG)), Ok(5), "result once the gate opened");
    ensure_eq!(
        f.result(Some(Duration::ZERO)),
        Ok(5),
        "result(Some(0)) of a finished future"
    );
    Ok(())
}

// as test_base.py / FutureTests.test_result_with_timeout
pub fn result_timeout_leaves_future_usable<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 9));
    ensure_eq!(
        f.result(Some(SHORT)),
        Err(Error::Timeout),
        "result with a short timeout on a blocked task"
    );
    ensure!(
        !f.is_done() && !f.is_cancelled(),
        "a timed-out wait leaves the future alone: {f:?}"
    );
    gate.open();
    ensure_eq!(f.result(None), Ok(9), "waiting again after the timeout");
    Ok(())
}

pub fn into_result_without_clone<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let f = pool.submit(make_unclonable, 5);
    let v = f.into_result().check("into_result of a non-Clone value")?;
    ensure_eq!(v, make_unclonable(5), "the moved-out value");
    Ok(())
}

// as test_base.py / FutureTests.test_exception_with_success and _with_timeout
pub fn error_of_failed_and_succeeded<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let ok = pool.submit(ident, 1);
    let bad = pool.submit(panics, "error-of-failed".to_owned());
    ensure_eq!(
        ok.error(Some(LONG)),
        Ok(None),
        "error() of a succeeded future"
    );
    match bad.error(Some(LONG)) {
        Ok(Some(e)) if is_panic(&e, "error-of-failed") => {}
        other => {
            return Err(format!(
                "error() of a panicked task: expected Ok(Some(Panicked)), saw {other:?}"
            ));
        }
    }
    ensure!(
        bad.is_done() && !bad.is_cancelled(),
        "a failed future is done, not cancelled: {bad:?}"
    );
    Ok(())
}

// as test_base.py / ExecutorTest: a raising task (W7: the pool survives a panic)
pub fn panic_yields_panicked_with_message<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(panics, "boom from a task".to_owned());
    expect_panic(f.result(Some(LONG)), "boom from a task", "a panicking task")?;
    let g = pool.submit(square, 12);
    ensure_eq!(
        g.result(Some(LONG)),
        Ok(144),
        "the single worker still runs tasks after a panic"
    );
    Ok(())
}

pub fn pool_survives_many_panics<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let mut oks = Vec::new();
    let mut bads = Vec::new();
    for i in 0..20u64 {
        bads.push(pool.submit(panics, format!("panic {i}")));
        oks.push(pool.submit(square, i));
    }
    for (i, (ok, bad)) in oks.iter().zip(&bads).enumerate() {
        ensure_eq!(
            ok.result(Some(LONG)),
            Ok((i * i) as u64),
            "task {i} beside panicking ones"
        );
        expect_panic(
            bad.result(Some(LONG)),
            &format!("panic {i}"),
            "a panicking task",
        )?;
    }
    ensure_eq!(
        pool.submit(ident, 3).result(Some(LONG)),
        Ok(3),
        "a task after 20 panics"
    );
    Ok(())
}

pub fn future_states_through_lifecycle<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 1));
    gate.expect_started(1)?;
    ensure!(
        f.is_running(),
        "a task that reached the gate is running: {f:?}"
    );
    ensure!(
        !f.is_done() && !f.is_cancelled(),
        "a running future is neither done nor cancelled: {f:?}"
    );
    gate.open();
    ensure_eq!(f.result(Some(LONG)), Ok(1), "the gated task's result");
    ensure!(f.is_done(), "finished: is_done");
    ensure!(
        !f.is_running() && !f.is_cancelled(),
        "finished: not running, not cancelled: {f:?}"
    );
    Ok(())
}

pub fn clones_share_the_outcome<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(square, 6);
    let g = f.clone();
    ensure!(f.same_as(&g), "a clone is the same future");
    ensure_eq!(g.result(Some(LONG)), Ok(36), "result through the clone");
    ensure_eq!(f.result(Some(LONG)), Ok(36), "result through the original");
    let other = pool.submit(square, 6);
    ensure!(!other.same_as(&f), "two submissions are two futures");
    Ok(())
}

pub fn structured_payloads<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let shapes = [Shape::Square(3), Shape::Rect { w: 2, h: 5 }, Shape::Empty];
    let futs: Vec<_> = shapes
        .iter()
        .map(|s| pool.submit(area, s.clone()))
        .collect();
    let got: Vec<_> = futs.iter().map(|f| f.result(Some(LONG))).collect();
    ensure_eq!(
        got,
        vec![Ok(Some(9)), Ok(Some(10)), Ok(None)],
        "areas of an enum argument"
    );
    let s = pool.submit(repeat, ('é', 3)).result(Some(LONG));
    ensure_eq!(
        s,
        Ok("ééé".to_owned()),
        "a String result from a tuple argument"
    );
    Ok(())
}

pub fn large_payloads<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let bytes: Vec<u8> = (0..4 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let expected = local_checksum(&bytes);
    let f = pool.submit(checksum, bytes);
    ensure_eq!(
        f.result(Some(LONG)),
        Ok(expected),
        "checksum of a 4 MiB argument"
    );
    let big = pool
        .submit(repeat, ('x', 3 * 1024 * 1024))
        .into_result()
        .check("a 3 MiB result")?;
    ensure!(
        big.len() == 3 * 1024 * 1024 && big.bytes().all(|b| b == b'x'),
        "a 3 MiB result came back intact"
    );
    Ok(())
}

pub fn max_workers_reported<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    for n in [1, 3] {
        let pool = ctx.pool(n)?;
        ensure_eq!(
            pool.max_workers(),
            n,
            "max_workers() of a pool made with max_workers: {n}"
        );
    }
    Ok(())
}

pub fn max_workers_bounds_concurrency<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let futs: Vec<_> = (0..5)
        .map(|i| pool.submit(gated, (gate.ticket(), i)))
        .collect();
    gate.expect_started(2)?;
    // A bounded look for a third task: a pool that honours max_workers never shows one.
    ensure!(
        !gate.wait_started(3, SHORT),
        "a third task started on a pool of 2 workers"
    );
    gate.open();
    for (i, f) in futs.iter().enumerate() {
        ensure_eq!(
            f.result(Some(LONG)),
            Ok(i as u64),
            "task {i} once the gate opened"
        );
    }
    Ok(())
}

pub fn workers_run_in_parallel<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(4)?;
    let gate = Gate::new()?;
    let futs: Vec<_> = (0..4)
        .map(|i| pool.submit(gated, (gate.ticket(), i)))
        .collect();
    // All four are blocked at once: the pool runs max_workers tasks at a time.
    gate.expect_started(4)?;
    gate.open();
    for (i, f) in futs.iter().enumerate() {
        ensure_eq!(f.result(Some(LONG)), Ok(i as u64), "task {i}");
    }
    Ok(())
}

/// A pool whose workers went idle must run as many new tasks at once as it has
/// workers: one idle worker absorbs one task, not a burst of them.
pub fn idle_workers_take_every_new_task<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(3)?;
    for round in 0..20 {
        let gate = Gate::new()?;
        // Every worker that ran something is idle again (and maybe not asleep yet).
        let warm: Vec<Future<u64>> = (0..3).map(|i| pool.submit(ident, i)).collect();
        for f in &warm {
            ensure!(
                f.wait_timeout(Some(LONG)),
                "round {round}: a warm-up task finishes"
            );
        }
        let futs: Vec<_> = (0..3)
            .map(|i| pool.submit(gated, (gate.ticket(), i)))
            .collect();
        if !gate.wait_started(3, LONG) {
            return Err(format!(
                "round {round}: 3 tasks submitted to an idle pool of 3 workers, only {} started within {LONG:?}",
                gate.started()
            ));
        }
        gate.open();
        for (i, f) in futs.iter().enumerate() {
            ensure_eq!(
                f.result(Some(LONG)),
                Ok(i as u64),
                "round {round}: task {i}"
            );
        }
    }
    Ok(())
}

pub fn zero_workers_refused<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    match ctx.try_pool(PoolConfig {
        max_workers: 0,
        max_queued: None,
    }) {
        Err(Error::InvalidConfig { .. }) => Ok(()),
        Err(e) => Err(format!(
            "max_workers: 0: expected Err(InvalidConfig), saw Err({e:?})"
        )),
        Ok(pool) => {
            pool.shutdown(false, true);
            Err("max_workers: 0: expected Err(InvalidConfig), the factory built a pool".to_owned())
        }
    }
}
