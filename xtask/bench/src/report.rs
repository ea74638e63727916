//! Output of the harness: the figures derived across implementations (time
//! ratios to an anchor, W3's speedups, W5's efficiency), the JSON lines, the
//! markdown table and the headlines; the chart is [`crate::chart`].

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::record::Record;
use crate::workloads;

/// Adds what compares a record with another of the same workload:
/// `time_vs_anchor` (its median time per unit over its anchor's, so runs of
/// different sizes compare: below 1 is faster), W3's
/// `speedup` over `serial` (Python's records bring their own), and W5's
/// `efficiency` (ideal over median).
pub(crate) fn derive(records: &mut [Record]) {
    let seconds_of = |records: &[Record], workload: &str, imp: &str| {
        records
            .iter()
            .find(|r| r.workload == workload && r.imp == imp)
            .map(|r| r.seconds)
    };
    for i in 0..records.len() {
        let r = &records[i];
        // Per unit: an anchor may run fewer items (procspawn's W1 does).
        let anchor = r.text("anchor").and_then(|a| {
            records
                .iter()
                .find(|x| x.workload == r.workload && x.imp == a)
                .map(|x| x.seconds / x.n.max(1) as f64)
        });
        let serial = (r.workload == "W3" && r.imp != "serial" && !r.imp.starts_with("python"))
            .then(|| seconds_of(records, "W3", "serial"))
            .flatten();
        let ideal = r.number("ideal_seconds");
        let r = &mut records[i];
        if let Some(anchor) = anchor {
            r.extra.insert(
                "time_vs_anchor".into(),
                json!(three_digits(r.seconds / r.n.max(1) as f64 / anchor)),
            );
        }
        if let Some(serial) = serial {
            r.extra
                .insert("speedup".into(), json!(two_decimals(serial / r.seconds)));
        }
        if let Some(ideal) = ideal {
            r.extra
                .insert("efficiency".into(), json!(two_decimals(ideal / r.seconds)));
        }
    }
}

/// One line per figure the issues follow: W1 concur-threads against rayon's two
/// bodies, the W3 speedup of each implementation, and the contaminated figures.
pub(crate) fn headlines(records: &[Record]) -> Vec<String> {
    let find = |w: &str, imp: &str| records.iter().find(|r| r.workload == w && r.imp == imp);
    let mut lines = Vec::new();
    if let Some(c) = find("W1", "concur-threads") {
        for rayon in ["rayon-spawn-channel", "rayon-spawn-oneshot"] {
            if let Some(r) = find("W1", rayon) {
                lines.push(format!(
                    "W1: concur-threads {} tasks/s, {rayon} {} tasks/s: {:.2}x the time",
                    grouped(c.per_sec),
                    grouped(r.per_sec),
                    c.seconds / r.seconds
                ));
            }
        }
    }
    let speedups: Vec<String> = records
        .iter()
        .filter(|r| r.workload == "W3")
        .filter_map(|r| Some(format!("{} {}x", r.imp, r.extra.get("speedup")?)))
        .collect();
    if !speedups.is_empty() {
        lines.push(format!("W3 speedup over serial: {}", speedups.join(", ")));
    }
    let contaminated: Vec<String> = records
        .iter()
        .filter(|r| r.extra.get("contaminated") == Some(&Value::Bool(true)))
        .map(|r| format!("{} {}", r.workload, r.imp))
        .collect();
    if !contaminated.is_empty() {
        lines.push(format!(
            "contaminated (other processes, or the hypervisor's steal, took more than {} of a core meanwhile): {} of {} figures: {}",
            crate::cpu::CONTAMINATED,
            contaminated.len(),
            records.len(),
            contaminated.join(", ")
        ));
    }
    lines
}

/// `x` rounded to three significant digits (ratios far below 1 stay readable).
pub(crate) fn three_digits(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(2 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn two_decimals(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Writes `results.jsonl`, `results.md` and `chart.svg` under `dir`; returns the table.
///
/// # Errors
///
/// When a file cannot be written or the chart cannot be drawn.
pub(crate) fn write_all(dir: &Path, records: &[Record]) -> Result<String, String> {
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    std::fs::create_dir_all(dir).map_err(|e| io("create the directory", e))?;
    let jsonl: String = records
        .iter()
        .map(|r| format!("{}\n", r.to_json()))
        .collect();
    std::fs::write(dir.join("results.jsonl"), jsonl).map_err(|e| io("results.jsonl", e))?;
    let table = markdown(records);
    std::fs::write(dir.join("results.md"), &table).map_err(|e| io("results.md", e))?;
    crate::chart::draw(&dir.join("chart.svg"), records)?;
    Ok(table)
}

/// The extras that have a column of their own (or are not worth showing).
const COLUMNS: &[&str] = &[
    "min_seconds",
    "max_seconds",
    "reps",
    "unit",
    "ns_per_unit",
    "cpu_ns_per_unit",
    "allocs_per_unit",
    "bytes_per_unit",
    "anchor",
    "time_vs_anchor",
    "others_cpu",
    "steal_cpu",
    "contaminated",
];

/// The other extras, for the notes column.
fn notes(r: &Record) -> String {
    let mut parts = Vec::new();
    for (k, v) in &r.extra {
        if COLUMNS.contains(&k.as_str()) {
            continue;
        }
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        parts.push(format!("{k}: {v}"));
    }
    parts.join("; ")
}

/// A count with thousands separators: 1234567 -> "1 234 567".
pub(crate) fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A per-unit figure: grouped when large, three digits when small, `—` when absent.
fn per_unit(r: &Record, key: &str) -> String {
    match r.number(key) {
        Some(x) if x >= 1000.0 => grouped(x),
        Some(x) => three_digits(x).to_string(),
        None => "—".into(),
    }
}

/// `0.31× rayon-spawn-channel`, or `—`.
fn versus(r: &Record) -> String {
    match (r.number("time_vs_anchor"), r.text("anchor")) {
        (Some(ratio), Some(anchor)) => format!("{ratio}× {anchor}"),
        _ => "—".into(),
    }
}

/// Other processes' CPU meanwhile, in cores, and the hypervisor's steal when
/// there was any; flagged past the threshold.
fn others(r: &Record) -> String {
    let Some(cores) = r.number("others_cpu") else {
        return "—".into();
    };
    let text = match r.number("steal_cpu") {
        Some(steal) if steal > 0.0 => format!("{cores:.2} + steal {steal:.2}"),
        _ => format!("{cores:.2}"),
    };
    if r.extra.get("contaminated") == Some(&Value::Bool(true)) {
        format!("**{text} ⚠**")
    } else {
        text
    }
}

/// The markdown table, one row per record, grouped by workload.
pub(crate) fn markdown(records: &[Record]) -> String {
    let mut out = String::from(
        "| workload | impl | n | median s | min s | max s | per sec | ns/unit | CPU ns/unit | allocs/unit | bytes/unit | time vs anchor | others' CPU (cores) | notes |\n\
         |---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|---|\n",
    );
    for workload in present(records) {
        for r in records.iter().filter(|r| r.workload == workload) {
            let (min, max) = r.min_max();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.workload,
                r.imp,
                r.n,
                r.seconds,
                min,
                max,
                grouped(r.per_sec),
                per_unit(r, "ns_per_unit"),
                per_unit(r, "cpu_ns_per_unit"),
                per_unit(r, "allocs_per_unit"),
                per_unit(r, "bytes_per_unit"),
                versus(r),
                others(r),
                notes(r)
            );
        }
    }
    out
}

/// The workloads present, in WORKLOADS.md's order (unknown ids last).
pub(crate) fn present(records: &[Record]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for r in records {
        if !seen.contains(&r.workload) {
            seen.push(r.workload.clone());
        }
    }
    let rank = |w: &String| {
        workloads::ids()
            .iter()
            .position(|id| id == w)
            .unwrap_or(usize::MAX)
    };
    seen.sort_by_key(rank);
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Sample;
    use crate::runner::contamination;

    fn record(workload: &str, imp: &str, seconds: f64) -> Record {
        Record::new(workload, imp, 1000, Sample::of(&[seconds]))
    }

    #[test]
    fn derived_figures_compare_within_a_workload() {
        let mut records = vec![
            record("W1", "concur-threads", 0.5).with("anchor", "rayon-spawn-channel"),
            record("W1", "rayon-spawn-channel", 2.0),
            record("W2", "concur-threads", 1.0).with("anchor", "rayon-spawn-channel"),
            record("W3", "serial", 2.0),
            record("W3", "concur-threads", 1.0),
            record("W3", "python-threadpool", 1.0).with("speedup", 1.01),
            record("W5", "concur-async", 0.02).with("ideal_seconds", 0.01),
        ];
        derive(&mut records);
        assert_eq!(records[0].number("time_vs_anchor"), Some(0.25));
        assert!(records[1].number("time_vs_anchor").is_none());
        // An anchor from another workload is no anchor.
        assert!(records[2].number("time_vs_anchor").is_none());
        assert!(records[3].number("speedup").is_none());
        assert_eq!(records[4].number("speedup"), Some(2.0));
        // An anchor that ran fewer items is compared per item.
        let mut sized = vec![
            Record::new("W1", "concur-process", 20_000, Sample::of(&[0.4]))
                .with("anchor", "procspawn-pool"),
            Record::new("W1", "procspawn-pool", 5_000, Sample::of(&[0.4])),
        ];
        derive(&mut sized);
        assert_eq!(sized[0].number("time_vs_anchor"), Some(0.25));
        assert_eq!(records[5].number("speedup"), Some(1.01));
        assert_eq!(records[6].number("efficiency"), Some(0.5));
    }

    #[test]
    fn the_table_has_a_row_per_record_and_flags_contamination() {
        let mut records = vec![
            record("W3", "serial", 2.0),
            contamination(
                record("W1", "concur-threads", 0.5)
                    .with("anchor", "rayon-spawn-channel")
                    .with("ns_per_unit", 500_000.0)
                    .with("allocs_per_unit", 1.02)
                    .with("workers", 2),
                0.9,
                1.0,
            ),
            contamination(record("W1", "rayon-spawn-channel", 1.0), 0.0, 1.0),
        ];
        derive(&mut records);
        let table = markdown(&records);
        // The hypervisor's steal shows beside the others' CPU, and flags.
        let stolen = markdown(&[crate::runner::steal(
            contamination(record("W2", "rayon-par-iter", 1.0), 0.01, 1.0),
            0.3,
            1.0,
        )]);
        assert!(stolen.contains("| **0.01 + steal 0.30 ⚠** |"), "{stolen}");
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2 + 3);
        // W1 before W3, whatever the order of the records.
        assert!(
            lines[2].starts_with("| W1 | concur-threads | 1000 | 0.5000 |"),
            "{table}"
        );
        assert!(
            lines[2].contains(
                "| 500 000 | — | 1.02 | — | 0.5× rayon-spawn-channel | **0.90 ⚠** | workers: 2 |"
            ),
            "{table}"
        );
        assert!(lines[3].ends_with("| — | 0.00 |  |"), "{table}");
        assert!(lines[4].starts_with("| W3 | serial |"), "{table}");
        let heads = headlines(&records);
        assert_eq!(
            heads[0],
            "W1: concur-threads 2 000 tasks/s, rayon-spawn-channel 1 000 tasks/s: 0.50x the time"
        );
        assert!(
            heads[1].contains("1 of 3 figures: W1 concur-threads"),
            "{heads:?}"
        );
    }

    #[test]
    fn numbers_are_rounded_for_reading() {
        assert_eq!(grouped(1234567.0), "1 234 567");
        assert_eq!(grouped(12.4), "12");
        assert_eq!(three_digits(0.0123456), 0.0123);
        assert_eq!(three_digits(1.7345), 1.73);
        assert_eq!(three_digits(0.0), 0.0);
    }
}
