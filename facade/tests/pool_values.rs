//! What a task may carry, on every backend compiled in, through `concur::Pool`
//! (the type-erased path) and on the backend itself: a value that is `Send`
//! but not `Sync` (a `Cell` inside), and a `map` whose input is not `Send`
//! (it borrows an `Rc`).

use std::cell::Cell;
use std::rc::Rc;

use concur::prelude::*;
use serde::{Deserialize, Serialize};

/// `Send`, not `Sync`, serializable.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Tally {
    seen: Cell<u64>,
}

fn bump(t: Tally) -> Tally {
    t.seen.set(t.seen.get() + 1);
    t
}

fn double(x: u64) -> u64 {
    2 * x
}

/// The checks, on any executor.
fn check(pool: &impl Executor, what: &str) {
    let f = pool.submit(
        bump,
        Tally {
            seen: Cell::new(41),
        },
    );
    assert_eq!(f.take(None).expect("bump runs").seen.get(), 42, "{what}");

    let chunks = pool.submit_chunk(bump, vec![Tally::default(), Tally::default()]);
    let seen: Vec<u64> = chunks
        .into_result()
        .expect("the chunk runs")
        .into_iter()
        .map(|r| r.expect("bump runs").seen.get())
        .collect();
    assert_eq!(seen, [1, 1], "{what}");

    let shared = Rc::new(vec![1u64, 2, 3, 4, 5, 6, 7]);
    for chunksize in [1, 3] {
        // Owns a clone of the `Rc`: neither `Send` nor `Sync`.
        let values = Rc::clone(&shared);
        let input = (0..values.len()).map(move |i| values[i]);
        let out: Vec<u64> = pool
            .map(double, input, MapOptions::new().chunksize(chunksize))
            .expect("valid options")
            .collect::<Result<_, _>>()
            .expect("double does not fail");
        assert_eq!(
            out,
            [2, 4, 6, 8, 10, 12, 14],
            "{what}, chunksize {chunksize}"
        );
    }
}

#[test]
fn send_only_values_and_local_inputs_on_every_backend() {
    for backend in Backend::enabled() {
        if backend == Backend::Mpi {
            continue; // needs mpirun: concur-mpi's own tests
        }
        let pool = Pool::builder(backend)
            .max_workers(2)
            .build()
            .expect("a pool");
        check(&pool, &format!("{backend} through Pool"));
    }
    #[cfg(feature = "threads")]
    check(&ThreadPool::new(2).expect("a pool"), "threads");
    #[cfg(feature = "async")]
    check(
        &AsyncPool::builder().max_workers(2).build().expect("a pool"),
        "async",
    );
    #[cfg(feature = "process")]
    check(
        &ProcessPool::builder()
            .max_workers(2)
            .build()
            .expect("a pool"),
        "process",
    );
}
