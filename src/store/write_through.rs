//! Writing a change through to the record: after a change's statements ran, and before its
//! transaction commits, the record files it touched are rewritten from the transaction's view
//! (one codings file per coder, memos, summaries, classifications) and its log entry is
//! appended, all as one [`crate::record::in_change`] change. Then the files' new stamps go
//! into the same transaction.

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::Connection;

use super::Touched;
use crate::error::{Error, Result};
use crate::record::files::{self, ClassificationRow, CodingRow, LogEntry, MemoRow, SummaryRow};
use crate::record::{
    self, CLASSIFICATIONS_FILE, CODINGS_DIR, LOG_FILE, MEMOS_FILE, SUMMARIES_FILE,
};

/// What the store needs from the project to write the record: where it is, the text codings
/// quote, and the order of cases and codes that keeps summaries in a readable order.
pub trait RecordSink: Send + Sync {
    fn root(&self) -> &Path;
    /// The text at `start..end` of `document`, if the span fits it.
    fn quote(&self, document: &str, start: usize, end: usize) -> Option<&str>;
    /// Where a case comes in cases.csv (unknown cases last).
    fn case_rank(&self, case: &str) -> usize;
    /// Where a code comes in the codebook (unknown codes last).
    fn code_rank(&self, code: &str) -> usize;
    /// Keeps a copy of a coded document's text, for placing its codings again should the
    /// text change (see `project::texts`).
    fn keep_text(&self, document: &str);
}

/// The file in `codings/` that holds `coder`'s codings.
pub fn codings_file_name(coder: &str) -> String {
    let safe: String = coder
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "_.csv".to_string()
    } else {
        format!("{safe}.csv")
    }
}

pub(super) fn write(
    conn: &Connection,
    sink: &dyn RecordSink,
    touched: &Touched,
    logged: &LogEntry,
    store: &Path,
) -> Result<()> {
    let fail = |source| Error::Store {
        path: store.to_path_buf(),
        source,
    };
    let root = sink.root();
    let description = format!("{} by {}", logged.action, logged.coder);
    record::in_change(root, &description, || {
        let files: BTreeSet<String> = touched
            .coders
            .iter()
            .map(|c| codings_file_name(c))
            .collect();
        for file in files {
            write_codings_file(conn, sink, &file, store)?;
        }
        if touched.memos {
            write_memos(conn, root, store)?;
        }
        if touched.summaries {
            write_summaries(conn, sink, store)?;
        }
        if touched.classifications {
            write_classifications(conn, root, store)?;
        }
        for (path, bytes) in &touched.files {
            record::write(path, bytes)?;
        }
        if let Some(text) = &touched.codebook {
            record::write(&root.join(crate::codebook::FILE), text.as_bytes())?;
        }
        record::append(root, &root.join(LOG_FILE), logged.line().as_bytes())
    })?;
    super::set_stamps(conn, &record::stamps(root)?).map_err(fail)
}

/// Rewrites every record file from the store: after a store was built from files in another
/// form (codings without ids, several coders in one file). Codings files that no longer hold
/// anyone's codings are removed. Returns the files written.
pub(super) fn write_all(
    conn: &Connection,
    sink: &dyn RecordSink,
    store: &Path,
) -> Result<Vec<String>> {
    let fail = |source| Error::Store {
        path: store.to_path_buf(),
        source,
    };
    let root = sink.root();
    let mut written = Vec::new();
    record::in_change(root, "rewrite the record in its current form", || {
        let coders = coders_with_codings(conn).map_err(fail)?;
        let files: BTreeSet<String> = coders.iter().map(|c| codings_file_name(c)).collect();
        for existing in record::codings_files(root)? {
            let name = existing
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if !files.contains(&name) {
                record::remove(root, &existing)?;
                written.push(format!("{CODINGS_DIR}/{name} (removed)"));
            }
        }
        for file in &files {
            write_codings_file(conn, sink, file, store)?;
            written.push(format!("{CODINGS_DIR}/{file}"));
        }
        write_memos(conn, root, store)?;
        write_summaries(conn, sink, store)?;
        write_classifications(conn, root, store)?;
        let mut log = Vec::new();
        for entry in log_entries(conn).map_err(fail)? {
            log.extend_from_slice(entry.line().as_bytes());
        }
        record::write(&root.join(LOG_FILE), &log)?;
        written
            .extend([MEMOS_FILE, SUMMARIES_FILE, CLASSIFICATIONS_FILE, LOG_FILE].map(String::from));
        Ok(())
    })?;
    super::set_stamps(conn, &record::stamps(root)?).map_err(fail)?;
    Ok(written)
}

fn coders_with_codings(conn: &Connection) -> rusqlite::Result<BTreeSet<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT coder FROM codings UNION SELECT DISTINCT coder FROM unplaced_codings",
    )?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

fn write_codings_file(
    conn: &Connection,
    sink: &dyn RecordSink,
    file: &str,
    store: &Path,
) -> Result<()> {
    let root = sink.root();
    let rows = codings_rows(conn, sink, file).map_err(|source| Error::Store {
        path: store.to_path_buf(),
        source,
    })?;
    let path = root.join(CODINGS_DIR).join(file);
    if rows.is_empty() {
        record::remove(root, &path)
    } else {
        let mut rows = rows;
        record::write(&path, &files::codings_csv(&mut rows))
    }
}

/// The codings of every coder whose codings go in `file`, placed or not.
fn codings_rows(
    conn: &Connection,
    sink: &dyn RecordSink,
    file: &str,
) -> rusqlite::Result<Vec<CodingRow>> {
    let coders: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT name FROM coders UNION SELECT DISTINCT coder FROM unplaced_codings",
        )?;
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|c| codings_file_name(c) == file)
            .collect()
    };
    let mut rows: Vec<CodingRow> = Vec::new();
    for coder in &coders {
        let mut stmt = conn.prepare_cached(
            "SELECT i.guid, c.document, c.code, c.start, c.end, m.created, m.entry
             FROM codings c JOIN coding_ids i ON i.id = c.id JOIN made m ON m.id = c.made
             WHERE c.coder = ?1",
        )?;
        let mut found = stmt.query([coder])?;
        while let Some(r) = found.next()? {
            let document: String = r.get(1)?;
            let (start, end) = (r.get::<_, i64>(3)? as usize, r.get::<_, i64>(4)? as usize);
            let quote = sink
                .quote(&document, start, end)
                .unwrap_or_default()
                .to_string();
            rows.push(CodingRow {
                id: r.get(0)?,
                coder: coder.clone(),
                document,
                code: r.get(2)?,
                start,
                end,
                quote,
                created: r.get(5)?,
                entry: r.get(6)?,
                detached: false,
                line: 0,
            });
        }
        let mut stmt = conn.prepare_cached(
            "SELECT guid, document, code, start, end, quote, created, entry, detached FROM unplaced_codings WHERE coder = ?1",
        )?;
        let mut found = stmt.query([coder])?;
        while let Some(r) = found.next()? {
            rows.push(CodingRow {
                id: r.get(0)?,
                coder: coder.clone(),
                document: r.get(1)?,
                code: r.get(2)?,
                start: r.get::<_, i64>(3)? as usize,
                end: r.get::<_, i64>(4)? as usize,
                quote: r.get(5)?,
                created: r.get(6)?,
                entry: r.get(7)?,
                detached: r.get(8)?,
                line: 0,
            });
        }
    }
    Ok(rows)
}

fn write_memos(conn: &Connection, root: &Path, store: &Path) -> Result<()> {
    let rows = memo_rows(conn).map_err(|source| Error::Store {
        path: store.to_path_buf(),
        source,
    })?;
    write_rows(root, &root.join(MEMOS_FILE), &files::MEMOS_HEADER, &rows)
}

/// Writes a file of rows; with no rows there is no file, so that undoing the change that
/// made the first row leaves the project as it was.
fn write_rows<T: serde::Serialize>(
    root: &Path,
    path: &Path,
    header: &[&str],
    rows: &[T],
) -> Result<()> {
    if rows.is_empty() {
        if path.exists() {
            record::remove(root, path)?;
        }
        return Ok(());
    }
    record::write(path, &files::rows_csv(header, rows))
}

fn memo_rows(conn: &Connection) -> rusqlite::Result<Vec<MemoRow>> {
    Ok(super::read_memos(conn, None, None)?
        .into_iter()
        .map(|m| MemoRow {
            id: m.id,
            kind: m.kind,
            target: m.target,
            author: m.coder,
            updated: m.updated,
            text: m.text,
        })
        .collect())
}

fn write_summaries(conn: &Connection, sink: &dyn RecordSink, store: &Path) -> Result<()> {
    let mut rows = summary_rows(conn).map_err(|source| Error::Store {
        path: store.to_path_buf(),
        source,
    })?;
    // Cases in cases.csv order, themes in codebook order: diffs stay small.
    rows.sort_by(|a, b| {
        (
            sink.case_rank(&a.case),
            &a.case,
            sink.code_rank(&a.theme),
            &a.theme,
        )
            .cmp(&(
                sink.case_rank(&b.case),
                &b.case,
                sink.code_rank(&b.theme),
                &b.theme,
            ))
    });
    write_rows(
        sink.root(),
        &sink.root().join(SUMMARIES_FILE),
        &files::SUMMARIES_HEADER,
        &rows,
    )
}

fn summary_rows(conn: &Connection) -> rusqlite::Result<Vec<SummaryRow>> {
    Ok(super::analysis::read_summaries(conn)?
        .into_iter()
        .map(|s| SummaryRow {
            case: s.case,
            theme: s.theme,
            summary: s.text,
            author: s.author,
            updated: s.updated,
        })
        .collect())
}

fn write_classifications(conn: &Connection, root: &Path, store: &Path) -> Result<()> {
    let rows = classification_rows(conn).map_err(|source| Error::Store {
        path: store.to_path_buf(),
        source,
    })?;
    write_rows(
        root,
        &root.join(CLASSIFICATIONS_FILE),
        &files::CLASSIFICATIONS_HEADER,
        &rows,
    )
}

fn classification_rows(conn: &Connection) -> rusqlite::Result<Vec<ClassificationRow>> {
    Ok(super::analysis::read_case_attributes(conn)?
        .into_iter()
        .map(|c| ClassificationRow {
            attribute: c.attribute,
            case: c.case,
            value: c.value,
            reason: c.reason,
            author: c.author,
            updated: c.updated,
        })
        .collect())
}

fn log_entries(conn: &Connection) -> rusqlite::Result<Vec<LogEntry>> {
    Ok(super::read_audit(conn)?
        .into_iter()
        .map(|e| LogEntry {
            id: e.id,
            at: e.at,
            coder: e.coder,
            action: e.action,
            codebook_version: e.codebook_version,
            detail: e.detail,
        })
        .collect())
}
