//! Storing a consensus coding: the merged codings of several coders, written under a coder
//! of their own in one transaction that also clears whatever that coder had before.

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
    ) -> Result<(String, usize)> {
        // The codings replaced are kept whole in the entry, so that it can be reverted.
        let mut detail = detail;
        let replaced: Vec<super::Coding> = self
            .codings()?
            .into_iter()
            .filter(|c| c.coder == coder)
            .collect();
        if let serde_json::Value::Object(map) = &mut detail {
            map.insert(
                "removed".into(),
                serde_json::to_value(&replaced).expect("codings serialise"),
            );
        }
        let path = self.path.clone();
        self.change(author, "merge coders", detail, |tx, entry, touched| {
            touched.coders.insert(coder.to_string());
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
            tx.execute(
                "DELETE FROM coding_ids WHERE id IN (SELECT id FROM codings WHERE coder = ?1)",
                [coder],
            )
            .map_err(fail)?;
            tx.execute("DELETE FROM codings WHERE coder = ?1", [coder])
                .map_err(fail)?;
            tx.execute(
                &format!("INSERT OR IGNORE INTO coders (name, first_seen) VALUES (?1, {NOW})"),
                [coder],
            )
            .map_err(fail)?;
            super::record_documents(tx, documents).map_err(fail)?;
            for c in &codings {
                super::insert_batch(tx, &[c], coder, entry).map_err(fail)?;
            }
            Ok((entry.id.clone(), codings.len()))
        })
        .inspect(|_| self.keep_texts(documents))
    }
}
