//! Codings as CSV: the text form kept under version control, and the way codings made
//! elsewhere come in. Rows name the document and code, and the span by offsets, by quote, or
//! both (then the quote must be the text at those offsets).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::coding::{self, Span};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::store::NewCoding;

pub(crate) struct Row {
    pub coder: String,
    pub coding: NewCoding,
}

pub(crate) fn read(
    file: &Path,
    project: &Project,
    default_coder: Option<&str>,
) -> Result<Vec<Row>> {
    let shown = file
        .strip_prefix(project.root())
        .unwrap_or(file)
        .to_path_buf();
    let text = crate::support::text::read_text(file)?;
    crate::support::text::check_csv_quotes(&shown, &text)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let csv_error = |e| crate::support::text::csv_error(&shown, e);
    let header: Vec<String> = crate::support::text::csv_header(&mut reader, &shown)?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let find = |name: &str| header.iter().position(|h| h == name);
    let require = |name: &str| {
        find(name).ok_or_else(|| Error::MissingColumn {
            path: shown.clone(),
            column: name.into(),
            found: header.clone(),
        })
    };
    let document_col = require("document")?;
    let code_col = require("code")?;
    let (quote_col, start_col, end_col) = (find("quote"), find("start"), find("end"));
    if quote_col.is_none() && (start_col.is_none() || end_col.is_none()) {
        return Err(Error::MissingColumn {
            path: shown.clone(),
            column: "quote (or both start and end)".into(),
            found: header.clone(),
        });
    }
    let coder_col = find("coder");
    let memo_col = find("memo");
    let file_coder = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("unknown");

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        let at_line = |e: Error| Error::Csv {
            path: shown.clone(),
            line,
            message: e.to_string(),
        };
        let cell = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let document = project
            .document(cell(Some(document_col)).unwrap_or_default())
            .map_err(at_line)?;
        let code = project
            .codebook
            .resolve(cell(Some(code_col)).unwrap_or_default())
            .map_err(at_line)?;
        let offset = |col: Option<usize>, name: &str| -> Result<Option<usize>> {
            cell(col)
                .map(|v| {
                    v.parse::<usize>().map_err(|_| Error::Csv {
                        path: shown.clone(),
                        line,
                        message: format!("`{name}` must be a whole number, not `{v}`"),
                    })
                })
                .transpose()
        };
        let quote = quote_col
            .and_then(|c| record.get(c))
            .filter(|q| !q.trim().is_empty());
        let (start, end) = match (offset(start_col, "start")?, offset(end_col, "end")?, quote) {
            (Some(start), Some(end), quote) => {
                let (start, end) = coding::check_offsets(document, start, end).map_err(at_line)?;
                if let Some(quote) = quote
                    && document.slice(start, end) != Some(quote)
                {
                    return Err(Error::Csv {
                        path: shown.clone(),
                        line,
                        message: format!(
                            "the quote is not the text at {start}..{end} of `{}` (the document may have changed since export)",
                            document.id
                        ),
                    });
                }
                (start, end)
            }
            (_, _, Some(quote)) => coding::resolve(
                document,
                &Span::Quote {
                    text: quote.to_string(),
                    occurrence: None,
                },
            )
            .map_err(at_line)?,
            _ => {
                return Err(Error::Csv {
                    path: shown.clone(),
                    line,
                    message: "give a quote or both start and end".into(),
                });
            }
        };
        rows.push(Row {
            coder: cell(coder_col)
                .or(default_coder)
                .unwrap_or(file_coder)
                .to_string(),
            coding: NewCoding {
                id: None,
                document: document.id.clone(),
                code: code.id.clone(),
                start,
                end,
                memo: cell(memo_col).map(str::to_string),
            },
        });
    }
    Ok(rows)
}

pub(crate) fn write_all(project: &Project, dir: &Path) -> Result<Vec<PathBuf>> {
    project.check_exportable()?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut by_coder: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for coding in project.codings()? {
        by_coder
            .entry(coding.coder.clone())
            .or_default()
            .push(coding);
    }
    let mut written = Vec::new();
    for (coder, codings) in by_coder {
        let path = dir.join(crate::store::codings_file_name(&coder));
        write_codings(project, &path, codings)?;
        written.push(path);
    }
    Ok(written)
}

/// Every coder's codings in one CSV, sorted so that the file changes only where the codings
/// do (a diff under version control shows what was coded).
pub(crate) fn write_one(project: &Project, path: &Path) -> Result<()> {
    project.check_exportable()?;
    write_codings(project, path, project.codings()?)
}

fn write_codings(
    project: &Project,
    path: &Path,
    mut codings: Vec<crate::store::Coding>,
) -> Result<()> {
    let memos: HashMap<(String, String), String> = project
        .store()
        .memos(Some("coding"), None)?
        .into_iter()
        .map(|m| ((m.target, m.coder), m.text))
        .collect();
    codings.sort_by(|a, b| {
        (&a.coder, &a.document, a.start, a.end, &a.code).cmp(&(
            &b.coder,
            &b.document,
            b.start,
            b.end,
            &b.code,
        ))
    });
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    out.write_record([
        "id", "coder", "document", "code", "start", "end", "quote", "created", "memo",
    ])
    .map_err(fail)?;
    for c in &codings {
        let quote = project
            .document(&c.document)
            .ok()
            .and_then(|d| d.slice(c.start, c.end))
            .unwrap_or_default();
        let memo = memos
            .get(&(c.id.clone(), c.coder.clone()))
            .map(String::as_str)
            .unwrap_or("");
        out.write_record([
            c.id.as_str(),
            c.coder.as_str(),
            &c.document,
            &c.code,
            &c.start.to_string(),
            &c.end.to_string(),
            quote,
            &c.created,
            memo,
        ])
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    crate::record::write(path, &bytes)
}
