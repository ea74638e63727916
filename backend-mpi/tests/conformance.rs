//! The concur conformance suite against `MpiPool`, one test per scenario, on
//! a real MPI job: the test binary relaunches itself under `mpirun -n 3` (see
//! `common`), rank 0 runs libtest and the scenarios — in parallel, so many
//! pools share the ranks at once — and every task runs on rank 1 or 2.

mod common;

use concur_conformance::PoolConfig;
use concur_core::Error;
use concur_mpi::MpiPool;

fn make(config: PoolConfig) -> Result<MpiPool, Error> {
    MpiPool::builder()
        .max_workers(config.max_workers)
        .max_queued(config.max_queued)
        .build()
}

concur_conformance::suite!(make);

/// The same suite through `Box<dyn Executor + Send>`, as `concur::Pool` holds
/// a backend: every task takes the type-erased path (`submit_task`,
/// `erased.rs`) instead of the typed one.
mod through_dyn {
    use concur_conformance::PoolConfig;
    use concur_core::backend::TaskObj;
    use concur_core::{Error, Executor, Stats};

    struct Dyn(Box<dyn Executor + Send>);

    impl Executor for Dyn {
        fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
            self.0.submit_task(task)
        }
        fn try_submit_task(&self, task: TaskObj) -> Result<(), Error> {
            self.0.try_submit_task(task)
        }
        fn max_workers(&self) -> usize {
            self.0.max_workers()
        }
        fn stats(&self) -> Stats {
            self.0.stats()
        }
        fn shutdown(&self, wait: bool, cancel_futures: bool) {
            self.0.shutdown(wait, cancel_futures);
        }
    }

    fn make(config: PoolConfig) -> Result<Dyn, Error> {
        Ok(Dyn(Box::new(super::make(config)?)))
    }

    concur_conformance::suite!(make);
}
