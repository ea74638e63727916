//! The concur conformance suite, run against `ThreadPool`.

use concur_core::conformance::{self, PoolConfig};
use concur_threads::ThreadPool;

#[test]
fn conformance() {
    let report = conformance::run("threads", |cfg: &PoolConfig| {
        ThreadPool::builder()
            .max_workers(cfg.max_workers)
            .max_queued(cfg.max_queued)
            .build()
    });
    report.print();
    report.assert_all_passed();
}
