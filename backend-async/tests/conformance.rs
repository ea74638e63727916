//! The concur conformance suite against `AsyncPool`: one test per scenario.

use concur_async::AsyncPool;
use concur_conformance::PoolConfig;
use concur_core::Error;

fn make(config: PoolConfig) -> Result<AsyncPool, Error> {
    AsyncPool::builder()
        .max_workers(config.max_workers)
        .max_queued(config.max_queued)
        .build()
}

concur_conformance::suite!(make);

// The closure-map scenarios every in-process pool shares.
concur_conformance::closure_map_suite!(|n| AsyncPool::new(n).expect("a pool of n threads"));
