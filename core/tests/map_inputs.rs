//! `Executor::map` over inputs that are `Send` and inputs that are not: a
//! map over a `Send` input is itself `Send` (it may be consumed on another
//! thread, or as a `Stream` on a multi-threaded runtime); a map over an input
//! that borrows an `Rc` works on the thread that made it. And a task's
//! argument and result need `Send` only: a value with a `Cell` inside runs.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use concur_core::backend::TaskObj;
use concur_core::{Error, Executor, MapOptions, Stats, StatsCounter};
use serde::{Deserialize, Serialize};

/// Runs every task on a thread of its own.
#[derive(Default)]
struct Spawning(Arc<StatsCounter>);

impl Executor for Spawning {
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.0.submitted();
        let stats = self.0.clone();
        std::thread::spawn(move || task.run(&stats));
        Ok(())
    }
    fn max_workers(&self) -> usize {
        2
    }
    fn stats(&self) -> Stats {
        self.0.snapshot(0)
    }
    fn shutdown(&self, _: bool, _: bool) {}
}

fn double(x: u64) -> u64 {
    2 * x
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn a_map_over_an_input_that_is_not_send_runs() {
    let pool = Spawning::default();
    let shared = Rc::new(vec![1u64, 2, 3, 4, 5]);
    for chunksize in [1, 2] {
        // Owns a clone of the `Rc`: neither `Send` nor `Sync`.
        let values = Rc::clone(&shared);
        let input = (0..values.len()).map(move |i| values[i]);
        let out: Vec<u64> = pool
            .map(double, input, MapOptions::new().chunksize(chunksize))
            .expect("valid options")
            .collect::<Result<_, _>>()
            .expect("double does not fail");
        assert_eq!(out, [2, 4, 6, 8, 10], "chunksize {chunksize}");
    }
}

#[test]
fn a_map_over_a_send_input_is_send_and_runs_on_another_thread() {
    let pool = Spawning::default();
    let map = pool
        .map(double, 0..100u64, MapOptions::new().chunksize(7))
        .expect("valid options");
    assert_send(&map);
    let total: u64 = std::thread::scope(|s| {
        s.spawn(move || map.map(|r| r.expect("no failure")).sum())
            .join()
            .expect("the consumer")
    });
    assert_eq!(total, 2 * (0..100).sum::<u64>());

    let stream = pool
        .map(double, 0..10u64, MapOptions::new())
        .expect("valid options")
        .into_stream();
    assert_send(&stream);
    let got: Vec<u64> = std::thread::scope(|s| {
        s.spawn(move || {
            use futures_lite::StreamExt;
            futures_lite::future::block_on(stream.map(|r| r.expect("no failure")).collect())
        })
        .join()
        .expect("the consumer")
    });
    assert_eq!(got, (0..10).map(|x| 2 * x).collect::<Vec<_>>());
}

/// `Send` but not `Sync` (a `Cell`), and serializable: a `Payload`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Tally {
    seen: Cell<u64>,
}

fn bump(t: Tally) -> Tally {
    t.seen.set(t.seen.get() + 1);
    t
}

#[test]
fn a_value_that_is_send_but_not_sync_is_a_payload() {
    let pool = Spawning::default();
    let f = pool.submit(
        bump,
        Tally {
            seen: Cell::new(41),
        },
    );
    assert_eq!(f.take(None).expect("bump does not fail").seen.get(), 42);
    let tallies: Vec<u64> = pool
        .map(
            bump,
            (0..4).map(|i| Tally { seen: Cell::new(i) }),
            MapOptions::new(),
        )
        .expect("valid options")
        .map(|r| r.expect("bump does not fail").seen.get())
        .collect();
    assert_eq!(tallies, [1, 2, 3, 4]);
}
