//! One construction vocabulary across the pools: `new(max_workers)` refusing
//! 0 with the same `InvalidConfig`, `builder().max_workers(n)`, and one
//! `max_queued` that takes a `usize` or an `Option<usize>` — on the thread
//! and async pools and on `concur::Pool`. (The process pool's constructor is
//! tested in its own crate; the MPI pool's size is `mpirun`'s.)

#[cfg(any(feature = "threads", feature = "async"))]
use concur::Error;
use concur::{Backend, Executor, Pool};

/// The message `ThreadPool::new(0)` refuses with: every pool says the same.
#[cfg(any(feature = "threads", feature = "async"))]
fn refuses_zero_workers<P: std::fmt::Debug>(built: Result<P, Error>) {
    let err = built.expect_err("0 workers");
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
    assert!(
        err.to_string().contains("max_workers must be at least 1"),
        "{err}"
    );
}

#[cfg(feature = "threads")]
#[test]
fn thread_pool_new_builder_and_max_queued() {
    use concur::threads::ThreadPool;
    assert_eq!(ThreadPool::new(3).unwrap().max_workers(), 3);
    refuses_zero_workers(ThreadPool::new(0));
    refuses_zero_workers(ThreadPool::builder().max_workers(0).build());
    for pool in [
        ThreadPool::builder().max_workers(2).max_queued(4).build(),
        ThreadPool::builder()
            .max_workers(2)
            .max_queued(Some(4))
            .build(),
    ] {
        assert_eq!(pool.unwrap().max_workers(), 2);
    }
    assert!(ThreadPool::builder().max_queued(None).build().is_ok());
}

#[cfg(feature = "async")]
#[test]
fn async_pool_new_builder_and_max_queued() {
    use concur::asyncio::AsyncPool;
    assert_eq!(AsyncPool::new(3).unwrap().max_workers(), 3);
    refuses_zero_workers(AsyncPool::new(0));
    refuses_zero_workers(AsyncPool::builder().max_workers(0).build());
    for pool in [
        AsyncPool::builder().max_workers(2).max_queued(4).build(),
        AsyncPool::builder()
            .max_workers(2)
            .max_queued(Some(4))
            .build(),
    ] {
        assert_eq!(pool.unwrap().max_workers(), 2);
    }
    assert!(AsyncPool::builder().max_queued(None).build().is_ok());
}

#[test]
fn pool_builder_max_queued_takes_a_number_or_an_option() {
    // Built only where the backend is compiled in; the signatures are checked
    // in every build.
    let builders = [
        Pool::builder(Backend::Threads).max_workers(1).max_queued(4),
        Pool::builder(Backend::Threads)
            .max_workers(1)
            .max_queued(Some(4)),
        Pool::builder(Backend::Threads)
            .max_workers(1)
            .max_queued(None),
    ];
    for b in builders {
        if Backend::Threads.is_enabled() {
            assert_eq!(b.build().unwrap().max_workers(), 1);
        } else {
            assert!(b.build().is_err());
        }
    }
}
