//! Undoing one log entry. Every change keeps in its entry what it did to memos, summaries and
//! classifications (their rows before and after); codings are known by the entry that made
//! them, and removed ones are kept whole in the entry that removed them. Reverting applies the
//! opposite as a change of its own, which records the same things and so can be reverted too.

use std::collections::BTreeSet;

use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};

use super::analysis::{DerivedAttribute, Summary, read_case_attributes, read_summaries};
use super::{
    Author, Coding, Entry, Memo, NewCoding, Store, Touched, delete_coding, delete_memos_on,
    read_memos,
};
use crate::error::{Error, Result};

/// Rows of memos, summaries and classifications as a change found and left them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotesChange {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memos: Vec<Changed<Memo>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summaries: Vec<Changed<Summary>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifications: Vec<Changed<DerivedAttribute>>,
}

/// One row before and after a change (none where there was or is none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changed<T> {
    pub before: Option<T>,
    pub after: Option<T>,
}

impl NotesChange {
    pub fn is_empty(&self) -> bool {
        self.memos.is_empty() && self.summaries.is_empty() && self.classifications.is_empty()
    }

    fn inverse(&self) -> NotesChange {
        fn flip<T: Clone>(rows: &[Changed<T>]) -> Vec<Changed<T>> {
            rows.iter()
                .map(|c| Changed {
                    before: c.after.clone(),
                    after: c.before.clone(),
                })
                .collect()
        }
        NotesChange {
            memos: flip(&self.memos),
            summaries: flip(&self.summaries),
            classifications: flip(&self.classifications),
        }
    }
}

/// The rows of memos, summaries and classifications at one moment.
pub(super) struct NotesSnapshot {
    memos: Vec<Memo>,
    summaries: Vec<Summary>,
    classifications: Vec<DerivedAttribute>,
}

impl NotesSnapshot {
    pub(super) fn read(tx: &Transaction) -> rusqlite::Result<NotesSnapshot> {
        Ok(NotesSnapshot {
            memos: read_memos(tx, None, None)?,
            summaries: read_summaries(tx)?,
            classifications: read_case_attributes(tx)?,
        })
    }

    /// What changed from `self` to `after`, row by row.
    pub(super) fn changes_to(&self, after: &NotesSnapshot) -> NotesChange {
        NotesChange {
            memos: diff(&self.memos, &after.memos, |m| {
                (m.kind.clone(), m.target.clone(), m.coder.clone())
            }),
            summaries: diff(&self.summaries, &after.summaries, |s| {
                (s.case.clone(), s.theme.clone(), String::new())
            }),
            classifications: diff(&self.classifications, &after.classifications, |c| {
                (c.attribute.clone(), c.case.clone(), String::new())
            }),
        }
    }
}

fn diff<T: Clone + PartialEq>(
    before: &[T],
    after: &[T],
    key: impl Fn(&T) -> (String, String, String),
) -> Vec<Changed<T>> {
    let index = |rows: &[T]| -> std::collections::BTreeMap<(String, String, String), T> {
        rows.iter().map(|r| (key(r), r.clone())).collect()
    };
    let (before, after) = (index(before), index(after));
    let keys: BTreeSet<&(String, String, String)> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (b, a) = (before.get(k), after.get(k));
            (b != a).then(|| Changed {
                before: b.cloned(),
                after: a.cloned(),
            })
        })
        .collect()
}

/// What an entry did to codings, as reverting needs it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CodingsChange {
    /// Codings it added, by id.
    #[serde(default)]
    pub added: Vec<String>,
    /// Codings it removed, whole.
    #[serde(default)]
    pub removed: Vec<Coding>,
    /// Codings it moved to another code.
    #[serde(default)]
    pub recoded: Vec<Recoded>,
    /// Codings it gave another span (merged with codings they overlapped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub respanned: Vec<Respanned>,
    /// Removed codings whose memos went to the coding they were merged into.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_into: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Respanned {
    pub id: String,
    pub from: (usize, usize),
    pub to: (usize, usize),
}

/// codebook.yaml before and after an entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodebookChange {
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recoded {
    pub id: String,
    pub from: String,
    pub to: String,
}

/// What reverting an entry did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reverted {
    /// The revert's own log entry.
    pub entry: String,
    pub codings_removed: usize,
    pub codings_restored: usize,
    pub codings_recoded: usize,
    pub notes_restored: usize,
}

impl Store {
    /// Replaces codebook.yaml by `codebook.after` and applies `changes` to the codings (a
    /// merge or removal of codes), as one change recorded by `author`.
    pub fn edit_codebook(
        &mut self,
        author: &Author,
        action: &str,
        detail: serde_json::Value,
        codebook: &CodebookChange,
        version: &str,
        changes: &CodingsChange,
    ) -> Result<String> {
        let path = self.path.clone();
        self.change(author, action, detail, |tx, entry, touched| {
            apply_codings(tx, changes, touched, &path)?;
            set_codebook(tx, codebook, version, touched, &path)?;
            Ok(entry.id.clone())
        })
    }

    /// Undoes `changes` (what entry `reverts` did), as one change recorded by `author`.
    pub fn revert(
        &mut self,
        author: &Author,
        reverts: &super::AuditEntry,
        changes: &CodingsChange,
        notes: &NotesChange,
        codebook: Option<(&CodebookChange, &str)>,
    ) -> Result<Reverted> {
        // Codings the entry added that are gone already need no removing.
        let mut removing = Vec::new();
        for id in &changes.added {
            if let Some(coding) = self.coding(id)? {
                removing.push(coding);
            }
        }
        let undone = CodingsChange {
            added: changes.removed.iter().map(|c| c.id.clone()).collect(),
            removed: removing.clone(),
            recoded: changes
                .recoded
                .iter()
                .map(|r| Recoded {
                    id: r.id.clone(),
                    from: r.to.clone(),
                    to: r.from.clone(),
                })
                .collect(),
            respanned: changes
                .respanned
                .iter()
                .map(|r| Respanned {
                    id: r.id.clone(),
                    from: r.to,
                    to: r.from,
                })
                .collect(),
            merged_into: Vec::new(),
        };
        let codebook_back = codebook.map(|(c, version)| {
            (
                CodebookChange {
                    before: c.after.clone(),
                    after: c.before.clone(),
                },
                version,
            )
        });
        let mut detail = serde_json::json!({
            "reverts": reverts.id,
            "action": reverts.action,
            "codings": undone,
        });
        if let Some((c, _)) = &codebook_back {
            detail["codebook"] = serde_json::to_value(c).expect("texts serialise");
        }
        let restore = notes.inverse();
        let path = self.path.clone();
        self.change(author, "revert", detail, |tx, _, touched| {
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            let mut report = Reverted::default();
            for coding in &removing {
                delete_coding(tx, &coding.id).map_err(fail)?;
                touched.coders.insert(coding.coder.clone());
                report.codings_removed += 1;
            }
            // Spans back first, so that codings merged into them fit beside them again.
            for r in &changes.respanned {
                let now: Option<(i64, i64, String)> = tx
                    .query_row(
                        "SELECT c.start, c.end, c.coder FROM codings c JOIN coding_ids i ON i.id = c.id WHERE i.guid = ?1",
                        [&r.id],
                        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                    )
                    .ok();
                match now {
                    Some((s, e, coder)) if (s as usize, e as usize) == r.to => {
                        tx.execute(
                            "UPDATE codings SET start = ?1, end = ?2 WHERE id = (SELECT id FROM coding_ids WHERE guid = ?3)",
                            params![r.from.0 as i64, r.from.1 as i64, r.id],
                        )
                        .map_err(fail)?;
                        touched.coders.insert(coder);
                    }
                    _ => {
                        return Err(changed_since(format!(
                            "coding {} is no longer at {}..{}",
                            r.id, r.to.0, r.to.1
                        )));
                    }
                }
            }
            for coding in &changes.removed {
                restore_coding(tx, coding, &path)?;
                touched.coders.insert(coding.coder.clone());
                report.codings_restored += 1;
            }
            for r in &changes.recoded {
                let current: Option<(String, String)> = tx
                    .query_row(
                        "SELECT c.code, c.coder FROM codings c JOIN coding_ids i ON i.id = c.id WHERE i.guid = ?1",
                        [&r.id],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .ok();
                match current {
                    Some((code, coder)) if code == r.to => {
                        tx.execute(
                            "UPDATE codings SET code = ?1 WHERE id = (SELECT id FROM coding_ids WHERE guid = ?2)",
                            params![r.from, r.id],
                        )
                        .map_err(fail)?;
                        touched.coders.insert(coder);
                        report.codings_recoded += 1;
                    }
                    Some((code, _)) => {
                        return Err(changed_since(format!(
                            "coding {} is now `{code}`, not `{}`",
                            r.id, r.to
                        )));
                    }
                    None => {
                        return Err(changed_since(format!("coding {} is gone", r.id)));
                    }
                }
            }
            report.notes_restored = apply_notes(tx, &restore, touched, &path)?;
            // Memos written on the removed codings after the entry go with them, as with
            // any removed coding (this revert's entry keeps them, for a redo).
            for coding in &removing {
                touched.memos |= delete_memos_on(tx, &coding.id).map_err(fail)?;
            }
            if let Some((c, version)) = &codebook_back {
                set_codebook(tx, c, version, touched, &path)?;
            }
            Ok(report)
        })
        .map(|mut report| {
            report.entry = self.last_entry_id().unwrap_or_default();
            report
        })
    }

    fn last_entry_id(&self) -> Option<String> {
        self.conn
            .query_row("SELECT id FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
                r.get(0)
            })
            .ok()
    }
}

fn changed_since(what: String) -> Error {
    Error::argument(
        "entry",
        format!(
            "{what}: it changed after the entry being reverted; revert the later entries first (`qualkit log` lists them). Nothing was changed"
        ),
    )
}

/// Puts back a removed coding with its id and the time and entry that made it, unless that
/// would overlap the same coder's coding of the same code.
fn restore_coding(tx: &Transaction, coding: &Coding, path: &std::path::Path) -> Result<()> {
    let fail = |source| Error::Store {
        path: path.to_path_buf(),
        source,
    };
    let clash: Option<String> = tx
        .query_row(
            "SELECT i.guid FROM codings c JOIN coding_ids i ON i.id = c.id
             WHERE c.coder = ?1 AND c.document = ?2 AND c.code = ?3 AND c.start < ?5 AND c.end > ?4
             UNION ALL SELECT guid FROM coding_ids WHERE guid = ?6 LIMIT 1",
            params![
                coding.coder,
                coding.document,
                coding.code,
                coding.start as i64,
                coding.end as i64,
                coding.id
            ],
            |r| r.get(0),
        )
        .ok();
    if let Some(other) = clash {
        return Err(changed_since(format!(
            "coding {} cannot come back: coding {other} by {} now covers that text with `{}`",
            coding.id, coding.coder, coding.code
        )));
    }
    let new = NewCoding {
        id: Some(coding.id.clone()),
        ..NewCoding::new(
            coding.document.clone(),
            coding.code.clone(),
            coding.start,
            coding.end,
        )
    };
    let made = Entry {
        id: coding.entry.clone(),
        at: coding.created.clone(),
    };
    super::insert_batch(tx, &[&new], &coding.coder, &made).map_err(fail)?;
    Ok(())
}

/// Sets memos, summaries and classifications from their `before` rows to their `after`
/// rows, refusing if any is no longer as `before` says.
fn apply_notes(
    tx: &Transaction,
    change: &NotesChange,
    touched: &mut Touched,
    path: &std::path::Path,
) -> Result<usize> {
    let fail = |source| Error::Store {
        path: path.to_path_buf(),
        source,
    };
    let now = NotesSnapshot::read(tx).map_err(fail)?;
    let mut count = 0;
    // Every old row goes before any new one comes in: a memo that moved to another coding
    // keeps its id.
    for c in &change.memos {
        let key = c.before.as_ref().or(c.after.as_ref()).expect("a row");
        let current = now
            .memos
            .iter()
            .find(|m| m.kind == key.kind && m.target == key.target && m.coder == key.coder);
        if current != c.before.as_ref() {
            return Err(changed_since(format!(
                "the memo by {} on {} {} was changed since",
                key.coder, key.kind, key.target
            )));
        }
        tx.execute(
            "DELETE FROM memos WHERE kind = ?1 AND target = ?2 AND coder = ?3",
            params![key.kind, key.target, key.coder],
        )
        .map_err(fail)?;
    }
    for m in change.memos.iter().filter_map(|c| c.after.as_ref()) {
        tx.execute(
            "INSERT INTO memos (id, kind, target, coder, text, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![m.id, m.kind, m.target, m.coder, m.text, m.updated],
        )
        .map_err(fail)?;
    }
    if !change.memos.is_empty() {
        touched.memos = true;
        count += change.memos.len();
    }
    for c in &change.summaries {
        let key = c.before.as_ref().or(c.after.as_ref()).expect("a row");
        let current = now
            .summaries
            .iter()
            .find(|s| s.case == key.case && s.theme == key.theme);
        if current != c.before.as_ref() {
            return Err(changed_since(format!(
                "the summary of {} for {} was changed since",
                key.case, key.theme
            )));
        }
        tx.execute(
            "DELETE FROM summaries WHERE case_name = ?1 AND theme = ?2",
            params![key.case, key.theme],
        )
        .map_err(fail)?;
        if let Some(s) = &c.after {
            tx.execute(
                "INSERT INTO summaries (case_name, theme, text, author, updated) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.case, s.theme, s.text, s.author, s.updated],
            )
            .map_err(fail)?;
        }
        touched.summaries = true;
        count += 1;
    }
    for c in &change.classifications {
        let key = c.before.as_ref().or(c.after.as_ref()).expect("a row");
        let current = now
            .classifications
            .iter()
            .find(|a| a.case == key.case && a.attribute == key.attribute);
        if current != c.before.as_ref() {
            return Err(changed_since(format!(
                "`{}` of case {} was changed since",
                key.attribute, key.case
            )));
        }
        tx.execute(
            "DELETE FROM case_attributes WHERE case_name = ?1 AND attribute = ?2",
            params![key.case, key.attribute],
        )
        .map_err(fail)?;
        if let Some(a) = &c.after {
            tx.execute(
                "INSERT INTO case_attributes (case_name, attribute, value, reason, author, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![a.case, a.attribute, a.value, a.reason, a.author, a.updated],
            )
            .map_err(fail)?;
        }
        touched.classifications = true;
        count += 1;
    }
    Ok(count)
}

/// Applies what a codebook edit does to codings: recodes, new spans, removals (memos of a
/// coding merged into another go to that one).
fn apply_codings(
    tx: &Transaction,
    changes: &CodingsChange,
    touched: &mut Touched,
    path: &std::path::Path,
) -> Result<()> {
    let fail = |source| Error::Store {
        path: path.to_path_buf(),
        source,
    };
    for r in &changes.recoded {
        tx.execute(
            "UPDATE codings SET code = ?1 WHERE id = (SELECT id FROM coding_ids WHERE guid = ?2)",
            params![r.to, r.id],
        )
        .map_err(fail)?;
    }
    for r in &changes.respanned {
        tx.execute(
            "UPDATE codings SET start = ?1, end = ?2 WHERE id = (SELECT id FROM coding_ids WHERE guid = ?3)",
            params![r.to.0 as i64, r.to.1 as i64, r.id],
        )
        .map_err(fail)?;
    }
    for (gone, into) in &changes.merged_into {
        let memos = read_memos(tx, Some("coding"), Some(gone)).map_err(fail)?;
        for memo in memos {
            let merged = tx
                .execute(
                    "UPDATE memos SET text = text || char(10) || char(10) || ?1
                     WHERE kind = 'coding' AND target = ?2 AND coder = ?3",
                    params![memo.text, into, memo.coder],
                )
                .map_err(fail)?;
            if merged == 0 {
                tx.execute(
                    "UPDATE memos SET target = ?1 WHERE id = ?2",
                    params![into, memo.id],
                )
                .map_err(fail)?;
            } else {
                tx.execute("DELETE FROM memos WHERE id = ?1", [&memo.id])
                    .map_err(fail)?;
            }
            touched.memos = true;
        }
    }
    for coding in &changes.removed {
        delete_coding(tx, &coding.id).map_err(fail)?;
        touched.memos |= delete_memos_on(tx, &coding.id).map_err(fail)?;
    }
    let coders: BTreeSet<String> = changes
        .removed
        .iter()
        .map(|c| c.coder.clone())
        .chain(codings_coders(tx, changes).map_err(fail)?)
        .collect();
    touched.coders.extend(coders);
    Ok(())
}

fn codings_coders(tx: &Transaction, changes: &CodingsChange) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    for id in changes
        .recoded
        .iter()
        .map(|r| &r.id)
        .chain(changes.respanned.iter().map(|r| &r.id))
    {
        let coder: Option<String> = tx
            .query_row(
                "SELECT c.coder FROM codings c JOIN coding_ids i ON i.id = c.id WHERE i.guid = ?1",
                [id],
                |r| r.get(0),
            )
            .ok();
        out.extend(coder);
    }
    Ok(out)
}

/// Writes codebook.yaml as `change.after` in this change, if it is still `change.before`.
fn set_codebook(
    tx: &Transaction,
    change: &CodebookChange,
    version: &str,
    touched: &mut Touched,
    path: &std::path::Path,
) -> Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('codebook', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [version],
    )
    .map_err(|source| Error::Store {
        path: path.to_path_buf(),
        source,
    })?;
    touched.codebook = Some(change.after.clone());
    Ok(())
}
