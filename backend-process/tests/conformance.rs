//! The concur conformance suite against `ProcessPool`: one test per scenario,
//! every scenario's tasks running in worker processes (this test binary,
//! re-executed). The scenarios run in parallel, as many at once as libtest runs
//! tests.

use concur_conformance::PoolConfig;
use concur_core::Error;
use concur_process::ProcessPool;

fn make(config: PoolConfig) -> Result<ProcessPool, Error> {
    ProcessPool::builder()
        .max_workers(config.max_workers)
        .max_queued(config.max_queued)
        .build()
}

concur_conformance::suite!(make);
