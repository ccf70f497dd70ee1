//! Codings following their documents' text: when the cache is rebuilt and a coded document's
//! text is not the text its codings were placed on, every coding of that document is placed
//! again (see [`crate::coding::reanchor`]), and what happened to each is reported and logged.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::texts;
use crate::coding::reanchor::{Anchor, Counts, Placement, reanchor};
use crate::ingest::Document;
use crate::record::files::CodingRow;

/// What re-anchoring did to one coding that did not stay where it was.
#[derive(Debug, Clone, Serialize)]
pub struct Followed {
    pub id: String,
    pub coder: String,
    pub code: String,
    /// moved, text changed or detached.
    pub kind: &'static str,
    /// Where it was (none for a coding that was detached already).
    pub from: Option<(usize, usize)>,
    /// Where it is now (none once detached).
    pub to: Option<(usize, usize)>,
    /// The text it covered before.
    pub quote: String,
    /// The text it covers now.
    pub text: String,
}

/// What re-anchoring did to one document's codings.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentFollowed {
    pub document: String,
    pub source: String,
    pub counts: Counts,
    /// Whether the old text was there to diff against (else codings were found by quote).
    pub diffed: bool,
    pub codings: Vec<Followed>,
}

impl DocumentFollowed {
    /// The report a user reads: counts, then every coding that did not stay put.
    pub fn describe(&self, limit: usize) -> String {
        let mut out = format!(
            "{} changed; its codings were re-anchored{}: {}",
            self.source,
            if self.diffed {
                ""
            } else {
                " by their quotes (the earlier text was not in the cache)"
            },
            self.counts
        );
        for f in self.codings.iter().take(limit) {
            let span =
                |s: Option<(usize, usize)>| s.map_or("-".into(), |(a, b)| format!("{a}..{b}"));
            out.push_str(&format!(
                "\n  {:<12} {} `{}` by {}: {} -> {} \"{}\"",
                f.kind,
                f.id,
                f.code,
                f.coder,
                span(f.from),
                span(f.to),
                crate::support::text::shorten(if f.to.is_some() { &f.text } else { &f.quote }, 60)
            ));
        }
        if self.codings.len() > limit {
            out.push_str(&format!(
                "\n  ... and {} more (`qualkit log` keeps them all)",
                self.codings.len() - limit
            ));
        }
        out
    }
}

/// A coded document's text now and, if known, the fingerprint of the text its codings were
/// placed on.
pub(super) struct TextState<'d> {
    pub document: &'d Document,
    pub previous: Option<&'d str>,
}

/// Places `rows` (all of one document) in its text now. Returns the rows as they are to be
/// stored (detached ones flagged) and the report.
pub(super) fn follow(
    root: &Path,
    state: &TextState,
    rows: &[&CodingRow],
) -> (Vec<CodingRow>, DocumentFollowed) {
    let document = state.document;
    let old = state.previous.and_then(|fp| texts::read(root, fp));
    let anchors: Vec<Anchor> = rows
        .iter()
        .map(|r| Anchor {
            start: r.start,
            end: r.end,
            quote: &r.quote,
        })
        .collect();
    // Codings detached earlier have no place to map: only their quote can find them.
    let (detached, placed): (Vec<usize>, Vec<usize>) =
        (0..rows.len()).partition(|&i| rows[i].detached);
    let mut placements = vec![Placement::Detached; rows.len()];
    let placed_anchors: Vec<Anchor> = placed.iter().map(|&i| anchors[i]).collect();
    for (i, p) in placed
        .iter()
        .zip(reanchor(old.as_deref(), &document.text, &placed_anchors))
    {
        placements[*i] = p;
    }
    let detached_anchors: Vec<Anchor> = detached.iter().map(|&i| anchors[i]).collect();
    for (i, p) in detached
        .iter()
        .zip(reanchor(None, &document.text, &detached_anchors))
    {
        placements[*i] = match p {
            // Found again where it was recorded: at the place its quote is, it moved.
            Placement::Unchanged => Placement::Moved {
                start: anchors[*i].start,
                end: anchors[*i].end,
            },
            other => other,
        };
    }
    let mut report = DocumentFollowed {
        document: document.id.clone(),
        source: document.source.display().to_string(),
        counts: Counts::default(),
        diffed: old.is_some(),
        codings: Vec::new(),
    };
    let mut out = Vec::with_capacity(rows.len());
    for (row, placement) in rows.iter().zip(&placements) {
        let was_detached = row.detached;
        let mut row = (*row).clone();
        let from = (!was_detached).then_some((row.start, row.end));
        let kind = match (placement, was_detached) {
            (Placement::Detached, true) => None,
            (Placement::Detached, false) => {
                row.detached = true;
                row.start = 0;
                row.end = 0;
                report.counts.detached += 1;
                Some("detached")
            }
            (p, _) => {
                let (start, end) = p
                    .span(&Anchor {
                        start: row.start,
                        end: row.end,
                        quote: "",
                    })
                    .expect("placed");
                row.start = start;
                row.end = end;
                row.detached = false;
                match p {
                    Placement::Unchanged => {
                        report.counts.unchanged += 1;
                        None
                    }
                    Placement::Moved { .. } => {
                        report.counts.moved += 1;
                        Some("moved")
                    }
                    _ => {
                        report.counts.text_changed += 1;
                        Some("text changed")
                    }
                }
            }
        };
        if let Some(kind) = kind {
            let text = if row.detached {
                String::new()
            } else {
                document
                    .slice(row.start, row.end)
                    .unwrap_or_default()
                    .to_string()
            };
            report.codings.push(Followed {
                id: row.id.clone(),
                coder: row.coder.clone(),
                code: row.code.clone(),
                kind,
                from,
                to: (!row.detached).then_some((row.start, row.end)),
                quote: row.quote.clone(),
                text: text.clone(),
            });
            row.quote = if row.detached { row.quote } else { text };
        }
        out.push(row);
    }
    (out, report)
}

/// Follows every document's codings in parallel.
pub(super) fn follow_all(
    root: &Path,
    groups: &HashMap<&str, (TextState, Vec<&CodingRow>)>,
) -> Vec<(Vec<CodingRow>, DocumentFollowed)> {
    let mut done: Vec<_> = groups
        .par_iter()
        .map(|(_, (state, rows))| follow(root, state, rows))
        .collect();
    done.sort_by(|a, b| a.1.document.cmp(&b.1.document));
    done
}
