//! Tables: the value every query returns. A polars DataFrame holds the data, so a result can
//! be sorted, grouped, joined and written to CSV or Parquet; the same table renders as a
//! terminal table (comfy-table) or as HTML for notebooks.

use std::fmt::Write as _;
use std::path::Path;

use comfy_table::{Cell, ContentArrangement};
use polars::prelude::*;

use crate::error::{Error, Result};
// Text helpers that live with the text; kept here too, where tables have always offered them.
pub use crate::support::text::{escape_html, shorten};

/// A result table: named, typed columns and an optional title shown above it.
#[derive(Debug, Clone)]
pub struct Table {
    frame: DataFrame,
    title: Option<String>,
}

/// The values of one column, as queries build them.
#[derive(Debug, Clone)]
pub enum Values {
    Text(Vec<Option<String>>),
    Integer(Vec<Option<i64>>),
    Number(Vec<Option<f64>>),
    Boolean(Vec<Option<bool>>),
}

/// One cell, read back out of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    Missing,
    Text(String),
    Integer(i64),
    Number(f64),
    Boolean(bool),
}

impl std::fmt::Display for CellValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CellValue::Missing => Ok(()),
            CellValue::Text(s) => f.write_str(s),
            CellValue::Integer(i) => write!(f, "{i}"),
            CellValue::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => write!(f, "{x:.0}"),
            CellValue::Number(x) => write!(f, "{x:.2}"),
            CellValue::Boolean(b) => write!(f, "{b}"),
        }
    }
}

/// How a column is aggregated by [`Table::group_by`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    Sum,
    Mean,
    Min,
    Max,
    First,
    /// Distinct values.
    Unique,
}

impl std::str::FromStr for Aggregate {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "count" => Aggregate::Count,
            "sum" => Aggregate::Sum,
            "mean" => Aggregate::Mean,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "first" => Aggregate::First,
            "unique" => Aggregate::Unique,
            other => {
                return Err(Error::argument(
                    "aggregate",
                    format!(
                        "`{other}` is not an aggregate; use count, sum, mean, min, max, first or unique"
                    ),
                ));
            }
        })
    }
}

/// Rows shown before a table is cut short on screen.
pub const SHOWN_ROWS: usize = 40;
/// Characters of a text cell shown on screen; the full text stays in the table.
const SHOWN_CHARS: usize = 400;

fn table_error(e: PolarsError) -> Error {
    Error::argument("table", e.to_string())
}

impl Table {
    /// A table from named columns of equal length.
    pub fn new(columns: Vec<(String, Values)>) -> Result<Table> {
        let mut names = std::collections::HashSet::new();
        let mut built = Vec::with_capacity(columns.len());
        for (name, values) in columns {
            if !names.insert(name.clone()) {
                return Err(Error::argument(
                    "table",
                    format!("column `{name}` appears twice"),
                ));
            }
            let name = PlSmallStr::from(name.as_str());
            built.push(match values {
                Values::Text(v) => Column::new(name, v),
                Values::Integer(v) => Column::new(name, v),
                Values::Number(v) => Column::new(name, v),
                Values::Boolean(v) => Column::new(name, v),
            });
        }
        let frame = DataFrame::new_infer_height(built).map_err(table_error)?;
        Ok(Table { frame, title: None })
    }

    pub fn from_frame(frame: DataFrame) -> Table {
        Table { frame, title: None }
    }

    pub fn with_title(mut self, title: impl Into<String>) -> Table {
        self.title = Some(title.into());
        self
    }

    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    pub fn rows(&self) -> usize {
        self.frame.height()
    }

    pub fn column_names(&self) -> Vec<String> {
        self.frame
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn column(&self, name: &str) -> Result<&Column> {
        self.frame.column(name).map_err(|_| {
            Error::argument(
                "column",
                format!(
                    "no column `{name}`; the table has: {}",
                    self.column_names().join(", ")
                ),
            )
        })
    }

    /// One cell; `row` counts from 0.
    pub fn cell(&self, row: usize, column: &str) -> Result<CellValue> {
        let column = self.column(column)?;
        let value = column.get(row).map_err(table_error)?;
        Ok(cell_value(&value))
    }

    /// Every value of a column, top to bottom.
    pub fn values(&self, column: &str) -> Result<Vec<CellValue>> {
        let column = self.column(column)?;
        (0..self.rows())
            .map(|i| column.get(i).map(|v| cell_value(&v)).map_err(table_error))
            .collect()
    }

    /// A row as (column, value) pairs.
    pub fn row(&self, row: usize) -> Result<Vec<(String, CellValue)>> {
        if row >= self.rows() {
            return Err(Error::argument(
                "row",
                format!(
                    "row {row} is past the end; the table has {} rows",
                    self.rows()
                ),
            ));
        }
        self.frame
            .columns()
            .iter()
            .map(|c| {
                let v = c.get(row).map_err(table_error)?;
                Ok((c.name().to_string(), cell_value(&v)))
            })
            .collect()
    }

    /// Sorted by the given columns in turn; `descending` applies to all of them.
    pub fn sort(&self, by: &[String], descending: bool) -> Result<Table> {
        for name in by {
            self.column(name)?;
        }
        let options = SortMultipleOptions::default()
            .with_order_descending(descending)
            .with_maintain_order(true)
            .with_nulls_last(true);
        let frame = self.frame.sort(by, options).map_err(table_error)?;
        Ok(self.derived(frame))
    }

    /// The first `n` rows.
    pub fn head(&self, n: usize) -> Table {
        self.derived(self.frame.head(Some(n)))
    }

    /// Only the given columns, in the given order.
    pub fn select(&self, columns: &[String]) -> Result<Table> {
        for name in columns {
            self.column(name)?;
        }
        let frame = self.frame.select(columns).map_err(table_error)?;
        Ok(self.derived(frame))
    }

    /// The rows where `keep` is true.
    pub fn filter(&self, keep: &[bool]) -> Result<Table> {
        let mask = BooleanChunked::from_slice("keep".into(), keep);
        let frame = self.frame.filter(&mask).map_err(table_error)?;
        Ok(self.derived(frame))
    }

    /// Groups rows by `keys` and aggregates other columns, one output column per
    /// (column, aggregate); `Count` counts the group's rows into a column called `column`.
    /// Sorted by the keys, so the order is the same on every run.
    pub fn group_by(&self, keys: &[String], aggregates: &[(String, Aggregate)]) -> Result<Table> {
        for name in keys {
            self.column(name)?;
        }
        let mut exprs = Vec::new();
        for (name, aggregate) in aggregates {
            if *aggregate != Aggregate::Count {
                self.column(name)?;
            }
            let c = col(name.as_str());
            exprs.push(match aggregate {
                Aggregate::Count => len().alias(name.as_str()),
                Aggregate::Sum => c.sum(),
                Aggregate::Mean => c.mean(),
                Aggregate::Min => c.min(),
                Aggregate::Max => c.max(),
                Aggregate::First => c.first(),
                Aggregate::Unique => c.n_unique().cast(DataType::Int64),
            });
        }
        let key_exprs: Vec<Expr> = keys.iter().map(|k| col(k.as_str())).collect();
        let frame = self
            .frame
            .clone()
            .lazy()
            .group_by(key_exprs)
            .agg(exprs)
            .sort(
                keys.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .collect()
            .map_err(table_error)?;
        Ok(Table::from_frame(frame))
    }

    /// Joins another table on columns of the same name; `how` is "inner", "left" or "full".
    /// A join too large for the running script's memory budget is refused before it is built.
    pub fn join(&self, other: &Table, on: &[String], how: &str) -> Result<Table> {
        for name in on {
            self.column(name)?;
            other.column(name)?;
        }
        let how = match how {
            "inner" => JoinType::Inner,
            "left" => JoinType::Left,
            "full" | "outer" => JoinType::Full,
            other => {
                return Err(Error::argument(
                    "how",
                    format!("`{other}` is not a join; use inner, left or full"),
                ));
            }
        };
        let rows = self.join_rows(other, on, &how)?;
        // Text is gathered as 16-byte views of the same buffers, and each result row also
        // costs a pair of row indices while the join runs.
        let row_bytes = 16 * (self.frame.width() + other.frame.width() + 1);
        crate::support::budget::ensure_room(
            "join",
            &format!("`on` {on:?} pairs up {rows} rows"),
            rows.saturating_mul(row_bytes),
            "filter the tables first, or join on more columns",
        )?;
        let keys: Vec<Expr> = on.iter().map(|k| col(k.as_str())).collect();
        let full = how == JoinType::Full;
        let mut args = JoinArgs::new(how);
        if full {
            args = args.with_coalesce(JoinCoalesce::CoalesceColumns);
        }
        let frame = self
            .frame
            .clone()
            .lazy()
            .join(other.frame.clone().lazy(), keys.clone(), keys, args)
            .collect()
            .map_err(table_error)?;
        Ok(Table::from_frame(frame))
    }

    /// How many rows a join will have, counted from how often each key occurs on each side,
    /// so that a join of many rows to many rows can be refused before it is built.
    fn join_rows(&self, other: &Table, on: &[String], how: &JoinType) -> Result<usize> {
        let counts = |frame: &DataFrame, name: &str| {
            frame
                .clone()
                .lazy()
                .group_by(on.iter().map(|k| col(k.as_str())).collect::<Vec<_>>())
                .agg([len().cast(DataType::UInt64).alias(name)])
        };
        let keys: Vec<Expr> = on.iter().map(|k| col(k.as_str())).collect();
        let pairs = counts(&self.frame, "__left")
            .join(
                counts(&other.frame, "__right"),
                keys.clone(),
                keys,
                JoinArgs::new(JoinType::Inner),
            )
            .select([
                (col("__left") * col("__right")).sum().alias("pairs"),
                col("__left").sum().alias("left"),
                col("__right").sum().alias("right"),
            ])
            .collect()
            .map_err(table_error)?;
        let total = |name: &str| -> usize {
            pairs
                .column(name)
                .ok()
                .and_then(|c| c.u64().ok()?.get(0))
                .unwrap_or(0) as usize
        };
        let (matched, left, right) = (total("pairs"), total("left"), total("right"));
        let unmatched_left = self.rows() - left;
        let unmatched_right = other.rows() - right;
        Ok(match how {
            JoinType::Left => matched.saturating_add(unmatched_left),
            JoinType::Full => matched
                .saturating_add(unmatched_left)
                .saturating_add(unmatched_right),
            _ => matched,
        })
    }

    /// Writes the table as CSV (with a header row), missing cells empty and numbers in full
    /// precision, whole or not at all.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let names = self.column_names();
        let columns = names
            .iter()
            .map(|name| self.values(name))
            .collect::<Result<Vec<_>>>()?;
        let mut writer = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| Error::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        writer.write_record(&names).map_err(fail)?;
        for row in 0..self.rows() {
            writer
                .write_record(columns.iter().map(|column| csv_cell(&column[row])))
                .map_err(fail)?;
        }
        let bytes = writer.into_inner().map_err(|e| Error::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        crate::record::atomic::write_atomic(path, &bytes)
    }

    /// Writes the table as Parquet.
    #[cfg(feature = "parquet")]
    pub fn write_parquet(&self, path: &Path) -> Result<()> {
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .finish(&mut self.frame.clone())
            .map_err(|e| Error::Invalid {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        crate::record::atomic::write_atomic(path, &bytes)
    }

    /// Writes the table as Parquet: not in this build.
    #[cfg(not(feature = "parquet"))]
    pub fn write_parquet(&self, path: &Path) -> Result<()> {
        Err(no_parquet(path))
    }

    /// Reads a CSV file with a header row (as [`Table::write_csv`] writes, or a spreadsheet
    /// saves): a column whose filled cells are all whole numbers is whole numbers, then
    /// numbers, then `true`/`false`, else text; empty cells are missing. Broken encodings
    /// and quotes are reported with the file and line.
    pub fn read_csv(path: &Path) -> Result<Table> {
        let csv = crate::support::csv_table::CsvTable::read(path)?;
        let mut names = std::collections::HashSet::new();
        let mut columns = Vec::with_capacity(csv.header.len());
        for (index, name) in csv.header.iter().enumerate() {
            let name = if name.is_empty() {
                format!("column {}", index + 1)
            } else {
                name.clone()
            };
            if !names.insert(name.clone()) {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!("column `{name}` appears twice in the header"),
                });
            }
            let cells: Vec<Option<&str>> = csv
                .rows
                .iter()
                .map(|(_, row)| {
                    Some(crate::support::csv_table::cell(row, index)).filter(|c| !c.is_empty())
                })
                .collect();
            columns.push((name, infer_values(&cells)));
        }
        Table::new(columns)
    }

    /// Reads a Parquet file.
    #[cfg(feature = "parquet")]
    pub fn read_parquet(path: &Path) -> Result<Table> {
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let frame = ParquetReader::new(file)
            .finish()
            .map_err(|e| Error::Invalid {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(Table::from_frame(frame))
    }

    /// Reads a Parquet file: not in this build.
    #[cfg(not(feature = "parquet"))]
    pub fn read_parquet(path: &Path) -> Result<Table> {
        Err(no_parquet(path))
    }

    fn derived(&self, frame: DataFrame) -> Table {
        Table {
            frame,
            title: self.title.clone(),
        }
    }

    fn shown_cell(&self, column: &Column, row: usize) -> String {
        let text = column
            .get(row)
            .map(|v| cell_value(&v).to_string())
            .unwrap_or_default();
        shorten(&text, SHOWN_CHARS)
    }

    /// The table for a terminal: long text wrapped to `width` columns, at most `max_rows`
    /// rows, then a line saying how many rows there are. Columns that cannot fit at a
    /// readable width are left out and named below the table.
    pub fn render_text(&self, width: u16, max_rows: usize) -> String {
        let shown = self.rows().min(max_rows);
        let layout = self.layout(width as usize, shown);
        let mut table = comfy_table::Table::new();
        table
            .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width)
            .set_header(
                layout
                    .iter()
                    .map(|&(i, _)| self.frame.columns()[i].name().to_string()),
            );
        for row in 0..shown {
            table.add_row(
                layout
                    .iter()
                    .map(|&(i, _)| Cell::new(self.shown_cell(&self.frame.columns()[i], row))),
            );
        }
        for (position, &(_, minimum)) in layout.iter().enumerate() {
            if let Some(column) = table.column_mut(position) {
                column.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                    comfy_table::Width::Fixed(minimum as u16 + 2), // with the padding
                ));
            }
        }
        let mut out = String::new();
        if let Some(title) = &self.title {
            let _ = writeln!(out, "{title}");
        }
        let _ = writeln!(out, "{table}");
        out.push_str(&self.size_line(shown));
        if layout.len() < self.frame.width() {
            let hidden: Vec<String> = self
                .column_names()
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !layout.iter().any(|(j, _)| j == i))
                .map(|(_, name)| name)
                .collect();
            let _ = write!(
                out,
                "\nnot shown for width: {} (t.select([...]) picks columns)",
                hidden.join(", ")
            );
        }
        out
    }

    /// Which columns to show and the least width each needs to stay readable: short columns
    /// their content up to 16 characters, columns of long text at least 24. Short
    /// columns are taken left to right while they fit; long-text columns always stay.
    fn layout(&self, width: usize, shown: usize) -> Vec<(usize, usize)> {
        const BORDER: usize = 3;
        const PROSE: usize = 24;
        let needs: Vec<(usize, usize)> = self
            .frame
            .columns()
            .iter()
            .map(|c| {
                let lengths: Vec<usize> = (0..shown)
                    .map(|row| self.shown_cell(c, row).chars().count())
                    .collect();
                // Headers wrap at spaces, so only their longest word must fit.
                let header = c
                    .name()
                    .split_whitespace()
                    .map(|w| w.chars().count())
                    .max()
                    .unwrap_or(0);
                let longest = lengths.iter().copied().max().unwrap_or(0);
                let average = lengths.iter().sum::<usize>() / shown.max(1);
                (header.max(longest).min(16), average)
            })
            .collect();
        // Columns of prose (quotes, summaries) always stay, sharing what short columns leave.
        let prose: Vec<bool> = needs.iter().map(|(_, average)| *average > 40).collect();
        let prose_count = prose.iter().filter(|&&p| p).count();
        let mut budget = width
            .saturating_sub(1)
            .saturating_sub(prose_count * (PROSE + BORDER));
        let mut chosen = Vec::new();
        for (i, (need, _)) in needs.iter().enumerate() {
            if prose[i] {
                chosen.push((i, PROSE));
            } else if need + BORDER <= budget || chosen.is_empty() {
                budget = budget.saturating_sub(need + BORDER);
                chosen.push((i, *need));
            }
        }
        chosen
    }

    fn size_line(&self, shown: usize) -> String {
        let rows = self.rows();
        let columns = self.frame.width();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        if shown < rows {
            format!(
                "{} × {} (first {shown} shown)",
                plural(rows, "row"),
                plural(columns, "column")
            )
        } else {
            format!("{} × {}", plural(rows, "row"), plural(columns, "column"))
        }
    }

    /// The table as HTML for notebooks: escaped text, numbers aligned right, at most
    /// `max_rows` rows and a line with the size.
    pub fn render_html(&self, max_rows: usize) -> String {
        let mut out = String::from("<div class=\"qualkit-table\"><table>");
        if let Some(title) = &self.title {
            let _ = write!(out, "<caption>{}</caption>", escape_html(title));
        }
        out.push_str("<thead><tr>");
        // A header sits over its column's text: left over text, right over numbers.
        for column in self.frame.columns() {
            let align = if column.dtype().is_primitive_numeric() {
                "right"
            } else {
                "left"
            };
            let _ = write!(
                out,
                "<th style=\"text-align:{align}\">{}</th>",
                escape_html(column.name())
            );
        }
        out.push_str("</tr></thead><tbody>");
        let shown = self.rows().min(max_rows);
        for row in 0..shown {
            out.push_str("<tr>");
            for column in self.frame.columns() {
                let numeric = column.dtype().is_primitive_numeric();
                let text = self.shown_cell(column, row);
                if numeric {
                    let _ = write!(
                        out,
                        "<td style=\"text-align:right\">{}</td>",
                        escape_html(&text)
                    );
                } else {
                    let _ = write!(
                        out,
                        "<td style=\"text-align:left;white-space:pre-wrap\">{}</td>",
                        escape_html(&text)
                    );
                }
            }
            out.push_str("</tr>");
        }
        let _ = write!(
            out,
            "</tbody></table><p>{}</p></div>",
            escape_html(&self.size_line(shown))
        );
        out
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render_text(terminal_width(), SHOWN_ROWS))
    }
}

/// The terminal's width, or `$COLUMNS`, or 120 when output goes to a file or pipe.
pub fn terminal_width() -> u16 {
    if let Some((w, _)) = comfy_table::Table::new().width().map(|w| (w, 0)) {
        return w;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}

#[cfg(not(feature = "parquet"))]
fn no_parquet(path: &Path) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        message: "this qualkit was built without Parquet; build it with `--features parquet`, or use CSV or .xlsx".into(),
    }
}

/// A cell as CSV writes it: numbers in full (`2.0` stays a number when read back), missing
/// cells empty.
fn csv_cell(value: &CellValue) -> String {
    match value {
        CellValue::Number(x) if x.fract() == 0.0 && x.is_finite() => format!("{x:.1}"),
        CellValue::Number(x) => format!("{x}"),
        other => other.to_string(),
    }
}

/// The values of a column read from text: the narrowest type every filled cell fits.
fn infer_values(cells: &[Option<&str>]) -> Values {
    let filled = || cells.iter().flatten().map(|c| c.trim());
    let each = |parse: &dyn Fn(&str) -> Option<()>| filled().all(|c| parse(c).is_some());
    if each(&|c| c.parse::<i64>().ok().map(drop)) {
        Values::Integer(
            cells
                .iter()
                .map(|c| c.and_then(|c| c.trim().parse().ok()))
                .collect(),
        )
    } else if each(&|c| c.parse::<f64>().ok().filter(|x| x.is_finite()).map(drop)) {
        Values::Number(
            cells
                .iter()
                .map(|c| c.and_then(|c| c.trim().parse().ok()))
                .collect(),
        )
    } else if each(&|c| matches!(c, "true" | "false").then_some(())) {
        Values::Boolean(
            cells
                .iter()
                .map(|c| c.map(|c| c.trim() == "true"))
                .collect(),
        )
    } else {
        Values::Text(cells.iter().map(|c| c.map(str::to_string)).collect())
    }
}

fn cell_value(value: &AnyValue) -> CellValue {
    match value {
        AnyValue::Null => CellValue::Missing,
        AnyValue::Boolean(b) => CellValue::Boolean(*b),
        AnyValue::String(s) => CellValue::Text(s.to_string()),
        AnyValue::StringOwned(s) => CellValue::Text(s.to_string()),
        AnyValue::Float32(x) => CellValue::Number(f64::from(*x)),
        AnyValue::Float64(x) => CellValue::Number(*x),
        AnyValue::Int8(i) => CellValue::Integer(i64::from(*i)),
        AnyValue::Int16(i) => CellValue::Integer(i64::from(*i)),
        AnyValue::Int32(i) => CellValue::Integer(i64::from(*i)),
        AnyValue::Int64(i) => CellValue::Integer(*i),
        AnyValue::UInt8(i) => CellValue::Integer(i64::from(*i)),
        AnyValue::UInt16(i) => CellValue::Integer(i64::from(*i)),
        AnyValue::UInt32(i) => CellValue::Integer(i64::from(*i)),
        AnyValue::UInt64(i) => CellValue::Integer(i64::try_from(*i).unwrap_or(i64::MAX)),
        other => CellValue::Text(other.to_string()),
    }
}
