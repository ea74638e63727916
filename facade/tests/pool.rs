//! `concur::Pool` on every backend: the ones compiled in run tasks (the process
//! backend too: this test binary is re-executed as its workers, intercepted by
//! concur-process's pre-main hook), the others are refused with an error that
//! names the feature. `cargo xtask features` runs this file under every
//! feature combination, so both branches are exercised.

use concur::prelude::*;
use concur::{Backend, PoolBuilder};

fn square(x: u64) -> u64 {
    x * x
}

fn boom(_: ()) -> u8 {
    panic!("boom")
}

/// True when the MPI pool is compiled in and this test runs under `mpirun`.
fn under_mpi_launcher() -> bool {
    #[cfg(all(feature = "mpi", concur_mpi))]
    return concur::mpi::launched();
    #[cfg(not(all(feature = "mpi", concur_mpi)))]
    return false;
}

#[test]
fn every_backend_runs_tasks_or_names_its_feature() {
    for backend in Backend::ALL {
        let built = Pool::builder(backend).max_workers(2).build();
        if backend == Backend::Mpi && backend.is_enabled() && !under_mpi_launcher() {
            // Compiled in, but this process was not started by mpirun.
            let err = built.expect_err("an MPI pool outside mpirun");
            assert!(
                matches!(&err, Error::InvalidConfig { message } if message.contains("mpirun -n N")),
                "{err:?}"
            );
        } else if backend.is_enabled() {
            let pool = built.unwrap_or_else(|e| panic!("{backend}: {e}"));
            assert_eq!(pool.backend(), Some(backend));
            assert_eq!(pool.max_workers(), 2, "{backend}");
            assert_eq!(pool.submit(square, 12).result(None), Ok(144), "{backend}");
            let squares: Vec<u64> = pool
                .map(square, 0..10u64, MapOptions::new().chunksize(3))
                .expect("valid options")
                .collect::<Result<_, _>>()
                .expect("square does not fail");
            assert_eq!(squares, (0..10u64).map(|x| x * x).collect::<Vec<_>>());
            let err = pool.submit(boom, ()).result(None).unwrap_err();
            assert!(
                matches!(&err, Error::Panicked { message, .. } if message == "boom"),
                "{backend}: {err:?}"
            );
            pool.shutdown(true, false);
            assert_eq!(pool.submit(square, 1).result(None), Err(Error::Shutdown));
        } else {
            let err = built.expect_err("a backend that is not compiled in");
            let expected = format!("enable the \"{}\" feature of concur", backend.feature());
            assert!(
                matches!(&err, Error::InvalidConfig { message } if message.contains(&expected)),
                "{backend}: {err:?}"
            );
        }
    }
}

#[test]
fn zero_workers_is_refused_by_every_enabled_backend() {
    for backend in Backend::enabled() {
        if backend == Backend::Mpi && !under_mpi_launcher() {
            continue;
        }
        let err = Pool::builder(backend).max_workers(0).build().unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig { .. }),
            "{backend}: {err:?}"
        );
    }
}

#[test]
fn debug_names_the_backend() {
    for backend in Backend::enabled() {
        if backend == Backend::Mpi && !under_mpi_launcher() {
            continue;
        }
        let builder: PoolBuilder = Pool::builder(backend).max_workers(1).max_queued(4);
        let pool = builder.build().expect("a valid pool");
        let shown = format!("{pool:?}");
        assert!(shown.contains(&format!("{backend:?}")), "{shown}");
    }
}

#[test]
fn backend_flag_parsing() {
    assert_eq!("async".parse::<Backend>(), Ok(Backend::Async));
    let err = "gpu".parse::<Backend>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown backend `gpu`: expected one of threads, process, async, mpi"
    );
}
