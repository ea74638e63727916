//! Tasks of zero to four arguments: `submit(add, (1, 2))` calls `add(1, 2)`,
//! through every generic method (`submit`, `try_submit`, `submit_chunk`,
//! `map`), with fn items, fn pointers and closures that capture nothing —
//! the forms every backend runs, worker processes included — and a closure
//! that captures values, which runs in process or is refused with `Encode`.

use super::prelude::*;

/// `a + b`.
fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// `a * b * c`.
fn volume(a: u64, b: u64, c: u64) -> u64 {
    a * b * c
}

/// Four arguments of four types, each of which must arrive unchanged.
fn describe(name: String, count: u8, weights: Vec<i16>, flag: Option<bool>) -> String {
    format!("{name}:{count}:{weights:?}:{flag:?}")
}

/// No argument.
fn seven() -> u64 {
    7
}

/// One argument that is a pair (not two arguments).
fn swap((a, b): (u64, String)) -> (String, u64) {
    (b, a)
}

/// Panics when `b` is zero, with a message naming both arguments.
fn divide(a: u64, b: u64) -> u64 {
    if b == 0 {
        panic!("cannot divide {a} by zero");
    }
    a / b
}

/// A task's own error, as a value.
fn checked_sub(a: u64, b: u64) -> Result<u64, String> {
    a.checked_sub(b)
        .ok_or_else(|| format!("{a} - {b} underflows"))
}

pub fn two_to_four_arguments<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    ensure_eq!(
        pool.submit(add, (1, 2)).result(Some(LONG)),
        Ok(3),
        "add(1, 2)"
    );
    ensure_eq!(
        pool.submit(volume, (2, 3, 4)).result(Some(LONG)),
        Ok(24),
        "volume(2, 3, 4)"
    );
    let weights = vec![i16::MIN, -1, 0, 1, i16::MAX];
    ensure_eq!(
        pool.submit(
            describe,
            ("é\0x".to_owned(), 255, weights.clone(), Some(false))
        )
        .result(Some(LONG)),
        Ok(describe("é\0x".to_owned(), 255, weights, Some(false))),
        "four arguments of four types arrive unchanged"
    );
    ensure_eq!(pool.submit(seven, ()).result(Some(LONG)), Ok(7), "seven()");
    ensure_eq!(
        pool.submit(swap, (5, "five".to_owned())).result(Some(LONG)),
        Ok(("five".to_owned(), 5)),
        "a function of one pair gets the pair"
    );
    ensure_eq!(
        pool.submit(square, 9).result(Some(LONG)),
        Ok(81),
        "one argument, as ever"
    );
    Ok(())
}

pub fn fn_pointers_and_closures_that_capture_nothing<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let pointers: [fn(u64, u64) -> u64; 2] = [add, |a, b| a * b];
    for (i, f) in pointers.into_iter().enumerate() {
        let want = [13, 30][i];
        ensure_eq!(
            pool.submit(f, (10, 3)).result(Some(LONG)),
            Ok(want),
            "fn pointer {i} of two arguments"
        );
    }
    let one: fn(u64) -> u64 = square;
    ensure_eq!(
        pool.submit(one, 6).result(Some(LONG)),
        Ok(36),
        "a fn pointer of one argument"
    );
    let closure = |a: u64, b: u64, c: u64, d: u64| a * 1000 + b * 100 + c * 10 + d;
    ensure_eq!(
        pool.submit(closure, (1, 2, 3, 4)).result(Some(LONG)),
        Ok(1234),
        "a closure that captures nothing"
    );
    ensure_eq!(
        pool.submit(|x: u64| x + 1, 41).result(Some(LONG)),
        Ok(42),
        "a one-argument closure that captures nothing"
    );
    Ok(())
}

pub fn map_chunks_and_try_submit_spread_tuples<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let pairs: Vec<(u64, u64)> = (0..40).map(|i| (i, 2 * i)).collect();
    let want: Vec<Result<u64, Error>> = pairs.iter().map(|&(a, b)| Ok(a + b)).collect();
    for chunksize in [1, 3, 64] {
        let got: Vec<_> = pool
            .map(
                add,
                pairs.iter().copied(),
                MapOptions::new().chunksize(chunksize),
            )
            .check("map(add, pairs)")?
            .collect();
        ensure_eq!(got, want, "map(add, pairs) with chunksize {chunksize}");
    }
    let xs = 0..10u64;
    let ys = 100..110u64;
    let got: Vec<_> = pool
        .map(
            |a: u64, b: u64| b - a,
            xs.zip(ys),
            MapOptions::new().ordered(false),
        )
        .check("map over a zip")?
        .collect::<Result<Vec<_>, _>>()
        .check("every item")?;
    ensure_eq!(
        got,
        vec![100; 10],
        "Python's map(fn, xs, ys) as a zip, unordered"
    );
    let chunk = pool
        .submit_chunk(volume, vec![(1, 2, 3), (4, 5, 6)])
        .into_result()
        .check("submit_chunk(volume, ..)")?
        .into_vec();
    ensure_eq!(chunk, vec![Ok(6), Ok(120)], "submit_chunk of triples");
    let f = pool
        .try_submit(add, (20, 22))
        .check("try_submit(add, ..)")?;
    ensure_eq!(f.result(Some(LONG)), Ok(42), "try_submit(add, (20, 22))");
    Ok(())
}

// as test_thread_pool.py / ExecutorTest.test_map_exception, with two arguments
pub fn multi_argument_failures_fail_alone<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let bad = pool.submit(divide, (7, 0));
    let good = pool.submit(divide, (8, 2));
    expect_panic(
        bad.result(Some(LONG)),
        "cannot divide 7 by zero",
        "divide(7, 0)",
    )?;
    ensure_eq!(good.result(Some(LONG)), Ok(4), "divide(8, 2) beside it");
    ensure_eq!(
        pool.submit(checked_sub, (1, 2)).result(Some(LONG)),
        Ok(Err("1 - 2 underflows".to_owned())),
        "a task's own error, as its value"
    );
    let got: Vec<_> = pool
        .map(
            divide,
            [(6, 3), (1, 0), (9, 3)],
            MapOptions::new().chunksize(2),
        )
        .check("map(divide, ..)")?
        .collect();
    ensure_eq!(got.len(), 3, "one result per pair");
    ensure_eq!(got[0], Ok(2), "the item before the panic");
    expect_panic(
        got[1].clone(),
        "cannot divide 1 by zero",
        "the item that panicked",
    )?;
    ensure_eq!(got[2], Ok(3), "the item after it, in the same chunk");
    Ok(())
}

pub fn capturing_closure_runs_or_is_refused<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    // A task function is `Copy`, so what a closure captures is too (a closure
    // that owns a `String` does not compile as a task at all).
    let offset: u64 = 1000;
    let f = move |x: u64| x + offset;
    // In process the closure runs; a backend whose workers are other
    // processes cannot send what it captured and fails it with Encode,
    // saying what to do. Nothing else is affected either way.
    let check = |outcome: Result<u64, Error>, what: &str| -> Outcome {
        match outcome {
            Ok(v) => ensure_eq!(v, 1001, "{what}: the closure's value"),
            Err(Error::Encode { type_name, message }) => {
                ensure!(
                    type_name.contains("closure"),
                    "{what}: Encode names the closure: {type_name}"
                );
                ensure!(
                    message.contains("captures") && message.contains("as arguments"),
                    "{what}: the message says what to do: {message}"
                );
            }
            Err(other) => {
                return Err(format!(
                    "{what}: expected the value or Encode, saw {other:?}"
                ));
            }
        }
        Ok(())
    };
    check(pool.submit(f, 1).result(Some(LONG)), "submit")?;
    match pool.try_submit(f, 1) {
        Ok(fut) => check(fut.result(Some(LONG)), "try_submit")?,
        Err(e) => check(Err(e), "try_submit")?,
    }
    let chunk = pool.submit_chunk(f, vec![1]).into_result();
    check(chunk.and_then(|c| c.into_vec().remove(0)), "submit_chunk")?;
    let mapped: Vec<_> = pool
        .map(f, [1], MapOptions::new())
        .check("map of a capturing closure")?
        .collect();
    ensure_eq!(mapped.len(), 1, "one result for one item");
    check(mapped[0].clone(), "map")?;
    ensure_eq!(
        pool.submit(add, (2, 2)).result(Some(LONG)),
        Ok(4),
        "the pool after it"
    );
    Ok(())
}
