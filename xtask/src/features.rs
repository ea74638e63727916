//! `cargo xtask features`: the facade `concur` under every combination of its
//! features, by `cargo hack`, and a crate outside the workspace that depends on
//! it ([`crate::downstream`]).
//!
//! - `cargo hack check --feature-powerset` over the backend features: every
//!   subset of `threads`, `async`, `process` (`full` is all of them and
//!   `default` is `threads`, so both are left out of the set, not untested;
//!   `mpi` is checked by `cargo xtask mpi`). A new backend's feature is picked
//!   up with no edit here.
//! - The facade's tests (`tests/pool.rs`: a `Pool` on every backend compiled in,
//!   the error naming its feature otherwise) with no feature, each backend
//!   alone (`cargo hack test --each-feature`), and all of them. Pairs add
//!   nothing the singles do not, and each test build links every backend in it.
//! - Its doctests, with every feature.
//! - The downstream crate.
//!
//! cargo-hack is installed (`cargo install --locked`, the version below) when
//! `cargo hack` is not there yet: once per machine, about two minutes of
//! compiling on two cores.

use std::time::Instant;

use crate::util::{Step, capture, cargo, exec, run_steps};

/// The package checked.
const FACADE: &str = "concur";

/// Features left out of the sets: `default` and `full` name sets of others
/// rather than a backend of their own, and `mpi` does nothing unless the build
/// also has `--cfg concur_mpi` (`cargo xtask mpi` checks it, where Open MPI
/// is installed), so with it every combination would be checked twice.
const ALIASES: &str = "default,full,mpi";

/// The cargo-hack installed when there is none.
const CARGO_HACK_VERSION: &str = "0.6.46";

/// The steps of `cargo xtask features`, in order.
const STEPS: &[Step] = &[
    ("cargo-hack", ensure_cargo_hack),
    ("powerset", check_powerset),
    ("tests", test_each_feature),
    ("doctests", doctests),
    ("downstream", crate::downstream::run),
];

/// Runs every step.
///
/// # Errors
///
/// The first step that fails.
pub(crate) fn run() -> Result<(), String> {
    run_steps("features", STEPS)
}

/// Installs cargo-hack unless `cargo hack` already runs.
fn ensure_cargo_hack() -> Result<(), String> {
    let found = capture(cargo(["hack", "--version"]))?;
    if found.success {
        eprintln!("found {}", found.stdout.trim());
        return Ok(());
    }
    eprintln!("cargo-hack is not installed: installing {CARGO_HACK_VERSION} from the registry");
    let start = Instant::now();
    exec(cargo([
        "install",
        "cargo-hack",
        "--locked",
        "--version",
        CARGO_HACK_VERSION,
    ]))?;
    eprintln!(
        "cargo-hack installed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `cargo hack <args> -p concur <mode> --exclude-features default,full,mpi`.
fn hack(command: &[&str], mode: &str) -> std::process::Command {
    let mut cmd = cargo(["hack"]);
    cmd.args(command)
        .args(["-p", FACADE, mode, "--exclude-features", ALIASES]);
    cmd
}

fn check_powerset() -> Result<(), String> {
    exec(hack(&["check", "--quiet"], "--feature-powerset"))
}

fn test_each_feature() -> Result<(), String> {
    exec(hack(
        &["test", "--quiet", "--lib", "--tests"],
        "--each-feature",
    ))?;
    exec(cargo([
        "test",
        "--quiet",
        "-p",
        FACADE,
        "--all-features",
        "--lib",
        "--tests",
    ]))
}

fn doctests() -> Result<(), String> {
    exec(cargo(["test", "-p", FACADE, "--all-features", "--doc"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::display;

    #[test]
    fn hack_commands_cover_the_backends_not_their_aliases() {
        assert_eq!(
            display(&hack(&["check", "--quiet"], "--feature-powerset")),
            "cargo hack check --quiet -p concur --feature-powerset --exclude-features default,full,mpi"
        );
        assert!(STEPS.iter().any(|(name, _)| *name == "downstream"));
    }
}
