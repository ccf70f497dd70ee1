//! Reading the first worksheet of an Excel workbook as a header row and rows of text. The
//! workbook is a zip archive from elsewhere, so it passes the same archive checks as an
//! exchange file before the spreadsheet reader sees it.

use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use crate::error::{Error, Result};
use crate::exchange::archive::{Archive, Limits};

/// Rows of a sheet: (row number from 1, cells).
pub type Rows = Vec<(u64, Vec<String>)>;

/// (header, rows); cells as a person reads them: whole numbers without `.0`, dates as
/// `YYYY-MM-DD`.
pub fn first_sheet(path: &Path, relative: &Path) -> Result<(Vec<String>, Rows)> {
    Archive::open(path, Limits::default())?;
    let invalid = |message: String| Error::Invalid {
        path: relative.to_path_buf(),
        message,
    };
    let mut workbook: Xlsx<_> = calamine::open_workbook(path)
        .map_err(|e| invalid(format!("not a readable Excel workbook ({e})")))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| invalid("the workbook has no worksheet".into()))?
        .map_err(|e| invalid(format!("first worksheet: {e}")))?;
    let first_row = range.start().map_or(0, |(row, _)| row as u64);
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .ok_or_else(|| invalid("the first worksheet is empty".into()))?
        .iter()
        .map(|c| cell_text(c).trim().to_string())
        .collect();
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        out.push((first_row + i as u64 + 2, cells));
    }
    Ok((header, out))
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => crate::text::normalise(s.clone()),
        Data::Int(i) => i.to_string(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Data::Float(x) => x.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(t) => {
            let (y, m, d, hh, mm, ss, _) = t.to_ymd_hms_milli();
            if t.is_datetime() && (hh, mm, ss) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else if t.is_datetime() {
                format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")
            } else {
                t.as_f64().to_string()
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}
