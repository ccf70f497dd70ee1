//! Charts of tables as SVG: a heatmap of any matrix, grouped bars for group comparisons and
//! a timeline of phases. A table's first text column labels the rows; its numeric columns
//! are the values, in order.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::table::{CellValue, Table, escape_html};
use crate::error::{Error, Result};

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

/// Angle (degrees) at which a heatmap's column labels slant.
const LABEL_ANGLE: f64 = 40.0;
/// Characters of a column label on one line before it wraps.
const LABEL_LINE: usize = 28;
const LINE_HEIGHT: f64 = 14.0;
/// Width of a heatmap's colour scale, and the steps it is drawn in.
const SCALE_WIDTH: f64 = 14.0;
const SCALE_STEPS: usize = 20;
/// Text on light cells: near black, not black, as print does.
const DARK_INK: &str = "#1a1a1a";

/// The heatmap's colour for a share of the largest value: near white to the palette's blue.
fn scale_colour(share: f64) -> [u8; 3] {
    let share = share.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * share).round() as u8;
    [mix(247.0, 38.0), mix(251.0, 70.0), mix(255.0, 130.0)]
}

fn rgb([r, g, b]: [u8; 3]) -> String {
    format!("rgb({r},{g},{b})")
}

/// Relative luminance (WCAG 2) of an sRGB colour.
fn luminance(colour: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(colour[0]) + 0.7152 * channel(colour[1]) + 0.0722 * channel(colour[2])
}

/// The text colour that contrasts more with `fill`: white on dark cells, near black on
/// light ones (whichever has the higher WCAG contrast ratio).
pub fn ink_on(fill: [u8; 3]) -> &'static str {
    let l = luminance(fill);
    let with_white = 1.05 / (l + 0.05);
    let with_dark = (l + 0.05) / (luminance([26, 26, 26]) + 0.05);
    if with_white >= with_dark {
        "white"
    } else {
        DARK_INK
    }
}

/// A label cut into lines of at most `width` characters at spaces (a longer word stays
/// whole on its own line): nothing is left out.
fn wrap(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Round steps for an axis from 0 to at least `max`: about five ticks of 1, 2 or 5 times a
/// power of ten.
fn ticks(max: f64) -> Vec<f64> {
    if max <= 0.0 || !max.is_finite() {
        return vec![0.0, 1.0];
    }
    let rough = max / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    let count = (max / step - 1e-9).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

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

/// A value on a scale, without trailing zeros: 12.5, not 12.50.
fn scale_value(x: f64) -> String {
    let text = format_value(x);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
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
    /// cell labelled with its value in a colour that reads on it, the column labels written
    /// whole (slanted, wrapped when long) and a colour scale beside the grid.
    pub fn heatmap(table: &Table) -> Result<Chart> {
        let data = data(table)?;
        let title = table.title().unwrap_or("Heatmap").to_string();
        let left = data
            .labels
            .iter()
            .map(|l| text_width(l))
            .fold(40.0, f64::max)
            + 20.0;
        let max = data
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .fold(0.0_f64, |a, &b| a.max(b.abs()));
        let widest_value = data
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .map(|&v| text_width(&format_value(v)))
            .fold(0.0, f64::max);
        let cell_w = (widest_value + 20.0).max(56.0);
        let cell_h = 26.0;
        // Column labels slant up to the right from above their column, so a long label
        // takes height, not the width of its column.
        let (sin, cos) = LABEL_ANGLE.to_radians().sin_cos();
        let wrapped: Vec<Vec<String>> = data
            .series
            .iter()
            .map(|(name, _)| wrap(name, LABEL_LINE))
            .collect();
        let longest = wrapped
            .iter()
            .flatten()
            .map(|l| text_width(l))
            .fold(0.0, f64::max);
        let most_lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f64;
        let top = 40.0 + longest * sin + LINE_HEIGHT * most_lines;
        let grid_right = left + cell_w * data.series.len() as f64;
        let scale_x = grid_right + 24.0;
        let scale_text = [max, max / 2.0, 0.0]
            .iter()
            .map(|v| text_width(&scale_value(*v)))
            .fold(0.0, f64::max);
        // Wide enough for the scale, the last column's label and the title.
        let width = (scale_x + SCALE_WIDTH + 8.0 + scale_text + 20.0)
            .max(grid_right - cell_w / 2.0 + longest * cos + 20.0)
            .max(text_width(&title) + 30.0);
        let height = top + cell_h * data.labels.len().max(4) as f64 + 20.0;
        let mut svg = open_svg(width, height, &title);
        for (c, lines) in wrapped.iter().enumerate() {
            let x = left + cell_w * (c as f64 + 0.5);
            let y = top - 8.0;
            let _ = write!(
                svg,
                "<text transform=\"translate({x:.1},{y:.1}) rotate(-{LABEL_ANGLE})\" {FONT}>"
            );
            for (i, line) in lines.iter().enumerate() {
                // The last line sits nearest its column.
                let dy = -LINE_HEIGHT * (lines.len() - 1 - i) as f64;
                let _ = write!(
                    svg,
                    "<tspan x=\"0\" y=\"{dy:.1}\">{}</tspan>",
                    escape_html(line)
                );
            }
            svg.push_str("</text>");
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
            for (c, (name, values)) in data.series.iter().enumerate() {
                let x = left + cell_w * c as f64;
                let (fill, ink, text) = match values[r] {
                    Some(v) => {
                        let colour = scale_colour(if max > 0.0 { v.abs() / max } else { 0.0 });
                        (rgb(colour), ink_on(colour), format_value(v))
                    }
                    None => ("#eeeeee".to_string(), DARK_INK, String::new()),
                };
                let _ = write!(
                    svg,
                    "<g><title>{}, {}: {}</title>\
                     <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell_w:.1}\" height=\"{cell_h:.1}\" fill=\"{fill}\" stroke=\"white\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"middle\" fill=\"{ink}\">{text}</text></g>",
                    escape_html(label),
                    escape_html(name),
                    if text.is_empty() { "no value" } else { &text },
                    x + cell_w / 2.0,
                    y + cell_h * 0.65
                );
            }
        }
        // The colour scale: steps from 0 (bottom) to the largest value (top), with ticks.
        let scale_h = cell_h * data.labels.len().max(4) as f64;
        let step_h = scale_h / SCALE_STEPS as f64;
        let _ = write!(
            svg,
            "<g class=\"scale\"><title>colour scale: 0 to {}</title>",
            format_value(max)
        );
        for i in 0..SCALE_STEPS {
            let share = (i as f64 + 0.5) / SCALE_STEPS as f64;
            let y = top + scale_h - step_h * (i as f64 + 1.0);
            let _ = write!(
                svg,
                "<rect x=\"{scale_x:.1}\" y=\"{y:.1}\" width=\"{SCALE_WIDTH}\" height=\"{:.1}\" fill=\"{}\"/>",
                step_h + 0.5,
                rgb(scale_colour(share))
            );
        }
        let _ = write!(
            svg,
            "<rect x=\"{scale_x:.1}\" y=\"{top:.1}\" width=\"{SCALE_WIDTH}\" height=\"{scale_h:.1}\" fill=\"none\" stroke=\"#999\"/>"
        );
        for (share, value) in [(1.0, max), (0.5, max / 2.0), (0.0, 0.0)] {
            let y = top + scale_h * (1.0 - share);
            let _ = write!(
                svg,
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#999\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" {FONT}>{}</text>",
                scale_x + SCALE_WIDTH,
                scale_x + SCALE_WIDTH + 4.0,
                scale_x + SCALE_WIDTH + 7.0,
                y + 4.0,
                scale_value(value)
            );
        }
        svg.push_str("</g></svg>");
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
        let width = (left + plot_w + 80.0).max(text_width(&title) + 30.0);
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
        let width = (left + plot_w + legend_w).max(text_width(&title) + 30.0);
        let height = top + plot_h + 50.0;
        let ticks = ticks(
            data.series
                .iter()
                .flat_map(|(_, v)| v.iter().flatten())
                .fold(0.0_f64, |a, &b| a.max(b)),
        );
        let max = ticks.last().copied().unwrap_or(1.0).max(1e-9);
        let steps = data.series.len().max(2) - 1;
        let x_of = |i: usize| left + plot_w * i as f64 / steps as f64;
        let y_of = |v: f64| top + plot_h - plot_h * v / max;
        let mut svg = open_svg(width, height, &title);
        // The y axis: a tick, a value and a faint grid line at each round step.
        for &tick in &ticks {
            let y = y_of(tick);
            let _ = write!(
                svg,
                "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/>\
                 <line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{left}\" y2=\"{y:.1}\" stroke=\"#999\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"end\">{}</text>",
                left + plot_w,
                left - 5.0,
                left - 8.0,
                y + 4.0,
                format_value(tick)
            );
        }
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>\
             <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"#999\"/>",
            top + plot_h,
            left + plot_w,
            top + plot_h,
            top + plot_h,
        );
        // The x axis: a tick under each point in time, with its name.
        for (i, (name, _)) in data.series.iter().enumerate() {
            let _ = write!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" {FONT} text-anchor=\"middle\">{}</text>",
                top + plot_h,
                top + plot_h + 5.0,
                top + plot_h + 19.0,
                escape_html(name),
                x = x_of(i),
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

/// Charts of a table, as a Rust notebook draws them: `p.matrix("case", "npt")?.heatmap()?`.
impl Table {
    /// A heatmap of a matrix (first text column: row labels; numeric columns: cells).
    pub fn heatmap(&self) -> Result<Chart> {
        Chart::heatmap(self)
    }

    /// Grouped bars, one group per row and one bar per numeric column.
    pub fn bars(&self) -> Result<Chart> {
        Chart::bars(self)
    }

    /// A timeline, the numeric columns as phases in order and one line per row.
    pub fn timeline(&self) -> Result<Chart> {
        Chart::timeline(self)
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
