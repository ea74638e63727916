//! `as_completed`: completion order, duplicates, timeout, and as a `Stream`.

use futures_lite::StreamExt;

use super::prelude::*;

/// The next item must be `Ok(expected)`.
fn expect_next<'a>(
    it: &mut impl Iterator<Item = Result<&'a Future<u64>, Error>>,
    expected: &Future<u64>,
    what: &str,
) -> Outcome {
    match it.next() {
        Some(Ok(f)) if f.same_as(expected) => Ok(()),
        other => Err(format!(
            "{what}: expected Some(Ok({expected:?})) (that very future), saw {other:?}"
        )),
    }
}

pub fn as_completed_order<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(3)?;
    let gates = [Gate::new()?, Gate::new()?, Gate::new()?];
    let futs: Vec<Future<u64>> = gates
        .iter()
        .enumerate()
        .map(|(i, g)| pool.submit(gated, (g.ticket(), i as u64)))
        .collect();
    for g in &gates {
        g.expect_started(1)?;
    }
    let mut it = as_completed(&futs, Some(LONG));
    // Release them in the order 2, 0, 1: as_completed follows.
    for i in [2, 0, 1] {
        gates[i].open();
        expect_next(
            &mut it,
            &futs[i],
            &format!("as_completed after releasing task {i}"),
        )?;
    }
    ensure!(
        it.next().is_none(),
        "as_completed ends after the last future"
    );
    Ok(())
}

// as test_as_completed.py / AsCompletedTests.test_future_times_out (finished ones first)
pub fn as_completed_already_done_first<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let slow = pool.submit(gated, (gate.ticket(), 0));
    let a = pool.submit(ident, 1);
    let b = pool.submit(ident, 2);
    ensure!(
        a.wait_timeout(Some(LONG)) && b.wait_timeout(Some(LONG)),
        "the fast tasks finish"
    );
    let futs = [slow.clone(), b.clone(), a.clone()];
    let mut it = as_completed(&futs, Some(LONG));
    expect_next(
        &mut it,
        &b,
        "first: the first finished future in the order given",
    )?;
    expect_next(
        &mut it,
        &a,
        "second: the next finished future in the order given",
    )?;
    gate.open();
    expect_next(&mut it, &slow, "last: the one released afterwards")?;
    ensure!(it.next().is_none(), "as_completed ends");
    Ok(())
}

// as test_as_completed.py / AsCompletedTests.test_duplicate_futures
pub fn as_completed_duplicates_once<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 1));
    let g = pool.submit(ident, 2);
    let futs = [f.clone(), f.clone(), g.clone(), f.clone(), g.clone()];
    let it = as_completed(&futs, Some(LONG));
    gate.open();
    let got: Vec<_> = it.collect();
    ensure_eq!(
        got.len(),
        2,
        "as_completed over [f, f, g, f, g] yields each future once"
    );
    ensure!(got.iter().all(Result::is_ok), "no error: {got:?}");
    let seen: Vec<&Future<u64>> = got.into_iter().filter_map(Result::ok).collect();
    ensure!(
        seen.iter().any(|x| x.same_as(&f)) && seen.iter().any(|x| x.same_as(&g)),
        "both futures yielded"
    );
    Ok(())
}

// as test_as_completed.py / AsCompletedTests.test_future_times_out
pub fn as_completed_timeout_once<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let done = pool.submit(ident, 1);
    ensure!(done.wait_timeout(Some(LONG)), "the fast task finishes");
    let slow = pool.submit(gated, (gate.ticket(), 2));
    let futs = [done.clone(), slow.clone()];
    let mut it = as_completed(&futs, Some(SHORT));
    expect_next(&mut it, &done, "the finished future comes first")?;
    match it.next() {
        Some(Err(Error::Timeout)) => {}
        other => {
            return Err(format!(
                "after the deadline: expected Some(Err(Timeout)), saw {other:?}"
            ));
        }
    }
    ensure!(
        it.next().is_none(),
        "as_completed ends after its single Timeout"
    );
    ensure!(it.next().is_none(), "and stays ended");
    ensure!(
        !slow.is_done(),
        "the timed-out future is untouched: {slow:?}"
    );
    gate.open();
    ensure_eq!(
        slow.result(Some(LONG)),
        Ok(2),
        "the timed-out future still finishes"
    );
    Ok(())
}

// as test_as_completed.py / AsCompletedTests.test_zero_timeout
pub fn as_completed_zero_timeout<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let a = pool.submit(ident, 1);
    let b = pool.submit(panics, "zero-timeout".to_owned());
    ensure!(
        a.wait_timeout(Some(LONG)) && b.wait_timeout(Some(LONG)),
        "the fast tasks finish"
    );
    let slow = pool.submit(gated, (gate.ticket(), 3));
    let futs = [a.clone(), slow.clone(), b.clone()];
    let got: Vec<_> = as_completed(&futs, Some(Duration::ZERO)).collect();
    ensure_eq!(
        got.len(),
        3,
        "two finished futures and one Timeout: {got:?}"
    );
    ensure!(
        matches!(&got[0], Ok(f) if f.same_as(&a)),
        "first: a, saw {:?}",
        got[0]
    );
    ensure!(
        matches!(&got[1], Ok(f) if f.same_as(&b)),
        "second: b (failed futures count), saw {:?}",
        got[1]
    );
    ensure!(
        matches!(&got[2], Err(Error::Timeout)),
        "last: Timeout, saw {:?}",
        got[2]
    );
    Ok(())
}

pub fn as_completed_stream<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let futs: Vec<Future<u64>> = (0..3)
        .map(|i| pool.submit(gated, (gate.ticket(), i)))
        .collect();
    let mut stream = as_completed(&futs, Some(LONG)).into_stream();
    gate.open();
    let got: Vec<u64> = futures_lite::future::block_on(async {
        let mut got = Vec::new();
        while let Some(item) = stream.next().await {
            got.push(item.and_then(|f| f.result(Some(Duration::ZERO))));
        }
        got
    })
    .into_iter()
    .collect::<Result<_, _>>()
    .check("an item of the stream")?;
    let mut sorted = got.clone();
    sorted.sort_unstable();
    ensure_eq!(sorted, vec![0, 1, 2], "values from the stream");
    Ok(())
}

pub fn as_completed_stream_timeout<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let slow = pool.submit(gated, (gate.ticket(), 1));
    let futs = [slow.clone()];
    let got: Vec<_> = futures_lite::future::block_on(
        as_completed(&futs, Some(SHORT))
            .into_stream()
            .collect::<Vec<_>>(),
    );
    ensure!(
        matches!(got.as_slice(), [Err(Error::Timeout)]),
        "the stream yields Timeout once and ends, saw {got:?}"
    );
    gate.open();
    ensure_eq!(slow.result(Some(LONG)), Ok(1), "the future still finishes");
    Ok(())
}

pub fn as_completed_many_from_two_pools<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool_a = ctx.pool(2)?;
    let pool_b = ctx.pool(2)?;
    let futs: Vec<Future<u64>> = (0..600)
        .map(|i| {
            if i % 2 == 0 {
                pool_a.submit(square, i)
            } else {
                pool_b.submit(square, i)
            }
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for item in as_completed(&futs, Some(LONG)) {
        let Ok(f) = item else {
            let done = futs.iter().filter(|f| f.is_done()).count();
            return Err(format!(
                "as_completed over 600 futures from two pools timed out after yielding {}; {done} of the futures are done (all done: a lost notification; not all: tasks that never ran)",
                seen.len()
            ));
        };
        ensure!(f.is_done(), "a yielded future is done: {f:?}");
        let v = f
            .result(Some(Duration::ZERO))
            .check("a yielded future's value")?;
        ensure!(seen.insert(v), "value {v} yielded twice");
    }
    ensure_eq!(seen.len(), 600, "futures yielded");
    Ok(())
}
