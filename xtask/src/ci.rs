//! `cargo xtask ci`: everything CI runs, in order, failing fast.
//!
//! The last step runs the facade's examples as the README shows them (in
//! debug, small sizes, each a few seconds) and checks what they print.

use crate::util::{Step, capture, cargo, exec, metadata, run_steps};

/// The steps of CI. Add a step here and it runs locally and in CI alike.
const STEPS: &[Step] = &[
    ("fmt", fmt),
    ("clippy", clippy),
    ("test", test),
    ("conformance", crate::conformance::run),
    ("features", crate::features::run),
    ("loom", crate::loom::ci),
    ("examples", examples),
    ("mpi", crate::mpi::run),
];

/// Runs every step; prints the time of each at the end.
///
/// # Errors
///
/// The first step that fails.
pub(crate) fn run() -> Result<(), String> {
    run_steps("ci", STEPS)
}

fn fmt() -> Result<(), String> {
    exec(cargo(["fmt", "--all", "--check"]))
}

fn clippy() -> Result<(), String> {
    exec(cargo([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test() -> Result<(), String> {
    exec(cargo(["test", "--workspace", "--all-features"]))
}

/// The examples run by CI: name, arguments, and lines their output must contain.
const EXAMPLES: &[(&str, &[&str], &[&str])] = &[
    ("is_prime", &[], &["1099726899285419 is prime: false"]),
    (
        "pipeline",
        &["--interrupt-after", "5"],
        &[
            "Tasks has been stopped! (after 5 results)",
            "\n5 results: [",
        ],
    ),
    (
        "callbacks",
        &[],
        &[
            "save http://www.cnblogs.com/linhaifeng parse res is 17426",
            "save https://www.python.org parse res is 48809",
            "save https://www.openstack.org parse res is 60632",
        ],
    ),
    ("progress", &[], &["500 tasks on 4 workers"]),
    (
        "fetch",
        &[],
        &[
            "http://www.foxnews.com/ page is 325699 bytes",
            "http://www.cnn.com/ page is 1146623 bytes",
            "http://www.bbc.co.uk/ page is 313091 bytes",
            "http://europe.wsj.com/ generated an exception: http status: 403",
            "http://some-made-up-domain.com/ generated an exception: ",
        ],
    ),
];

fn examples() -> Result<(), String> {
    // The README's first command, as written but in debug and smaller.
    let primes = capture(cargo([
        "run",
        "--quiet",
        "--example",
        "primes",
        "--features",
        "full",
        "--",
        "--limit",
        "2000",
    ]))?;
    check_output(
        "primes",
        &primes,
        &["| serial", "| threads", "| process", "| async"],
    )?;

    exec(cargo([
        "build",
        "--quiet",
        "-p",
        "concur",
        "--examples",
        "--all-features",
    ]))?;
    let dir = metadata()?["target_directory"]
        .as_str()
        .map(|t| std::path::Path::new(t).join("debug").join("examples"))
        .ok_or("cargo metadata: no `target_directory`")?;
    for (name, args, expected) in EXAMPLES {
        let mut cmd = std::process::Command::new(dir.join(name));
        cmd.args(*args);
        check_output(name, &capture(cmd)?, expected)?;
    }
    Ok(())
}

/// Fails unless the example succeeded and printed every `expected` fragment.
fn check_output(name: &str, out: &crate::util::Captured, expected: &[&str]) -> Result<(), String> {
    if !out.success {
        return Err(format!(
            "example `{name}` failed ({}):\n{}",
            out.status,
            out.all()
        ));
    }
    match expected.iter().find(|e| !out.stdout.contains(**e)) {
        Some(missing) => Err(format!(
            "example `{name}` did not print `{missing}`:\n{}",
            out.all()
        )),
        None => {
            eprintln!("example `{name}`: ok");
            Ok(())
        }
    }
}
