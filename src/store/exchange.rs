//! What moving a project in from another tool writes: codings by many coders and their
//! memos, in one transaction under one audit entry, so an import is stored whole or not at
//! all. Also the reads an export needs (coders, when each coding was made).

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use super::{Author, DocumentRecord, NOW, NewCoding, Store, existing_spans, overlapping};
use crate::error::{Error, Result};

/// A memo to store: `coder`'s note on a target (`kind` is coding, document, code, case or
/// project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoRecord {
    pub kind: String,
    pub target: String,
    pub coder: String,
    pub text: String,
}

/// A coding that was not stored because the coder already has an overlapping coding of the
/// same code (the store keeps one coder's codings of one code apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedCoding {
    pub coder: String,
    pub document: String,
    pub code: String,
    pub start: usize,
    pub end: usize,
    /// The span already stored that it overlaps.
    pub existing: (usize, usize),
}

/// What [`Store::import_batch`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BatchReport {
    /// The id of the audit entry that records the import.
    pub entry: String,
    pub added: usize,
    /// Codings identical to one already stored (a second import of the same file).
    pub already_stored: usize,
    pub skipped: Vec<SkippedCoding>,
    pub memos: usize,
    pub summaries: usize,
}

impl Store {
    /// Stores codings by several coders and memos in one transaction, recorded as one audit
    /// entry by `author`. A coding that repeats a stored one is counted, not stored twice; one
    /// that overlaps the same coder's coding of the same code is skipped and listed. A memo
    /// whose text the stored memo already holds is left alone; any other is added to it.
    /// A Framework summary is stored where the project has none for its case and theme.
    #[allow(clippy::too_many_arguments)]
    pub fn import_batch(
        &mut self,
        author: &Author,
        action: &str,
        detail: serde_json::Value,
        codings: Vec<(String, NewCoding)>,
        memos: Vec<MemoRecord>,
        summaries: &[super::Summary],
        documents: &[DocumentRecord],
    ) -> Result<BatchReport> {
        let mut by_coder: HashMap<String, Vec<NewCoding>> = HashMap::new();
        for (coder, coding) in codings {
            by_coder.entry(coder).or_default().push(coding);
        }
        let mut coders: Vec<(String, Vec<NewCoding>)> = by_coder.into_iter().collect();
        coders.sort_by(|a, b| a.0.cmp(&b.0));
        let path = self.path.clone();
        self.change(author, action, detail, |tx, entry, touched| {
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            let mut report = BatchReport {
                entry: entry.id.clone(),
                ..Default::default()
            };
            let mut add_coder = tx
                .prepare(&format!(
                    "INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, {NOW})"
                ))
                .map_err(fail)?;
            for name in coders
                .iter()
                .map(|(c, _)| c.as_str())
                .chain(memos.iter().map(|m| m.coder.as_str()))
            {
                add_coder.execute([name]).map_err(fail)?;
            }
            super::record_documents(tx, documents).map_err(fail)?;
            // Ids the file gives are kept unless another coding has them already (a file
            // from a tool that reuses GUIDs, or the same coding at a new place).
            let mut taken_ids: std::collections::HashSet<String> =
                if coders.iter().any(|(_, cs)| cs.iter().any(|c| c.id.is_some())) {
                    let mut stmt = tx
                        .prepare("SELECT guid FROM coding_ids UNION ALL SELECT guid FROM unplaced_codings")
                        .map_err(fail)?;
                    stmt.query_map([], |r| r.get(0))
                        .map_err(fail)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(fail)?
                } else {
                    Default::default()
                };
            for (coder, mut codings) in coders {
                codings.sort();
                codings.dedup_by(|a, b| {
                    (&a.document, &a.code, a.start, a.end) == (&b.document, &b.code, b.start, b.end)
                });
                let existing = existing_spans(tx, &coder, &codings, false).map_err(fail)?;
                let mut last_kept: Option<&NewCoding> = None;
                for coding in &codings {
                    let earlier = last_kept
                        .filter(|k| {
                            k.document == coding.document
                                && k.code == coding.code
                                && k.end > coding.start
                        })
                        .map(|k| (k.start, k.end));
                    let stored = existing
                        .get(&coding.document, &coding.code)
                        .and_then(|spans| overlapping(spans, coding.start, coding.end))
                        .map(|(_, s, e)| (s, e));
                    if let Some((s, e)) = earlier.or(stored) {
                        if (s, e) == (coding.start, coding.end) {
                            report.already_stored += 1;
                        } else {
                            report.skipped.push(SkippedCoding {
                                coder: coder.clone(),
                                document: coding.document.clone(),
                                code: coding.code.clone(),
                                start: coding.start,
                                end: coding.end,
                                existing: (s, e),
                            });
                        }
                        continue;
                    }
                    let mut stored = coding.clone();
                    if let Some(id) = &stored.id
                        && !taken_ids.insert(id.clone())
                    {
                        stored.id = None;
                    }
                    let id = super::insert_batch(tx, &[&stored], &coder, entry).map_err(fail)?;
                    touched.coders.insert(coder.clone());
                    if let Some(memo) = coding.memo.as_deref().filter(|m| !m.trim().is_empty()) {
                        super::insert_memo(tx, "coding", &id, &coder, memo).map_err(fail)?;
                        touched.memos = true;
                        report.memos += 1;
                    }
                    report.added += 1;
                    last_kept = Some(coding);
                }
            }
            for memo in &memos {
                let stored: Option<String> = tx
                    .query_row(
                        "SELECT text FROM memos WHERE kind = ?1 AND target = ?2 AND coder = ?3",
                        params![memo.kind, memo.target, memo.coder],
                        |r| r.get(0),
                    )
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        other => Err(other),
                    })
                    .map_err(fail)?;
                touched.memos = true;
                match stored {
                    Some(old) if old.contains(memo.text.as_str()) => continue,
                    Some(old) => {
                        tx.execute(
                            &format!(
                                "UPDATE memos SET text = ?4, updated = {NOW} WHERE kind = ?1 AND target = ?2 AND coder = ?3"
                            ),
                            params![memo.kind, memo.target, memo.coder, format!("{old}\n\n{}", memo.text)],
                        )
                        .map_err(fail)?;
                    }
                    None => {
                        super::insert_memo(tx, &memo.kind, &memo.target, &memo.coder, &memo.text)
                            .map_err(fail)?;
                    }
                }
                report.memos += 1;
            }
            for summary in summaries {
                touched.summaries = true;
                report.summaries += tx
                    .execute(
                        &format!(
                            "INSERT INTO summaries (case_name, theme, text, author, updated) VALUES (?1, ?2, ?3, ?4, {NOW})
                             ON CONFLICT (case_name, theme) DO NOTHING"
                        ),
                        params![summary.case, summary.theme, summary.text, summary.author],
                    )
                    .map_err(fail)?;
            }
            Ok(report)
        })
        .inspect(|_| self.keep_texts(documents))
    }

    /// Everyone who has coded or written a memo, by name.
    pub fn coders(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM coders ORDER BY name")
            .map_err(|e| self.fail(e))?;
        stmt.query_map([], |r| r.get(0))
            .map_err(|e| self.fail(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.fail(e))
    }
}
