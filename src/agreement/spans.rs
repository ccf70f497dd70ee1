//! Agreement between two coders' span coding of a project, as NVivo's coding comparison
//! reports it and as teams discuss it.
//!
//! Character level: for one code and one document the unit is the character. Each character
//! is coded by both coders, by one, or by neither, and Cohen's kappa is computed on that 2x2
//! table over every character of the document. A code counts together with the codes below
//! it, so `npt.coherence` compares everything coded anywhere under Coherence. Per code, the
//! documents in which either coder applied it are averaged, weighted by their length; the
//! documents neither coder applied it to are left out (NVivo scores those kappa 1, which
//! pulls averages of rare codes towards 1). A document both coders coded from end to end
//! has no variation and kappa is undefined; it is reported as 1, as NVivo does, since the
//! coders agree on every character. With several codes, a last `(overall)` row averages every
//! code and document pair listed, weighted by length (its `documents` counts those pairs; a
//! parent listed beside its children counts their text twice).
//!
//! Segment level: the units are the stretches either coder coded, overlapping stretches of
//! the two coders joined into one. A unit is agreed when both coders coded part of it (and,
//! with a minimum overlap, when the share of the unit both coded reaches it). Every unit was
//! coded by someone, so there is no chance-corrected figure at this level: it reports
//! percent agreement only.
//!
//! Counts come from interval arithmetic on each coder's merged codings, never from a
//! per-character array.

use std::collections::{BTreeMap, HashMap};

use super::categorical::kappa_from_counts;
use super::intervals::{Interval, IntervalSet, Unit, units};
use crate::analysis::table::{Table, Values};
use crate::error::{Error, Result, suggest};
use crate::ingest::Document;
use crate::project::Project;

/// What rows an agreement table has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// One row per code, documents averaged by length, and an overall row.
    Code,
    /// One row per code and document in which either coder applied the code.
    Document,
}

impl std::str::FromStr for Breakdown {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "code" => Ok(Breakdown::Code),
            "document" => Ok(Breakdown::Document),
            other => Err(Error::argument(
                "by",
                format!("`{other}` is not a breakdown; use code or document"),
            )),
        }
    }
}

/// The unit agreement is counted in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    Character,
    /// Coded stretches; agreed when both coders coded at least `min_overlap` (0-1) of one.
    Segment {
        min_overlap: f64,
    },
}

impl Level {
    /// `character` or `segment`.
    pub fn parse(name: &str, min_overlap: f64) -> Result<Level> {
        if !(0.0..=1.0).contains(&min_overlap) {
            return Err(Error::argument(
                "min_overlap",
                format!(
                    "{min_overlap} is not a share; give a number from 0 (any overlap) to 1 (the whole segment)"
                ),
            ));
        }
        match name {
            "character" | "char" => Ok(Level::Character),
            "segment" => Ok(Level::Segment { min_overlap }),
            other => Err(Error::argument(
                "unit",
                format!("`{other}` is not a unit of agreement; use character or segment"),
            )),
        }
    }
}

/// Characters of one document by who coded them with one code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CharacterCounts {
    pub characters: usize,
    pub both: usize,
    pub first_only: usize,
    pub second_only: usize,
    pub neither: usize,
}

impl CharacterCounts {
    fn add(&mut self, other: &CharacterCounts) {
        self.characters += other.characters;
        self.both += other.both;
        self.first_only += other.first_only;
        self.second_only += other.second_only;
        self.neither += other.neither;
    }

    /// Characters on which the coders agree, in percent (0-100).
    pub fn percent_agreement(&self) -> Option<f64> {
        (self.characters > 0)
            .then(|| 100.0 * (self.both + self.neither) as f64 / self.characters as f64)
    }

    /// Cohen's kappa over the characters; 1 when both coders coded every character or none.
    pub fn kappa(&self) -> Option<f64> {
        if self.characters == 0 {
            return None;
        }
        let n = self.characters as f64;
        let first = (self.both + self.first_only) as f64;
        let second = (self.both + self.second_only) as f64;
        let products = first * second + (n - first) * (n - second);
        let agree = (self.both + self.neither) as f64;
        Some(kappa_from_counts(agree, n, products).unwrap_or(1.0))
    }
}

/// Segments of one document by who coded them with one code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentCounts {
    pub segments: usize,
    pub agreed: usize,
    /// Coded by both, but with less overlap than required.
    pub partial: usize,
    pub first_only: usize,
    pub second_only: usize,
}

impl SegmentCounts {
    fn add(&mut self, other: &SegmentCounts) {
        self.segments += other.segments;
        self.agreed += other.agreed;
        self.partial += other.partial;
        self.first_only += other.first_only;
        self.second_only += other.second_only;
    }

    pub fn percent_agreement(&self) -> Option<f64> {
        (self.segments > 0).then(|| 100.0 * self.agreed as f64 / self.segments as f64)
    }
}

/// Raw spans by document index: `[first coder's, second coder's]`.
type SpansByDocument = BTreeMap<usize, [Vec<Interval>; 2]>;

/// Two coders' codings of a project, ready to compare.
pub struct SpanComparison<'p> {
    project: &'p Project,
    coders: [String; 2],
    /// Raw spans by code id.
    by_code: HashMap<String, SpansByDocument>,
}

/// One coder's coverage of a code in each document where either coder applied it.
type Coverage = BTreeMap<usize, [IntervalSet; 2]>;

impl<'p> SpanComparison<'p> {
    /// Reads both coders' codings from the project's store. Fails if a coder has no codings
    /// (naming the coders who have) or the two are the same.
    pub fn new(project: &'p Project, first: &str, second: &str) -> Result<SpanComparison<'p>> {
        let mut known: Vec<String> = Vec::new();
        let mut by_code: HashMap<String, SpansByDocument> = HashMap::new();
        // One pass over the store, without a record per coding: a project may hold millions.
        project
            .store()
            .scan_codings(|document, code, coder, start, end| {
                if !known.iter().any(|k| k == coder) {
                    known.push(coder.to_string());
                }
                let slot = if coder == first {
                    0
                } else if coder == second {
                    1
                } else {
                    return;
                };
                let Some(doc) = project.document_index(document) else {
                    return; // no longer in the project: `qualkit info` lists such codings
                };
                let documents = match by_code.get_mut(code) {
                    Some(documents) => documents,
                    None => by_code.entry(code.to_string()).or_default(),
                };
                documents.entry(doc).or_default()[slot].push((start, end));
            })?;
        known.sort();
        check_coders(&[first, second], &known, 2)?;
        Ok(SpanComparison {
            project,
            coders: [first.to_string(), second.to_string()],
            by_code,
        })
    }

    pub fn coders(&self) -> &[String; 2] {
        &self.coders
    }

    /// The codes either coder applied, in codebook order (codes since removed from the
    /// codebook last, by id).
    pub fn codes_applied(&self) -> Vec<String> {
        let codebook = &self.project.codebook;
        let mut out: Vec<String> = codebook
            .codes()
            .iter()
            .filter(|c| self.by_code.contains_key(&c.id))
            .map(|c| c.id.clone())
            .collect();
        let mut gone: Vec<String> = self
            .by_code
            .keys()
            .filter(|id| codebook.get(id).is_none())
            .cloned()
            .collect();
        gone.sort();
        out.extend(gone);
        out
    }

    /// Code ids for the codes asked for (ids, paths or names), or every code applied.
    pub fn resolve_codes(&self, codes: Option<&[String]>) -> Result<Vec<String>> {
        match codes {
            None => Ok(self.codes_applied()),
            Some([]) => Err(Error::argument(
                "codes",
                "the list of codes is empty; name at least one code, or give none to compare every code",
            )),
            Some(list) => list
                .iter()
                .map(|c| Ok(self.project.codebook.resolve(c)?.id.clone()))
                .collect(),
        }
    }

    fn document(&self, index: usize) -> &'p Document {
        &self.project.documents()[index]
    }

    /// Each coder's coverage of `code` (and the codes below it), per document.
    fn coverage(&self, code: &str) -> Coverage {
        let codebook = &self.project.codebook;
        let ids: Vec<&str> = if codebook.get(code).is_some() {
            codebook
                .descendants_and_self(code)
                .into_iter()
                .map(|c| c.id.as_str())
                .collect()
        } else {
            vec![code]
        };
        let mut spans = SpansByDocument::new();
        for id in ids {
            for (doc, [first, second]) in self.by_code.get(id).into_iter().flatten() {
                let entry = spans.entry(*doc).or_default();
                entry[0].extend_from_slice(first);
                entry[1].extend_from_slice(second);
            }
        }
        spans
            .into_iter()
            .map(|(doc, [first, second])| {
                let len = self.document(doc).len_chars();
                (
                    doc,
                    [
                        IntervalSet::covering(first, len),
                        IntervalSet::covering(second, len),
                    ],
                )
            })
            .filter(|(_, [a, b])| !a.is_empty() || !b.is_empty())
            .collect()
    }

    /// Character counts of `code` for each document in which either coder applied it.
    pub fn character_counts(&self, code: &str) -> Vec<(usize, CharacterCounts)> {
        self.coverage(code)
            .into_iter()
            .map(|(doc, [first, second])| {
                let characters = self.document(doc).len_chars();
                let both = first.intersection(&second).len();
                let first_only = first.len() - both;
                let second_only = second.len() - both;
                let counts = CharacterCounts {
                    characters,
                    both,
                    first_only,
                    second_only,
                    neither: characters - both - first_only - second_only,
                };
                (doc, counts)
            })
            .collect()
    }

    /// Segment counts of `code` for each document in which either coder applied it.
    pub fn segment_counts(&self, code: &str, min_overlap: f64) -> Vec<(usize, SegmentCounts)> {
        self.coverage(code)
            .into_iter()
            .map(|(doc, [first, second])| {
                let mut counts = SegmentCounts::default();
                for unit in units(&first, &second) {
                    counts.segments += 1;
                    match (unit.first.is_empty(), unit.second.is_empty()) {
                        (false, true) => counts.first_only += 1,
                        (true, false) => counts.second_only += 1,
                        _ => {
                            let share = unit.shared() as f64 / (unit.end - unit.start) as f64;
                            if share >= min_overlap {
                                counts.agreed += 1;
                            } else {
                                counts.partial += 1;
                            }
                        }
                    }
                }
                (doc, counts)
            })
            .collect()
    }

    /// The agreement table for `codes` (see the module documentation for the definitions).
    pub fn table(&self, codes: &[String], by: Breakdown, level: Level) -> Result<Table> {
        let table = match level {
            Level::Character => self.character_table(codes, by)?,
            Level::Segment { min_overlap } => self.segment_table(codes, by, min_overlap)?,
        };
        let [a, b] = &self.coders;
        let title = match level {
            Level::Character => format!(
                "Character-level agreement of {a} and {b}: Cohen's kappa per code and document{}",
                if by == Breakdown::Code {
                    ", averaged over documents weighted by length"
                } else {
                    ""
                }
            ),
            Level::Segment { min_overlap } if min_overlap > 0.0 => format!(
                "Segment-level agreement of {a} and {b}: coded stretches both coded, at least {:.0}% of each in common",
                min_overlap * 100.0
            ),
            Level::Segment { .. } => {
                format!("Segment-level agreement of {a} and {b}: coded stretches that both coded")
            }
        };
        Ok(table.with_title(title))
    }

    fn character_table(&self, codes: &[String], by: Breakdown) -> Result<Table> {
        let mut rows = CharacterRows::default();
        let mut overall = Weighted::default();
        for code in codes {
            let per_document = self.character_counts(code);
            let mut total = Weighted::default();
            for (doc, counts) in &per_document {
                total.add(counts);
                overall.add(counts);
                if by == Breakdown::Document {
                    rows.push(
                        code,
                        Some(&self.document(*doc).id),
                        1,
                        counts,
                        counts.kappa(),
                    );
                }
            }
            if by == Breakdown::Code {
                rows.push(code, None, per_document.len(), &total.counts, total.kappa());
            }
        }
        if by == Breakdown::Code && codes.len() > 1 {
            rows.push(
                "(overall)",
                None,
                overall.documents,
                &overall.counts,
                overall.kappa(),
            );
        }
        rows.into_table(&self.coders, by)
    }

    fn segment_table(&self, codes: &[String], by: Breakdown, min_overlap: f64) -> Result<Table> {
        let mut rows = SegmentRows::default();
        let mut overall = (0, SegmentCounts::default());
        for code in codes {
            let per_document = self.segment_counts(code, min_overlap);
            let mut total = SegmentCounts::default();
            for (doc, counts) in &per_document {
                total.add(counts);
                overall.1.add(counts);
                if by == Breakdown::Document {
                    rows.push(code, Some(&self.document(*doc).id), 1, counts);
                }
            }
            overall.0 += per_document.len();
            if by == Breakdown::Code {
                rows.push(code, None, per_document.len(), &total);
            }
        }
        if by == Breakdown::Code && codes.len() > 1 {
            rows.push("(overall)", None, overall.0, &overall.1);
        }
        rows.into_table(&self.coders, by)
    }

    /// The stretches of `codes` (default: every code applied) that one coder coded and the
    /// other did not, in `document` or every document: code, document, start, end,
    /// characters, who coded it, the stretch's text, and what each coder coded around it.
    pub fn disagreements(&self, codes: &[String], document: Option<&str>) -> Result<Table> {
        let only = document
            .map(|d| {
                self.project
                    .document_index(&self.project.document(d)?.id)
                    .ok_or_else(|| Error::argument("document", format!("unknown document `{d}`")))
            })
            .transpose()?;
        let [a, b] = &self.coders;
        let mut rows: Vec<Disagreement> = Vec::new();
        for code in codes {
            for (doc, [first, second]) in self.coverage(code) {
                if only.is_some_and(|o| o != doc) {
                    continue;
                }
                let document = self.document(doc);
                for unit in units(&first, &second) {
                    let first_set = IntervalSet::covering(unit.first.iter().copied(), usize::MAX);
                    let second_set = IntervalSet::covering(unit.second.iter().copied(), usize::MAX);
                    let mut stretches: Vec<(usize, usize, &str, &str)> = Vec::new();
                    for &(s, e) in first_set.difference(&second_set).intervals() {
                        stretches.push((s, e, a, b));
                    }
                    for &(s, e) in second_set.difference(&first_set).intervals() {
                        stretches.push((s, e, b, a));
                    }
                    stretches.sort_unstable();
                    for (start, end, by, not_by) in stretches {
                        rows.push(Disagreement {
                            code: code.clone(),
                            document: document.id.clone(),
                            start,
                            end,
                            coded_by: by.to_string(),
                            not_coded_by: not_by.to_string(),
                            text: document.slice(start, end).unwrap_or_default().to_string(),
                            first_text: coded_text(document, &unit, true),
                            second_text: coded_text(document, &unit, false),
                        });
                    }
                }
            }
        }
        let column = |f: &dyn Fn(&Disagreement) -> String| {
            Values::Text(rows.iter().map(|r| Some(f(r))).collect())
        };
        let number = |f: &dyn Fn(&Disagreement) -> usize| {
            Values::Integer(rows.iter().map(|r| Some(f(r) as i64)).collect())
        };
        Table::new(vec![
            ("code".into(), column(&|r| r.code.clone())),
            ("document".into(), column(&|r| r.document.clone())),
            ("start".into(), number(&|r| r.start)),
            ("end".into(), number(&|r| r.end)),
            ("characters".into(), number(&|r| r.end - r.start)),
            ("coded_by".into(), column(&|r| r.coded_by.clone())),
            ("not_coded_by".into(), column(&|r| r.not_coded_by.clone())),
            ("text".into(), column(&|r| r.text.clone())),
            (format!("{a}_text"), column(&|r| r.first_text.clone())),
            (format!("{b}_text"), column(&|r| r.second_text.clone())),
        ])
        .map(|t| {
            t.with_title(format!(
                "Disagreements of {a} and {b}: text one coded and the other did not"
            ))
        })
    }
}

/// Fails unless every coder is named, distinct, has codings, and there are at least `min`.
pub(crate) fn check_coders(coders: &[&str], known: &[String], min: usize) -> Result<()> {
    if coders.len() < min {
        return Err(Error::argument(
            "coders",
            format!(
                "give at least {min} coders; got {}",
                if coders.is_empty() {
                    "none".to_string()
                } else {
                    coders.join(", ")
                }
            ),
        ));
    }
    for (i, coder) in coders.iter().enumerate() {
        if coder.trim().is_empty() {
            return Err(Error::argument("coders", "a coder name is empty"));
        }
        if coders[..i].contains(coder) {
            return Err(Error::argument(
                "coders",
                format!("coder `{coder}` is named twice; compare two different coders"),
            ));
        }
        if !known.iter().any(|k| k == coder) {
            let mut message = format!(
                "unknown coder `{coder}`: no codings by them; coders with codings: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
            let close = suggest(coder, known.iter().map(String::as_str));
            if !close.is_empty() {
                message.push_str(&format!("; did you mean: {}?", close.join(", ")));
            }
            return Err(Error::argument("coders", message));
        }
    }
    Ok(())
}

/// What one coder coded inside a unit, passages joined by " … ".
fn coded_text(document: &Document, unit: &Unit, first: bool) -> String {
    let spans = if first { &unit.first } else { &unit.second };
    spans
        .iter()
        .filter_map(|&(s, e)| document.slice(s, e))
        .collect::<Vec<_>>()
        .join(" … ")
}

struct Disagreement {
    code: String,
    document: String,
    start: usize,
    end: usize,
    coded_by: String,
    not_coded_by: String,
    text: String,
    first_text: String,
    second_text: String,
}

/// Counts summed over documents, and kappas averaged weighted by document length.
#[derive(Default)]
struct Weighted {
    documents: usize,
    counts: CharacterCounts,
    kappa_sum: f64,
}

impl Weighted {
    fn add(&mut self, counts: &CharacterCounts) {
        self.documents += 1;
        self.counts.add(counts);
        self.kappa_sum += counts.kappa().unwrap_or(0.0) * counts.characters as f64;
    }

    fn kappa(&self) -> Option<f64> {
        (self.counts.characters > 0).then(|| self.kappa_sum / self.counts.characters as f64)
    }
}

#[derive(Default)]
struct CharacterRows {
    code: Vec<Option<String>>,
    document: Vec<Option<String>>,
    documents: Vec<Option<i64>>,
    counts: Vec<CharacterCounts>,
    kappa: Vec<Option<f64>>,
}

impl CharacterRows {
    fn push(
        &mut self,
        code: &str,
        document: Option<&str>,
        documents: usize,
        counts: &CharacterCounts,
        kappa: Option<f64>,
    ) {
        self.code.push(Some(code.to_string()));
        self.document.push(document.map(str::to_string));
        self.documents.push(Some(documents as i64));
        self.counts.push(*counts);
        self.kappa.push(kappa);
    }

    fn into_table(self, coders: &[String; 2], by: Breakdown) -> Result<Table> {
        let count = |f: fn(&CharacterCounts) -> usize| {
            Values::Integer(self.counts.iter().map(|c| Some(f(c) as i64)).collect())
        };
        let mut columns = vec![("code".to_string(), Values::Text(self.code.clone()))];
        match by {
            Breakdown::Document => {
                columns.push(("document".into(), Values::Text(self.document.clone())))
            }
            Breakdown::Code => {
                columns.push(("documents".into(), Values::Integer(self.documents.clone())))
            }
        }
        columns.extend([
            ("characters".into(), count(|c| c.characters)),
            ("both".into(), count(|c| c.both)),
            (format!("{}_only", coders[0]), count(|c| c.first_only)),
            (format!("{}_only", coders[1]), count(|c| c.second_only)),
            ("neither".into(), count(|c| c.neither)),
            (
                "percent_agreement".into(),
                Values::Number(self.counts.iter().map(|c| c.percent_agreement()).collect()),
            ),
            ("kappa".into(), Values::Number(self.kappa)),
        ]);
        Table::new(columns)
    }
}

#[derive(Default)]
struct SegmentRows {
    code: Vec<Option<String>>,
    document: Vec<Option<String>>,
    documents: Vec<Option<i64>>,
    counts: Vec<SegmentCounts>,
}

impl SegmentRows {
    fn push(
        &mut self,
        code: &str,
        document: Option<&str>,
        documents: usize,
        counts: &SegmentCounts,
    ) {
        self.code.push(Some(code.to_string()));
        self.document.push(document.map(str::to_string));
        self.documents.push(Some(documents as i64));
        self.counts.push(*counts);
    }

    fn into_table(self, coders: &[String; 2], by: Breakdown) -> Result<Table> {
        let count = |f: fn(&SegmentCounts) -> usize| {
            Values::Integer(self.counts.iter().map(|c| Some(f(c) as i64)).collect())
        };
        let mut columns = vec![("code".to_string(), Values::Text(self.code.clone()))];
        match by {
            Breakdown::Document => {
                columns.push(("document".into(), Values::Text(self.document.clone())))
            }
            Breakdown::Code => {
                columns.push(("documents".into(), Values::Integer(self.documents.clone())))
            }
        }
        columns.extend([
            ("segments".into(), count(|c| c.segments)),
            ("agreed".into(), count(|c| c.agreed)),
            ("partial".into(), count(|c| c.partial)),
            (format!("{}_only", coders[0]), count(|c| c.first_only)),
            (format!("{}_only", coders[1]), count(|c| c.second_only)),
            (
                "percent_agreement".into(),
                Values::Number(self.counts.iter().map(|c| c.percent_agreement()).collect()),
            ),
        ]);
        Table::new(columns)
    }
}
