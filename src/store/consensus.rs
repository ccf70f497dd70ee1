//! Storing a consensus coding: the merged codings of several coders, written under a coder
//! of their own in one transaction that also clears whatever that coder had before.

use rusqlite::params;

use super::{Author, DocumentRecord, NOW, NewCoding, Store};
use crate::error::{Error, Result};

impl Store {
    /// Replaces every coding of `coder` by `codings` (non-overlapping per document and code),
    /// recorded as one audit entry by `author`. `expected_previous` is how many codings the
    /// caller saw `coder` holding (and put in `detail`); if another writer changed that in
    /// the meantime, nothing is written. Returns the audit entry and the codings stored.
    pub fn write_consensus(
        &mut self,
        author: &Author,
        detail: serde_json::Value,
        coder: &str,
        expected_previous: usize,
        codings: Vec<NewCoding>,
        documents: &[DocumentRecord],
    ) -> Result<(i64, usize)> {
        let path = self.path.clone();
        self.change(author, "merge coders", detail, |tx, seq| {
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            let previous: i64 = tx
                .query_row(
                    "SELECT count(*) FROM codings WHERE coder = ?1",
                    [coder],
                    |r| r.get(0),
                )
                .map_err(fail)?;
            if previous as usize != expected_previous {
                return Err(Error::argument(
                    "into",
                    format!(
                        "coder `{coder}`'s codings changed while merging ({expected_previous} before, {previous} now); run the merge again"
                    ),
                ));
            }
            tx.execute("DELETE FROM codings WHERE coder = ?1", [coder])
                .map_err(fail)?;
            tx.execute(
                &format!("INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, {NOW})"),
                [coder],
            )
            .map_err(fail)?;
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
            let mut insert = tx
                .prepare(
                    "INSERT INTO codings (document, code, coder, start, end, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(fail)?;
            for c in &codings {
                insert
                    .execute(params![
                        c.document,
                        c.code,
                        coder,
                        c.start as i64,
                        c.end as i64,
                        seq
                    ])
                    .map_err(fail)?;
            }
            Ok((seq, codings.len()))
        })
    }
}
