//! Filling a new store from the record files (see [`crate::record`]): entries, codings, memos,
//! summaries and classifications go in with the ids and times the files give them.

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use super::{DocumentRecord, NOW, Store};
use crate::error::Result;
use crate::record::files::{ClassificationRow, CodingRow, LogEntry, MemoRow, SummaryRow};

/// A coding of the record that does not fit the project as it is now; kept, not analysed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnplacedCoding {
    pub id: String,
    pub document: String,
    pub code: String,
    pub coder: String,
    pub start: usize,
    pub end: usize,
    /// The text it covered when it was written down.
    pub quote: String,
    pub created: String,
    /// Why it does not fit.
    pub reason: String,
    /// Re-anchoring found its text gone: it has no place (`start` and `end` are 0).
    pub detached: bool,
}

impl std::fmt::Display for UnplacedCoding {
    /// One line naming the coding, where it was, its text then, and why it does not fit.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.detached {
            return write!(
                f,
                "coding {} by {} (`{}` in `{}`, \"{}\") is detached: {}",
                self.id,
                self.coder,
                self.code,
                self.document,
                crate::support::text::shorten(&self.quote, 60),
                self.reason
            );
        }
        write!(
            f,
            "coding {} by {} (`{}` {}..{} in `{}`, \"{}\") does not fit: {}",
            self.id,
            self.coder,
            self.code,
            self.start,
            self.end,
            self.document,
            crate::support::text::shorten(&self.quote, 60),
            self.reason
        )
    }
}

/// Codings stored by one INSERT statement while a store is rebuilt.
const RESTORE_BATCH: usize = 100;

impl Store {
    /// Runs `work` in one transaction; an SQLite error names the store.
    fn restoring<T>(
        &mut self,
        work: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let fail = |source| super::Error::Store {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(fail)?;
        let out = work(&tx).map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(out)
    }

    /// Adds the audit log, in its order.
    pub fn restore_log(&mut self, entries: &[LogEntry]) -> Result<()> {
        self.restoring(|tx| {
            let mut insert = tx.prepare(
                "INSERT INTO audit (id, at, coder, action, detail, codebook_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut coder =
                tx.prepare("INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, ?2)")?;
            for e in entries {
                insert.execute(params![
                    e.id,
                    e.at,
                    e.coder,
                    e.action,
                    e.detail.to_string(),
                    e.codebook_version
                ])?;
                coder.execute(params![e.coder, e.at])?;
            }
            Ok(())
        })
    }

    /// Adds codings that fit their documents, as the record gives them.
    pub fn restore_codings(&mut self, rows: &[&CodingRow]) -> Result<()> {
        self.restoring(|tx| {
            let mut coder = tx.prepare_cached(&format!(
                "INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, {NOW})"
            ))?;
            let mut last_coder: Option<&str> = None;
            for row in rows {
                if last_coder != Some(row.coder.as_str()) {
                    coder.execute([&row.coder])?;
                    last_coder = Some(row.coder.as_str());
                }
            }
            // Most codings share their time and log entry with many others: one `made` row
            // for each pair.
            let mut made: HashMap<(&str, &str), i64> = HashMap::new();
            for row in rows {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    made.entry((row.created.as_str(), row.entry.as_str()))
                {
                    slot.insert(super::made_id(tx, &row.created, &row.entry)?);
                }
            }
            let first: i64 = tx.query_row(
                "SELECT coalesce(max(id), 0) + 1 FROM codings",
                [],
                |r| r.get(0),
            )?;
            for (n, chunk) in rows.chunks(RESTORE_BATCH).enumerate() {
                let placeholders = vec!["(?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
                let mut insert = tx.prepare_cached(&format!(
                    "INSERT INTO codings (id, document, code, coder, start, end, made) VALUES {placeholders}"
                ))?;
                let mut index = 0;
                let mut bind = |value: &dyn rusqlite::ToSql| {
                    index += 1;
                    insert.raw_bind_parameter(index, value)
                };
                for (i, row) in chunk.iter().enumerate() {
                    bind(&(first + (n * RESTORE_BATCH + i) as i64))?;
                    bind(&row.document)?;
                    bind(&row.code)?;
                    bind(&row.coder)?;
                    bind(&(row.start as i64))?;
                    bind(&(row.end as i64))?;
                    bind(&made[&(row.created.as_str(), row.entry.as_str())])?;
                }
                insert.raw_execute()?;
            }
            for (n, chunk) in rows.chunks(RESTORE_BATCH).enumerate() {
                let placeholders = vec!["(?, ?)"; chunk.len()].join(", ");
                let mut insert = tx.prepare_cached(&format!(
                    "INSERT INTO coding_ids (id, guid) VALUES {placeholders}"
                ))?;
                for (i, row) in chunk.iter().enumerate() {
                    insert.raw_bind_parameter(2 * i + 1, first + (n * RESTORE_BATCH + i) as i64)?;
                    insert.raw_bind_parameter(2 * i + 2, &row.id)?;
                }
                insert.raw_execute()?;
            }
            Ok(())
        })?;
        if let Some(coders) = &mut self.bulk {
            coders.extend(rows.iter().map(|r| r.coder.clone()));
        }
        Ok(())
    }

    /// Keeps codings that do not fit the project now, each with the reason.
    pub fn restore_unplaced(&mut self, rows: &[(&CodingRow, String)]) -> Result<()> {
        self.restoring(|tx| {
            let mut insert = tx.prepare(
                "INSERT OR REPLACE INTO unplaced_codings (guid, document, code, coder, start, end, quote, created, entry, reason, detached)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for (row, reason) in rows {
                insert.execute(params![
                    row.id,
                    row.document,
                    row.code,
                    row.coder,
                    row.start as i64,
                    row.end as i64,
                    row.quote,
                    row.created,
                    row.entry,
                    reason,
                    row.detached
                ])?;
            }
            Ok(())
        })
    }

    /// Adds memos, summaries and classifications, and notes the documents' texts.
    pub fn restore_notes(
        &mut self,
        memos: &[MemoRow],
        summaries: &[SummaryRow],
        classifications: &[ClassificationRow],
        documents: &[DocumentRecord],
    ) -> Result<()> {
        self.restoring(|tx| {
            let mut coder = tx.prepare(&format!(
                "INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, {NOW})"
            ))?;
            // Two memos by one author on one target (files merged by hand) are kept as one.
            let mut memo = tx.prepare(
                "INSERT INTO memos (id, kind, target, coder, text, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (kind, target, coder) DO UPDATE SET text = memos.text || char(10) || char(10) || excluded.text",
            )?;
            for m in memos {
                coder.execute([&m.author])?;
                memo.execute(params![m.id, m.kind, m.target, m.author, m.text, m.updated])?;
            }
            let mut summary = tx.prepare(
                "INSERT OR REPLACE INTO summaries (case_name, theme, text, author, updated) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for s in summaries {
                summary.execute(params![s.case, s.theme, s.summary, s.author, s.updated])?;
            }
            let mut classification = tx.prepare(
                "INSERT OR REPLACE INTO case_attributes (case_name, attribute, value, reason, author, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for c in classifications {
                classification.execute(params![
                    c.case,
                    c.attribute,
                    c.value,
                    c.reason,
                    c.author,
                    c.updated
                ])?;
            }
            super::record_documents(tx, documents)
        })
    }

    /// Rewrites every record file from the store (see `write_through::write_all`).
    pub fn rewrite_record(&mut self) -> Result<Vec<String>> {
        let sink = self
            .sink
            .clone()
            .expect("a store rewrites the record only once attached to it");
        super::write_through::write_all(&self.conn, sink.as_ref(), &self.path)
    }

    /// Codings of the record that do not fit the project now.
    pub fn unplaced_codings(&self) -> Result<Vec<UnplacedCoding>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT guid, document, code, coder, start, end, quote, created, reason, detached FROM unplaced_codings
                 ORDER BY document, start, code, coder",
            )
            .map_err(|e| self.fail(e))?;
        stmt.query_map([], |r| {
            Ok(UnplacedCoding {
                id: r.get(0)?,
                document: r.get(1)?,
                code: r.get(2)?,
                coder: r.get(3)?,
                start: r.get::<_, i64>(4)? as usize,
                end: r.get::<_, i64>(5)? as usize,
                quote: r.get(6)?,
                created: r.get(7)?,
                reason: r.get(8)?,
                detached: r.get(9)?,
            })
        })
        .map_err(|e| self.fail(e))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| self.fail(e))
    }
}
