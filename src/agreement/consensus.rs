//! Merging several coders' work into one consensus coder, code by code and document by
//! document: the text any of them coded (union), the text all of them coded (intersection),
//! or the text more than half of them coded (majority). Overlapping spans join into one
//! coding; spans that only touch stay separate codings. The consensus is written in one
//! store transaction with an audit entry naming the coders, the rule and any codings it
//! replaced.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::intervals::{Interval, covered_by_at_least};
use super::spans::check_coders;
use crate::error::{Error, Result};
use crate::project::{Project, check_coder};
use crate::store::{Author, DocumentRecord, NewCoding};

/// Which text the consensus keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeRule {
    /// Text any coder coded.
    Union,
    /// Text every coder coded.
    Intersection,
    /// Text more than half of the coders coded.
    Majority,
}

impl MergeRule {
    /// How many of `coders` must have coded a character for the consensus to keep it.
    fn needed(self, coders: usize) -> usize {
        match self {
            MergeRule::Union => 1,
            MergeRule::Intersection => coders,
            MergeRule::Majority => coders / 2 + 1,
        }
    }
}

impl std::str::FromStr for MergeRule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "union" => Ok(MergeRule::Union),
            "intersection" => Ok(MergeRule::Intersection),
            "majority" => Ok(MergeRule::Majority),
            other => Err(Error::argument(
                "rule",
                format!("`{other}` is not a merge rule; use union, intersection or majority"),
            )),
        }
    }
}

/// What a merge wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    /// The id of the audit entry that records the merge.
    pub entry: String,
    /// Codings stored for the consensus coder.
    pub added: usize,
    /// The consensus coder's earlier codings that were replaced.
    pub replaced: usize,
}

impl Project {
    /// Merges `coders`' codings into `into` by `rule`, recorded in the audit log as done by
    /// `author`. Refuses if `into` already has codings, unless `replace` (the audit entry
    /// keeps the codings replaced). Nothing is written if anything fails.
    pub fn merge_coders(
        &mut self,
        author: &str,
        coders: &[String],
        into: &str,
        rule: MergeRule,
        replace: bool,
    ) -> Result<MergeReport> {
        check_coder(author)?;
        let _lock = self.write_locked()?;
        let by_coder = self.store().codings_by_coder()?;
        let known: Vec<String> = by_coder.iter().map(|(c, _)| c.clone()).collect();
        let names: Vec<&str> = coders.iter().map(String::as_str).collect();
        check_coders(&names, &known, 2)?;
        if into.trim().is_empty() {
            return Err(Error::argument(
                "into",
                "name the coder the consensus is stored under",
            ));
        }
        if names.contains(&into) {
            return Err(Error::argument(
                "into",
                format!(
                    "`{into}` is one of the coders being merged; store the consensus under a new name"
                ),
            ));
        }
        let codings = self.codings()?;
        let previous: Vec<_> = codings
            .iter()
            .filter(|c| c.coder == into)
            .cloned()
            .collect();
        if !previous.is_empty() && !replace {
            return Err(Error::argument(
                "into",
                format!(
                    "coder `{into}` already has {} codings; choose another name, or replace them (--replace; the audit log keeps them)",
                    previous.len()
                ),
            ));
        }
        // (document, code) -> every span of the merged coders, one list per coder.
        let mut places: BTreeMap<(String, String), Vec<Vec<Interval>>> = BTreeMap::new();
        for c in &codings {
            if let Some(slot) = names.iter().position(|n| *n == c.coder) {
                places
                    .entry((c.document.clone(), c.code.clone()))
                    .or_insert_with(|| vec![Vec::new(); names.len()])[slot]
                    .push((c.start, c.end));
            }
        }
        let needed = rule.needed(names.len());
        let mut merged: Vec<NewCoding> = Vec::new();
        for ((document, code), per_coder) in places {
            // A coder's own spans of a code never overlap, but may touch; each coder counts
            // once per character.
            let spans: Vec<Interval> = per_coder.into_iter().flatten().collect();
            for (start, end) in covered_by_at_least(&spans, needed) {
                merged.push(NewCoding {
                    id: None,
                    document: document.clone(),
                    code: code.clone(),
                    start,
                    end,
                    memo: None,
                });
            }
        }
        let touched: BTreeSet<&str> = merged.iter().map(|c| c.document.as_str()).collect();
        let records: Vec<DocumentRecord> = touched
            .iter()
            .filter_map(|id| self.document(id).ok())
            .map(|d| DocumentRecord {
                id: d.id.clone(),
                source: d.source.to_string_lossy().into_owned(),
                fingerprint: crate::support::text::fingerprint(&d.text),
                chars: d.len_chars(),
            })
            .collect();
        let detail = serde_json::json!({
            "coders": names,
            "into": into,
            "rule": rule,
            "codings": merged.len(),
            "replaced": previous,
        });
        let version = self.codebook.version().to_string();
        let (entry, added) = self.store_mut().write_consensus(
            &Author {
                coder: author,
                codebook_version: &version,
            },
            detail,
            into,
            previous.len(),
            merged,
            &records,
        )?;
        Ok(MergeReport {
            entry,
            added,
            replaced: previous.len(),
        })
    }
}
