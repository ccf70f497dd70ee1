//! A CSV file read as a header and rows, each row with its line number so that errors can
//! point at it; columns are found by name.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub struct CsvTable {
    path: PathBuf,
    /// Column names, trimmed.
    pub header: Vec<String>,
    /// (line number, cells).
    pub rows: Vec<(u64, Vec<String>)>,
}

impl CsvTable {
    pub fn read(path: &Path) -> Result<CsvTable> {
        let text = crate::support::text::read_text(path)?;
        crate::support::text::check_csv_quotes(path, &text)?;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| Error::Invalid {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| super::text::csv_error(path, e))?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record.iter().map(str::to_string).collect()));
        }
        Ok(CsvTable {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// The index of a column, or an error naming the file and the columns it has.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
                found: self.header.clone(),
            })
    }
}

/// A cell of a row, empty when the row is short.
pub fn cell(row: &[String], column: usize) -> &str {
    row.get(column).map_or("", String::as_str)
}
