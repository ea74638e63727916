//! The concur conformance suite, run against `ThreadPool`: one test per
//! scenario (`cargo test -p concur-threads --test conformance -- --list`).

use concur_conformance::PoolConfig;
use concur_core::Error;
use concur_threads::ThreadPool;

fn make(config: PoolConfig) -> Result<ThreadPool, Error> {
    ThreadPool::builder()
        .max_workers(config.max_workers)
        .max_queued(config.max_queued)
        .build()
}

concur_conformance::suite!(make);

// The closure-map scenarios every in-process pool shares.
concur_conformance::closure_map_suite!(|n| ThreadPool::new(n).expect("a pool of n workers"));
