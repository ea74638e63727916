//! Tasks of several arguments on the async pool, awaited: it calls the
//! function as it is, so a closure that captures values runs too (a worker
//! process would refuse it), typed and through `dyn Executor`.

use concur_async::AsyncPool;
use concur_core::backend::TaskObj;
use concur_core::{Error, Executor};

fn volume(w: u64, h: u64, d: u64) -> u64 {
    w * h * d
}

#[test]
fn multi_argument_tasks_and_capturing_closures_are_awaited() {
    let pool = AsyncPool::new(2).unwrap();
    let base = 7u64;
    let plus_base = move |a: u64, b: u64| a + b + base;
    let erased: &dyn Executor = &pool;
    let (task, via_dyn) = TaskObj::new(plus_base, (10, 20));
    erased.submit_task(task).unwrap();
    let got = smol::block_on(async {
        (
            pool.submit(volume, (2, 3, 4)).await,
            pool.submit(plus_base, (1, 2)).await,
            pool.try_submit(plus_base, (0, 0)).unwrap().await,
            via_dyn.await,
            pool.submit(|a: u8, b: u8, c: u8, d: u8| [d, c, b, a], (1, 2, 3, 4))
                .await,
        )
    });
    assert_eq!(got, (Ok(24), Ok(10), Ok(7), Ok(37), Ok([4, 3, 2, 1])));
    let panicked =
        smol::block_on(pool.submit(|a: u64, b: u64| -> u64 { panic!("{a}/{b}") }, (1, 0)));
    assert!(
        matches!(panicked, Err(Error::Panicked { ref message, .. }) if message == "1/0"),
        "{panicked:?}"
    );
}
