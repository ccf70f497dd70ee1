//! Analysis over a project's coded text: coding queries, matrix coding, co-occurrence,
//! crosstabs, text search, word frequencies, Framework charting and group comparison.
//! Everything works on [`Passage`]s: stretches of text coded with a code (or any code below
//! it), overlapping codings merged, so two coders marking the same words count once.
//! Counting words in a span is a binary search over the document's word starts; no query
//! walks text character by character except text search itself.

mod compare;
mod framework;
mod matrix;
mod query;
mod search;
pub mod segments;
pub mod table;

use std::collections::{BTreeSet, HashMap};

pub use compare::Exemplar;
pub use framework::{FrameworkCell, FrameworkMatrix, Quote, Reference};
pub use matrix::{MatrixColumns, Measure};
pub use query::Query;
pub use search::{STOPWORDS, WordOptions, keyword_in_context, word_frequencies};

use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::ingest::Document;
use crate::project::Project;
use crate::project::cases::{Cases, Value};
use crate::store::Coding;

/// What analysis reads of a project: documents, cases and codebook, without the store, so
/// that it can be shared across threads.
#[derive(Clone, Copy)]
pub struct Corpus<'p> {
    pub documents: &'p [Document],
    pub cases: &'p Cases,
    pub codebook: &'p Codebook,
}

impl<'p> Corpus<'p> {
    pub fn of(project: &'p Project) -> Corpus<'p> {
        Corpus {
            documents: project.documents(),
            cases: &project.cases,
            codebook: &project.codebook,
        }
    }
}

/// A stretch of coded text in one document, in code points (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passage {
    pub doc: u32,
    pub start: u32,
    pub end: u32,
    /// The coders whose codings make up the passage, as bits of [`Analysis::coders`].
    pub coders: u64,
}

impl Passage {
    pub fn coder_count(&self) -> u32 {
        self.coders.count_ones()
    }
}

/// A project's codings indexed for analysis. Build one per question; it reads the store once.
pub struct Analysis<'p> {
    corpus: Corpus<'p>,
    /// Codings by code id: (document index, start, end, coder bit), unsorted.
    by_code: HashMap<String, Vec<(u32, u32, u32, u64)>>,
    coders: Vec<String>,
}

impl<'p> Analysis<'p> {
    /// Indexes the project's codings, or only those of `coder`, reading the store once.
    pub fn new(project: &'p Project, coder: Option<&str>) -> Result<Analysis<'p>> {
        let documents = project.document_ids();
        let parts = project.store().scan_codings_split(
            || Index::new(documents, coder),
            |index, document, code, who, start, end| index.add(document, code, who, start, end),
        )?;
        let mut parts = parts.into_iter();
        let mut index = parts.next().unwrap_or_else(|| Index::new(documents, coder));
        for part in parts {
            index.absorb(part);
        }
        Ok(index.finish(project))
    }

    pub fn from_codings(project: &'p Project, codings: &[Coding], coder: Option<&str>) -> Self {
        let mut index = Index::new(project.document_ids(), coder);
        for c in codings {
            index.add(&c.document, &c.code, &c.coder, c.start, c.end);
        }
        index.finish(project)
    }

    /// Codings indexed (of the coder asked for, in documents still in the project).
    pub fn coding_count(&self) -> usize {
        self.by_code.values().map(Vec::len).sum()
    }

    pub fn corpus(&self) -> Corpus<'p> {
        self.corpus
    }

    pub fn coders(&self) -> &[String] {
        &self.coders
    }

    fn document(&self, passage: &Passage) -> &'p Document {
        &self.corpus.documents[passage.doc as usize]
    }

    /// The passages coded with `code` or any code below it, by document and position.
    pub fn passages(&self, code: &str) -> Result<Vec<Passage>> {
        let code = self.corpus.codebook.resolve(code)?;
        let mut spans: Vec<(u32, u32, u32, u64)> = Vec::new();
        for c in self.corpus.codebook.descendants_and_self(&code.id) {
            if let Some(found) = self.by_code.get(&c.id) {
                spans.extend_from_slice(found);
            }
        }
        spans.sort_unstable();
        Ok(merge(spans.into_iter()))
    }

    /// Words in a passage (words that start inside it).
    pub fn words(&self, passage: &Passage) -> usize {
        self.document(passage)
            .words_in(passage.start as usize, passage.end as usize)
    }

    /// The passage's text.
    pub fn text(&self, passage: &Passage) -> &'p str {
        self.document(passage)
            .slice(passage.start as usize, passage.end as usize)
            .unwrap_or_default()
    }
}

/// Builds an [`Analysis`] one coding at a time, allocating only for codes and coders not seen
/// before.
struct Index<'p, 'c> {
    /// Document positions by id.
    documents: &'p HashMap<String, usize>,
    only: Option<&'c str>,
    by_code: HashMap<String, Vec<(u32, u32, u32, u64)>>,
    coders: Vec<String>,
    /// The last document looked up: codings come in runs of one document.
    last_document: Option<(String, Option<usize>)>,
}

impl<'p, 'c> Index<'p, 'c> {
    fn new(documents: &'p HashMap<String, usize>, only: Option<&'c str>) -> Self {
        Index {
            documents,
            only,
            by_code: HashMap::new(),
            coders: Vec::new(),
            last_document: None,
        }
    }

    fn add(&mut self, document: &str, code: &str, coder: &str, start: usize, end: usize) {
        if self.only.is_some_and(|wanted| wanted != coder) {
            return;
        }
        let doc = match &self.last_document {
            Some((id, doc)) if id == document => *doc,
            _ => {
                let doc = self.documents.get(document).copied();
                self.last_document = Some((document.to_string(), doc));
                doc
            }
        };
        let Some(doc) = doc else {
            return; // no longer in the project: `qualkit info` lists such codings
        };
        let bit = match self.coders.iter().position(|k| k == coder) {
            Some(i) => 1u64 << i.min(63),
            None => {
                self.coders.push(coder.to_string());
                1u64 << (self.coders.len() - 1).min(63)
            }
        };
        let span = (doc as u32, start as u32, end as u32, bit);
        match self.by_code.get_mut(code) {
            Some(spans) => spans.push(span),
            None => {
                self.by_code.insert(code.to_string(), vec![span]);
            }
        }
    }

    /// Adds the codings another index read (of a later part of the store).
    fn absorb(&mut self, other: Index) {
        // Coders are numbered by first appearance: the other index's numbers are mapped to
        // this one's, adding the coders it has not seen.
        let bits: Vec<u64> = other
            .coders
            .into_iter()
            .map(|coder| match self.coders.iter().position(|k| *k == coder) {
                Some(i) => 1u64 << i.min(63),
                None => {
                    self.coders.push(coder);
                    1u64 << (self.coders.len() - 1).min(63)
                }
            })
            .collect();
        for (code, spans) in other.by_code {
            let remapped = spans.into_iter().map(|(doc, start, end, bit)| {
                (doc, start, end, bits[bit.trailing_zeros() as usize])
            });
            self.by_code.entry(code).or_default().extend(remapped);
        }
    }

    fn finish(self, project: &'p Project) -> Analysis<'p> {
        Analysis {
            corpus: Corpus::of(project),
            by_code: self.by_code,
            coders: self.coders,
        }
    }
}

/// Merges sorted spans into passages: spans that overlap become one; touching spans stay
/// apart, as separate codings of neighbouring text.
fn merge(sorted: impl Iterator<Item = (u32, u32, u32, u64)>) -> Vec<Passage> {
    let mut out: Vec<Passage> = Vec::new();
    for (doc, start, end, coders) in sorted {
        match out.last_mut() {
            Some(last) if last.doc == doc && start < last.end => {
                last.end = last.end.max(end);
                last.coders |= coders;
            }
            _ => out.push(Passage {
                doc,
                start,
                end,
                coders,
            }),
        }
    }
    out
}

/// What rows or columns of a result are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dimension {
    Case,
    Document,
    Method,
    Phase,
    /// The role of the speaker at a position.
    Role,
    Speaker,
    /// A column of cases.csv (or one a classification added).
    CaseAttribute(String),
    /// A front matter key of documents.
    DocumentAttribute(String),
}

/// Shown where a position has no speaker or a case lacks a value.
pub const NONE: &str = "(none)";

impl Dimension {
    /// `case`, `document`, `method`, `phase`, `role`, `speaker`, a case attribute or a
    /// document attribute.
    pub fn parse(corpus: &Corpus, name: &str) -> Result<Dimension> {
        Ok(match name {
            "case" => Dimension::Case,
            "document" => Dimension::Document,
            "method" => Dimension::Method,
            "phase" => Dimension::Phase,
            "role" => Dimension::Role,
            "speaker" => Dimension::Speaker,
            other if corpus.cases.columns().iter().any(|(c, _)| c == other) => {
                Dimension::CaseAttribute(other.to_string())
            }
            other
                if corpus
                    .documents
                    .iter()
                    .any(|d| d.attributes.contains_key(other)) =>
            {
                Dimension::DocumentAttribute(other.to_string())
            }
            other => {
                let mut known: Vec<String> =
                    ["case", "document", "method", "phase", "role", "speaker"]
                        .map(String::from)
                        .to_vec();
                known.extend(corpus.cases.columns().iter().map(|(c, _)| c.clone()));
                return Err(Error::argument(
                    "dimension",
                    format!(
                        "`{other}` is neither a case attribute nor a document field; use one of: {}",
                        known.join(", ")
                    ),
                ));
            }
        })
    }

    pub fn label(&self) -> &str {
        match self {
            Dimension::Case => "case",
            Dimension::Document => "document",
            Dimension::Method => "method",
            Dimension::Phase => "phase",
            Dimension::Role => "role",
            Dimension::Speaker => "speaker",
            Dimension::CaseAttribute(name) | Dimension::DocumentAttribute(name) => name,
        }
    }

    /// Whether the value changes within a document, turn by turn.
    pub fn per_turn(&self) -> bool {
        matches!(self, Dimension::Role | Dimension::Speaker)
    }

    /// Whether the value is the same for every document of a case.
    pub fn per_case(&self) -> bool {
        matches!(self, Dimension::Case | Dimension::CaseAttribute(_))
    }

    /// The value at code point `pos` of a document.
    pub fn value(&self, corpus: &Corpus, doc: &Document, pos: usize) -> String {
        let or_none = |v: Option<&str>| v.unwrap_or(NONE).to_string();
        match self {
            Dimension::Case => doc.case.clone(),
            Dimension::Document => doc.id.clone(),
            Dimension::Method => doc.method.clone(),
            Dimension::Phase => doc.phase.clone(),
            Dimension::Role => or_none(doc.turn_at(pos).and_then(|t| t.role.as_deref())),
            Dimension::Speaker => or_none(doc.turn_at(pos).and_then(|t| t.speaker.as_deref())),
            Dimension::CaseAttribute(name) => case_value(corpus, &doc.case, name),
            Dimension::DocumentAttribute(name) => {
                or_none(doc.attributes.get(name).map(String::as_str))
            }
        }
    }

    /// Every value the dimension takes in the project, in a natural order: cases as
    /// cases.csv lists them, documents in file order, everything else sorted.
    pub fn values(&self, corpus: &Corpus) -> Vec<String> {
        match self {
            Dimension::Case => corpus.cases.names(),
            Dimension::Document => corpus.documents.iter().map(|d| d.id.clone()).collect(),
            Dimension::CaseAttribute(name) => {
                let mut seen = Vec::new();
                for case in corpus.cases.iter() {
                    let v = case_value(corpus, &case.name, name);
                    if !seen.contains(&v) {
                        seen.push(v);
                    }
                }
                seen
            }
            _ => {
                let mut values = BTreeSet::new();
                for doc in corpus.documents {
                    if self.per_turn() {
                        for (_, _, inside) in sections(doc) {
                            values.insert(self.value(corpus, doc, inside));
                        }
                    } else {
                        values.insert(self.value(corpus, doc, 0));
                    }
                }
                values.into_iter().collect()
            }
        }
    }
}

fn case_value(corpus: &Corpus, case: &str, attribute: &str) -> String {
    match corpus
        .cases
        .get(case)
        .and_then(|c| c.attributes.get(attribute))
    {
        None | Some(Value::Missing) => NONE.to_string(),
        Some(v) => v.to_string(),
    }
}

/// A document cut into the stretches a speaker holds: each turn, widened back to the end of
/// the one before so that its speaker label belongs to it. A document without turns is one
/// stretch.
/// Each stretch is `(start, end, a position inside the turn)`.
fn sections(doc: &Document) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    for turn in &doc.turns {
        out.push((at, turn.end.max(at), turn.start));
        at = turn.end.max(at);
    }
    let len = doc.len_chars();
    match out.last_mut() {
        Some(last) => last.1 = len.max(last.1),
        None => out.push((0, len, 0)),
    }
    out
}

/// Words of text in each combination of dimension values: the denominators of coverage and
/// density.
pub fn words_by(corpus: &Corpus, dimensions: &[&Dimension]) -> HashMap<Vec<String>, usize> {
    let mut totals: HashMap<Vec<String>, usize> = HashMap::new();
    let per_turn = dimensions.iter().any(|d| d.per_turn());
    for doc in corpus.documents {
        if per_turn {
            for (start, end, inside) in sections(doc) {
                let key = dimensions
                    .iter()
                    .map(|d| d.value(corpus, doc, inside))
                    .collect();
                *totals.entry(key).or_default() += doc.words_in(start, end);
            }
        } else {
            let key = dimensions.iter().map(|d| d.value(corpus, doc, 0)).collect();
            *totals.entry(key).or_default() += doc.word_count();
        }
    }
    totals
}
