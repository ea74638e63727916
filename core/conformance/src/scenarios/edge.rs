//! Edges: chunks submitted directly, payloads that cannot be encoded, a
//! payload that is `Send` but not `Sync`, odd panic payloads, many waiters
//! on one future, empty inputs.

use std::cell::Cell;

use super::prelude::*;

pub fn submit_chunk_per_item_failures<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let items: Vec<(u64, u64)> = (0..6).map(|i| (i, 2)).collect();
    let got = pool
        .submit_chunk(square_unless, items)
        .into_result()
        .check("submit_chunk")?;
    ensure_eq!(got.len(), 6, "one result per item of the chunk");
    for (i, r) in got.into_iter().enumerate() {
        let i = i as u64;
        if i == 2 {
            expect_panic(r, &bad_item_message(2), "the failing item")?;
        } else {
            ensure_eq!(r, Ok(i * i), "item {i} of the chunk");
        }
    }
    let empty = pool.submit_chunk(square, Vec::new()).result(Some(LONG));
    ensure_eq!(
        empty.map(|c| c.into_vec()),
        Ok(Vec::new()),
        "an empty chunk"
    );
    Ok(())
}

// gh-75880 / gh-116685: an unencodable payload must fail its own task, at submit
pub fn unencodable_argument_fails_alone<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(open_unencodable, Unencodable(4));
    // A backend that never encodes runs the task; one that encodes fails it
    // with Encode. Either way, nothing else is affected.
    match f.result(Some(LONG)) {
        Ok(4) => {}
        Err(Error::Encode { type_name, .. }) => {
            ensure!(!type_name.is_empty(), "Encode names the type");
        }
        other => {
            return Err(format!(
                "an unencodable argument: expected Ok(4) or Err(Encode), saw {other:?}"
            ));
        }
    }
    let g = pool.submit(square, 8);
    ensure_eq!(
        g.result(Some(LONG)),
        Ok(64),
        "the pool after an unencodable argument"
    );
    match pool.try_submit(open_unencodable, Unencodable(5)) {
        Ok(f) => match f.result(Some(LONG)) {
            Ok(5) | Err(Error::Encode { .. }) => {}
            other => {
                return Err(format!(
                    "try_submit of an unencodable argument, its future: {other:?}"
                ));
            }
        },
        Err(Error::Encode { .. }) => {}
        Err(e) => {
            return Err(format!(
                "try_submit of an unencodable argument: expected Encode, saw {e:?}"
            ));
        }
    }
    ensure_eq!(
        pool.submit(ident, 1).result(Some(LONG)),
        Ok(1),
        "the pool after try_submit"
    );
    Ok(())
}

pub fn unencodable_result_fails_alone<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(make_unencodable, 6);
    match f.result(Some(LONG)) {
        Ok(v) => ensure_eq!(v, Unencodable(6), "the unencodable result, not encoded"),
        Err(Error::Encode { .. }) => {}
        other => {
            return Err(format!(
                "an unencodable result: expected Ok or Err(Encode), saw {other:?}"
            ));
        }
    }
    let g = pool.submit(square, 9);
    ensure_eq!(
        g.result(Some(LONG)),
        Ok(81),
        "the pool after an unencodable result"
    );
    Ok(())
}

pub fn non_string_panic_payload<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let f = pool.submit(panics_with_number, 42);
    match f.result(Some(LONG)) {
        Err(Error::Panicked { .. }) => {}
        other => {
            return Err(format!(
                "panic_any(42): expected Err(Panicked), saw {other:?}"
            ));
        }
    }
    ensure_eq!(
        pool.submit(ident, 2).result(Some(LONG)),
        Ok(2),
        "the pool after a non-string panic"
    );
    Ok(())
}

pub fn many_waiters_all_woken<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let f = pool.submit(gated, (gate.ticket(), 31));
    gate.expect_started(1)?;
    let seen: Vec<Result<u64, Error>> = std::thread::scope(|s| {
        let waiters: Vec<_> = (0..8)
            .map(|i| {
                let f = f.clone();
                s.spawn(move || match i % 3 {
                    0 => f.result(None),
                    1 => f.result(Some(LONG)),
                    _ => futures_lite::future::block_on(&f),
                })
            })
            .collect();
        gate.open();
        waiters
            .into_iter()
            .map(|w| w.join().unwrap_or(Err(Error::Timeout)))
            .collect()
    });
    ensure_eq!(
        seen,
        vec![Ok(31); 8],
        "what 8 threads blocked on one future see"
    );
    Ok(())
}

pub fn wait_and_as_completed_empty<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    let none: Vec<Future<u64>> = Vec::new();
    for mode in [
        ReturnWhen::AllCompleted,
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstException,
    ] {
        let r = wait(&none, None, mode);
        ensure!(
            r.done.is_empty() && r.not_done.is_empty(),
            "{mode:?} over no futures returns at once: {r:?}"
        );
    }
    ensure!(
        as_completed(&none, None).next().is_none(),
        "as_completed over no futures ends at once"
    );
    ensure!(
        as_completed(&none, Some(Duration::ZERO)).next().is_none(),
        "and yields no Timeout"
    );
    ensure_eq!(pool.submit(ident, 1).result(Some(LONG)), Ok(1), "the pool");
    Ok(())
}

/// A value that is `Send` but not `Sync` (a `Cell` inside) is a payload: an
/// argument and a result of `submit`, `submit_chunk` and `map`.
pub fn send_but_not_sync_payloads<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let tally = Tally {
        seen: Cell::new(41),
    };
    let once = pool.submit(bump, tally).take(Some(LONG));
    ensure_eq!(once.map(|t| t.seen.get()), Ok(42), "submit(bump, 41)");

    let chunk = pool
        .submit_chunk(bump, vec![Tally::default(), Tally::default()])
        .into_result()
        .check("submit_chunk(bump, [0, 0])")?;
    let seen: Vec<Result<u64, Error>> =
        chunk.into_iter().map(|r| r.map(|t| t.seen.get())).collect();
    ensure_eq!(seen, [Ok(1), Ok(1)], "submit_chunk(bump, [0, 0])");

    let input = (0..4).map(|i| Tally { seen: Cell::new(i) });
    let mapped: Vec<Result<u64, Error>> = pool
        .map(bump, input, MapOptions::new())
        .check("map(bump, 0..4)")?
        .map(|r| r.map(|t| t.seen.get()))
        .collect();
    ensure_eq!(mapped, [Ok(1), Ok(2), Ok(3), Ok(4)], "map(bump, 0..4)");
    Ok(())
}
