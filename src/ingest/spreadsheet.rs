//! Reading the first worksheet of an Excel workbook as a header row and rows of text. The
//! workbook is a zip archive from elsewhere, so it passes the same archive checks as an
//! exchange file before the spreadsheet reader sees it, and what it declares is checked
//! before anything is allocated for it: a count of shared strings the file cannot hold, or
//! a sheet whose cells span more than [`MAX_CELLS`], is refused naming the file, the sheet
//! and the cell. The sheet is read cell by cell, so memory follows the cells it has, never
//! the area they span.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, DataRef, Reader, Xlsx};

use crate::error::{Error, Result};
use crate::support::archive::{Archive, Limits};

/// Rows of a sheet: (row number from 1, cells).
pub type Rows = Vec<(u64, Vec<String>)>;

/// The largest area (rows × columns, from the first cell to the last) of a sheet qualkit
/// reads: 200,000 answers of 100 columns.
pub const MAX_CELLS: u64 = 20_000_000;

/// The fewest bytes a shared string takes in `sharedStrings.xml` (`<si/>`).
const MIN_SHARED_STRING_BYTES: u64 = 5;

/// (header, rows); cells as a person reads them: whole numbers without `.0`, dates as
/// `YYYY-MM-DD`. The sheet's area starts at its first cell that has a value; the header is
/// the first row of that area, up to its last cell, and each row is read as wide as the
/// header.
pub fn first_sheet(path: &Path, relative: &Path) -> Result<(Vec<String>, Rows)> {
    let invalid = |message: String| Error::Invalid {
        path: relative.to_path_buf(),
        message,
    };
    let mut archive = Archive::open(path, Limits::default())?;
    check_shared_strings(&mut archive).map_err(invalid)?;
    drop(archive);
    let mut workbook: Xlsx<_> = calamine::open_workbook(path)
        .map_err(|e| invalid(format!("not a readable Excel workbook ({e})")))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| invalid("the workbook has no worksheet".into()))?;
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| invalid(format!("worksheet `{sheet}`: {e}")))?;
    // Cells with a value, by row then column, and the corners of the area they span.
    let mut cells: BTreeMap<(u32, u32), String> = BTreeMap::new();
    let (mut first, mut last) = ((u32::MAX, u32::MAX), (0, 0));
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| invalid(format!("worksheet `{sheet}`: {e}")))?
    {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (row, col) = cell.get_position();
        first = (first.0.min(row), first.1.min(col));
        last = (last.0.max(row), last.1.max(col));
        let area = (u64::from(last.0 - first.0) + 1) * (u64::from(last.1 - first.1) + 1);
        if area > MAX_CELLS {
            return Err(invalid(format!(
                "worksheet `{sheet}`: cell {} makes the sheet span {}:{} ({area} cells), more than the {MAX_CELLS} qualkit reads; remove stray cells far from the table",
                cell_name(row, col),
                cell_name(first.0, first.1),
                cell_name(last.0, last.1),
            )));
        }
        cells.insert((row, col), cell_text(&Data::from(cell.get_value().clone())));
    }
    let Some((&(header_row, _), _)) = cells.first_key_value() else {
        return Err(invalid(format!("the first worksheet `{sheet}` is empty")));
    };
    let width = cells
        .range((header_row, 0)..=(header_row, u32::MAX))
        .map(|(&(_, col), _)| col - first.1 + 1)
        .max()
        .unwrap_or(0) as usize;
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for ((row, col), text) in cells {
        let index = (col - first.1) as usize;
        if index >= width {
            continue;
        }
        rows.entry(row)
            .or_insert_with(|| vec![String::new(); width])[index] = text;
    }
    let header = rows
        .remove(&header_row)
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.trim().to_string())
        .collect();
    let out = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(row, cells)| (u64::from(row) + 1, cells))
        .collect();
    Ok((header, out))
}

/// Refuses a `sharedStrings.xml` that declares more strings than its bytes can hold: the
/// spreadsheet reader reserves room for the count it declares before reading any.
fn check_shared_strings(archive: &mut Archive) -> std::result::Result<(), String> {
    let names: Vec<String> = archive
        .entries()
        .iter()
        .filter(|e| {
            e.name
                .rsplit('/')
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case("sharedStrings.xml"))
        })
        .map(|e| e.name.clone())
        .collect();
    for name in names {
        let bytes = archive.read(&name).map_err(|e| e.to_string())?;
        let mut xml = quick_xml::Reader::from_reader(bytes.as_slice());
        let mut buf = Vec::new();
        let count = loop {
            buf.clear();
            match xml.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e))
                    if e.local_name().as_ref() == "sst" =>
                {
                    break e
                        .try_get_attribute("uniqueCount")
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.parse::<u64>().ok());
                }
                Ok(quick_xml::events::Event::Eof) | Err(_) => break None,
                Ok(_) => {}
            }
        };
        let room = bytes.len() as u64 / MIN_SHARED_STRING_BYTES;
        if let Some(count) = count
            && count > room
        {
            return Err(format!(
                "`{name}` declares {count} shared strings (uniqueCount) in {} bytes, which hold at most {room}; the file is damaged or crafted",
                bytes.len()
            ));
        }
    }
    Ok(())
}

/// A cell's name as Excel shows it (`A1`, `XFD1048576`), from its row and column counted from 0.
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8_lossy(&letters),
        u64::from(row) + 1
    )
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => crate::support::text::normalise(s.clone()),
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
