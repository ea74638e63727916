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
