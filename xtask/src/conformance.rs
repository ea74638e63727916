//! `cargo xtask conformance`: the conformance suite against every backend.
//!
//! A backend takes part by having `tests/conformance.rs` (a test target named
//! `conformance`, made of `concur_conformance::suite!`): it is found through
//! `cargo metadata`, so a new backend needs no edit here. The third-party proof
//! is `core/conformance/tests/third_party.rs`. Each scenario is a `#[test]`;
//! the counts come from libtest's own `test result: ... N passed; M failed`
//! line, printed as `conformance <backend>: N passed, M failed`. The backends
//! in `REQUIRED` must be among them: a suite that vanished is a failure.

use crate::util::{Captured, capture, cargo, metadata};

/// Backends whose line must appear: a suite that vanished is a failure, not a skip.
const REQUIRED: &[&str] = &["threads", "third-party"];

/// One cargo run of a conformance test target.
#[derive(Debug)]
struct Suite {
    /// The name in the summary line: the package without `concur-`.
    backend: String,
    args: Vec<String>,
}

/// The runs: every package with a `conformance` test target, then the
/// conformance crate's own `third_party` test when it exists.
fn suites() -> Result<Vec<Suite>, String> {
    let meta = metadata()?;
    let packages = meta["packages"]
        .as_array()
        .ok_or("cargo metadata: no `packages`")?;
    let mut suites = Vec::new();
    let mut third_party = None;
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default().to_string();
        let tests = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|k| k == "test"))
            });
        for target in tests {
            match target["name"].as_str() {
                Some("conformance") => suites.push(Suite {
                    backend: name.strip_prefix("concur-").unwrap_or(&name).to_string(),
                    args: words(&format!("test -p {name} --all-features --test conformance")),
                }),
                Some("third_party") if name == "concur-conformance" => {
                    third_party = Some(Suite {
                        backend: "third-party".to_string(),
                        args: words("test -p concur-conformance --test third_party"),
                    });
                }
                _ => {}
            }
        }
    }
    suites.sort_by(|a, b| a.backend.cmp(&b.backend));
    suites.extend(third_party);
    Ok(suites)
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

/// The counts of libtest's `test result: ok. N passed; M failed; ...` line.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    passed: u64,
    failed: u64,
}

/// The counts of the one test binary `output` comes from; `None` unless exactly
/// one summary line is there (a second would be another binary's).
fn parse_result(output: &str) -> Option<Counts> {
    let mut lines = output.lines().filter_map(parse_result_line);
    let first = lines.next()?;
    lines.next().is_none().then_some(first)
}

fn parse_result_line(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_verdict, counts) = rest.split_once(". ")?;
    let mut parts = counts.split("; ");
    let passed = parts.next()?.strip_suffix(" passed")?.parse().ok()?;
    let failed = parts.next()?.strip_suffix(" failed")?.parse().ok()?;
    Some(Counts { passed, failed })
}

/// Runs every suite, prints one line per backend.
///
/// # Errors
///
/// When a cargo run fails (its output is shown), runs no scenario or no single
/// test binary, or reports a failed scenario.
pub(crate) fn run() -> Result<(), String> {
    let suites = suites()?;
    if suites.is_empty() {
        return Err("no crate has tests/conformance.rs".into());
    }
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for suite in &suites {
        let out: Captured = capture(cargo(&suite.args))?;
        let counts = parse_result(&out.stdout);
        let command = format!("cargo {}", suite.args.join(" "));
        let ran = counts.as_ref().is_some_and(|c| c.passed + c.failed > 0);
        if !out.success || !ran || counts.as_ref().is_some_and(|c| c.failed > 0) {
            eprintln!(
                "---- output of `{command}` ----\n{}---- end ----",
                out.all()
            );
        }
        if !out.success {
            problems.push(format!("`{command}` failed ({})", out.status));
        }
        match counts {
            None => problems.push(format!(
                "`{command}` printed not exactly one `test result:` line"
            )),
            Some(c) => {
                if c.passed + c.failed == 0 {
                    problems.push(format!("`{command}` ran no scenario"));
                }
                if c.failed > 0 {
                    problems.push(format!(
                        "backend `{}`: {} scenario(s) failed",
                        suite.backend, c.failed
                    ));
                }
                lines.push(format!(
                    "conformance {}: {} passed, {} failed",
                    suite.backend, c.passed, c.failed
                ));
            }
        }
    }
    for line in &lines {
        println!("{line}");
    }
    for backend in REQUIRED {
        if !lines
            .iter()
            .any(|l| l.starts_with(&format!("conformance {backend}: ")))
        {
            problems.push(format!(
                "no `conformance {backend}: ...` line: is its conformance test gone?"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libtest_summary_line() {
        let out = "running 86 tests\ntest cancel::cancel_running_fails ... ok\n\n\
             test result: ok. 86 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.50s\n";
        assert_eq!(
            parse_result(out),
            Some(Counts {
                passed: 86,
                failed: 0
            })
        );
        let failed =
            "test result: FAILED. 84 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_result(failed).map(|c| c.failed), Some(2));
        assert_eq!(parse_result("test cancel::x ... ok"), None);
        assert_eq!(
            parse_result("test result: ok. many passed; 0 failed; 0 ignored"),
            None
        );
        // Two binaries' lines: the counts would be ambiguous.
        assert_eq!(parse_result(&format!("{failed}\n{failed}\n")), None);
    }
}
