//! Charts of tables as SVG: a heatmap of any matrix, grouped bars for group comparisons and
//! a timeline of phases. A table's first text column labels the rows; its numeric columns
//! are the values, in order.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::table::{CellValue, Table, escape_html};

/// A chart: SVG text and a title.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    title: String,
    svg: String,
}

/// Colours for series, distinguishable in print and for common colour blindness.
const PALETTE: [&str; 8] = [
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
];
const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";
/// Approximate width of a character at the chart's font size, to size labels.
const CHAR_WIDTH: f64 = 7.0;

/// The labels and numeric series of a table.
struct Data {
    labels: Vec<String>,
    series: Vec<(String, Vec<Option<f64>>)>,
}

fn data(table: &Table) -> Result<Data> {
    let names = table.column_names();
    let mut label_column = None;
    let mut series = Vec::new();
    for name in &names {
        let values = table.values(name)?;
        let numeric = values.iter().all(|v| {
            matches!(
                v,
                CellValue::Integer(_) | CellValue::Number(_) | CellValue::Missing
            )
        });
        if numeric && values.iter().any(|v| *v != CellValue::Missing) {
            series.push((
                name.clone(),
                values
                    .iter()
                    .map(|v| match v {
                        CellValue::Integer(i) => Some(*i as f64),
                        CellValue::Number(x) => Some(*x),
                        _ => None,
                    })
                    .collect(),
            ));
        } else if label_column.is_none() {
            label_column = Some(values.iter().map(|v| v.to_string()).collect::<Vec<_>>());
        }
    }
    if series.is_empty() {
        return Err(Error::argument(
            "chart",
            format!(
                "the table has no numeric column to chart (columns: {})",
                names.join(", ")
            ),
        ));
    }
    let labels =
        label_column.unwrap_or_else(|| (1..=table.rows()).map(|i| i.to_string()).collect());
    Ok(Data { labels, series })
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

fn format_value(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn open_svg(width: f64, height: f64, title: &str) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\">\
         <title>{t}</title><rect width=\"100%\" height=\"100%\" fill=\"white\"/>\
         <text x=\"10\" y=\"20\" {FONT} font-weight=\"bold\">{t}</text>",
        t = escape_html(title)
    );
    svg
}

impl Chart {
    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// Writes the SVG to a file.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::record::atomic::write_atomic(path, self.svg.as_bytes())
    }

    /// A heatmap: one cell per row and numeric column, darker for larger values, each
    /// cell labelled with its value.
    pub fn heatmap(table: &Table) -> Result<Chart> {
        let data = data(table)?;
        let title = table.title().unwrap_or("Heatmap").to_string();
        let left = data
            .labels
            .iter()
            .map(|l| text_width(l))
            .fold(40.0, f64::max)
            + 20.0;
        let cell_w = data
            .series
            .iter()
            .map(|(name, _)| text_width(name).min(140.0) + 12.0)
            .fold(56.0, f64::max);
        let (cell_h, top) = (26.0, 70.0);
        let width = left + cell_w * data.series.len() as f64 + 20.0;
        let height = top + cell_h * data.labels.len() as f64 + 20.0;
        let max = data
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .fold(0.0_f64, |a, &b| a.max(b.abs()));
        let mut svg = open_svg(width, height, &title);
        for (c, (name, _)) in data.series.iter().enumerate() {
            let x = left + cell_w * (c as f64 + 0.5);
            let _ = write!(
                svg,
                "<text x=\"{x:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"middle\">{}</text>",
                top - 10.0,
                escape_html(&crate::text::shorten(name, 20))
            );
        }
        for (r, label) in data.labels.iter().enumerate() {
            let y = top + cell_h * r as f64;
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"end\">{}</text>",
                left - 8.0,
                y + cell_h * 0.65,
                escape_html(label)
            );
            for (c, (_, values)) in data.series.iter().enumerate() {
                let x = left + cell_w * c as f64;
                let (fill, text) = match values[r] {
                    Some(v) => {
                        let share = if max > 0.0 { v.abs() / max } else { 0.0 };
                        // From near white to the palette's blue.
                        let mix = |from: f64, to: f64| (from + (to - from) * share).round() as u8;
                        (
                            format!(
                                "rgb({},{},{})",
                                mix(247.0, 76.0),
                                mix(251.0, 114.0),
                                mix(255.0, 176.0)
                            ),
                            format_value(v),
                        )
                    }
                    None => ("#eeeeee".to_string(), String::new()),
                };
                let ink = if values[r].is_some_and(|v| max > 0.0 && v.abs() / max > 0.55) {
                    "white"
                } else {
                    "black"
                };
                let _ = write!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell_w:.1}\" height=\"{cell_h:.1}\" fill=\"{fill}\" stroke=\"white\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"middle\" fill=\"{ink}\">{text}</text>",
                    x + cell_w / 2.0,
                    y + cell_h * 0.65
                );
            }
        }
        svg.push_str("</svg>");
        Ok(Chart { title, svg })
    }

    /// Grouped horizontal bars: one group per row, one bar per numeric column.
    pub fn bars(table: &Table) -> Result<Chart> {
        let data = data(table)?;
        let title = table.title().unwrap_or("Bars").to_string();
        let left = data
            .labels
            .iter()
            .map(|l| text_width(l))
            .fold(40.0, f64::max)
            + 20.0;
        let (bar_h, gap, top, plot_w) = (14.0, 10.0, 40.0 + 18.0 * data.series.len() as f64, 420.0);
        let group_h = bar_h * data.series.len() as f64 + gap;
        let width = left + plot_w + 80.0;
        let height = top + group_h * data.labels.len() as f64 + 20.0;
        let max = data
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .fold(0.0_f64, |a, &b| a.max(b));
        let mut svg = open_svg(width, height, &title);
        for (s, (name, _)) in data.series.iter().enumerate() {
            let y = 34.0 + 18.0 * s as f64;
            let _ = write!(
                svg,
                "<rect x=\"10\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
                 <text x=\"28\" y=\"{:.1}\" {FONT}>{}</text>",
                y,
                PALETTE[s % PALETTE.len()],
                y + 10.0,
                escape_html(name)
            );
        }
        for (r, label) in data.labels.iter().enumerate() {
            let y0 = top + group_h * r as f64;
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"end\">{}</text>",
                left - 8.0,
                y0 + group_h / 2.0,
                escape_html(label)
            );
            for (s, (_, values)) in data.series.iter().enumerate() {
                let Some(v) = values[r] else { continue };
                let w = if max > 0.0 {
                    plot_w * v.max(0.0) / max
                } else {
                    0.0
                };
                let y = y0 + bar_h * s as f64;
                let _ = write!(
                    svg,
                    "<rect x=\"{left:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" {FONT}>{}</text>",
                    bar_h - 2.0,
                    PALETTE[s % PALETTE.len()],
                    left + w + 4.0,
                    y + bar_h - 4.0,
                    format_value(v)
                );
            }
        }
        svg.push_str("</svg>");
        Ok(Chart { title, svg })
    }

    /// A timeline: the numeric columns are points in time (phases) along the x axis, one
    /// line per row.
    pub fn timeline(table: &Table) -> Result<Chart> {
        let data = data(table)?;
        let title = table.title().unwrap_or("Timeline").to_string();
        let (left, top, plot_w, plot_h) =
            (50.0, 40.0, 120.0 * data.series.len().max(2) as f64, 240.0);
        let legend_w = data
            .labels
            .iter()
            .map(|l| text_width(l))
            .fold(60.0, f64::max)
            + 40.0;
        let width = left + plot_w + legend_w;
        let height = top + plot_h + 50.0;
        let max = data
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .fold(0.0_f64, |a, &b| a.max(b))
            .max(1e-9);
        let steps = data.series.len().max(2) - 1;
        let x_of = |i: usize| left + plot_w * i as f64 / steps as f64;
        let y_of = |v: f64| top + plot_h - plot_h * v / max;
        let mut svg = open_svg(width, height, &title);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>\
             <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"#999\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"end\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"end\">0</text>",
            top + plot_h,
            left + plot_w,
            top + plot_h,
            top + plot_h,
            left - 6.0,
            top + 4.0,
            format_value(max),
            left - 6.0,
            top + plot_h
        );
        for (i, (name, _)) in data.series.iter().enumerate() {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"middle\">{}</text>",
                x_of(i),
                top + plot_h + 18.0,
                escape_html(name)
            );
        }
        for (r, label) in data.labels.iter().enumerate() {
            let colour = PALETTE[r % PALETTE.len()];
            let points: Vec<String> = data
                .series
                .iter()
                .enumerate()
                .filter_map(|(i, (_, values))| {
                    values[r].map(|v| format!("{:.1},{:.1}", x_of(i), y_of(v)))
                })
                .collect();
            let _ = write!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                points.join(" ")
            );
            for point in &points {
                let (x, y) = point.split_once(',').unwrap_or_default();
                let _ = write!(
                    svg,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"{colour}\"/>"
                );
            }
            let ly = top + 16.0 * r as f64;
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{ly:.1}\" width=\"12\" height=\"3\" fill=\"{colour}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" {FONT}>{}</text>",
                left + plot_w + 20.0,
                left + plot_w + 38.0,
                ly + 5.0,
                escape_html(label)
            );
        }
        svg.push_str("</svg>");
        Ok(Chart { title, svg })
    }
}

impl std::fmt::Display for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "chart: {} (SVG; shown in notebooks, saved with .save(\"file.svg\"))",
            self.title
        )
    }
}
