//! `cargo xtask conformance`: the conformance suite against every backend.
//!
//! A backend takes part by having `tests/conformance.rs` (a test target named
//! `conformance`): it is found through `cargo metadata`, so a new backend needs no
//! edit here. The third-party proof is `core/tests/third_party.rs`. Each run must
//! print at least one `conformance <backend>: N passed, M failed` line, and the
//! lines of the backends in `REQUIRED` must be among them.

use crate::util::{Captured, capture, cargo, metadata};

/// Backends whose line must appear: a suite that vanished is a failure, not a skip.
const REQUIRED: &[&str] = &["threads", "third-party"];

/// One cargo run of a conformance test target.
#[derive(Debug)]
struct Suite {
    package: String,
    args: Vec<String>,
}

/// The runs: every package with a `conformance` test target, then core's
/// `third_party` test when it exists.
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
                    args: words(&format!(
                        "test -p {name} --all-features --test conformance -- --nocapture"
                    )),
                    package: name.clone(),
                }),
                Some("third_party") if name == "concur-core" => {
                    third_party = Some(Suite {
                        args: words(
                            "test -p concur-core --features conformance --test third_party -- --nocapture",
                        ),
                        package: name.clone(),
                    });
                }
                _ => {}
            }
        }
    }
    suites.sort_by(|a, b| a.package.cmp(&b.package));
    suites.extend(third_party);
    Ok(suites)
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

/// A `conformance <backend>: N passed, M failed` line.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    backend: String,
    passed: u64,
    failed: u64,
}

/// Every distinct summary line of `output` (a failing suite prints its line
/// again in its panic message).
fn parse_summaries(output: &str) -> Vec<Summary> {
    let mut found: Vec<Summary> = Vec::new();
    for summary in output.lines().filter_map(parse_summary) {
        if !found.contains(&summary) {
            found.push(summary);
        }
    }
    found
}

fn parse_summary(line: &str) -> Option<Summary> {
    let rest = &line[line.find("conformance ")? + "conformance ".len()..];
    let (backend, counts) = rest.split_once(": ")?;
    if backend.is_empty() || backend.contains(char::is_whitespace) {
        return None;
    }
    let (passed, failed) = counts.trim().split_once(", ")?;
    let passed = passed.strip_suffix(" passed")?.parse().ok()?;
    let failed = failed.strip_suffix(" failed")?.parse().ok()?;
    Some(Summary {
        backend: backend.to_string(),
        passed,
        failed,
    })
}

/// Runs every suite, prints one line per backend.
///
/// # Errors
///
/// When a cargo run fails (its output is shown), prints no summary line, or
/// reports a failed scenario.
pub(crate) fn run() -> Result<(), String> {
    let suites = suites()?;
    if suites.is_empty() {
        return Err("no crate has tests/conformance.rs".into());
    }
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for suite in &suites {
        let out: Captured = capture(cargo(&suite.args))?;
        let summaries = parse_summaries(&out.all());
        let command = format!("cargo {}", suite.args.join(" "));
        if !out.success || summaries.is_empty() || summaries.iter().any(|s| s.failed > 0) {
            eprintln!(
                "---- output of `{command}` ----\n{}---- end ----",
                out.all()
            );
        }
        if !out.success {
            problems.push(format!("`{command}` failed ({})", out.status));
        }
        if summaries.is_empty() {
            problems.push(format!(
                "`{command}` printed no `conformance <backend>: N passed, M failed` line"
            ));
        }
        for s in summaries {
            if s.failed > 0 {
                problems.push(format!(
                    "backend `{}`: {} scenario(s) failed",
                    s.backend, s.failed
                ));
            }
            lines.push(format!(
                "conformance {}: {} passed, {} failed",
                s.backend, s.passed, s.failed
            ));
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
    fn parses_the_summary_line() {
        let out = "running 1 test\nconformance threads: 41 passed, 0 failed\ntest conformance ... ok\n\
             panicked at: conformance threads: 41 passed, 0 failed\n";
        assert_eq!(
            parse_summaries(out),
            vec![Summary {
                backend: "threads".into(),
                passed: 41,
                failed: 0
            }]
        );
        assert_eq!(
            parse_summary("conformance third-party: 3 passed, 2 failed").map(|s| s.failed),
            Some(2)
        );
        assert_eq!(parse_summary("test conformance ... ok"), None);
        assert_eq!(
            parse_summary("conformance threads: many passed, 0 failed"),
            None
        );
    }
}
