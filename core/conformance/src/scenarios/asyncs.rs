//! Awaiting futures from async code (`futures_lite::future::block_on`).

use futures_lite::future::block_on;

use super::prelude::*;

pub fn await_by_value<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(make_unclonable, 3);
    let v = block_on(f).check("awaiting a future by value")?;
    ensure_eq!(
        v,
        make_unclonable(3),
        "the awaited value (moved out, no Clone)"
    );
    Ok(())
}

pub fn await_by_reference<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(square, 11);
    ensure_eq!(block_on(&f), Ok(121), "awaiting &future");
    ensure_eq!(
        block_on(&f),
        Ok(121),
        "awaiting &future again: the value stays"
    );
    ensure_eq!(
        f.result(Some(Duration::ZERO)),
        Ok(121),
        "result() after awaiting by reference"
    );
    Ok(())
}

pub fn await_pending_wakes<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let gate = Gate::new()?;
    let a = pool.submit(gated, (gate.ticket(), 1));
    let b = pool.submit(gated, (gate.ticket(), 2));
    // The awaiting task parks; the gate opens from another thread once both tasks
    // are blocked, and the waker must bring the awaiting task back.
    let got = std::thread::scope(|s| {
        s.spawn(|| {
            gate.wait_started(2, LONG);
            gate.open();
        });
        block_on(async { (a.clone().await, (&b).await) })
    });
    ensure_eq!(
        got,
        (Ok(1), Ok(2)),
        "values awaited while the tasks were blocked"
    );
    Ok(())
}

pub fn await_failed_and_cancelled<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let bad = pool.submit(panics, "awaited-panic".to_owned());
    expect_panic(
        block_on(&bad),
        "awaited-panic",
        "awaiting a panicked task by reference",
    )?;
    expect_panic(
        block_on(bad),
        "awaited-panic",
        "awaiting a panicked task by value",
    )?;
    let _blocked = saturate(&pool, &gate, 1)?;
    let x = pool.submit(ident, 1);
    ensure!(x.cancel(), "cancel() of a pending future");
    ensure_eq!(
        block_on(x),
        Err(Error::Cancelled),
        "awaiting a cancelled future"
    );
    Ok(())
}

pub fn await_many<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(3)?;
    let futs: Vec<Future<u64>> = (0..200).map(|i| pool.submit(square, i)).collect();
    let total = block_on(async {
        let mut total = 0u64;
        for f in futs {
            total += f.await?;
        }
        Ok::<u64, Error>(total)
    });
    ensure_eq!(
        total,
        Ok((0..200u64).map(|i| i * i).sum::<u64>()),
        "sum of 200 awaited values"
    );
    Ok(())
}
