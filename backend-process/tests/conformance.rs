//! The concur conformance suite against `ProcessPool`: every scenario's task runs
//! in a worker process (this test binary, re-executed).

use concur_process::ProcessPool;

#[test]
fn conformance() {
    let report = concur_core::conformance::run("process", |cfg| {
        ProcessPool::builder()
            .max_workers(cfg.max_workers)
            .max_queued(cfg.max_queued)
            .build()
    });
    report.print();
    report.assert_all_passed();
}
