//! Back-pressure and visibility: `try_submit` at the `max_queued` bound, `stats()`.

use super::prelude::*;
use concur_core::Stats;

/// Checks `submitted == queued + running + completed + failed + cancelled`.
fn adds_up(s: &Stats) -> bool {
    s.submitted == s.queued + s.running + s.completed + s.failed + s.cancelled
}

pub fn try_submit_refuses_when_full<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool_with(PoolConfig {
        max_workers: 1,
        max_queued: Some(2),
    })?;
    let gate = Gate::new()?;
    let head = pool
        .try_submit(gated, (gate.ticket(), 0))
        .check("try_submit into an empty pool")?;
    gate.expect_started(1)?;
    // The worker is blocked: accepted tasks queue up (a process backend may
    // dispatch a few ahead) until the bound refuses one.
    let mut accepted = Vec::new();
    let refusal = loop {
        if accepted.len() > 2 + LOOKAHEAD {
            return Err(format!(
                "try_submit accepted {} queued tasks with max_queued: 2",
                accepted.len()
            ));
        }
        match pool.try_submit(gated, (gate.ticket(), accepted.len() as u64 + 1)) {
            Ok(f) => accepted.push(f),
            Err(e) => break e,
        }
    };
    ensure_eq!(
        refusal,
        Error::Full { max_queued: 2 },
        "try_submit at the bound"
    );
    ensure!(
        accepted.len() >= 2,
        "try_submit refused with only {} task(s) queued under max_queued: 2",
        accepted.len()
    );
    // submit never refuses: it queues beyond the bound.
    let extra = pool.submit(ident, 99);
    gate.open();
    ensure_eq!(head.result(Some(LONG)), Ok(0), "the first task");
    for (i, f) in accepted.iter().enumerate() {
        ensure_eq!(f.result(Some(LONG)), Ok(i as u64 + 1), "accepted task {i}");
    }
    ensure_eq!(
        extra.result(Some(LONG)),
        Ok(99),
        "a task submit() queued beyond the bound"
    );
    let again = pool
        .try_submit(ident, 5)
        .check("try_submit once the queue drained")?;
    ensure_eq!(
        again.result(Some(LONG)),
        Ok(5),
        "a task accepted after the queue drained"
    );
    pool.shutdown(true, false);
    let s = pool.stats();
    let accepted_total = 1 + accepted.len() as u64 + 1 + 1;
    ensure_eq!(
        s.submitted,
        accepted_total,
        "submitted counts accepted tasks only, not refusals ({s:?})"
    );
    ensure!(adds_up(&s), "the counts add up: {s:?}");
    Ok(())
}

pub fn try_submit_unbounded_accepts<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let head = pool
        .try_submit(gated, (gate.ticket(), 0))
        .check("try_submit")?;
    let futs: Vec<Future<u64>> = (1..=200)
        .map(|i| pool.try_submit(square, i))
        .collect::<Result<_, _>>()
        .check("try_submit without a bound")?;
    gate.open();
    ensure_eq!(head.result(Some(LONG)), Ok(0), "the first task");
    for (i, f) in futs.iter().enumerate() {
        let i = i as u64 + 1;
        ensure_eq!(f.result(Some(LONG)), Ok(i * i), "task {i}");
    }
    Ok(())
}

pub fn stats_fresh_pool_is_zero<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let s = pool.stats();
    ensure!(
        (
            s.submitted,
            s.queued,
            s.running,
            s.completed,
            s.failed,
            s.cancelled
        ) == (0, 0, 0, 0, 0, 0),
        "a fresh pool counts nothing: {s:?}"
    );
    ensure!(s.workers <= 2, "a pool of 2 has at most 2 workers: {s:?}");
    Ok(())
}

pub fn stats_add_up_while_busy<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let futs: Vec<Future<u64>> = (0..6)
        .map(|i| pool.submit(gated, (gate.ticket(), i)))
        .collect();
    gate.expect_started(2)?;
    // Two tasks reached the gate; a process backend learns that they started
    // from its workers' messages, so the counter may lag a little.
    let mut s = pool.stats();
    let caught_up = eventually(LONG, || {
        s = pool.stats();
        s.running >= 2
    });
    ensure!(
        caught_up,
        "two tasks reached the gate, so stats() counts at least 2 running: {s:?}"
    );
    ensure!(
        adds_up(&s),
        "submitted == queued + running + completed + failed + cancelled while busy: {s:?}"
    );
    ensure_eq!(s.submitted, 6, "submitted while busy ({s:?})");
    ensure_eq!(
        s.queued + s.running,
        6,
        "queued + running while every task is blocked or waiting ({s:?})"
    );
    ensure!(
        s.workers >= 1 && s.workers <= 2,
        "live workers of a busy pool of 2: {s:?}"
    );
    gate.open();
    for f in &futs {
        ensure!(f.wait_timeout(Some(LONG)), "task finishes");
    }
    let s = pool.stats();
    ensure!(
        adds_up(&s),
        "the counts add up after the gate opened: {s:?}"
    );
    Ok(())
}

pub fn stats_add_up_after_work<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(3)?;
    let oks: Vec<Future<u64>> = (0..40).map(|i| pool.submit(square, i)).collect();
    let bads: Vec<Future<u64>> = (0..7)
        .map(|i| pool.submit(panics, format!("stats {i}")))
        .collect();
    for f in oks.iter().chain(&bads) {
        ensure!(f.wait_timeout(Some(LONG)), "task finishes");
    }
    // After shutdown(wait) every counter is final.
    pool.shutdown(true, false);
    let s = pool.stats();
    ensure!(adds_up(&s), "the counts add up: {s:?}");
    ensure_eq!(
        (s.submitted, s.completed, s.failed),
        (47, 40, 7),
        "(submitted, completed, failed) ({s:?})"
    );
    ensure_eq!(
        (s.queued, s.running, s.cancelled),
        (0, 0, 0),
        "(queued, running, cancelled) ({s:?})"
    );
    Ok(())
}

pub fn stats_count_cancelled<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let blocked = saturate(&pool, &gate, 1)?;
    let pending: Vec<Future<u64>> = (0..4).map(|i| pool.submit(ident, i)).collect();
    for f in &pending[..3] {
        ensure!(f.cancel(), "cancel() of a pending task");
    }
    let s = pool.stats();
    ensure!(adds_up(&s), "the counts add up after cancels: {s:?}");
    gate.open();
    pool.shutdown(true, false);
    let s = pool.stats();
    ensure!(adds_up(&s), "the counts add up after shutdown: {s:?}");
    let cancelled = blocked
        .iter()
        .chain(&pending)
        .filter(|f| f.is_cancelled())
        .count() as u64;
    let total = (blocked.len() + pending.len()) as u64;
    ensure_eq!(s.submitted, total, "submitted ({s:?})");
    ensure_eq!(
        s.cancelled,
        cancelled,
        "cancelled, counted once the pool dropped them ({s:?})"
    );
    ensure_eq!(s.completed, total - cancelled, "completed ({s:?})");
    ensure_eq!(
        (s.queued, s.running, s.failed),
        (0, 0, 0),
        "(queued, running, failed) ({s:?})"
    );
    Ok(())
}
