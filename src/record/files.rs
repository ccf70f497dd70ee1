//! The formats of the record files: how each is written (sorted, so that a diff under version
//! control shows just what changed) and read back (every problem named by file and line).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One coding as `codings/<coder>.csv` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodingRow {
    pub id: String,
    pub coder: String,
    pub document: String,
    pub code: String,
    pub start: usize,
    pub end: usize,
    /// The text the span covered when the row was written: how a later reader notices that
    /// the document changed under it.
    pub quote: String,
    /// When the coding was made (UTC, ISO 8601).
    pub created: String,
    /// The log entry that made it.
    pub entry: String,
    /// Its text is gone from the document (see [`crate::coding::reanchor`]): `start` and
    /// `end` mean nothing, and the file leaves them empty.
    pub detached: bool,
    /// Line in the file (1-based), for messages; 0 for rows not read from a file.
    pub line: u64,
}

/// Marks an id given while reading to a row that had none (removed before it is stored).
pub const NEW_ID_PREFIX: &str = "new:";

pub const CODINGS_HEADER: [&str; 9] = [
    "id", "coder", "document", "code", "start", "end", "quote", "created", "entry",
];

/// A codings CSV; rows sorted by document, position, code and id.
pub fn codings_csv(rows: &mut [CodingRow]) -> Vec<u8> {
    rows.sort_unstable_by(|a, b| {
        (&a.document, a.start, a.end, &a.code, &a.id).cmp(&(
            &b.document,
            b.start,
            b.end,
            &b.code,
            &b.id,
        ))
    });
    let mut out = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160 + 64));
    out.write_record(CODINGS_HEADER).expect("writing to memory");
    let mut start = itoa_buffer();
    let mut end = itoa_buffer();
    for r in rows.iter() {
        let (start, end) = if r.detached {
            ("", "")
        } else {
            (start.format(r.start), end.format(r.end))
        };
        out.write_record([
            r.id.as_bytes(),
            r.coder.as_bytes(),
            r.document.as_bytes(),
            r.code.as_bytes(),
            start.as_bytes(),
            end.as_bytes(),
            r.quote.as_bytes(),
            r.created.as_bytes(),
            r.entry.as_bytes(),
        ])
        .expect("writing to memory");
    }
    out.into_inner().expect("writing to memory")
}

struct Itoa(String);

impl Itoa {
    fn format(&mut self, n: usize) -> &str {
        use std::fmt::Write;
        self.0.clear();
        let _ = write!(self.0, "{n}");
        &self.0
    }
}

fn itoa_buffer() -> Itoa {
    Itoa(String::with_capacity(20))
}

/// What a file in `codings/` holds.
pub enum CodingsFile {
    /// Rows in the record's own form, with ids; and the memos of a `memo` column, which the
    /// record keeps in memos.csv (an exported file put back in `codings/` has one).
    Record {
        rows: Vec<CodingRow>,
        memos: Vec<MemoRow>,
    },
    /// A file without an `id` column: codings in the import form (as qualkit wrote them before
    /// ids were kept, or as a colleague made them by hand). Read through the importer.
    Import,
}

pub fn read_codings(path: &Path, shown: &Path) -> Result<CodingsFile> {
    let text = crate::support::text::read_text(path)?;
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let csv_error = |e| crate::support::text::csv_error(shown, e);
    let header: Vec<String> = crate::support::text::csv_header(&mut reader, shown)?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let find = |name: &str| header.iter().position(|h| h == name);
    let Some(id) = find("id") else {
        return Ok(CodingsFile::Import);
    };
    let column = |name: &str| {
        find(name).ok_or_else(|| Error::MissingColumn {
            path: shown.to_path_buf(),
            column: name.to_string(),
            found: header.clone(),
        })
    };
    let (coder, document, code, start, end) = (
        column("coder")?,
        column("document")?,
        column("code")?,
        column("start")?,
        column("end")?,
    );
    let (quote, created, entry) = (find("quote"), find("created"), find("entry"));
    let memo = find("memo");
    let mut rows = Vec::new();
    let mut memos = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| p.line());
        let get = |i: usize| record.get(i).unwrap_or("");
        let optional = |i: Option<usize>| i.map_or("", |i| get(i));
        let number = |i: usize, name: &str| -> Result<usize> {
            get(i).trim().parse().map_err(|_| Error::Csv {
                path: shown.to_path_buf(),
                line,
                message: format!("`{name}` must be a whole number, not `{}`", get(i)),
            })
        };
        // A row added by hand may leave the id empty: it gets one, and the file is
        // rewritten with it (see `CodingRow::line` and the caller).
        let id_value = get(id).trim();
        let id_value = if id_value.is_empty() {
            format!("{NEW_ID_PREFIX}{}", super::new_id())
        } else {
            id_value.to_string()
        };
        let id_value = id_value.as_str();
        if let Some(text) = memo.map(|i| get(i).trim()).filter(|t| !t.is_empty()) {
            memos.push(MemoRow {
                id: super::new_id(),
                kind: "coding".into(),
                target: id_value.to_string(),
                author: get(coder).trim().to_string(),
                updated: optional(created).trim().to_string(),
                text: text.to_string(),
            });
        }
        let detached = get(start).trim().is_empty() && get(end).trim().is_empty();
        rows.push(CodingRow {
            id: id_value.to_string(),
            coder: get(coder).trim().to_string(),
            document: get(document).trim().to_string(),
            code: get(code).trim().to_string(),
            start: if detached { 0 } else { number(start, "start")? },
            end: if detached { 0 } else { number(end, "end")? },
            detached,
            quote: optional(quote).to_string(),
            created: optional(created).trim().to_string(),
            entry: optional(entry).trim().to_string(),
            line,
        });
    }
    Ok(CodingsFile::Record { rows, memos })
}

/// A memo as `memos.csv` keeps it. `kind` is coding, document, code, case or project; the
/// target is the coding id, document id, code id or case name (empty for the project).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoRow {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub author: String,
    pub updated: String,
    pub text: String,
}

/// A Framework summary as `summaries.csv` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub case: String,
    pub theme: String,
    pub summary: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub updated: String,
}

/// One case's value of a classification, as `classifications.csv` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationRow {
    pub attribute: String,
    pub case: String,
    pub value: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub updated: String,
}

/// One entry of `log.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: String,
    pub at: String,
    pub coder: String,
    pub action: String,
    pub codebook_version: String,
    pub detail: serde_json::Value,
}

impl LogEntry {
    /// The entry as one line of `log.jsonl`, newline included.
    pub fn line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("log entries serialise");
        line.push('\n');
        line
    }
}

/// Rows as CSV with a header from the row type's fields.
pub fn rows_csv<T: Serialize>(header: &[&str], rows: &[T]) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    out.write_record(header).expect("writing to memory");
    for row in rows {
        out.serialize(row).expect("record rows serialise");
    }
    out.into_inner().expect("writing to memory")
}

pub const MEMOS_HEADER: [&str; 6] = ["id", "kind", "target", "author", "updated", "text"];
pub const SUMMARIES_HEADER: [&str; 5] = ["case", "theme", "summary", "author", "updated"];
pub const CLASSIFICATIONS_HEADER: [&str; 6] =
    ["attribute", "case", "value", "reason", "author", "updated"];

/// Reads a record CSV into rows of `T`, each with its line; an absent file is empty.
pub fn read_rows<T: for<'de> Deserialize<'de>>(path: &Path, shown: &Path) -> Result<Vec<(u64, T)>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = crate::support::text::read_text(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    // Headers are matched without regard to case, as everywhere else in qualkit.
    let header = reader
        .headers()
        .map_err(|e| Error::Csv {
            path: shown.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>();
    reader.set_headers(csv::StringRecord::from(header));
    let header = reader.headers().cloned().unwrap_or_default();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| crate::support::text::csv_error(shown, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let row = record
            .deserialize::<T>(Some(&header))
            .map_err(|e| Error::Csv {
                path: shown.to_path_buf(),
                line,
                message: match e.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => format!(
                        "{err}{}",
                        err.field()
                            .map(|f| format!(" (column {})", f + 1))
                            .unwrap_or_default()
                    ),
                    _ => e.to_string(),
                },
            })?;
        rows.push((line, row));
    }
    Ok(rows)
}

/// Reads `log.jsonl`; an absent file is an empty log.
pub fn read_log(path: &Path, shown: &Path) -> Result<Vec<LogEntry>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = crate::support::text::read_text(path)?;
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: LogEntry = serde_json::from_str(line).map_err(|e| Error::Csv {
            path: shown.to_path_buf(),
            line: i as u64 + 1,
            message: format!("not a log entry: {e}"),
        })?;
        entries.push(entry);
    }
    Ok(entries)
}
