//! The project's cache: SQLite in WAL mode under `.qualkit/`, built from the record (the
//! project's plain files, see [`crate::record`]) and kept in step with it. It holds codings,
//! memos, coders, summaries, classifications and the audit log, indexed for analysis.
//!
//! Every change is one IMMEDIATE transaction that also writes the record files it touches
//! (through the [`RecordSink`] the project attaches) before it commits, and notes the files'
//! stamps: a store whose stamps differ from the files is out of date and is rebuilt. So a
//! killed process leaves either both changed or a store that knows it is stale.
//!
//! The store knows nothing of document text or the codebook: callers check spans and codes
//! before they write. What it does check, inside the write transaction so that concurrent
//! writers cannot race it, is that a coder's codings of one code never overlap.

mod analysis;
mod consensus;
mod exchange;
mod restore;
pub mod revert;
mod write_through;

pub use analysis::{DerivedAttribute, Summary};
pub use exchange::{BatchReport, MemoRecord, SkippedCoding};
pub use restore::UnplacedCoding;
pub use write_through::{RecordSink, codings_file_name};

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const SCHEMA_VERSION: i64 = 5;
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
/// The file in `.qualkit/` that names the store in use. Each build gets a file of its own, so
/// a process still reading an older build never has a new file swapped under it.
const CURRENT_FILE: &str = "store";

/// A stored coding: `code` applied by `coder` to code points `start..end` of `document`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coding {
    /// The coding's id for life (a GUID).
    pub id: String,
    pub document: String,
    pub code: String,
    pub coder: String,
    pub start: usize,
    pub end: usize,
    /// When it was made (UTC, ISO 8601).
    pub created: String,
    /// The id of the audit entry that made it (who, when, codebook version).
    pub entry: String,
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
    /// The id to give it; a new one when `None`.
    pub id: Option<String>,
}

impl NewCoding {
    pub fn new(document: String, code: String, start: usize, end: usize) -> Self {
        NewCoding {
            document,
            code,
            start,
            end,
            memo: None,
            id: None,
        }
    }
}

/// What a bulk write did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteReport {
    /// The id of the audit entry that records the write.
    pub entry: String,
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
    /// The entry's place in the log, counted from 1 in this copy of the project.
    pub seq: i64,
    /// The entry's id for life.
    pub id: String,
    pub at: String,
    pub coder: String,
    pub action: String,
    pub detail: serde_json::Value,
    pub codebook_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memo {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub coder: String,
    pub text: String,
    pub updated: String,
}

/// A document as it was when its codings were last checked against it.
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

/// The audit entry a change is recorded under.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub id: String,
    pub at: String,
}

/// Which record files a change touched, so that only those are written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Touched {
    /// Coders whose codings changed.
    pub coders: BTreeSet<String>,
    pub memos: bool,
    pub summaries: bool,
    pub classifications: bool,
    /// A new text for codebook.yaml, written in the same change.
    pub codebook: Option<String>,
    /// Other files of the project written in the same change (imported transcripts).
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// While built by [`Store::create_bulk`] (no journal, no codings indexes yet): the coders
    /// who have codings in it so far.
    bulk: Option<BTreeSet<String>>,
    /// Where changes are written through to the record; none while a store is built.
    sink: Option<Arc<dyn RecordSink>>,
}

impl Store {
    /// The store in use in the cache folder `cache`, if there is one.
    pub fn current(cache: &Path) -> Option<PathBuf> {
        let name = std::fs::read_to_string(cache.join(CURRENT_FILE)).ok()?;
        let name = name.trim();
        let valid =
            name.starts_with("project-") && name.ends_with(".db") && !name.contains(['/', '\\']);
        let path = cache.join(name);
        (valid && path.is_file()).then_some(path)
    }

    /// Opens an existing store. `Ok(None)` when it was made by another version of qualkit and
    /// must be rebuilt.
    pub fn open(path: &Path) -> Result<Option<Self>> {
        let fail = |source| Error::Store {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail)?;
        conn.busy_timeout(Duration::from_secs(60)).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail)?;
        let version: Option<i64> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok());
        if version != Some(SCHEMA_VERSION) {
            return Ok(None);
        }
        Ok(Some(Store {
            conn,
            path: path.to_path_buf(),
            bulk: None,
            sink: None,
        }))
    }

    /// Creates an empty store at `path` (which must not hold one yet), ready for writes. For
    /// tools and tests that use a store on its own; a project's cache is made by
    /// [`Store::create_bulk`].
    pub fn create(path: &Path) -> Result<Self> {
        let fail = |source| Error::Store {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(fail)?;
        conn.execute_batch(include_str!("schema.sql"))
            .map_err(fail)?;
        conn.execute(
            &format!(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?1), ('created', {NOW})"
            ),
            [SCHEMA_VERSION.to_string()],
        )
        .map_err(fail)?;
        drop(conn);
        Ok(Store::open(path)?.expect("a store just made has this version"))
    }

    /// Starts a new store in the cache folder `cache`, filled in bulk and then made the one in
    /// use by [`Store::finish_bulk`]. It is written in a private file, without a journal and
    /// without the codings indexes (built once at the end, from sorted data, instead of row
    /// by row), so a project with a million codings gets its store in a fraction of the time.
    /// Until it is finished nothing names it: an interrupted build leaves no half-filled store
    /// that a later open would take for a complete one. The caller holds the project's
    /// exclusive lock.
    pub fn create_bulk(cache: &Path) -> Result<Self> {
        std::fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
        let building = cache.join(format!(
            "project-{}.db.building",
            crate::record::change::short_id()
        ));
        let fail = |source| Error::Store {
            path: building.clone(),
            source,
        };
        let conn = Connection::open(&building).map_err(fail)?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             PRAGMA cache_size = -262144;
             -- Index builds sort in memory, on every core.
             PRAGMA temp_store = MEMORY;
             PRAGMA threads = 4;",
        )
        .map_err(fail)?;
        conn.execute_batch(include_str!("schema.sql"))
            .map_err(fail)?;
        conn.execute_batch("DROP INDEX codings_by_coder;")
            .map_err(fail)?;
        conn.execute(
            &format!("INSERT INTO meta VALUES ('schema_version', ?1), ('created', {NOW})"),
            [SCHEMA_VERSION.to_string()],
        )
        .map_err(fail)?;
        Ok(Store {
            conn,
            path: building,
            bulk: Some(BTreeSet::new()),
            sink: None,
        })
    }

    /// Builds the indexes of a store made by [`Store::create_bulk`], writes it to disk, gives
    /// it its name and makes it the store in use, then removes older builds.
    pub fn finish_bulk(&mut self) -> Result<()> {
        assert!(
            self.bulk.is_some(),
            "finish_bulk on a store not made by create_bulk"
        );
        if let Err(source) = self.conn.execute_batch(include_str!("schema.sql")) {
            // The unique index on coding ids is the last word on duplicates.
            return Err(self.fail(source));
        }
        let building = self.path.clone();
        let placeholder = Connection::open_in_memory().map_err(|e| self.fail(e))?;
        std::mem::replace(&mut self.conn, placeholder)
            .close()
            .map_err(|(_, e)| self.fail(e))?;
        // Synchronous writes were off: the file reaches the disk before it takes its name.
        std::fs::File::open(&building)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&building, e))?;
        crate::record::crash::point("store:built");
        let path = building.with_extension("");
        std::fs::rename(&building, &path).map_err(|e| Error::io(&path, e))?;
        let cache = path
            .parent()
            .expect("a store lives in a folder")
            .to_path_buf();
        let name = path
            .file_name()
            .expect("named")
            .to_string_lossy()
            .into_owned();
        crate::record::atomic::write_atomic(&cache.join(CURRENT_FILE), name.as_bytes())?;
        crate::record::crash::point("store:named");
        // Older builds: a process still reading one keeps its open file until it closes it.
        if let Ok(entries) = std::fs::read_dir(&cache) {
            for entry in entries.flatten() {
                let other = entry.file_name().to_string_lossy().into_owned();
                if other.starts_with("project") && !other.starts_with(&name) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let sink = self.sink.take();
        let mut finished = Store::open(&path)?.expect("a store just built has this version");
        finished.sink = sink;
        self.bulk = None;
        *self = finished;
        Ok(())
    }

    /// Whether this store is being built (see [`Store::create_bulk`]).
    pub fn is_building(&self) -> bool {
        self.bulk.is_some()
    }

    /// Writes changes through to the record from now on.
    pub fn attach(&mut self, sink: Arc<dyn RecordSink>) {
        self.sink = Some(sink);
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

    /// The record files' stamps when this store last matched them.
    pub fn stamps(&self) -> Result<crate::record::Stamps> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'stamps'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.fail(e))?;
        Ok(json
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    /// The codebook version the store's codings were last checked against.
    pub fn codebook_version(&self) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'codebook'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.fail(e))
    }

    pub fn set_codebook_version(&self, version: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('codebook', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [version],
            )
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    /// The documents that have codings.
    pub fn coded_documents(&self) -> Result<std::collections::HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT document FROM codings")
            .map_err(|e| self.fail(e))?;
        stmt.query_map([], |r| r.get(0))
            .map_err(|e| self.fail(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.fail(e))
    }

    /// An empty store in memory: what a project holds until its cache is opened.
    pub(crate) fn in_memory() -> Self {
        let conn = Connection::open_in_memory().expect("SQLite opens a store in memory");
        conn.execute_batch(include_str!("schema.sql"))
            .expect("the schema applies to an empty store");
        Store {
            conn,
            path: PathBuf::from(":memory:"),
            bulk: None,
            sink: None,
        }
    }

    /// Notes the record files' stamps: the store matches them as they are now.
    pub fn set_stamps(&self, stamps: &crate::record::Stamps) -> Result<()> {
        set_stamps(&self.conn, stamps).map_err(|e| self.fail(e))
    }

    /// Runs `work` in one IMMEDIATE transaction, after writing its audit entry, then writes
    /// the record files it touched; nothing of it is stored unless all of it succeeds.
    fn change<T>(
        &mut self,
        author: &Author,
        action: &str,
        mut detail: serde_json::Value,
        work: impl FnOnce(&rusqlite::Transaction, &Entry, &mut Touched) -> Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let fail = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let sink = self.sink.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        tx.execute(
            &format!("INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, {NOW})"),
            [author.coder],
        )
        .map_err(fail)?;
        let id = crate::record::new_id();
        let at: String = tx
            .query_row(&format!("SELECT {NOW}"), [], |r| r.get(0))
            .map_err(fail)?;
        let entry = Entry { id, at };
        // What the change does to memos, summaries and classifications goes in its entry, so
        // that it can be reverted (see `revert`); the entry is written once that is known.
        let notes_before = revert::NotesSnapshot::read(&tx).map_err(fail)?;
        let mut touched = Touched::default();
        let out = work(&tx, &entry, &mut touched)?;
        if touched.memos || touched.summaries || touched.classifications {
            let notes = notes_before.changes_to(&revert::NotesSnapshot::read(&tx).map_err(fail)?);
            if !notes.is_empty()
                && let serde_json::Value::Object(map) = &mut detail
            {
                map.insert(
                    "notes".into(),
                    serde_json::to_value(&notes).expect("notes serialise"),
                );
            }
        }
        tx.execute(
            "INSERT INTO audit (id, at, coder, action, detail, codebook_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![entry.id, entry.at, author.coder, action, detail.to_string(), author.codebook_version],
        )
        .map_err(fail)?;
        if let Some(sink) = sink {
            let logged = crate::record::files::LogEntry {
                id: entry.id.clone(),
                at: entry.at.clone(),
                coder: author.coder.to_string(),
                action: action.to_string(),
                codebook_version: author.codebook_version.to_string(),
                detail,
            };
            write_through::write(&tx, sink.as_ref(), &touched, &logged, &path)?;
        }
        crate::record::crash::point("store:before-commit");
        tx.commit().map_err(fail)?;
        Ok(out)
    }

    /// Stores codings by one coder, all or nothing. `documents` records the text each coded
    /// document had.
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
        codings.dedup_by(|a, b| {
            (&a.document, &a.code, a.start, a.end, &a.memo)
                == (&b.document, &b.code, b.start, b.end, &b.memo)
        });
        let path = self.path.clone();
        let coder = author.coder.to_string();
        // While a store is built: whether this coder has nothing stored yet.
        let bulk = self.bulk.as_ref().map(|coders| !coders.contains(&coder));
        let report = self.change(author, action, detail, |tx, entry, touched| {
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            record_documents(tx, documents).map_err(fail)?;
            // A coder new to a store being built has nothing stored to overlap.
            let existing = if bulk == Some(true) {
                SpansByPlace::default()
            } else {
                existing_spans(tx, &coder, &codings, bulk.is_some()).map_err(fail)?
            };
            let mut report = WriteReport {
                entry: entry.id.clone(),
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
                    .map(|k| (String::from("(new)"), k.start, k.end));
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
                                existing: id.into(),
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
                            insert_batch(tx, &batch, &coder, entry).map_err(fail)?;
                            batch.clear();
                        }
                    }
                    Some(memo) => {
                        // Earlier codings first, so that rows follow the order codings came in.
                        for earlier in batch.drain(..) {
                            insert_batch(tx, &[earlier], &coder, entry).map_err(fail)?;
                        }
                        let id = insert_batch(tx, &[coding], &coder, entry).map_err(fail)?;
                        insert_memo(tx, "coding", &id, &coder, memo).map_err(fail)?;
                        touched.memos = true;
                    }
                }
                report.added += 1;
                last_kept = Some(coding);
            }
            // The last, part-full batch row by row: one statement shape per batch size
            // would crowd the statement cache.
            for rest in batch {
                insert_batch(tx, &[rest], &coder, entry).map_err(fail)?;
            }
            if report.added > 0 {
                touched.coders.insert(coder.clone());
            }
            Ok(report)
        })?;
        if let Some(coders) = &mut self.bulk {
            coders.insert(author.coder.to_string());
        }
        self.keep_texts(documents);
        Ok(report)
    }

    /// Removes codings by id, with the memos written on them; the audit entry keeps what
    /// they were, memos included.
    pub fn remove_codings(&mut self, author: &Author, ids: &[String]) -> Result<Vec<Coding>> {
        let removed = ids
            .iter()
            .map(|id| {
                self.coding(id)?
                    .ok_or_else(|| Error::UnknownCoding(id.clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        let memos: Vec<Memo> = removed
            .iter()
            .map(|c| self.memos(Some("coding"), Some(&c.id)))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let detail = serde_json::json!({ "removed": removed, "memos": memos });
        let path = self.path.clone();
        self.change(author, "uncode", detail, |tx, _, touched| {
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            for coding in &removed {
                if !delete_coding(tx, &coding.id).map_err(fail)? {
                    return Err(Error::UnknownCoding(coding.id.clone()));
                }
                touched.coders.insert(coding.coder.clone());
                touched.memos |= delete_memos_on(tx, &coding.id).map_err(fail)?;
            }
            Ok(())
        })?;
        Ok(removed)
    }

    /// Moves a coding to another code, refusing if that would overlap the coder's own
    /// coding of the new code. The coding keeps its id.
    pub fn recode(&mut self, author: &Author, id: &str, new_code: &str) -> Result<Coding> {
        let old = self
            .coding(id)?
            .ok_or_else(|| Error::UnknownCoding(id.to_string()))?;
        let detail = serde_json::json!({ "coding": old, "to": new_code });
        let path = self.path.clone();
        self.change(author, "recode", detail, |tx, _, touched| {
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            let probe = [NewCoding::new(
                old.document.clone(),
                new_code.to_string(),
                old.start,
                old.end,
            )];
            let existing = existing_spans(tx, &old.coder, &probe, false).map_err(fail)?;
            if let Some((other, s, e)) = existing
                .get(&old.document, new_code)
                .and_then(|spans| overlapping(spans, old.start, old.end))
                .filter(|(other, ..)| *other != old.id)
            {
                return Err(Error::Overlap {
                    document: old.document.clone(),
                    code: new_code.to_string(),
                    coder: old.coder.clone(),
                    start: old.start,
                    end: old.end,
                    existing: other.into(),
                    existing_start: s,
                    existing_end: e,
                });
            }
            tx.execute(
                "UPDATE codings SET code = ?1 WHERE id = (SELECT id FROM coding_ids WHERE guid = ?2)",
                params![new_code, old.id],
            )
            .map_err(fail)?;
            touched.coders.insert(old.coder.clone());
            Ok(())
        })?;
        Ok(Coding {
            code: new_code.to_string(),
            ..old
        })
    }

    /// Sets (or, with empty text, clears) `coder`'s memo on a target. A memo keeps its id
    /// when its text changes.
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
            .find(|m| m.coder == author.coder);
        if previous.as_ref().map_or("", |m| m.text.as_str()) == text {
            return Ok(());
        }
        let detail = serde_json::json!({
            "memo": previous.as_ref().map(|m| m.id.clone()),
            "kind": kind,
            "target": target,
            "text": text,
            "previous": previous.as_ref().map(|m| m.text.clone()),
        });
        let path = self.path.clone();
        let coder = author.coder.to_string();
        self.change(author, "memo", detail, |tx, _, touched| {
            touched.memos = true;
            let result = if text.is_empty() {
                tx.execute(
                    "DELETE FROM memos WHERE kind = ?1 AND target = ?2 AND coder = ?3",
                    params![kind, target, coder],
                )
                .map(|_| ())
            } else if previous.is_some() {
                tx.execute(
                    &format!(
                        "UPDATE memos SET text = ?4, updated = {NOW} WHERE kind = ?1 AND target = ?2 AND coder = ?3"
                    ),
                    params![kind, target, coder, text],
                )
                .map(|_| ())
            } else {
                insert_memo(tx, kind, target, &coder, text).map(|_| ())
            };
            result.map_err(|source| Error::Store {
                path: path.clone(),
                source,
            })
        })
    }

    /// Records an event that changes no coding (an import, a build) in the audit log.
    /// Returns the entry's id.
    pub fn log(
        &mut self,
        author: &Author,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<String> {
        self.change(author, action, detail, |_, entry, _| Ok(entry.id.clone()))
    }

    pub(crate) fn keep_texts(&self, documents: &[DocumentRecord]) {
        if let Some(sink) = &self.sink {
            for d in documents {
                sink.keep_text(&d.id);
            }
        }
    }

    /// Records a change already made to the store's codings (by a rebuild that placed them
    /// anew in `documents`' current text) and writes the given coders' files from it.
    /// Returns the entry's id.
    pub fn record_rewrite(
        &mut self,
        author: &Author,
        action: &str,
        detail: serde_json::Value,
        coders: BTreeSet<String>,
        documents: &[DocumentRecord],
    ) -> Result<String> {
        let path = self.path.clone();
        self.change(author, action, detail, |tx, entry, touched| {
            touched.coders = coders;
            let mut update = tx
                .prepare("UPDATE documents SET fingerprint = ?2, chars = ?3 WHERE id = ?1")
                .map_err(|source| Error::Store {
                    path: path.clone(),
                    source,
                })?;
            for d in documents {
                update
                    .execute(params![d.id, d.fingerprint, d.chars as i64])
                    .map_err(|source| Error::Store {
                        path: path.clone(),
                        source,
                    })?;
            }
            Ok(entry.id.clone())
        })
    }

    pub fn coding(&self, id: &str) -> Result<Option<Coding>> {
        self.conn
            .query_row(
                &format!("SELECT {CODING_COLUMNS} FROM {CODINGS_JOINED} WHERE i.guid = ?1"),
                [id],
                row_to_coding,
            )
            .optional()
            .map_err(|e| self.fail(e))
    }

    /// The full id of the coding whose id is or starts with `given` (at least 4 characters,
    /// as with git's short commit names).
    pub fn resolve_coding_id(&self, given: &str) -> Result<String> {
        let given = given.trim().trim_start_matches('#').to_ascii_lowercase();
        if self.coding(&given)?.is_some() {
            return Ok(given);
        }
        if given.len() < 4 {
            return Err(Error::UnknownCoding(given));
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT guid FROM coding_ids WHERE guid >= ?1 AND guid < ?1 || '~' ORDER BY guid LIMIT 6",
            )
            .map_err(|e| self.fail(e))?;
        let found: Vec<String> = stmt
            .query_map([&given], |r| r.get(0))
            .map_err(|e| self.fail(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.fail(e))?;
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::UnknownCoding(given)),
            many => Err(Error::argument(
                "id",
                format!(
                    "`{given}` is the start of several coding ids ({}); give more of it",
                    many.join(", ")
                ),
            )),
        }
    }

    /// All codings, ordered by document, start, code, coder.
    pub fn codings(&self) -> Result<Vec<Coding>> {
        self.query_codings("", [])
    }

    /// The codings of one document, ordered by start, code, coder (a document view redrawn
    /// after each coding reads only its own).
    pub fn codings_in(&self, document: &str) -> Result<Vec<Coding>> {
        self.query_codings("WHERE c.document = ?1", [document])
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

    fn query_codings<P: rusqlite::Params>(&self, filter: &str, params: P) -> Result<Vec<Coding>> {
        let sql = format!(
            "SELECT {CODING_COLUMNS} FROM {CODINGS_JOINED} {filter}
             ORDER BY c.document, c.start, c.end, c.code, c.coder, i.guid"
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

    /// Memos, by kind, target and coder; `None` matches any kind or target.
    pub fn memos(&self, kind: Option<&str>, target: Option<&str>) -> Result<Vec<Memo>> {
        read_memos(&self.conn, kind, target).map_err(|e| self.fail(e))
    }

    /// Writes files into the project (imported transcripts) with their log entry, as one
    /// change. Returns the entry's id.
    pub fn write_files(
        &mut self,
        author: &Author,
        action: &str,
        detail: serde_json::Value,
        files: Vec<(PathBuf, Vec<u8>)>,
    ) -> Result<String> {
        self.change(author, action, detail, |_, entry, touched| {
            touched.files = files;
            Ok(entry.id.clone())
        })
    }

    /// Ids of the codings that log entry `entry` made and that are still stored.
    pub fn codings_made_by(&self, entry: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.guid FROM codings c JOIN coding_ids i ON i.id = c.id JOIN made m ON m.id = c.made
                 WHERE m.entry = ?1",
            )
            .map_err(|e| self.fail(e))?;
        stmt.query_map([entry], |r| r.get(0))
            .map_err(|e| self.fail(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.fail(e))
    }

    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        read_audit(&self.conn).map_err(|e| self.fail(e))
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

/// A coding's fields, from [`CODINGS_JOINED`].
const CODING_COLUMNS: &str =
    "i.guid, c.document, c.code, c.coder, c.start, c.end, m.created, m.entry";
const CODINGS_JOINED: &str =
    "codings c JOIN coding_ids i ON i.id = c.id JOIN made m ON m.id = c.made";

fn row_to_coding(r: &rusqlite::Row) -> rusqlite::Result<Coding> {
    Ok(Coding {
        id: r.get(0)?,
        document: r.get(1)?,
        code: r.get(2)?,
        coder: r.get(3)?,
        start: r.get::<_, i64>(4)? as usize,
        end: r.get::<_, i64>(5)? as usize,
        created: r.get(6)?,
        entry: r.get(7)?,
    })
}

fn read_memos(
    conn: &Connection,
    kind: Option<&str>,
    target: Option<&str>,
) -> rusqlite::Result<Vec<Memo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, target, coder, text, updated FROM memos
         WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR target = ?2)
         ORDER BY kind, target, coder",
    )?;
    stmt.query_map(params![kind, target], |r| {
        Ok(Memo {
            id: r.get(0)?,
            kind: r.get(1)?,
            target: r.get(2)?,
            coder: r.get(3)?,
            text: r.get(4)?,
            updated: r.get(5)?,
        })
    })?
    .collect()
}

fn read_audit(conn: &Connection) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, at, coder, action, detail, codebook_version FROM audit ORDER BY seq",
    )?;
    stmt.query_map([], |r| {
        let detail: String = r.get(5)?;
        Ok(AuditEntry {
            seq: r.get(0)?,
            id: r.get(1)?,
            at: r.get(2)?,
            coder: r.get(3)?,
            action: r.get(4)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
            codebook_version: r.get(6)?,
        })
    })?
    .collect()
}

fn set_stamps(conn: &Connection, stamps: &crate::record::Stamps) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('stamps', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [serde_json::to_string(stamps).expect("stamps serialise")],
    )?;
    Ok(())
}

/// Notes the text each coded document has now.
/// Removes a stored coding (not its memos); returns whether there was one.
fn delete_coding(tx: &rusqlite::Transaction, id: &str) -> rusqlite::Result<bool> {
    let deleted = tx.execute(
        "DELETE FROM codings WHERE id = (SELECT id FROM coding_ids WHERE guid = ?1)",
        [id],
    )?;
    tx.execute("DELETE FROM coding_ids WHERE guid = ?1", [id])?;
    Ok(deleted > 0)
}

/// Removes the memos written on a coding; returns whether there were any.
fn delete_memos_on(tx: &rusqlite::Transaction, coding: &str) -> rusqlite::Result<bool> {
    Ok(tx.execute(
        "DELETE FROM memos WHERE kind = 'coding' AND target = ?1",
        [coding],
    )? > 0)
}

fn record_documents(
    tx: &rusqlite::Transaction,
    documents: &[DocumentRecord],
) -> rusqlite::Result<()> {
    let mut record = tx.prepare_cached(&format!(
        "INSERT OR IGNORE INTO documents (id, source, fingerprint, chars, first_coded) VALUES (?1, ?2, ?3, ?4, {NOW})"
    ))?;
    for d in documents {
        record.execute(params![d.id, d.source, d.fingerprint, d.chars as i64])?;
    }
    Ok(())
}

/// document -> code -> the coder's spans (id, start, end), sorted by start.
#[derive(Default)]
struct SpansByPlace(HashMap<String, HashMap<String, Vec<StoredSpan>>>);

/// (coding id, start, end)
type StoredSpan = (String, usize, usize);

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
            "SELECT c.document, c.code, i.guid, c.start, c.end FROM codings c JOIN coding_ids i ON i.id = c.id
             WHERE c.coder = ?3 AND c.document = ?1 AND c.code = ?2 ORDER BY c.start",
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
            "SELECT c.document, c.code, i.guid, c.start, c.end FROM codings c JOIN coding_ids i ON i.id = c.id
             WHERE c.coder = ?1 ORDER BY c.document, c.code, c.start",
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

/// Stores `codings` by `coder`, made under audit entry `entry`, in one statement. Returns the
/// id of the last one.
fn insert_batch(
    tx: &rusqlite::Transaction,
    codings: &[&NewCoding],
    coder: &str,
    entry: &Entry,
) -> rusqlite::Result<String> {
    let made = made_id(tx, &entry.at, &entry.id)?;
    let first: i64 = tx
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM codings")?
        .query_row([], |r| r.get(0))?;
    let rows = vec!["(?, ?, ?, ?, ?, ?, ?)"; codings.len()].join(", ");
    let mut statement = tx.prepare_cached(&format!(
        "INSERT INTO codings (id, document, code, coder, start, end, made) VALUES {rows}"
    ))?;
    let mut index = 0;
    let mut bind = |value: &dyn rusqlite::ToSql| {
        index += 1;
        statement.raw_bind_parameter(index, value)
    };
    let mut ids = Vec::with_capacity(codings.len());
    for (i, coding) in codings.iter().enumerate() {
        let row = first + i as i64;
        bind(&row)?;
        bind(&coding.document)?;
        bind(&coding.code)?;
        bind(&coder)?;
        bind(&(coding.start as i64))?;
        bind(&(coding.end as i64))?;
        bind(&made)?;
        ids.push((row, coding.id.clone().unwrap_or_else(crate::record::new_id)));
    }
    statement.raw_execute()?;
    insert_ids(tx, &ids)?;
    Ok(ids.pop().map(|(_, id)| id).unwrap_or_default())
}

/// Stores the ids of the codings in rows `(row, id)`.
fn insert_ids(conn: &Connection, ids: &[(i64, String)]) -> rusqlite::Result<()> {
    for chunk in ids.chunks(INSERT_BATCH) {
        let rows = vec!["(?, ?)"; chunk.len()].join(", ");
        let mut statement =
            conn.prepare_cached(&format!("INSERT INTO coding_ids (id, guid) VALUES {rows}"))?;
        let mut index = 0;
        for (row, id) in chunk {
            statement.raw_bind_parameter(index + 1, row)?;
            statement.raw_bind_parameter(index + 2, id)?;
            index += 2;
        }
        statement.raw_execute()?;
    }
    Ok(())
}

/// The `made` row for codings made at `created` by log entry `entry`.
pub(super) fn made_id(conn: &Connection, created: &str, entry: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("INSERT OR IGNORE INTO made (created, entry) VALUES (?1, ?2)")?
        .execute([created, entry])?;
    conn.prepare_cached("SELECT id FROM made WHERE created = ?1 AND entry = ?2")?
        .query_row([created, entry], |r| r.get(0))
}

/// Stores a new memo by `coder` on a target, with a new id.
pub(super) fn insert_memo(
    tx: &rusqlite::Transaction,
    kind: &str,
    target: &str,
    coder: &str,
    text: &str,
) -> rusqlite::Result<String> {
    let id = crate::record::new_id();
    tx.execute(
        &format!("INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, {NOW})"),
        [coder],
    )?;
    tx.prepare_cached(&format!(
        "INSERT INTO memos (id, kind, target, coder, text, updated) VALUES (?1, ?2, ?3, ?4, ?5, {NOW})"
    ))?
    .execute(params![id, kind, target, coder, text])?;
    Ok(id)
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

impl Drop for Store {
    /// A store whose build did not finish is removed: nothing names it, nothing can use it.
    fn drop(&mut self) {
        if self.bulk.is_some() {
            let placeholder = Connection::open_in_memory();
            if let Ok(placeholder) = placeholder {
                drop(std::mem::replace(&mut self.conn, placeholder));
            }
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The first of `spans` (sorted by start) that overlaps `start..end`.
fn overlapping(spans: &[StoredSpan], start: usize, end: usize) -> Option<StoredSpan> {
    let after = spans.partition_point(|&(_, s, _)| s < end);
    // A coder's spans of one code never overlap, so their ends are sorted too: only the
    // last span starting before `end` can reach past `start`.
    spans[..after]
        .last()
        .filter(|(_, _, e)| *e > start)
        .cloned()
}
