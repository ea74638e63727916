//! `cargo xtask features`: the facade `concur` under every feature combination.
//!
//! The combinations are derived from the facade's `[features]` table (read
//! through `cargo metadata`): no default features, the defaults, all features,
//! each feature alone and every pair. A new feature in `facade/Cargo.toml` is
//! picked up with no edit here. Further checks (a downstream crate, ...) are
//! added to [`STEPS`].

use crate::util::{Step, cargo, exec, metadata, run_steps};

/// The package checked.
const FACADE: &str = "concur";

/// The steps of `cargo xtask features`, in order.
const STEPS: &[Step] = &[("check combos", check_combinations), ("doctests", doctests)];

/// Runs every step.
///
/// # Errors
///
/// The first step that fails.
pub(crate) fn run() -> Result<(), String> {
    run_steps("features", STEPS)
}

/// The facade's features, `default` left out, sorted.
fn facade_features() -> Result<Vec<String>, String> {
    let meta = metadata()?;
    let package = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == FACADE)
        .ok_or_else(|| format!("package `{FACADE}` not in the workspace"))?;
    let table = package["features"]
        .as_object()
        .ok_or("cargo metadata: no `features`")?;
    let mut names: Vec<String> = table.keys().filter(|k| *k != "default").cloned().collect();
    names.sort();
    Ok(names)
}

/// The `cargo check` flag sets: none, default, all, each alone, every pair.
fn combinations(features: &[String]) -> Vec<Vec<String>> {
    let flags = |set: &[&String]| {
        let list: Vec<&str> = set.iter().map(|s| s.as_str()).collect();
        vec![
            "--no-default-features".to_string(),
            "--features".to_string(),
            list.join(","),
        ]
    };
    let mut combos = vec![
        vec!["--no-default-features".to_string()],
        vec![],
        vec!["--all-features".to_string()],
    ];
    for (i, a) in features.iter().enumerate() {
        combos.push(flags(&[a]));
        for b in &features[i + 1..] {
            combos.push(flags(&[a, b]));
        }
    }
    combos
}

fn check_combinations() -> Result<(), String> {
    for flags in combinations(&facade_features()?) {
        let mut cmd = cargo(["check", "--quiet", "-p", FACADE]);
        cmd.args(&flags);
        exec(cmd)?;
    }
    Ok(())
}

fn doctests() -> Result<(), String> {
    exec(cargo(["test", "-p", FACADE, "--all-features", "--doc"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_cover_none_default_all_singles_and_pairs() {
        let features: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let combos = combinations(&features);
        // none, default, all + 3 singles + 3 pairs
        assert_eq!(combos.len(), 9);
        assert_eq!(combos[0], ["--no-default-features"]);
        assert!(combos[1].is_empty());
        assert!(combos.contains(&vec![
            "--no-default-features".into(),
            "--features".into(),
            "b,c".into()
        ]));
    }
}
