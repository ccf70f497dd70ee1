//! The project's working store: `.qualkit/project.db`, SQLite in WAL mode. It holds codings,
//! memos, coders and an append-only audit log. Every change is one IMMEDIATE transaction,
//! so a change is either wholly stored or not at all (a killed process, a failed bulk
//! coding), and concurrent writers queue instead of losing each other's work.
//!
//! The store knows nothing of document text or the codebook: callers check spans and codes
//! before they write. What it does check, inside the write transaction so that concurrent
//! writers cannot race it, is that a coder's codings of one code never overlap.

mod analysis;
mod consensus;
mod exchange;

pub use analysis::{DerivedAttribute, Summary};
pub use exchange::{BatchReport, MemoRecord, SkippedCoding};

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::error::{Error, Result};

const SCHEMA_VERSION: i64 = 1;
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// A stored coding: `code` applied by `coder` to code points `start..end` of `document`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coding {
    pub id: i64,
    pub document: String,
    pub code: String,
    pub coder: String,
    pub start: usize,
    pub end: usize,
    /// The audit entry that created it (who, when, codebook version).
    pub created: i64,
}

/// A coding to be stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NewCoding {
    pub document: String,
    pub code: String,
    pub start: usize,
    pub end: usize,
    /// A memo to attach to the new coding.
    pub memo: Option<String>,
}

/// What a bulk write did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteReport {
    pub audit_seq: i64,
    pub added: usize,
    /// Spans skipped because the coder already had an overlapping coding of the same code.
    pub skipped_overlaps: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOverlap {
    /// Refuse the whole write (hand coding: the user should decide).
    Refuse,
    /// Leave the existing coding and skip the new span (rules re-run over a coded corpus).
    Skip,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub coder: String,
    pub action: String,
    pub detail: serde_json::Value,
    pub codebook_version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Memo {
    pub kind: String,
    pub target: String,
    pub coder: String,
    pub text: String,
    pub updated: String,
}

/// A document as it was when first coded.
#[derive(Debug, Clone)]
pub struct DocumentRecord {
    pub id: String,
    pub source: String,
    pub fingerprint: String,
    pub chars: usize,
}

/// Who is writing, and against which codebook: stamped on every audit entry.
#[derive(Debug, Clone)]
pub struct Author<'a> {
    pub coder: &'a str,
    pub codebook_version: &'a str,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// While built by [`Store::create_bulk`] (no journal, no codings indexes yet): the coders
    /// who have codings in it so far.
    bulk: Option<BTreeSet<String>>,
}

impl Store {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let fail = |source| Error::Store {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(Duration::from_secs(60)).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(fail)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        tx.execute_batch(include_str!("schema.sql")).map_err(fail)?;
        let version: Option<i64> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(fail)?
            .and_then(|v| v.parse().ok());
        match version {
            None => {
                tx.execute(
                    &format!("INSERT INTO meta VALUES ('schema_version', ?1), ('created', {NOW})"),
                    [SCHEMA_VERSION.to_string()],
                )
                .map_err(fail)?;
            }
            Some(v) if v > SCHEMA_VERSION => {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "this store has schema version {v}, newer than this qualkit understands ({SCHEMA_VERSION}); upgrade qualkit"
                    ),
                });
            }
            Some(_) => {}
        }
        tx.commit().map_err(fail)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            bulk: None,
        })
    }

    /// Starts a new store at `path` that is filled in bulk and then made final by
    /// [`Store::finish_bulk`]. It is written in a private file beside `path`, without a journal
    /// and without the codings indexes (built once at the end, from sorted data, instead of
    /// row by row), so a project with a million codings gets its store in a fraction of the
    /// time. Until it is finished `path` does not exist: an interrupted build leaves no
    /// half-filled store that a later open would take for a complete one.
    pub fn create_bulk(path: &Path) -> Result<Self> {
        let building = building_path(path);
        match std::fs::remove_file(&building) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&building, e)),
        }
        let mut store = Store::open(&building)?;
        store.bulk = Some(BTreeSet::new());
        store
            .conn
            .execute_batch(
                "PRAGMA journal_mode = OFF;
                 PRAGMA synchronous = OFF;
                 -- Every write adds its coder and audit entry first, in the same transaction.
                 PRAGMA foreign_keys = OFF;
                 PRAGMA cache_size = -131072;
                 DROP INDEX codings_by_place;",
            )
            .map_err(|e| store.fail(e))?;
        Ok(store)
    }

    /// Builds the indexes of a store made by [`Store::create_bulk`], writes it to disk and
    /// moves it to `path`, where it is reopened as any store is.
    pub fn finish_bulk(&mut self, path: &Path) -> Result<()> {
        assert!(
            self.bulk.is_some(),
            "finish_bulk on a store not made by create_bulk"
        );
        self.conn
            .execute_batch(include_str!("schema.sql"))
            .map_err(|e| self.fail(e))?;
        let building = self.path.clone();
        let placeholder = Connection::open_in_memory().map_err(|e| self.fail(e))?;
        std::mem::replace(&mut self.conn, placeholder)
            .close()
            .map_err(|(_, e)| self.fail(e))?;
        // Synchronous writes were off: the file reaches the disk before it takes its name.
        std::fs::File::open(&building)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&building, e))?;
        std::fs::rename(&building, path).map_err(|e| Error::io(path, e))?;
        *self = Store::open(path)?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, source: rusqlite::Error) -> Error {
        Error::Store {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `work` in one IMMEDIATE transaction, after writing its audit entry; nothing of it
    /// is stored unless all of it succeeds.
    fn change<T>(
        &mut self,
        author: &Author,
        action: &str,
        detail: serde_json::Value,
        work: impl FnOnce(&rusqlite::Transaction, i64) -> Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let fail = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        tx.execute(
            &format!("INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, {NOW})"),
            [author.coder],
        )
        .map_err(fail)?;
        tx.execute(
            &format!(
                "INSERT INTO audit (at, coder, action, detail, codebook_version) VALUES ({NOW}, ?1, ?2, ?3, ?4)"
            ),
            params![author.coder, action, detail.to_string(), author.codebook_version],
        )
        .map_err(fail)?;
        let seq = tx.last_insert_rowid();
        let out = work(&tx, seq)?;
        tx.commit().map_err(fail)?;
        Ok(out)
    }

    /// Stores codings by one coder, all or nothing. `documents` records the text each coded
    /// document had (kept from the first time it was coded).
    pub fn add_codings(
        &mut self,
        author: &Author,
        action: &str,
        detail: serde_json::Value,
        mut codings: Vec<NewCoding>,
        documents: &[DocumentRecord],
        on_overlap: OnOverlap,
    ) -> Result<WriteReport> {
        codings.par_sort_unstable();
        codings.dedup();
        let path = self.path.clone();
        let coder = author.coder.to_string();
        // While a store is built: whether this coder has nothing stored yet.
        let bulk = self.bulk.as_ref().map(|coders| !coders.contains(&coder));
        let report = self.change(author, action, detail, |tx, seq| {
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            {
                let mut record = tx
                    .prepare(&format!(
                        "INSERT OR IGNORE INTO documents (id, source, fingerprint, chars, first_coded) VALUES (?1, ?2, ?3, ?4, {NOW})"
                    ))
                    .map_err(fail)?;
                for d in documents {
                    record
                        .execute(params![d.id, d.source, d.fingerprint, d.chars as i64])
                        .map_err(fail)?;
                }
            }
            // A coder new to a store being built has nothing stored to overlap.
            let existing = if bulk == Some(true) {
                SpansByPlace::default()
            } else {
                existing_spans(tx, &coder, &codings, bulk.is_some()).map_err(fail)?
            };
            let mut report = WriteReport {
                audit_seq: seq,
                ..Default::default()
            };
            let mut batch: Vec<&NewCoding> = Vec::with_capacity(INSERT_BATCH);
            // Sorted by (document, code, start): an overlap with an earlier new span is an
            // overlap with the last one kept for the same document and code.
            let mut last_kept: Option<&NewCoding> = None;
            for coding in &codings {
                let same_place = |other: &NewCoding| {
                    other.document == coding.document && other.code == coding.code
                };
                let clash_new = last_kept
                    .filter(|k| same_place(k) && k.end > coding.start)
                    .map(|k| (0, k.start, k.end));
                let clash = clash_new.or_else(|| {
                    existing
                        .get(&coding.document, &coding.code)
                        .and_then(|spans| overlapping(spans, coding.start, coding.end))
                });
                if let Some((id, s, e)) = clash {
                    match on_overlap {
                        OnOverlap::Skip => {
                            report.skipped_overlaps += 1;
                            continue;
                        }
                        OnOverlap::Refuse => {
                            return Err(Error::Overlap {
                                document: coding.document.clone(),
                                code: coding.code.clone(),
                                coder: coder.clone(),
                                start: coding.start,
                                end: coding.end,
                                existing: id,
                                existing_start: s,
                                existing_end: e,
                            });
                        }
                    }
                }
                let memo = coding.memo.as_deref().filter(|m| !m.trim().is_empty());
                match memo {
                    // Codings without a memo go in batches: one statement per row costs most
                    // of the time of storing a large import.
                    None => {
                        batch.push(coding);
                        if batch.len() == INSERT_BATCH {
                            insert_batch(tx, &batch, &coder, seq).map_err(fail)?;
                            batch.clear();
                        }
                    }
                    Some(memo) => {
                        // Earlier codings first, so that ids follow the order codings came in.
                        for earlier in batch.drain(..) {
                            insert_batch(tx, &[earlier], &coder, seq).map_err(fail)?;
                        }
                        insert_batch(tx, &[coding], &coder, seq).map_err(fail)?;
                        memo_on_last_coding(tx, &coder, memo).map_err(fail)?;
                    }
                }
                report.added += 1;
                last_kept = Some(coding);
            }
            // The last, part-full batch row by row: one statement shape per batch size
            // would crowd the statement cache.
            for rest in batch {
                insert_batch(tx, &[rest], &coder, seq).map_err(fail)?;
            }
            Ok(report)
        })?;
        if let Some(coders) = &mut self.bulk {
            coders.insert(author.coder.to_string());
        }
        Ok(report)
    }

    /// Removes codings by id; the audit entry keeps what they were.
    pub fn remove_codings(&mut self, author: &Author, ids: &[i64]) -> Result<Vec<Coding>> {
        let removed = ids
            .iter()
            .map(|&id| self.coding(id)?.ok_or(Error::UnknownCoding(id)))
            .collect::<Result<Vec<_>>>()?;
        let detail = serde_json::json!({ "removed": removed });
        let path = self.path.clone();
        self.change(author, "uncode", detail, |tx, _| {
            let mut delete = tx
                .prepare("DELETE FROM codings WHERE id = ?1")
                .map_err(|source| Error::Store {
                    path: path.clone(),
                    source,
                })?;
            for id in ids {
                if delete.execute([id]).map_err(|source| Error::Store {
                    path: path.clone(),
                    source,
                })? == 0
                {
                    return Err(Error::UnknownCoding(*id));
                }
            }
            Ok(())
        })?;
        Ok(removed)
    }

    /// Moves a coding to another code, refusing if that would overlap the coder's own
    /// coding of the new code.
    pub fn recode(&mut self, author: &Author, id: i64, new_code: &str) -> Result<Coding> {
        let old = self.coding(id)?.ok_or(Error::UnknownCoding(id))?;
        let detail = serde_json::json!({ "coding": old, "to": new_code });
        let path = self.path.clone();
        self.change(author, "recode", detail, |tx, _| {
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            let probe = [NewCoding {
                document: old.document.clone(),
                code: new_code.to_string(),
                start: old.start,
                end: old.end,
                memo: None,
            }];
            let existing = existing_spans(tx, &old.coder, &probe, false).map_err(fail)?;
            if let Some((other, s, e)) = existing
                .get(&old.document, new_code)
                .and_then(|spans| overlapping(spans, old.start, old.end))
            {
                return Err(Error::Overlap {
                    document: old.document.clone(),
                    code: new_code.to_string(),
                    coder: old.coder.clone(),
                    start: old.start,
                    end: old.end,
                    existing: other,
                    existing_start: s,
                    existing_end: e,
                });
            }
            tx.execute(
                "UPDATE codings SET code = ?1 WHERE id = ?2",
                params![new_code, id],
            )
            .map_err(fail)?;
            Ok(())
        })?;
        Ok(Coding {
            code: new_code.to_string(),
            ..old
        })
    }

    /// Sets (or, with empty text, clears) `coder`'s memo on a target.
    pub fn set_memo(
        &mut self,
        author: &Author,
        kind: &str,
        target: &str,
        text: &str,
    ) -> Result<()> {
        let previous = self
            .memos(Some(kind), Some(target))?
            .into_iter()
            .find(|m| m.coder == author.coder)
            .map(|m| m.text);
        let detail = serde_json::json!({ "kind": kind, "target": target, "text": text, "previous": previous });
        let path = self.path.clone();
        let coder = author.coder.to_string();
        self.change(author, "memo", detail, |tx, _| {
            let result = if text.is_empty() {
                tx.execute(
                    "DELETE FROM memos WHERE kind = ?1 AND target = ?2 AND coder = ?3",
                    params![kind, target, coder],
                )
            } else {
                tx.execute(
                    &format!(
                        "INSERT INTO memos (kind, target, coder, text, updated) VALUES (?1, ?2, ?3, ?4, {NOW})
                         ON CONFLICT (kind, target, coder) DO UPDATE SET text = excluded.text, updated = excluded.updated"
                    ),
                    params![kind, target, coder, text],
                )
            };
            result.map(|_| ()).map_err(|source| Error::Store {
                path: path.clone(),
                source,
            })
        })
    }

    /// Records an event that changes no coding (an import, a build) in the audit log.
    pub fn log(&mut self, author: &Author, action: &str, detail: serde_json::Value) -> Result<i64> {
        self.change(author, action, detail, |_, seq| Ok(seq))
    }

    pub fn coding(&self, id: i64) -> Result<Option<Coding>> {
        self.conn
            .query_row(
                "SELECT id, document, code, coder, start, end, created FROM codings WHERE id = ?1",
                [id],
                row_to_coding,
            )
            .optional()
            .map_err(|e| self.fail(e))
    }

    /// All codings, ordered by document, start, code, coder.
    pub fn codings(&self) -> Result<Vec<Coding>> {
        self.query_codings("", [])
    }

    /// Calls `each(document, code, coder, start, end)` for every coding, in no particular
    /// order and without building a [`Coding`] per row: indexing a million codings this way
    /// takes a fraction of the time and memory of [`Store::codings`].
    pub fn scan_codings(&self, each: impl FnMut(&str, &str, &str, usize, usize)) -> Result<()> {
        scan_rows(&self.conn, None, each).map_err(|e| self.fail(e))
    }

    /// Like [`Store::scan_codings`], but over a large store in parallel: the codings are split
    /// into ranges, each read on its own read-only connection into its own `T` (made by
    /// `init`). Returns one `T` per range, in order; a small store is read as one range.
    pub fn scan_codings_split<T: Send>(
        &self,
        init: impl Fn() -> T + Sync,
        each: impl Fn(&mut T, &str, &str, &str, usize, usize) + Sync,
    ) -> Result<Vec<T>> {
        /// Below this many codings one connection reads faster than several start.
        const SPLIT_FROM: i64 = 100_000;
        let (first, last): (Option<i64>, Option<i64>) = self
            .conn
            .query_row("SELECT min(id), max(id) FROM codings", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.fail(e))?;
        let (first, last) = (first.unwrap_or(0), last.unwrap_or(0));
        let parts = rayon::current_num_threads().max(1) as i64;
        if self.bulk.is_some() || last - first < SPLIT_FROM || parts == 1 {
            let mut one = init();
            scan_rows(&self.conn, None, |d, c, w, s, e| {
                each(&mut one, d, c, w, s, e)
            })
            .map_err(|e| self.fail(e))?;
            return Ok(vec![one]);
        }
        let path = &self.path;
        let step = (last - first) / parts + 1;
        let ranges: Vec<(i64, i64)> = (0..parts)
            .map(|i| (first + i * step, (first + (i + 1) * step - 1).min(last)))
            .collect();
        ranges
            .into_par_iter()
            .map(|range| {
                let conn = Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::from_secs(60))?;
                let mut part = init();
                scan_rows(&conn, Some(range), |d, c, w, s, e| {
                    each(&mut part, d, c, w, s, e)
                })?;
                Ok(part)
            })
            .collect::<rusqlite::Result<Vec<T>>>()
            .map_err(|e| self.fail(e))
    }

    pub fn codings_of_document(&self, document: &str) -> Result<Vec<Coding>> {
        self.query_codings("WHERE document = ?1", [document])
    }

    fn query_codings<P: rusqlite::Params>(&self, filter: &str, params: P) -> Result<Vec<Coding>> {
        let sql = format!(
            "SELECT id, document, code, coder, start, end, created FROM codings {filter}
             ORDER BY document, start, end, code, coder, id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map(params, row_to_coding)
            .map_err(|e| self.fail(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.fail(e))?;
        Ok(rows)
    }

    pub fn count_codings(&self) -> Result<usize> {
        self.conn
            .query_row("SELECT count(*) FROM codings", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.fail(e))
    }

    /// Coding counts per coder, by name.
    pub fn codings_by_coder(&self) -> Result<Vec<(String, usize)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT coder, count(*) FROM codings GROUP BY coder ORDER BY coder")
            .map_err(|e| self.fail(e))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))
            .map_err(|e| self.fail(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.fail(e))
    }

    pub fn memos(&self, kind: Option<&str>, target: Option<&str>) -> Result<Vec<Memo>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, target, coder, text, updated FROM memos
                 WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR target = ?2)
                 ORDER BY kind, target, coder",
            )
            .map_err(|e| self.fail(e))?;
        stmt.query_map(params![kind, target], |r| {
            Ok(Memo {
                kind: r.get(0)?,
                target: r.get(1)?,
                coder: r.get(2)?,
                text: r.get(3)?,
                updated: r.get(4)?,
            })
        })
        .map_err(|e| self.fail(e))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| self.fail(e))
    }

    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, at, coder, action, detail, codebook_version FROM audit ORDER BY seq",
            )
            .map_err(|e| self.fail(e))?;
        stmt.query_map([], |r| {
            let detail: String = r.get(4)?;
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: r.get(1)?,
                coder: r.get(2)?,
                action: r.get(3)?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
                codebook_version: r.get(5)?,
            })
        })
        .map_err(|e| self.fail(e))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| self.fail(e))
    }

    pub fn documents(&self) -> Result<Vec<DocumentRecord>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, source, fingerprint, chars FROM documents ORDER BY id")
            .map_err(|e| self.fail(e))?;
        stmt.query_map([], |r| {
            Ok(DocumentRecord {
                id: r.get(0)?,
                source: r.get(1)?,
                fingerprint: r.get(2)?,
                chars: r.get::<_, i64>(3)? as usize,
            })
        })
        .map_err(|e| self.fail(e))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| self.fail(e))
    }

    /// SQLite's own consistency check; "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.fail(e))
    }
}

fn row_to_coding(r: &rusqlite::Row) -> rusqlite::Result<Coding> {
    Ok(Coding {
        id: r.get(0)?,
        document: r.get(1)?,
        code: r.get(2)?,
        coder: r.get(3)?,
        start: r.get::<_, i64>(4)? as usize,
        end: r.get::<_, i64>(5)? as usize,
        created: r.get(6)?,
    })
}

/// document -> code -> the coder's spans (id, start, end), sorted by start.
#[derive(Default)]
struct SpansByPlace(HashMap<String, HashMap<String, Vec<StoredSpan>>>);

/// (coding id, start, end)
type StoredSpan = (i64, usize, usize);

impl SpansByPlace {
    fn get(&self, document: &str, code: &str) -> Option<&Vec<StoredSpan>> {
        self.0.get(document)?.get(code)
    }
}

fn push_span(places: &mut SpansByPlace, row: &rusqlite::Row) -> rusqlite::Result<()> {
    let document: String = row.get(0)?;
    let code: String = row.get(1)?;
    if let Some(spans) = places
        .0
        .get_mut(&document)
        .and_then(|codes| codes.get_mut(&code))
    {
        spans.push((
            row.get(2)?,
            row.get::<_, i64>(3)? as usize,
            row.get::<_, i64>(4)? as usize,
        ));
    }
    Ok(())
}

/// The coder's stored spans for every (document, code) pair that `new` touches, sorted.
fn existing_spans(
    tx: &rusqlite::Transaction,
    coder: &str,
    new: &[NewCoding],
    bulk: bool,
) -> rusqlite::Result<SpansByPlace> {
    let mut places = SpansByPlace::default();
    let mut count = 0;
    for c in new {
        let codes = places.0.entry(c.document.clone()).or_default();
        if !codes.contains_key(&c.code) {
            codes.insert(c.code.clone(), Vec::new());
            count += 1;
        }
    }
    if count == 0 {
        return Ok(places);
    }
    // A few places (hand coding) are cheapest through the index; many (a bulk rule), or any
    // while the store is built without indexes, in one pass over the coder's codings.
    if count <= 64 && !bulk {
        let mut stmt = tx.prepare_cached(
            "SELECT document, code, id, start, end FROM codings
             WHERE document = ?1 AND code = ?2 AND coder = ?3 ORDER BY start",
        )?;
        let keys: Vec<(String, String)> = places
            .0
            .iter()
            .flat_map(|(d, codes)| codes.keys().map(move |c| (d.clone(), c.clone())))
            .collect();
        for (document, code) in keys {
            let mut rows = stmt.query(params![document, code, coder])?;
            while let Some(row) = rows.next()? {
                push_span(&mut places, row)?;
            }
        }
    } else {
        let mut stmt = tx.prepare_cached(
            "SELECT document, code, id, start, end FROM codings WHERE coder = ?1 ORDER BY document, code, start",
        )?;
        let mut rows = stmt.query([coder])?;
        while let Some(row) = rows.next()? {
            push_span(&mut places, row)?;
        }
    }
    Ok(places)
}

/// Codings stored by one INSERT statement.
const INSERT_BATCH: usize = 128;

/// Stores `codings` by `coder`, created by audit entry `seq`, in one statement.
fn insert_batch(
    tx: &rusqlite::Transaction,
    codings: &[&NewCoding],
    coder: &str,
    seq: i64,
) -> rusqlite::Result<()> {
    let rows = vec!["(?, ?, ?, ?, ?, ?)"; codings.len()].join(", ");
    let mut statement = tx.prepare_cached(&format!(
        "INSERT INTO codings (document, code, coder, start, end, created) VALUES {rows}"
    ))?;
    let mut index = 0;
    let mut bind = |value: &dyn rusqlite::ToSql| {
        index += 1;
        statement.raw_bind_parameter(index, value)
    };
    for coding in codings {
        bind(&coding.document)?;
        bind(&coding.code)?;
        bind(&coder)?;
        bind(&(coding.start as i64))?;
        bind(&(coding.end as i64))?;
        bind(&seq)?;
    }
    statement.raw_execute()?;
    Ok(())
}

/// Stores `memo` by `coder` on the coding inserted last in `tx`.
pub(super) fn memo_on_last_coding(
    tx: &rusqlite::Transaction,
    coder: &str,
    memo: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        &format!("INSERT INTO memos (kind, target, coder, text, updated) VALUES ('coding', ?1, ?2, ?3, {NOW})"),
        params![tx.last_insert_rowid().to_string(), coder, memo],
    )?;
    Ok(())
}

/// Reads every coding (or those with ids in `ids`, inclusive) as borrowed fields.
fn scan_rows(
    conn: &Connection,
    ids: Option<(i64, i64)>,
    mut each: impl FnMut(&str, &str, &str, usize, usize),
) -> rusqlite::Result<()> {
    let (sql, (from, to)) = match ids {
        None => (
            "SELECT document, code, coder, start, end FROM codings",
            (0, 0),
        ),
        Some(range) => (
            "SELECT document, code, coder, start, end FROM codings WHERE id BETWEEN ?1 AND ?2",
            range,
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = if ids.is_some() {
        stmt.query(params![from, to])?
    } else {
        stmt.query([])?
    };
    while let Some(row) = rows.next()? {
        let field = |i: usize| {
            row.get_ref(i).and_then(|value| {
                value.as_str().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e))
                })
            })
        };
        let (document, code, coder) = (field(0)?, field(1)?, field(2)?);
        let start: i64 = row.get(3)?;
        let end: i64 = row.get(4)?;
        each(document, code, coder, start as usize, end as usize);
    }
    Ok(())
}

/// Where [`Store::create_bulk`] builds the store that will be at `path`.
fn building_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".building");
    path.with_file_name(name)
}

/// The first of `spans` (sorted by start) that overlaps `start..end`.
fn overlapping(
    spans: &[(i64, usize, usize)],
    start: usize,
    end: usize,
) -> Option<(i64, usize, usize)> {
    let after = spans.partition_point(|&(_, s, _)| s < end);
    // A coder's spans of one code never overlap, so their ends are sorted too: only the
    // last span starting before `end` can reach past `start`.
    spans[..after]
        .last()
        .filter(|&&(_, _, e)| e > start)
        .copied()
}
