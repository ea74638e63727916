//! `map`: order, completion order, chunks, the lazy window, timeout, failures,
//! dropping the iterator, invalid options, an input that is not `Send`.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::prelude::*;

fn squares(n: u64) -> Vec<Result<u64, Error>> {
    (0..n).map(|i| Ok(i * i)).collect()
}

// as test_thread_pool.py / ExecutorTest.test_map
pub fn map_keeps_input_order<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(4)?;
    let got: Vec<_> = pool
        .map(square, 0..300, MapOptions::new())
        .check("map")?
        .collect();
    ensure_eq!(got, squares(300), "map(square, 0..300) in input order");
    let got: Vec<_> = pool
        .map(square, 0..300, MapOptions::new().buffersize(1))
        .check("map")?
        .collect();
    ensure_eq!(got, squares(300), "with buffersize 1");
    Ok(())
}

pub fn map_ordered_despite_slow_head<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let head = Gate::new()?;
    let done = Gate::new()?;
    // Item 0 blocks; items 1..=5 signal `done` as they run, so they provably run
    // before item 0 finishes.
    let items: Vec<(bool, u64, u64)> = std::iter::once((true, head.ticket(), 0))
        .chain((1..=5).map(|i| (false, done.ticket(), i)))
        .collect();
    let results = pool
        .map(gated_or_signal, items, MapOptions::new().buffersize(8))
        .check("map")?;
    done.expect_started(5)?;
    head.open();
    let got: Vec<_> = results.collect();
    ensure_eq!(
        got,
        (0..=5).map(Ok).collect::<Vec<_>>(),
        "ordered map waits for its slow head"
    );
    Ok(())
}

pub fn map_unordered_yields_all<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(4)?;
    let mut got: Vec<u64> = pool
        .map(square, 0..500, MapOptions::new().ordered(false))
        .check("map")?
        .collect::<Result<_, _>>()
        .check("an item")?;
    got.sort_unstable();
    ensure_eq!(
        got,
        (0..500).map(|i| i * i).collect::<Vec<_>>(),
        "ordered(false): every result, once"
    );
    Ok(())
}

// multiprocessing's imap_unordered: results as they complete
pub fn map_unordered_completion_order<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(3)?;
    let gates = [Gate::new()?, Gate::new()?, Gate::new()?];
    let items: Vec<(u64, u64)> = gates
        .iter()
        .enumerate()
        .map(|(i, g)| (g.ticket(), i as u64))
        .collect();
    let mut it = pool
        .map(gated, items, MapOptions::new().ordered(false))
        .check("map")?;
    for g in &gates {
        g.expect_started(1)?;
    }
    for i in [1usize, 2, 0] {
        gates[i].open();
        ensure_eq!(
            it.next(),
            Some(Ok(i as u64)),
            "ordered(false) after releasing item {i}"
        );
    }
    ensure_eq!(it.next(), None, "the map ends");
    Ok(())
}

// as test_process_pool.py / ProcessPoolExecutorTest.test_map_chunksize
pub fn map_chunksize_same_results<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(3)?;
    for chunksize in [1, 2, 7, 64, 1000, 5000] {
        let got: Vec<_> = pool
            .map(square, 0..1000, MapOptions::new().chunksize(chunksize))
            .check("map")?
            .collect();
        ensure_eq!(got, squares(1000), "chunksize {chunksize}, in order");
        let mut got: Vec<u64> = pool
            .map(
                square,
                0..1000,
                MapOptions::new()
                    .chunksize(chunksize)
                    .ordered(false)
                    .buffersize(2),
            )
            .check("map")?
            .collect::<Result<_, _>>()
            .check("an item")?;
        got.sort_unstable();
        ensure_eq!(
            got,
            (0..1000).map(|i| i * i).collect::<Vec<_>>(),
            "chunksize {chunksize}, unordered"
        );
    }
    Ok(())
}

pub fn map_chunksize_failure_per_item<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let got: Vec<_> = pool
        .map(
            square_unless,
            (0..20).map(|i| (i, 5)),
            MapOptions::new().chunksize(4),
        )
        .check("map")?
        .collect();
    ensure_eq!(got.len(), 20, "one result per item");
    for (i, r) in got.into_iter().enumerate() {
        let i = i as u64;
        if i == 5 {
            expect_panic(r, &bad_item_message(5), "the failing item of a chunk")?;
        } else {
            ensure_eq!(
                r,
                Ok(i * i),
                "item {i}, in the same chunk as a failure or not"
            );
        }
    }
    Ok(())
}

// Python 3.14's map(buffersize=...): the input is pulled lazily
pub fn map_buffersize_bounds_pulls<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    const BUFFERSIZE: usize = 3;
    const N: u64 = 40;
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let pulls = Arc::new(AtomicUsize::new(0));
    let p = pulls.clone();
    let ticket = gate.ticket();
    let input = (0..N).map(move |i| {
        p.fetch_add(1, Ordering::SeqCst);
        (ticket, i)
    });
    let mut it = pool
        .map(gated, input, MapOptions::new().buffersize(BUFFERSIZE))
        .check("map")?;
    gate.expect_started(1)?;
    let ahead = pulls.load(Ordering::SeqCst);
    ensure!(
        ahead <= BUFFERSIZE,
        "items pulled while the first task is blocked: at most {BUFFERSIZE}, saw {ahead}"
    );
    ensure!(ahead >= 1, "map pulled nothing though a task is running");
    gate.open();
    for i in 0..N {
        ensure_eq!(it.next(), Some(Ok(i)), "item {i}");
        let pulled = pulls.load(Ordering::SeqCst);
        let limit = i as usize + 1 + BUFFERSIZE;
        ensure!(
            pulled <= limit,
            "after {} items consumed, pulled at most {limit}, saw {pulled}",
            i + 1
        );
    }
    ensure_eq!(it.next(), None, "the map ends");
    ensure_eq!(
        pulls.load(Ordering::SeqCst),
        N as usize,
        "every item pulled once"
    );
    Ok(())
}

pub fn map_infinite_input_is_lazy<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let pulls = Arc::new(AtomicUsize::new(0));
    let p = pulls.clone();
    let input = (0u64..).inspect(move |_| {
        p.fetch_add(1, Ordering::SeqCst);
    });
    let got: Vec<_> = pool
        .map(square, input, MapOptions::new())
        .check("map over 0..")?
        .take(50)
        .collect();
    ensure_eq!(got, squares(50), "the first 50 squares of an endless input");
    let pulled = pulls.load(Ordering::SeqCst);
    ensure!(
        pulled < 50 + 1000,
        "the default window is bounded: pulled {pulled} items for 50 results"
    );
    Ok(())
}

// as test_thread_pool.py / ExecutorTest.test_map_timeout
pub fn map_timeout_yields_timeout_once<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    for (ordered, chunksize) in [(true, 1), (false, 1), (true, 2)] {
        let gate = Gate::new()?;
        let items: Vec<(u64, u64)> = (0..4).map(|i| (gate.ticket(), i)).collect();
        let options = MapOptions::new()
            .timeout(SHORT)
            .ordered(ordered)
            .chunksize(chunksize);
        let mut it = pool.map(gated, items, options).check("map")?;
        let what = format!("ordered({ordered}), chunksize {chunksize}");
        ensure_eq!(
            it.next(),
            Some(Err(Error::Timeout)),
            "{what}: the blocked map times out"
        );
        ensure_eq!(it.next(), None, "{what}: the map ends after its Timeout");
        ensure_eq!(it.next(), None, "{what}: and stays ended");
        drop(it);
        drop(gate);
        // The pool is free again once the blocked task passed the opened gate.
        ensure_eq!(
            pool.submit(ident, 5).result(Some(LONG)),
            Ok(5),
            "{what}: the pool after the timeout"
        );
    }
    Ok(())
}

// as test_thread_pool.py / ExecutorTest.test_map_exception (but the map goes on)
pub fn map_continues_after_panic<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    for ordered in [true, false] {
        let got: Vec<_> = pool
            .map(
                square_unless,
                (0..10).map(|i| (i, 3)),
                MapOptions::new().ordered(ordered),
            )
            .check("map")?
            .collect();
        ensure_eq!(
            got.len(),
            10,
            "ordered({ordered}): one result per item after a failure"
        );
        let failures: Vec<_> = got.iter().filter(|r| r.is_err()).collect();
        ensure_eq!(
            failures.len(),
            1,
            "ordered({ordered}): exactly one failed item"
        );
        if ordered {
            for (i, r) in got.into_iter().enumerate() {
                let i = i as u64;
                if i == 3 {
                    expect_panic(r, &bad_item_message(3), "the panicking item")?;
                } else {
                    ensure_eq!(r, Ok(i * i), "item {i}");
                }
            }
        } else {
            ensure!(
                is_panic(
                    failures[0].as_ref().expect_err("an error"),
                    &bad_item_message(3)
                ),
                "the failure: {failures:?}"
            );
        }
    }
    Ok(())
}

pub fn map_drop_cancels_unstarted<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let n = 2 + LOOKAHEAD + 10;
    let pool = ctx.pool(1)?;
    let gate = Gate::new()?;
    let items: Vec<(u64, u64)> = (0..n as u64).map(|i| (gate.ticket(), i)).collect();
    let it = pool
        .map(gated, items, MapOptions::new().buffersize(n))
        .check("map")?;
    gate.expect_started(1)?;
    drop(it);
    gate.open();
    pool.shutdown(true, false);
    let started = gate.started();
    ensure!(
        started <= 1 + LOOKAHEAD,
        "after dropping the map with 1 task running and {} queued, {started} tasks started (allowed: the running one and {LOOKAHEAD} dispatched ahead)",
        n - 1
    );
    Ok(())
}

pub fn map_empty_input<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    for options in [
        MapOptions::new(),
        MapOptions::new().chunksize(8),
        MapOptions::new().ordered(false),
    ] {
        let mut it = pool
            .map(square, Vec::<u64>::new(), options)
            .check("map over nothing")?;
        ensure_eq!(it.next(), None, "map over an empty input with {options:?}");
    }
    let stats = pool.stats();
    ensure_eq!(
        stats.submitted,
        0,
        "tasks submitted by maps over empty inputs"
    );
    Ok(())
}

pub fn map_invalid_options_refused<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(1)?;
    for (what, options) in [
        ("chunksize 0", MapOptions::new().chunksize(0)),
        ("buffersize 0", MapOptions::new().buffersize(0)),
    ] {
        match pool.map(square, 0..10, options) {
            Err(Error::InvalidConfig { message }) => {
                ensure!(!message.is_empty(), "{what}: InvalidConfig says why");
            }
            Err(e) => {
                return Err(format!(
                    "{what}: expected Err(InvalidConfig), saw Err({e:?})"
                ));
            }
            Ok(_) => {
                return Err(format!(
                    "{what}: expected Err(InvalidConfig), map accepted it"
                ));
            }
        }
    }
    ensure_eq!(pool.stats().submitted, 0, "tasks submitted by refused maps");
    ensure_eq!(
        pool.map(square, 0..3, MapOptions::new())
            .check("a valid map")?
            .collect::<Vec<_>>(),
        squares(3),
        "the pool after refusals"
    );
    Ok(())
}

/// A map over an input that is not `Send` (it owns an `Rc`) runs on the
/// thread that made it, with and without chunks (the last one short).
pub fn map_input_that_is_not_send<E: Executor>(ctx: &Ctx<E>) -> Outcome {
    let pool = ctx.pool(2)?;
    let shared = Rc::new(vec![1u64, 2, 3, 4, 5, 6, 7]);
    let doubled: Vec<Result<u64, Error>> = (1..=7).map(|x| Ok(2 * x)).collect();
    for chunksize in [1, 2, 3] {
        // Owns a clone of the `Rc`: neither `Send` nor `Sync`.
        let values = Rc::clone(&shared);
        let input = (0..values.len()).map(move |i| values[i]);
        let out: Vec<Result<u64, Error>> = pool
            .map(double, input, MapOptions::new().chunksize(chunksize))
            .check("map over an input that is not Send")?
            .collect();
        ensure_eq!(
            out,
            doubled,
            "map(double) over an Rc's values, chunksize {chunksize}"
        );
    }
    Ok(())
}
