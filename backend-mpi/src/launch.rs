//! How a process learns its rank before `MPI_Init`, and the pre-main hook
//! that turns ranks 1..N-1 into workers.
//!
//! Launchers tell each process its rank in the environment: Open MPI's
//! `mpirun` sets `OMPI_COMM_WORLD_RANK`, PMIx launchers (Slurm's
//! `srun --mpi=pmix`, Open MPI 5) `PMIX_RANK`, MPICH's Hydra and Slurm's PMI-2
//! `PMI_RANK`. A process with none of them was not started by an MPI launcher.

use crate::worker;

/// The variables that carry the rank, in the order they are read.
pub(crate) const RANK_VARS: [&str; 3] = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"];

fn first_number(vars: &[&str]) -> Option<u32> {
    vars.iter()
        .find_map(|v| std::env::var(v).ok())
        .and_then(|s| s.trim().parse().ok())
}

/// This process's rank as its launcher announced it; `None` outside a launcher.
pub(crate) fn launcher_rank() -> Option<u32> {
    first_number(&RANK_VARS)
}

/// True if this process was started by an MPI launcher (`mpirun`, `srun`,
/// `mpiexec`), so that an [`MpiPool`](crate::MpiPool) can be built here — on
/// rank 0, since the other ranks never reach `main`.
///
/// ```
/// if !concur_mpi::launched() {
///     eprintln!("start me with `mpirun -n 3` to use the MPI pool");
/// }
/// ```
pub fn launched() -> bool {
    launcher_rank().is_some()
}

/// The pre-main hook: a rank other than 0 becomes a worker and never returns
/// to `main` (nor to a test harness's `main`).
#[ctor::ctor(unsafe)]
fn intercept() {
    if launcher_rank().is_some_and(|r| r > 0) {
        worker::worker_main();
    }
}

/// Keeps the pre-main hook linked: pools call it, so the object holding
/// [`intercept`] (and its `.init_array` entry) is part of every binary that
/// builds a pool.
pub(crate) fn keep_hook() {
    std::hint::black_box(intercept as fn());
}

/// Becomes a worker on ranks 1..N-1; returns at once on rank 0 and outside
/// an MPI launcher.
///
/// The ranks other than 0 are normally turned into workers before `main` by a
/// pre-main hook of this crate, so calling `init` is not needed. It is the
/// fallback for link setups where the hook does not run: call it first thing
/// in `main`, before the program starts threads.
///
/// ```
/// // First thing in `main`: returns at once on rank 0 and without mpirun.
/// concur_mpi::init();
/// // ... build an MpiPool, submit tasks ...
/// ```
pub fn init() {
    keep_hook();
    if launcher_rank().is_some_and(|r| r > 0) {
        worker::worker_main();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rank_comes_from_the_launcher_variables() {
        // Under `cargo test` without mpirun none is set (the conformance
        // suite relaunches itself under mpirun; unit tests do not).
        if RANK_VARS.iter().all(|v| std::env::var_os(v).is_none()) {
            assert_eq!(launcher_rank(), None);
        } else {
            assert_eq!(launcher_rank(), Some(0), "unit tests run on rank 0 only");
        }
    }
}
