//! Tables as Excel workbooks, for colleagues who read matrices in a spreadsheet: one sheet
//! per table, the header row bold on a tinted background and frozen, long text wrapped,
//! numbers as numbers.

use std::path::Path;

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::ExchangeReport;
use crate::analysis::table::{CellValue, Table, Values};
use crate::error::{Error, Result};
use crate::project::Project;

/// The most Excel keeps in one cell, counted in UTF-16 code units (an emoji counts two).
const EXCEL_CELL_UNITS: usize = 32_767;
/// Excel's row limit, header included.
const EXCEL_ROWS: usize = 1_048_576;

/// Text cut to what a spreadsheet cell holds, never inside a character; `None` when it fits.
fn cut_to_cell(text: &str) -> Option<String> {
    if text.len() <= EXCEL_CELL_UNITS || text.encode_utf16().count() <= EXCEL_CELL_UNITS {
        return None;
    }
    let mut units = 0;
    Some(
        text.chars()
            .take_while(|c| {
                units += c.len_utf16();
                units <= EXCEL_CELL_UNITS
            })
            .collect(),
    )
}

/// Writes tables to one workbook, a sheet each, named after `name` (made unique and cut to
/// Excel's 31 characters). Returns warnings: the cells cut to what a spreadsheet cell holds,
/// by sheet.
pub fn write_tables(path: &Path, tables: &[(&str, &Table)]) -> Result<Vec<String>> {
    let fail = |e: XlsxError| Error::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDCE6F1))
        .set_border_bottom(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let wrapped = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let plain = Format::new().set_align(FormatAlign::Top);
    let mut workbook = Workbook::new();
    let mut names: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    for (name, table) in tables {
        let mut cut = 0;
        if table.rows() + 1 > EXCEL_ROWS {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "table `{name}` has {} rows, more than a spreadsheet holds; write it as CSV or Parquet",
                    table.rows()
                ),
            });
        }
        let sheet_name = unique_sheet_name(name, &names);
        names.push(sheet_name.clone());
        let sheet = workbook.add_worksheet();
        sheet.set_name(&sheet_name).map_err(fail)?;
        let columns = table.column_names();
        for (c, column) in columns.iter().enumerate() {
            let c = c as u16;
            sheet
                .write_string_with_format(0, c, column, &header)
                .map_err(fail)?;
            let values = table.values(column)?;
            let mut widest = column.chars().count();
            for (r, value) in values.iter().enumerate() {
                let r = r as u32 + 1;
                match value {
                    CellValue::Missing => {}
                    CellValue::Integer(i) => {
                        sheet
                            .write_number_with_format(r, c, *i as f64, &plain)
                            .map_err(fail)?;
                        widest = widest.max(i.to_string().len());
                    }
                    CellValue::Number(x) if x.is_finite() => {
                        sheet
                            .write_number_with_format(r, c, *x, &plain)
                            .map_err(fail)?;
                        widest = widest.max(8);
                    }
                    CellValue::Number(x) => {
                        sheet.write_string(r, c, x.to_string()).map_err(fail)?;
                    }
                    CellValue::Boolean(b) => {
                        sheet.write_boolean(r, c, *b).map_err(fail)?;
                        widest = widest.max(5);
                    }
                    CellValue::Text(s) => {
                        let kept = match cut_to_cell(s) {
                            Some(kept) => {
                                cut += 1;
                                std::borrow::Cow::Owned(kept)
                            }
                            None => std::borrow::Cow::Borrowed(s.as_str()),
                        };
                        widest =
                            widest.max(kept.lines().map(|l| l.chars().count()).max().unwrap_or(0));
                        sheet
                            .write_string_with_format(r, c, kept.as_ref(), &wrapped)
                            .map_err(fail)?;
                    }
                }
            }
            sheet
                .set_column_width(c, (widest as f64 + 2.0).clamp(8.0, 60.0))
                .map_err(fail)?;
        }
        if cut > 0 {
            warnings.push(format!(
                "sheet `{sheet_name}`: {cut} cells are longer than a spreadsheet cell holds ({EXCEL_CELL_UNITS} UTF-16 code units) and were cut there; write the table as CSV to keep them whole"
            ));
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        if !columns.is_empty() {
            sheet
                .autofilter(0, 0, table.rows() as u32, columns.len() as u16 - 1)
                .map_err(fail)?;
        }
    }
    if tables.is_empty() {
        workbook.add_worksheet();
    }
    let bytes = workbook.save_to_buffer().map_err(fail)?;
    crate::record::atomic::write_atomic(path, &bytes)?;
    Ok(warnings)
}

fn unique_sheet_name(wanted: &str, taken: &[String]) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let cleaned = cleaned.trim_matches('\'').trim();
    let base: String = if cleaned.is_empty() {
        "table".into()
    } else {
        cleaned.chars().take(31).collect()
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        let suffix = format!(" ({n})");
        name = format!(
            "{}{suffix}",
            base.chars().take(31 - suffix.len()).collect::<String>()
        );
        n += 1;
    }
    name
}

/// The project as a workbook: codings (with ids and quotes), documents, cases, memos, the
/// codebook (with counts) and Framework summaries.
pub fn export_project(project: &Project, out: &Path) -> Result<ExchangeReport> {
    project.check_exportable()?;
    let codings = project.codings()?;
    let memos: std::collections::HashMap<(String, String), String> = project
        .store()
        .memos(Some("coding"), None)?
        .into_iter()
        .map(|m| ((m.target, m.coder), m.text))
        .collect();
    let text = |v: Vec<String>| Values::Text(v.into_iter().map(Some).collect());
    let mut columns: Vec<(&str, Vec<String>)> = ["coder", "document", "case", "code", "path"]
        .into_iter()
        .map(|c| (c, Vec::new()))
        .collect();
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut quotes = Vec::new();
    let mut memo_column = Vec::new();
    for c in &codings {
        let document = project.document(&c.document).ok();
        let code = project.codebook.get(&c.code);
        let row = [
            c.coder.clone(),
            c.document.clone(),
            document.map(|d| d.case.clone()).unwrap_or_default(),
            c.code.clone(),
            code.map(|c| c.path.clone()).unwrap_or_default(),
        ];
        for ((_, column), value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
        starts.push(Some(c.start as i64));
        ends.push(Some(c.end as i64));
        quotes.push(
            document
                .and_then(|d| d.slice(c.start, c.end))
                .map(str::to_string),
        );
        memo_column.push(memos.get(&(c.id.to_string(), c.coder.clone())).cloned());
    }
    let mut coding_columns: Vec<(String, Values)> = vec![(
        "id".to_string(),
        text(codings.iter().map(|c| c.id.clone()).collect()),
    )];
    coding_columns.extend(
        columns
            .into_iter()
            .map(|(name, values)| (name.to_string(), text(values))),
    );
    coding_columns.extend([
        ("start".to_string(), Values::Integer(starts)),
        ("end".to_string(), Values::Integer(ends)),
        ("quote".to_string(), Values::Text(quotes)),
        ("memo".to_string(), Values::Text(memo_column)),
    ]);
    let codings_table = Table::new(coding_columns)?;

    let documents = project.documents();
    let documents_table = Table::new(vec![
        (
            "document".into(),
            text(documents.iter().map(|d| d.id.clone()).collect()),
        ),
        (
            "case".into(),
            text(documents.iter().map(|d| d.case.clone()).collect()),
        ),
        (
            "method".into(),
            text(documents.iter().map(|d| d.method.clone()).collect()),
        ),
        (
            "phase".into(),
            text(documents.iter().map(|d| d.phase.clone()).collect()),
        ),
        (
            "date".into(),
            Values::Text(documents.iter().map(|d| d.date.clone()).collect()),
        ),
        (
            "words".into(),
            Values::Integer(
                documents
                    .iter()
                    .map(|d| Some(d.word_count() as i64))
                    .collect(),
            ),
        ),
    ])?;

    let cases = &project.cases;
    let mut case_columns = vec![(
        "case".to_string(),
        text(cases.iter().map(|c| c.name.clone()).collect()),
    )];
    for (column, ty) in cases.columns() {
        use crate::project::cases::{Value, ValueType};
        let get = |c: &crate::project::cases::Case| {
            c.attributes.get(column).cloned().unwrap_or(Value::Missing)
        };
        let values = match ty {
            ValueType::Integer => Values::Integer(
                cases
                    .iter()
                    .map(|c| match get(c) {
                        Value::Integer(i) => Some(i),
                        _ => None,
                    })
                    .collect(),
            ),
            ValueType::Number => Values::Number(
                cases
                    .iter()
                    .map(|c| match get(c) {
                        Value::Number(x) => Some(x),
                        Value::Integer(i) => Some(i as f64),
                        _ => None,
                    })
                    .collect(),
            ),
            ValueType::Boolean => Values::Boolean(
                cases
                    .iter()
                    .map(|c| match get(c) {
                        Value::Boolean(b) => Some(b),
                        _ => None,
                    })
                    .collect(),
            ),
            ValueType::Text => Values::Text(
                cases
                    .iter()
                    .map(|c| match get(c) {
                        Value::Missing => None,
                        v => Some(v.to_string()),
                    })
                    .collect(),
            ),
        };
        case_columns.push((column.clone(), values));
    }
    let cases_table = Table::new(case_columns)?;

    let all_memos = project.store().memos(None, None)?;
    let memos_table = Table::new(vec![
        (
            "id".into(),
            text(all_memos.iter().map(|m| m.id.clone()).collect()),
        ),
        (
            "on".into(),
            text(all_memos.iter().map(|m| m.kind.clone()).collect()),
        ),
        (
            "target".into(),
            text(all_memos.iter().map(|m| m.target.clone()).collect()),
        ),
        (
            "by".into(),
            text(all_memos.iter().map(|m| m.coder.clone()).collect()),
        ),
        (
            "updated".into(),
            text(all_memos.iter().map(|m| m.updated.clone()).collect()),
        ),
        (
            "text".into(),
            text(all_memos.iter().map(|m| m.text.clone()).collect()),
        ),
    ])?;
    let codes = project.codebook.codes();
    let mut coded: std::collections::HashMap<&str, i64> = Default::default();
    for c in &codings {
        *coded.entry(c.code.as_str()).or_default() += 1;
    }
    let codebook_table = Table::new(vec![
        (
            "id".into(),
            text(codes.iter().map(|c| c.id.clone()).collect()),
        ),
        (
            "path".into(),
            text(codes.iter().map(|c| c.path.clone()).collect()),
        ),
        (
            "name".into(),
            text(codes.iter().map(|c| c.name.clone()).collect()),
        ),
        (
            "description".into(),
            text(codes.iter().map(|c| c.description.clone()).collect()),
        ),
        (
            "color".into(),
            Values::Text(codes.iter().map(|c| c.color.clone()).collect()),
        ),
        (
            "codings".into(),
            Values::Integer(
                codes
                    .iter()
                    .map(|c| Some(coded.get(c.id.as_str()).copied().unwrap_or(0)))
                    .collect(),
            ),
        ),
    ])?;
    let summaries = project.store().summaries()?;
    let summaries_table = Table::new(vec![
        (
            "case".into(),
            text(summaries.iter().map(|s| s.case.clone()).collect()),
        ),
        (
            "theme".into(),
            text(summaries.iter().map(|s| s.theme.clone()).collect()),
        ),
        (
            "summary".into(),
            text(summaries.iter().map(|s| s.text.clone()).collect()),
        ),
        (
            "author".into(),
            text(summaries.iter().map(|s| s.author.clone()).collect()),
        ),
        (
            "updated".into(),
            text(summaries.iter().map(|s| s.updated.clone()).collect()),
        ),
    ])?;

    let mut report = ExchangeReport {
        file: out.to_path_buf(),
        exported: true,
        codings_added: codings.len(),
        written: vec![out.to_path_buf()],
        ..Default::default()
    };
    report.warnings = write_tables(
        out,
        &[
            ("codings", &codings_table),
            ("documents", &documents_table),
            ("cases", &cases_table),
            ("memos", &memos_table),
            ("codebook", &codebook_table),
            ("summaries", &summaries_table),
        ],
    )?;
    Ok(report)
}

/// A Framework matrix as a workbook: the matrix itself (a row per case, a column per theme,
/// each cell its summary, or the quotes while there is none) and the long form with every
/// quote and where it is.
pub fn write_framework(
    path: &Path,
    matrix: &crate::analysis::FrameworkMatrix,
) -> Result<Vec<String>> {
    let mut columns = vec![(
        "case".to_string(),
        Values::Text(matrix.cases.iter().cloned().map(Some).collect()),
    )];
    if let Some((attribute, values)) = &matrix.group {
        columns.push((
            attribute.clone(),
            Values::Text(values.iter().cloned().map(Some).collect()),
        ));
    }
    for (t, (_, name)) in matrix.themes.iter().enumerate() {
        let cells = matrix
            .cells
            .iter()
            .map(|row| {
                let cell = &row[t];
                match &cell.summary {
                    Some(summary) => Some(summary.text.clone()),
                    None if cell.references.is_empty() => None,
                    None => Some(
                        cell.references
                            .iter()
                            .map(|r| format!("“{}” ({r})", r.text.trim()))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                }
            })
            .collect();
        let mut header = name.clone();
        let mut n = 2;
        while columns.iter().any(|(c, _)| *c == header) {
            header = format!("{name} ({n})");
            n += 1;
        }
        columns.push((header, Values::Text(cells)));
    }
    let wide = Table::new(columns)?;
    let long = matrix.to_table()?;
    write_tables(path, &[("Framework matrix", &wide), ("cells", &long)])
}
