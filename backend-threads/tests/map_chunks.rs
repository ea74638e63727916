//! `map` with a `chunksize` on the thread pool: the chunk path (values in one
//! buffer, failures beside it, walked by a cursor) keeps input order, fails an
//! item alone wherever it sits in a chunk, handles a last short chunk, and a
//! dropped iterator cancels the chunks that have not started.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use concur_core::{Error, Executor, MapOptions};
use concur_threads::ThreadPool;

/// Triples its item, but panics on the non-zero multiples of 14.
fn picky(x: u64) -> u64 {
    if x.is_multiple_of(14) && x > 0 {
        panic!("item {x}");
    }
    x * 3
}

fn check_item(i: u64, r: Result<u64, Error>) {
    if i.is_multiple_of(14) && i > 0 {
        let want = format!("item {i}");
        assert!(
            matches!(&r, Err(Error::Panicked { message, .. }) if *message == want),
            "item {i}: {r:?}"
        );
    } else {
        assert_eq!(r, Ok(i * 3), "item {i}");
    }
}

#[test]
fn every_item_comes_back_in_order_each_failure_alone_through_next_and_fold() {
    let pool = ThreadPool::new(2).unwrap();
    // Chunk sizes that do and do not divide n, and n smaller than a chunk.
    for (n, chunksize) in [
        (100, 10),
        (101, 10),
        (99, 10),
        (5, 10),
        (1, 3),
        (0, 4),
        (50, 1),
    ] {
        for ordered in [true, false] {
            let options = MapOptions::new().chunksize(chunksize).ordered(ordered);
            // `next`, item by item.
            let mut seen: Vec<(u64, Result<u64, Error>)> = Vec::new();
            for r in pool.map(picky, 0..n, options).unwrap() {
                // Recover the item from the value (or from the panic message).
                let i = match &r {
                    Ok(v) => v / 3,
                    Err(Error::Panicked { message, .. }) => {
                        message.trim_start_matches("item ").parse().unwrap()
                    }
                    Err(e) => panic!("unexpected {e:?}"),
                };
                seen.push((i, r));
            }
            if ordered {
                let order: Vec<u64> = seen.iter().map(|(i, _)| *i).collect();
                assert_eq!(order, (0..n).collect::<Vec<_>>(), "n {n} chunk {chunksize}");
            } else {
                seen.sort_by_key(|(i, _)| *i);
            }
            assert_eq!(seen.len() as u64, n);
            for (i, r) in seen {
                check_item(i, r);
            }
        }
        // `fold` (what `for_each` and `sum` take), in order.
        let mut next = 0;
        pool.map(picky, 0..n, MapOptions::new().chunksize(chunksize))
            .unwrap()
            .for_each(|r| {
                check_item(next, r);
                next += 1;
            });
        assert_eq!(next, n);
    }
}

#[test]
fn fold_after_a_partly_walked_chunk_goes_on_from_the_next_item() {
    let pool = ThreadPool::new(2).unwrap();
    let mut map = pool
        .map(picky, 0..45, MapOptions::new().chunksize(10))
        .unwrap();
    for i in 0..13 {
        check_item(i, map.next().unwrap());
    }
    let rest = map.fold(13, |i, r| {
        check_item(i, r);
        i + 1
    });
    assert_eq!(rest, 45);
}

/// Items `map` ran, and a gate the first item of the second chunk waits at.
static RAN: AtomicUsize = AtomicUsize::new(0);
static GATE: Mutex<(bool, bool)> = Mutex::new((false, false)); // (entered, open)
static SIGNAL: Condvar = Condvar::new();

fn gated(x: u64) -> u64 {
    if x == 3 {
        let mut g = GATE.lock().unwrap();
        g.0 = true;
        SIGNAL.notify_all();
        while !g.1 {
            g = SIGNAL.wait(g).unwrap();
        }
    }
    RAN.fetch_add(1, Ordering::SeqCst);
    x
}

#[test]
fn dropping_the_iterator_mid_chunk_cancels_the_chunks_not_started() {
    let pool = ThreadPool::new(1).unwrap();
    let mut map = pool
        .map(gated, 0..30, MapOptions::new().chunksize(3).buffersize(4))
        .unwrap();
    // Chunk 0 (items 0..3) done; the one worker is inside chunk 1, at item 3.
    assert_eq!(map.next(), Some(Ok(0)));
    {
        let mut g = GATE.lock().unwrap();
        while !g.0 {
            g = SIGNAL.wait(g).unwrap();
        }
    }
    // Mid-chunk: items 1 and 2 of chunk 0 are not yielded yet.
    drop(map);
    GATE.lock().unwrap().1 = true;
    SIGNAL.notify_all();
    pool.shutdown(true, false);
    // Chunks 0 and 1 ran; the window's others (chunks 2, 3, 4) never did.
    assert_eq!(RAN.load(Ordering::SeqCst), 6);
    let stats = pool.stats();
    assert_eq!((stats.completed, stats.cancelled), (2, 3), "{stats:?}");
}
