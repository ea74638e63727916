//! Output of the harness: ratios between implementations, the JSON lines, the
//! markdown table and the SVG bar chart (hand-written, no plotting dependency).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::Record;

/// What each workload measures, for headings.
fn title(workload: &str) -> &'static str {
    match workload {
        "W1" => "overhead: submit + result of no-op tasks (tasks/s)",
        "W2" => "map-chunked: map(square, chunksize 1000) summed (items/s)",
        "W3" => "cpu-scaling: two count_primes(limit) tasks on 2 workers (limit / seconds)",
        "W4" => {
            "docs-is-prime: is_prime of 6 large numbers, map(chunksize 4), end to end (numbers/s)"
        }
        "W5" => "io-fanout: tasks each waiting 10 ms (tasks/s)",
        "W6" => "startup: create a 2-worker pool, run one task, shut down (pools/s)",
        "W7" => "crash: a task panics or aborts while others run",
        _ => "",
    }
}

/// Adds `vs_rayon` (per_sec over rayon's, same workload) to the W1 and W2
/// records, so the table shows the ratio the issue asks for.
pub(crate) fn derive_ratios(records: &mut [Record]) {
    for workload in ["W1", "W2"] {
        let rayon = records
            .iter()
            .find(|r| r.workload == workload && r.imp.starts_with("rayon"))
            .map(|r| r.per_sec);
        let Some(rayon) = rayon else { continue };
        for r in records
            .iter_mut()
            .filter(|r| r.workload == workload && !r.imp.starts_with("rayon"))
        {
            r.extra
                .insert("vs_rayon".into(), json!(three_digits(r.per_sec / rayon)));
        }
    }
}

/// One line per figure the issues ask for: W1 concur-threads vs rayon side by
/// side with the ratio, and the W3 speedup of each implementation.
pub(crate) fn headlines(records: &[Record]) -> Vec<String> {
    let find = |w: &str, imp: &str| records.iter().find(|r| r.workload == w && r.imp == imp);
    let mut lines = Vec::new();
    if let (Some(c), Some(r)) = (
        find("W1", "concur-threads"),
        find("W1", "rayon-spawn-oneshot"),
    ) {
        lines.push(format!(
            "W1: concur-threads {} tasks/s, rayon spawn+oneshot {} tasks/s: {:.2}x",
            grouped(c.per_sec),
            grouped(r.per_sec),
            c.per_sec / r.per_sec
        ));
    }
    let speedups: Vec<String> = records
        .iter()
        .filter(|r| r.workload == "W3")
        .filter_map(|r| Some(format!("{} {}x", r.imp, r.extra.get("speedup")?)))
        .collect();
    if !speedups.is_empty() {
        lines.push(format!("W3 speedup over serial: {}", speedups.join(", ")));
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

/// Writes `results.jsonl`, `results.md` and `chart.svg` under `dir`; returns the table.
pub(crate) fn write_all(dir: &Path, records: &[Record]) -> std::io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let jsonl: String = records
        .iter()
        .map(|r| format!("{}\n", r.to_json()))
        .collect();
    std::fs::write(dir.join("results.jsonl"), jsonl)?;
    let table = markdown(records);
    std::fs::write(dir.join("results.md"), &table)?;
    std::fs::write(dir.join("chart.svg"), svg(records))?;
    Ok(table)
}

/// The extras worth a column: everything but min/max/reps.
fn notes(r: &Record) -> String {
    let mut parts = Vec::new();
    for (k, v) in &r.extra {
        if matches!(k.as_str(), "min_seconds" | "max_seconds" | "reps") {
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
fn grouped(x: f64) -> String {
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

/// The markdown table, one row per record, grouped by workload.
pub(crate) fn markdown(records: &[Record]) -> String {
    let mut out = String::from(
        "| workload | impl | n | median s | min s | max s | per sec | notes |\n|---|---|--:|--:|--:|--:|--:|---|\n",
    );
    for workload in workloads(records) {
        for r in records.iter().filter(|r| r.workload == workload) {
            let (min, max) = r.min_max();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {} | {} |",
                r.workload,
                r.imp,
                r.n,
                r.seconds,
                min,
                max,
                grouped(r.per_sec),
                notes(r)
            );
        }
    }
    out
}

/// The workloads present, W1 first (suites run in registration order, so a
/// later suite's W4 may come before its W5 in the records).
fn workloads(records: &[Record]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for r in records {
        if !seen.contains(&r.workload) {
            seen.push(r.workload.clone());
        }
    }
    seen.sort_by_key(|w| {
        (
            w.trim_start_matches('W').parse::<u32>().unwrap_or(u32::MAX),
            w.clone(),
        )
    });
    seen
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Horizontal bars of `per_sec`, one group per workload (W7, a behaviour, is
/// left to the table), each scaled to the fastest implementation of its workload.
pub(crate) fn svg(records: &[Record]) -> String {
    const WIDTH: f64 = 900.0;
    const LABEL: f64 = 230.0;
    const BAR_MAX: f64 = 480.0;
    const ROW: f64 = 24.0;
    const HEAD: f64 = 34.0;
    // W7 records a behaviour (which futures fail, with what), not a speed.
    let groups: Vec<String> = workloads(records)
        .into_iter()
        .filter(|w| w != "W7")
        .collect();
    let records: Vec<&Record> = records
        .iter()
        .filter(|r| groups.contains(&r.workload))
        .collect();
    let height = 30.0 + groups.len() as f64 * (HEAD + 10.0) + records.len() as f64 * ROW;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let mut y = 20.0;
    for workload in &groups {
        let rows: Vec<&Record> = records
            .iter()
            .copied()
            .filter(|r| &r.workload == workload)
            .collect();
        let best = rows
            .iter()
            .map(|r| r.per_sec)
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        y += HEAD - 10.0;
        let _ = writeln!(
            out,
            r#"<text x="10" y="{y}" font-weight="bold">{} {}</text>"#,
            escape(workload),
            escape(title(workload))
        );
        y += 10.0;
        for r in rows {
            let w = (r.per_sec / best * BAR_MAX).max(1.0);
            let color = if r.imp.starts_with("concur") {
                "#2b6cb0"
            } else {
                "#a0aec0"
            };
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                LABEL - 8.0,
                y + 15.0,
                escape(&r.imp)
            );
            let _ = writeln!(
                out,
                r#"<rect x="{LABEL}" y="{}" width="{w:.1}" height="{}" fill="{color}"/>"#,
                y + 3.0,
                ROW - 6.0
            );
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{}">{} /s</text>"#,
                LABEL + w + 6.0,
                y + 15.0,
                grouped(r.per_sec)
            );
            y += ROW;
        }
        y += 10.0;
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sample;

    fn record(workload: &str, imp: &str, seconds: f64) -> Record {
        Record::new(
            workload,
            imp,
            1000,
            Sample {
                median: seconds,
                min: seconds,
                max: seconds,
                reps: 5,
            },
        )
    }

    #[test]
    fn ratio_table_and_chart() {
        let mut records = vec![
            record("W1", "concur-threads", 0.5),
            record("W1", "rayon-spawn-oneshot", 1.0),
            record("W3", "serial", 2.0),
        ];
        derive_ratios(&mut records);
        assert_eq!(records[0].extra["vs_rayon"], 2.0);
        assert!(!records[1].extra.contains_key("vs_rayon"));
        let table = markdown(&records);
        assert_eq!(table.lines().count(), 2 + 3);
        assert!(table.contains("| W1 | concur-threads | 1000 | 0.5000 |"));
        assert!(table.contains("vs_rayon: 2.0"));
        let chart = svg(&records);
        assert!(chart.starts_with("<svg") && chart.trim_end().ends_with("</svg>"));
        assert_eq!(chart.matches("<rect x=").count(), 3);
        assert_eq!(grouped(1234567.0), "1 234 567");
        let mut w1 = vec![
            record("W1", "concur-threads", 0.5),
            record("W1", "rayon-spawn-oneshot", 1.0),
        ];
        w1.push(record("W3", "concur-threads", 1.0).with("speedup", 1.9));
        assert_eq!(
            headlines(&w1),
            [
                "W1: concur-threads 2 000 tasks/s, rayon spawn+oneshot 1 000 tasks/s: 2.00x",
                "W3 speedup over serial: concur-threads 1.9x"
            ]
        );
        assert_eq!(three_digits(0.0123456), 0.0123);
        assert_eq!(three_digits(1.7345), 1.73);
    }
}
