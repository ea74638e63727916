//! The concur conformance suite against `AsyncPool`.

use concur_async::AsyncPool;

#[test]
fn conformance() {
    let report = concur_core::conformance::run("async", |cfg| {
        AsyncPool::builder()
            .threads(cfg.max_workers)
            .max_queued(cfg.max_queued)
            .build()
    });
    report.print();
    report.assert_all_passed();
}
