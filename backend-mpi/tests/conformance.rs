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
    use concur_conformance::{Erased, PoolConfig};
    use concur_core::{Error, Executor};

    fn make(config: PoolConfig) -> Result<Erased<Box<dyn Executor + Send>>, Error> {
        Ok(Erased(Box::new(super::make(config)?)))
    }

    concur_conformance::suite!(make);
}
