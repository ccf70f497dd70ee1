//! Segments: the unit every result is built from. A segment is a coded span of a document
//! with everything a query may group or filter by: the case, the speaker and role of the turn
//! it starts in, the method and phase of the document, its text, and the codes and coders
//! applied to exactly that span.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::project::Project;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub document: String,
    pub case: String,
    pub speaker: Option<String>,
    pub role: Option<String>,
    /// When the turn began, where the transcript says (captions, transcription services).
    pub timestamp: Option<String>,
    pub method: String,
    pub phase: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Code ids, sorted.
    pub codes: Vec<String>,
    /// Coders, sorted.
    pub coders: Vec<String>,
    /// Ids of the codings this segment gathers.
    pub codings: Vec<String>,
    /// The coder of each of `codings`, in the same order.
    pub coding_coders: Vec<String>,
}

/// Which segments to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct SegmentFilter {
    /// A code id; its descendants count too.
    pub code: Option<String>,
    pub coder: Option<String>,
    pub document: Option<String>,
    pub case: Option<String>,
}

impl Project {
    /// Coded segments, ordered by document and position.
    pub fn segments(&self, filter: &SegmentFilter) -> Result<Vec<Segment>> {
        let wanted_codes: Option<Vec<String>> = match &filter.code {
            Some(code) => {
                let code = self.codebook.resolve(code)?;
                Some(
                    self.codebook
                        .descendants_and_self(&code.id)
                        .into_iter()
                        .map(|c| c.id.clone())
                        .collect(),
                )
            }
            None => None,
        };
        if let Some(doc) = &filter.document {
            self.document(doc)?;
        }
        let mut grouped: BTreeMap<(usize, usize, usize), Segment> = BTreeMap::new();
        let order: std::collections::HashMap<&str, usize> = self
            .documents()
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        for coding in self.codings()? {
            if wanted_codes
                .as_ref()
                .is_some_and(|codes| !codes.contains(&coding.code))
                || filter.coder.as_ref().is_some_and(|c| c != &coding.coder)
                || filter
                    .document
                    .as_ref()
                    .is_some_and(|d| d != &coding.document)
            {
                continue;
            }
            let Some(&doc_index) = order.get(coding.document.as_str()) else {
                continue; // coded document no longer in the project: `qualkit info` lists such codings
            };
            let doc = &self.documents()[doc_index];
            if filter.case.as_ref().is_some_and(|c| c != &doc.case) {
                continue;
            }
            let segment = grouped
                .entry((doc_index, coding.start, coding.end))
                .or_insert_with(|| {
                    let turn = doc.turn_at(coding.start);
                    Segment {
                        document: doc.id.clone(),
                        case: doc.case.clone(),
                        speaker: turn.and_then(|t| t.speaker.as_deref().map(str::to_string)),
                        role: turn.and_then(|t| t.role.as_deref().map(str::to_string)),
                        timestamp: turn.and_then(|t| t.timestamp.clone()),
                        method: doc.method.clone(),
                        phase: doc.phase.clone(),
                        start: coding.start,
                        end: coding.end,
                        text: doc
                            .slice(coding.start, coding.end)
                            .unwrap_or_default()
                            .to_string(),
                        codes: Vec::new(),
                        coders: Vec::new(),
                        codings: Vec::new(),
                        coding_coders: Vec::new(),
                    }
                });
            segment.codes.push(coding.code.clone());
            segment.coders.push(coding.coder.clone());
            segment.codings.push(coding.id.clone());
            segment.coding_coders.push(coding.coder.clone());
        }
        Ok(grouped
            .into_values()
            .map(|mut s| {
                s.codes.sort();
                s.codes.dedup();
                s.coders.sort();
                s.coders.dedup();
                s
            })
            .collect())
    }
}

/// Segments as a table, one row each: where it is, who speaks, its codes and its text. This
/// is how a segment, or a list of them, shows in the REPL, scripts and notebooks.
#[cfg(feature = "dataframe")]
pub fn segments_table(segments: &[Segment]) -> Result<crate::analysis::table::Table> {
    use crate::analysis::table::{Table, Values};
    let text = |f: &dyn Fn(&Segment) -> String| {
        Values::Text(segments.iter().map(|s| Some(f(s))).collect())
    };
    let number = |f: &dyn Fn(&Segment) -> usize| {
        Values::Integer(segments.iter().map(|s| Some(f(s) as i64)).collect())
    };
    let title = match segments.len() {
        1 => "1 segment".to_string(),
        n => format!("{n} segments"),
    };
    Ok(Table::new(vec![
        ("case".to_string(), text(&|s| s.case.clone())),
        ("document".to_string(), text(&|s| s.document.clone())),
        (
            "speaker".to_string(),
            text(&|s| s.speaker.clone().unwrap_or_default()),
        ),
        ("start".to_string(), number(&|s| s.start)),
        ("end".to_string(), number(&|s| s.end)),
        ("codes".to_string(), text(&|s| s.codes.join(", "))),
        ("text".to_string(), text(&|s| s.text.clone())),
    ])?
    .with_title(title))
}
