//! What analysis adds to the store: Framework summaries and case attributes derived by a
//! rule. Both are audit-logged like codings, with the previous value kept in the log.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Author, NOW, Store};
use crate::error::{Error, Result};

/// An analyst's summary of one case for one theme (a Framework matrix cell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub case: String,
    pub theme: String,
    pub text: String,
    pub author: String,
    pub updated: String,
}

/// A case attribute set by a classification rule, with the rule's reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivedAttribute {
    pub case: String,
    pub attribute: String,
    pub value: String,
    pub reason: String,
    pub author: String,
    pub updated: String,
}

impl Store {
    /// Sets (or, with empty text, clears) the summary of `case` for `theme`.
    pub fn set_summary(
        &mut self,
        author: &Author,
        case: &str,
        theme: &str,
        text: &str,
    ) -> Result<()> {
        let previous = self
            .summaries()?
            .into_iter()
            .find(|s| s.case == case && s.theme == theme)
            .map(|s| s.text);
        // Writing what is already there changes nothing, and logs nothing: a pipeline run
        // again leaves the record as it was.
        if previous.as_deref().unwrap_or_default() == text {
            return Ok(());
        }
        let detail =
            serde_json::json!({ "case": case, "theme": theme, "text": text, "previous": previous });
        let path = self.path.clone();
        let coder = author.coder.to_string();
        self.change(author, "summarise", detail, |tx, _, touched| {
            touched.summaries = true;
            let result = if text.is_empty() {
                tx.execute(
                    "DELETE FROM summaries WHERE case_name = ?1 AND theme = ?2",
                    params![case, theme],
                )
            } else {
                tx.execute(
                    &format!(
                        "INSERT INTO summaries (case_name, theme, text, author, updated) VALUES (?1, ?2, ?3, ?4, {NOW})
                         ON CONFLICT (case_name, theme) DO UPDATE
                         SET text = excluded.text, author = excluded.author, updated = excluded.updated"
                    ),
                    params![case, theme, text, coder],
                )
            };
            result.map(|_| ()).map_err(|source| Error::Store { path, source })
        })
    }

    /// Every summary, by case and theme.
    pub fn summaries(&self) -> Result<Vec<Summary>> {
        read_summaries(&self.conn).map_err(|e| self.fail(e))
    }

    /// Replaces every value of a derived attribute in one transaction: `(case, value, reason)`.
    pub fn set_case_attribute(
        &mut self,
        author: &Author,
        attribute: &str,
        values: &[(String, String, String)],
    ) -> Result<()> {
        let mut stored: Vec<(String, String, String)> = self
            .case_attributes()?
            .into_iter()
            .filter(|a| a.attribute == attribute)
            .map(|a| (a.case, a.value, a.reason))
            .collect();
        let mut wanted = values.to_vec();
        stored.sort();
        wanted.sort();
        if stored == wanted {
            return Ok(());
        }
        let detail = serde_json::json!({
            "attribute": attribute,
            "values": values.iter().map(|(c, v, r)| serde_json::json!({"case": c, "value": v, "reason": r})).collect::<Vec<_>>(),
        });
        let path = self.path.clone();
        let coder = author.coder.to_string();
        self.change(author, "classify", detail, |tx, _, touched| {
            touched.classifications = true;
            let fail = |source| Error::Store {
                path: path.clone(),
                source,
            };
            tx.execute(
                "DELETE FROM case_attributes WHERE attribute = ?1",
                [attribute],
            )
            .map_err(fail)?;
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO case_attributes (case_name, attribute, value, reason, author, updated)
                     VALUES (?1, ?2, ?3, ?4, ?5, {NOW})"
                ))
                .map_err(fail)?;
            for (case, value, reason) in values {
                insert
                    .execute(params![case, attribute, value, reason, coder])
                    .map_err(fail)?;
            }
            Ok(())
        })
    }

    /// Removes every value of a derived attribute in one transaction; the entry keeps the
    /// values, so reverting it brings them back.
    pub fn remove_case_attribute(&mut self, author: &Author, attribute: &str) -> Result<usize> {
        let removed = self
            .case_attributes()?
            .into_iter()
            .filter(|a| a.attribute == attribute)
            .count();
        let detail = serde_json::json!({ "attribute": attribute, "cases": removed });
        let path = self.path.clone();
        self.change(author, "remove classification", detail, |tx, _, touched| {
            touched.classifications = true;
            tx.execute(
                "DELETE FROM case_attributes WHERE attribute = ?1",
                [attribute],
            )
            .map_err(|source| Error::Store {
                path: path.clone(),
                source,
            })?;
            Ok(())
        })?;
        Ok(removed)
    }

    /// Every derived case attribute.
    pub fn case_attributes(&self) -> Result<Vec<DerivedAttribute>> {
        read_case_attributes(&self.conn).map_err(|e| self.fail(e))
    }
}

pub(super) fn read_summaries(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<Summary>> {
    let mut statement = conn.prepare_cached(
        "SELECT case_name, theme, text, author, updated FROM summaries ORDER BY case_name, theme",
    )?;
    statement
        .query_map([], |r| {
            Ok(Summary {
                case: r.get(0)?,
                theme: r.get(1)?,
                text: r.get(2)?,
                author: r.get(3)?,
                updated: r.get(4)?,
            })
        })?
        .collect()
}

pub(super) fn read_case_attributes(
    conn: &rusqlite::Connection,
) -> rusqlite::Result<Vec<DerivedAttribute>> {
    let mut statement = conn.prepare_cached(
        "SELECT case_name, attribute, value, reason, author, updated FROM case_attributes
         ORDER BY attribute, case_name",
    )?;
    statement
        .query_map([], |r| {
            Ok(DerivedAttribute {
                case: r.get(0)?,
                attribute: r.get(1)?,
                value: r.get(2)?,
                reason: r.get(3)?,
                author: r.get(4)?,
                updated: r.get(5)?,
            })
        })?
        .collect()
}
