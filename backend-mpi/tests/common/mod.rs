//! Shared by the test binaries: a pre-main hook that relaunches the test
//! binary under `mpirun --oversubscribe -n 3` when it was started without an
//! MPI launcher (plain `cargo test`), so every test runs on a real MPI job:
//! rank 0 runs libtest, ranks 1 and 2 are workers.

use std::os::unix::process::CommandExt;

/// The ranks of the job the tests run on (rank 0 and two workers).
pub(crate) const RANKS: usize = 3;

/// Set in a child that must run outside any MPI launcher.
#[allow(dead_code)]
pub(crate) const NO_RELAUNCH: &str = "CONCUR_MPI_TEST_NO_RELAUNCH";

#[ctor::ctor(unsafe)]
fn relaunch_under_mpirun() {
    let launched = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    if launched || std::env::var_os(NO_RELAUNCH).is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut mpirun = std::process::Command::new("mpirun");
    mpirun
        .args(["--oversubscribe", "-n", &RANKS.to_string()])
        .arg(exe)
        .args(std::env::args_os().skip(1));
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // Open MPI refuses root unless told twice.
        mpirun
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    }
    let err = mpirun.exec();
    eprintln!(
        "cannot run the MPI tests: `mpirun` failed to start ({err}); install Open MPI \
         (Debian: apt-get install libopenmpi-dev openmpi-bin)"
    );
    std::process::exit(1);
}
