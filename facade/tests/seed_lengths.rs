//! Each example that ports a Python program of the articles concur grew from
//! stays at most 1.2× the lines of its original: `examples/<name>.rs` against
//! `examples/python/<name>.py`. Lines of code are the lines that are neither
//! blank nor a comment (`//` lines in Rust, doc comments included; `#` lines
//! in Python), counted on the files as committed (rustfmt-formatted: CI checks
//! it). A local server an example needs lives in `examples/support/` and is
//! not counted. Run with `--nocapture` for the table.

use std::path::{Path, PathBuf};

/// The largest ratio allowed, as a fraction: 6/5 = 1.2.
const MAX_RATIO: (usize, usize) = (6, 5);

/// Examples with no Python original among the articles.
const WITHOUT_PYTHON: &[&str] = &["progress"];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Lines that are neither blank nor start (after indentation) with `comment`.
fn lines_of_code(text: &str, comment: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(comment))
        .count()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The examples with a Python original, by name: (name, Rust lines, Python lines).
fn measured() -> Vec<(String, usize, usize)> {
    let dir = examples_dir();
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(dir.join("python")).expect("examples/python") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "py") {
            continue;
        }
        let name = path
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let rust = lines_of_code(&read(&dir.join(format!("{name}.rs"))), "//");
        rows.push((name, rust, lines_of_code(&read(&path), "#")));
    }
    rows.sort();
    rows
}

#[test]
fn every_seed_example_is_at_most_1_2_times_its_python() {
    let rows = measured();
    println!("| example | Rust | Python | ratio |\n|---|---:|---:|---:|");
    for (name, rust, python) in &rows {
        println!(
            "| {name} | {rust} | {python} | {:.2} |",
            *rust as f64 / *python as f64
        );
    }
    let (num, den) = MAX_RATIO;
    let over: Vec<_> = rows
        .iter()
        .filter(|(_, rust, python)| rust * den > python * num)
        .collect();
    assert!(over.is_empty(), "over 1.2× their Python: {over:?}");
}

#[test]
fn every_example_has_its_python_or_says_it_has_none() {
    let with_python: Vec<String> = measured().into_iter().map(|(name, ..)| name).collect();
    for entry in std::fs::read_dir(examples_dir()).expect("examples/") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            assert!(
                with_python.contains(&name) || WITHOUT_PYTHON.contains(&name.as_str()),
                "examples/{name}.rs has no examples/python/{name}.py: add its Python original, \
                 or list it in WITHOUT_PYTHON"
            );
        }
    }
    for name in ["is_prime", "fetch", "callbacks", "primes", "pipeline"] {
        assert!(
            with_python.iter().any(|n| n == name),
            "{name}: its Python is missing"
        );
    }
}

#[test]
fn the_count_skips_blank_lines_and_comments() {
    let rust = "//! doc\n\nuse x;\n    // note\n/// item doc\nfn f() {} // trailing\n";
    assert_eq!(lines_of_code(rust, "//"), 2);
    let python = "# head\nimport x\n\n    # note\ndef f(): pass  # trailing\n";
    assert_eq!(lines_of_code(python, "#"), 2);
}
