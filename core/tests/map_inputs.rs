//! `Executor::map` over a `Send` input is itself `Send`: it may be consumed
//! on another thread, or as a `Stream` on a multi-threaded runtime. (That a
//! map over an input that is not `Send` runs on the thread that made it, and
//! that a value with a `Cell` inside is a payload, are conformance scenarios,
//! `map::map_input_that_is_not_send` and `edge::send_but_not_sync_payloads`,
//! run on every backend, through `concur::Pool`, and on the conformance
//! crate's third-party executor.)

use std::sync::Arc;

use concur_core::backend::TaskObj;
use concur_core::{Error, Executor, MapOptions, Stats, StatsCounter};

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
