//! Tasks of several arguments through the `Executor` trait, and a closure
//! that captures values: the thread pool calls the function as it is, so a
//! capturing closure runs (a worker process would refuse it), on the typed
//! path and through `dyn Executor` (`concur::Pool`'s).

use std::time::Duration;

use concur_core::backend::TaskObj;
use concur_core::{Error, Executor, MapOptions};
use concur_threads::ThreadPool;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[test]
fn a_capturing_closure_runs_on_every_method() {
    let pool = ThreadPool::new(2).unwrap();
    let (offset, scale): (u64, u64) = (1000, 3);
    let f = move |x: u64, y: u64| (x + y) * scale + offset;
    assert_eq!(pool.submit(f, (1, 2)).result(LONG), Ok(1009));
    let erased: &dyn Executor = &pool;
    let (task, future) = TaskObj::new(f, (1, 2));
    erased.submit_task(task).unwrap();
    assert_eq!(future.result(LONG), Ok(1009), "through dyn Executor");
    assert_eq!(pool.try_submit(f, (0, 0)).unwrap().result(LONG), Ok(1000));
    let chunk = pool.submit_chunk(f, vec![(1, 1), (2, 2)]).into_result();
    assert_eq!(chunk.map(|c| c.into_vec()), Ok(vec![Ok(1006), Ok(1012)]));
    // The pool's own `map` takes one-argument closures (borrowing ones too);
    // the trait's spreads tuples.
    let mapped: Vec<_> = Executor::map(
        &pool,
        f,
        (0..4).map(|i| (i, i)),
        MapOptions::new().chunksize(3),
    )
    .unwrap()
    .collect();
    assert_eq!(mapped, vec![Ok(1000), Ok(1006), Ok(1012), Ok(1018)]);
}

#[test]
fn a_panic_of_a_multi_argument_task_fails_it_alone() {
    let pool = ThreadPool::new(1).unwrap();
    let bad = pool.submit(
        |a: u64, b: u64, c: u64| -> u64 { panic!("{a}{b}{c}") },
        (1, 2, 3),
    );
    let good = pool.submit(add, (2, 2));
    match bad.result(LONG) {
        Err(Error::Panicked {
            message, location, ..
        }) => {
            assert_eq!(message, "123");
            assert!(location.is_some_and(|l| l.contains("task_args.rs")));
        }
        other => panic!("expected the panic, saw {other:?}"),
    }
    assert_eq!(good.result(LONG), Ok(4));
}
