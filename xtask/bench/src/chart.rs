//! `chart.svg`: horizontal bars of `per_sec`, one panel per workload (W7, a
//! behaviour, is left to the table), each scaled to the fastest implementation
//! of its workload; concur's bars in blue, the anchors' in grey, a contaminated
//! figure marked `⚠`. Drawn with plotters' SVG backend.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::record::Record;
use crate::report::{grouped, present};
use crate::workloads;

const WIDTH: u32 = 960;
/// Height of a panel's caption.
const HEAD: u32 = 30;
/// Height of one bar's row.
const ROW: u32 = 24;
/// The x range of a panel, the fastest bar at 1: the labels sit left of 0, the
/// figures right of the bars.
const X_MIN: f64 = -0.55;
const X_MAX: f64 = 1.4;

const CONCUR: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const ANCHOR: RGBColor = RGBColor(0xa0, 0xae, 0xc0);

/// Draws the chart of `records` into `path`.
///
/// # Errors
///
/// When drawing or writing fails.
pub(crate) fn draw(path: &Path, records: &[Record]) -> Result<(), String> {
    let svg = svg(records)?;
    std::fs::write(path, svg).map_err(|e| format!("{}: {e}", path.display()))
}

/// The workloads to draw and their records, in table order.
fn panels(records: &[Record]) -> Vec<(String, Vec<&Record>)> {
    present(records)
        .into_iter()
        .filter(|w| w != "W7")
        .map(|w| {
            let rows = records.iter().filter(|r| r.workload == w).collect();
            (w, rows)
        })
        .collect()
}

/// The chart as an SVG document.
///
/// # Errors
///
/// When plotters fails to draw (it reports, it does not panic).
pub(crate) fn svg(records: &[Record]) -> Result<String, String> {
    let panels = panels(records);
    let heights: Vec<u32> = panels
        .iter()
        .map(|(_, rows)| HEAD + ROW * rows.len() as u32 + 10)
        .collect();
    let height = heights.iter().sum::<u32>().max(1);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut breaks = Vec::new();
        let mut y = 0;
        for h in &heights[..heights.len().saturating_sub(1)] {
            y += h;
            breaks.push(y);
        }
        let areas = root.split_by_breakpoints(Vec::<u32>::new(), breaks);
        for ((workload, rows), area) in panels.iter().zip(&areas) {
            panel(area, workload, rows).map_err(|e| format!("chart, {workload}: {e}"))?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

type DrawResult =
    Result<(), DrawingAreaErrorKind<<SVGBackend<'static> as DrawingBackend>::ErrorType>>;

/// One workload's bars.
fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    workload: &str,
    rows: &[&Record],
) -> DrawResult {
    let title = workloads::get(workload).map_or("", |w| w.title);
    let best = rows
        .iter()
        .map(|r| r.per_sec)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let n = rows.len();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{workload} {title}"),
            ("sans-serif", 15).into_font().style(FontStyle::Bold),
        )
        .margin_left(8)
        .margin_right(8)
        .build_cartesian_2d(X_MIN..X_MAX, 0.0..n as f64)?;
    let row_y = |i: usize| (n - 1 - i) as f64;
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let color = if r.imp.starts_with("concur") {
            CONCUR
        } else {
            ANCHOR
        };
        let width = (r.per_sec / best).max(0.002);
        Rectangle::new(
            [(0.0, row_y(i) + 0.15), (width, row_y(i) + 0.85)],
            color.filled(),
        )
    }))?;
    let label = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    chart.draw_series(
        rows.iter()
            .enumerate()
            .map(|(i, r)| Text::new(r.imp.clone(), (-0.02, row_y(i) + 0.5), label.clone())),
    )?;
    let figure = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let flag = if r.extra.get("contaminated") == Some(&serde_json::Value::Bool(true)) {
            " ⚠"
        } else {
            ""
        };
        let x = (r.per_sec / best).max(0.002) + 0.015;
        Text::new(
            format!("{} /s{flag}", grouped(r.per_sec)),
            (x, row_y(i) + 0.5),
            figure.clone(),
        )
    }))?;
    Ok(())
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
    fn a_bar_and_a_label_per_figure_but_w7() {
        let records = vec![
            record("W1", "concur-threads", 0.5),
            contamination(record("W1", "rayon-spawn-channel", 1.0), 1.0, 1.0),
            record("W3", "serial", 2.0),
            record("W7", "concur-process", 0.1),
        ];
        let svg = svg(&records).expect("draws");
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{svg}"
        );
        for text in [
            "concur-threads",
            "rayon-spawn-channel",
            "2 000 /s",
            "1 000 /s ⚠",
            "W3 cpu-scaling",
        ] {
            assert!(svg.contains(text), "no `{text}` in {svg}");
        }
        assert!(
            !svg.contains("W7") && !svg.contains("concur-process"),
            "{svg}"
        );
        // Three bars: blue for concur, grey for the anchors.
        let blue = svg.matches("#2B6CB0").count() + svg.matches("#2b6cb0").count();
        let grey = svg.matches("#A0AEC0").count() + svg.matches("#a0aec0").count();
        assert_eq!((blue, grey), (1, 2), "{svg}");
    }

    #[test]
    fn no_records_is_an_empty_chart_not_an_error() {
        let svg = svg(&[]).expect("draws");
        assert!(svg.starts_with("<svg"));
    }
}
