//! Open-ended survey answers from CSV: one document per answer, the other columns as
//! attributes. The answer's respondent, when a column names one, is its single speaker.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Document, Metadata, Participant, Speakers};
use crate::error::{Error, Result};

/// Which columns of a survey CSV carry what. Only `case` and `text` must be present.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveyColumns {
    pub id: String,
    pub case: String,
    pub text: String,
    pub respondent: String,
    pub role: String,
    pub method: String,
    pub phase: String,
    pub date: String,
    /// Method recorded when the file has no method column.
    pub default_method: String,
    /// Answers that say nothing (compared trimmed, ignoring case): rows holding one of
    /// these, or nothing, are skipped and counted, unless `keep_non_answers` is true.
    pub non_answers: Vec<String>,
    /// Keep empty answers and non-answers as documents.
    pub keep_non_answers: bool,
}

/// The non-answers skipped by default.
pub const DEFAULT_NON_ANSWERS: &[&str] = &[
    "did not answer",
    "didn't answer",
    "no answer",
    "not answered",
    "no response",
    "n/a",
    "na",
    "-",
    "--",
    ".",
];

/// A survey row that did not become a document, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRow {
    /// The CSV line (or the worksheet's row) it is on.
    pub line: u64,
    /// `empty answer` or `non-answer "N/A"`.
    pub reason: String,
}

/// Skipped rows counted by reason, in the order first met: `2 empty answers, 1 non-answer "N/A"`.
pub fn describe_skipped(skipped: &[SkippedRow]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for row in skipped {
        match counts.iter_mut().find(|(r, _)| *r == row.reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((&row.reason, 1)),
        }
    }
    counts
        .iter()
        .map(|(reason, n)| format!("{n} × {reason}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Default for SurveyColumns {
    fn default() -> Self {
        SurveyColumns {
            id: "id".into(),
            case: "case".into(),
            text: "answer".into(),
            respondent: "respondent".into(),
            role: "role".into(),
            method: "method".into(),
            phase: "phase".into(),
            date: "date".into(),
            default_method: "email_survey".into(),
            non_answers: DEFAULT_NON_ANSWERS.iter().map(|s| s.to_string()).collect(),
            keep_non_answers: false,
        }
    }
}

/// The answers of a survey CSV, one document per row, and the rows skipped as non-answers.
pub fn read_survey(
    path: &Path,
    relative: &Path,
    columns: &SurveyColumns,
) -> Result<(Vec<Document>, Vec<SkippedRow>)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    // Decode up front so that broken UTF-8 is reported with its line, like any other file.
    let text = crate::support::text::normalise(crate::support::text::decode_utf8(relative, bytes)?);
    crate::support::text::check_csv_quotes(relative, &text)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        Error::Csv {
            path: relative.to_path_buf(),
            line,
            message: match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("this row has {len} fields but the header has {expected_len}"),
                _ => e.to_string(),
            },
        }
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    // Rows become documents as they are read: a survey of a million answers is never held
    // twice, as cells and as documents.
    let rows = reader.into_records().map(|record| {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        Ok((line, record.iter().map(str::to_string).collect()))
    });
    survey_documents(path, relative, columns, &header, rows)
}

/// Survey answers from the first worksheet of an Excel workbook (`.xlsx`), read like a CSV
/// whose first row is the header. Row numbers in messages are the sheet's.
pub fn read_survey_xlsx(
    path: &Path,
    relative: &Path,
    columns: &SurveyColumns,
) -> Result<(Vec<Document>, Vec<SkippedRow>)> {
    let (header, rows) = super::spreadsheet::first_sheet(path, relative)?;
    survey_documents(path, relative, columns, &header, rows.into_iter().map(Ok))
}

/// One document per row with an answer; `rows` are (line or row number, cells).
fn survey_documents(
    path: &Path,
    relative: &Path,
    columns: &SurveyColumns,
    header: &[String],
    rows: impl Iterator<Item = Result<(u64, Vec<String>)>>,
) -> Result<(Vec<Document>, Vec<SkippedRow>)> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("survey")
        .to_string();
    let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let require = |name: &str| {
        find(name).ok_or_else(|| Error::MissingColumn {
            path: relative.to_path_buf(),
            column: name.to_string(),
            found: header.to_vec(),
        })
    };
    let case_col = require(&columns.case)?;
    let text_col = require(&columns.text)?;
    let id_col = find(&columns.id);
    let respondent_col = find(&columns.respondent);
    let role_col = find(&columns.role);
    let method_col = find(&columns.method);
    let phase_col = find(&columns.phase);
    let date_col = find(&columns.date);
    let special = [
        Some(case_col),
        Some(text_col),
        id_col,
        respondent_col,
        role_col,
        method_col,
        phase_col,
        date_col,
    ];

    let mut documents = Vec::new();
    let mut skipped = Vec::new();
    let mut seen_ids = BTreeMap::new();
    let non_answers: Vec<String> = columns
        .non_answers
        .iter()
        .map(|n| n.trim().to_lowercase())
        .collect();
    for (row, read) in rows.enumerate() {
        let (line, record) = read?;
        let cell = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if !columns.keep_non_answers {
            let answer = record.get(text_col).map_or("", |a| a.trim());
            let reason = if answer.is_empty() {
                Some("empty answer".to_string())
            } else if non_answers.contains(&answer.to_lowercase()) {
                Some(format!("non-answer \"{answer}\""))
            } else {
                None
            };
            if let Some(reason) = reason {
                skipped.push(SkippedRow { line, reason });
                continue;
            }
        }
        if cell(Some(case_col)).is_none() {
            return Err(Error::Csv {
                path: relative.to_path_buf(),
                line,
                message: format!(
                    "this answer has no case: column {} (`{}`) is empty",
                    case_col + 1,
                    header[case_col]
                ),
            });
        }
        let local_id = cell(id_col).unwrap_or_else(|| (row + 1).to_string());
        if let Some(previous) = seen_ids.insert(local_id.clone(), line) {
            return Err(Error::Csv {
                path: relative.to_path_buf(),
                line,
                message: format!("id `{local_id}` repeats the id on line {previous}"),
            });
        }
        let attributes = header
            .iter()
            .enumerate()
            .filter(|(i, _)| !special.contains(&Some(*i)))
            .filter_map(|(i, h)| Some((h.clone(), record.get(i)?.to_string())))
            .collect();
        let meta = Metadata {
            case: cell(Some(case_col)).unwrap_or_default(),
            method: cell(method_col).unwrap_or_else(|| columns.default_method.clone()),
            phase: cell(phase_col).unwrap_or_default(),
            date: cell(date_col),
            title: None,
            participants: Vec::new(),
            attributes,
        };
        let respondent = cell(respondent_col).map(|speaker| Participant {
            speaker,
            role: cell(role_col).unwrap_or_default(),
        });
        let answer: std::sync::Arc<str> = record.get(text_col).map_or("", String::as_str).into();
        let mut meta = meta;
        meta.participants.extend(respondent.clone());
        documents.push(Document::new(
            format!("{stem}#{local_id}"),
            relative.to_path_buf(),
            meta,
            answer,
            line as usize,
            Speakers::Respondent(respondent),
        ));
    }
    documents.shrink_to_fit();
    Ok((documents, skipped))
}
