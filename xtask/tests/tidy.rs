//! Repository rules, checked on every `cargo test` (and so by `cargo xtask ci`).
//!
//! The forbidden strings are assembled at run time so that this file does not
//! trip its own checks.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is one level below the root")
        .to_path_buf()
}

/// Tracked files plus new files not ignored by `.gitignore`, that exist.
fn files() -> Vec<PathBuf> {
    let out = Command::new("git")
        .args([
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            "-z",
        ])
        .current_dir(root())
        .output()
        .expect("git is installed");
    assert!(
        out.status.success(),
        "git ls-files failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(out.stdout).expect("file names are UTF-8");
    let mut files: Vec<PathBuf> = list
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(|p| root().join(p))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files.dedup();
    assert!(!files.is_empty(), "git lists no files");
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Lines of `text` containing any of `needles`, as `path:line: text`.
fn offending(path: &Path, text: &str, needles: &[String]) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| needles.iter().any(|n| line.contains(n.as_str())))
        .map(|(i, line)| format!("{}:{}: {}", relative(path), i + 1, line.trim()))
        .collect()
}

#[test]
fn no_absolute_paths_of_this_machine() {
    let needles: Vec<String> = ["work", "root", "home"]
        .iter()
        .map(|d| format!("/{d}/"))
        .collect();
    let mut bad = Vec::new();
    for path in files() {
        if path.file_name().is_some_and(|n| n == "Cargo.lock") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        }; // binary
        bad.extend(offending(&path, &text, &needles));
    }
    assert!(
        bad.is_empty(),
        "absolute machine paths in tracked files:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_crate_uses_the_workspace_lints() {
    let mut crates = 0;
    let mut bad = Vec::new();
    for path in files() {
        if path.file_name().is_none_or(|n| n != "Cargo.toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("Cargo.toml is text");
        if !text.lines().any(|l| l.trim() == "[package]") {
            continue; // the workspace root
        }
        crates += 1;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let inherits = lines
            .windows(2)
            .any(|w| w[0] == "[lints]" && w[1].replace(' ', "") == "workspace=true");
        if !inherits {
            bad.push(relative(&path));
        }
    }
    assert!(crates >= 2, "found only {crates} crate manifests");
    assert!(
        bad.is_empty(),
        "crates without `[lints] workspace = true`: {}",
        bad.join(", ")
    );
}

#[test]
fn no_ignored_tests_or_placeholders() {
    let needles: Vec<String> = [("#[", "ignore"), ("todo", "!("), ("unimplemented", "!(")]
        .iter()
        .map(|(a, b)| format!("{a}{b}"))
        .collect();
    let mut bad = Vec::new();
    for path in files() {
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("Rust sources are UTF-8");
        bad.extend(offending(&path, &text, &needles));
    }
    assert!(
        bad.is_empty(),
        "ignored tests or placeholders:\n{}",
        bad.join("\n")
    );
}

/// Rust files that may pass the size budget, each with the reason.
const OVER_BUDGET: &[(&str, &str)] = &[];

/// The size budget of one Rust file, in lines: past it, split by concept.
const MAX_LINES: usize = 500;

fn rust_files() -> Vec<PathBuf> {
    files()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut bad = Vec::new();
    let mut seen = 0;
    for path in rust_files() {
        seen += 1;
        let text = std::fs::read_to_string(&path).expect("Rust sources are UTF-8");
        if !text.starts_with("//!") {
            bad.push(relative(&path));
        }
    }
    assert!(seen >= 10, "found only {seen} Rust files");
    assert!(
        bad.is_empty(),
        "Rust files that do not start with a `//!` doc saying what they hold:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_rust_file_keeps_to_the_size_budget() {
    let mut bad = Vec::new();
    for path in rust_files() {
        let name = relative(&path);
        if OVER_BUDGET.iter().any(|(allowed, _)| *allowed == name) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("Rust sources are UTF-8");
        let lines = text.lines().count();
        if lines > MAX_LINES {
            bad.push(format!("{name}: {lines} lines"));
        }
    }
    assert!(
        bad.is_empty(),
        "Rust files over {MAX_LINES} lines (split them by concept, or add one to \
         OVER_BUDGET with the reason):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_size_allow_list_holds_only_files_that_need_it() {
    // An entry whose file shrank under the budget, or went away, is stale.
    for (name, reason) in OVER_BUDGET {
        assert!(!reason.is_empty(), "{name}: the allow-list needs a reason");
        let path = root().join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            panic!("{name} is on the size allow-list but does not exist");
        };
        let lines = text.lines().count();
        assert!(
            lines > MAX_LINES,
            "{name} has {lines} lines, within the budget: take it off OVER_BUDGET"
        );
    }
}
