//! Matrix coding, code co-occurrence and crosstabs: counts of coded text by rows and
//! columns, as Tables.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::{Analysis, Corpus, Dimension, Passage, words_by};
use crate::analysis::table::{Table, Values};
use crate::error::{Error, Result};
use crate::ingest::Document;

/// What a matrix cell counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Coded passages (overlapping codings merged).
    Segments,
    /// Cases with at least one coded passage.
    Cases,
    /// Words in coded passages.
    Words,
    /// Coded words as a percentage of all words in the cell's text.
    Coverage,
    /// Coded passages per 1,000 words of the cell's text.
    Density,
}

impl std::str::FromStr for Measure {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "segments" => Measure::Segments,
            "cases" => Measure::Cases,
            "words" => Measure::Words,
            "coverage" => Measure::Coverage,
            "density" => Measure::Density,
            other => {
                return Err(Error::argument(
                    "measure",
                    format!(
                        "`{other}` is not a measure; use segments, cases, words, coverage or density"
                    ),
                ));
            }
        })
    }
}

/// The columns of a matrix: one per code, or one per value of a dimension for one code.
#[derive(Debug, Clone)]
pub enum MatrixColumns {
    Codes(Vec<String>),
    Dimension(Dimension, String),
}

/// What one cell has gathered.
#[derive(Default, Clone)]
struct Tally<'p> {
    segments: usize,
    words: usize,
    cases: HashSet<&'p str>,
    /// The document of the last passage counted, whose case is already in `cases`.
    last_document: Option<u32>,
}

/// Where passages go among a dimension's values (rows or columns), by position. A value that
/// is the same throughout a document is looked up once per document, not once per passage.
struct ValueIndex<'a> {
    dimension: &'a Dimension,
    position: HashMap<&'a str, usize>,
    per_document: Option<Vec<Option<usize>>>,
}

impl<'a> ValueIndex<'a> {
    fn new(corpus: &Corpus, dimension: &'a Dimension, values: &'a [String]) -> Self {
        let mut position = HashMap::new();
        for (i, v) in values.iter().enumerate() {
            position.entry(v.as_str()).or_insert(i);
        }
        let per_document = (!dimension.per_turn()).then(|| {
            corpus
                .documents
                .par_iter()
                .map(|doc| {
                    position
                        .get(dimension.value(corpus, doc, 0).as_str())
                        .copied()
                })
                .collect()
        });
        ValueIndex {
            dimension,
            position,
            per_document,
        }
    }

    fn of(&self, corpus: &Corpus, doc: &Document, passage: &Passage) -> Option<usize> {
        match &self.per_document {
            Some(by_document) => by_document[passage.doc as usize],
            None => self
                .position
                .get(
                    self.dimension
                        .value(corpus, doc, passage.start as usize)
                        .as_str(),
                )
                .copied(),
        }
    }
}

impl<'p> Analysis<'p> {
    /// A matrix: `rows` by `columns`, each cell the `measure` of the coded text.
    pub fn matrix(
        &self,
        rows: &Dimension,
        columns: &MatrixColumns,
        measure: Measure,
    ) -> Result<Table> {
        let corpus = &self.corpus;
        let row_values = rows.values(corpus);
        let row_of = ValueIndex::new(corpus, rows, &row_values);
        // Column labels, and for each column its cells by row position.
        let (column_labels, cells): (Vec<String>, Vec<Vec<Tally>>) = match columns {
            MatrixColumns::Codes(codes) => {
                let labels = self.code_labels(codes)?;
                let passages = codes
                    .par_iter()
                    .map(|code| self.passages(code))
                    .collect::<Result<Vec<_>>>()?;
                let words = self.words_of(&passages);
                let tallies = passages
                    .par_iter()
                    .zip(&words)
                    .map(|(passages, words)| self.tally(passages, words, &row_of, row_values.len()))
                    .collect();
                (labels, tallies)
            }
            MatrixColumns::Dimension(column, code) => {
                let passages = self.passages(code)?;
                let values = column.values(corpus);
                let column_of = ValueIndex::new(corpus, column, &values);
                let mut by_column: Vec<Vec<Passage>> = vec![Vec::new(); values.len()];
                for p in passages {
                    if let Some(c) = column_of.of(corpus, self.document(&p), &p) {
                        by_column[c].push(p);
                    }
                }
                let words = self.words_of(&by_column);
                let tallies = by_column
                    .par_iter()
                    .zip(&words)
                    .map(|(passages, words)| self.tally(passages, words, &row_of, row_values.len()))
                    .collect();
                (values, tallies)
            }
        };
        let totals = match (measure, columns) {
            (Measure::Coverage | Measure::Density, MatrixColumns::Codes(_)) => {
                Some(words_by(corpus, &[rows]))
            }
            (Measure::Coverage | Measure::Density, MatrixColumns::Dimension(column, _)) => {
                Some(words_by(corpus, &[rows, column]))
            }
            _ => None,
        };
        let mut table_columns = vec![(
            rows.label().to_string(),
            Values::Text(row_values.iter().cloned().map(Some).collect()),
        )];
        for (c, label) in column_labels.iter().enumerate() {
            let cell = |row: usize| &cells[c][row];
            let denominator = |row: &String| -> usize {
                let totals = totals.as_ref().expect("totals for coverage and density");
                let key = match columns {
                    MatrixColumns::Codes(_) => vec![row.clone()],
                    MatrixColumns::Dimension(..) => vec![row.clone(), label.clone()],
                };
                totals.get(&key).copied().unwrap_or(0)
            };
            let values = match measure {
                Measure::Segments => Values::Integer(
                    (0..row_values.len())
                        .map(|r| Some(cell(r).segments as i64))
                        .collect(),
                ),
                Measure::Words => Values::Integer(
                    (0..row_values.len())
                        .map(|r| Some(cell(r).words as i64))
                        .collect(),
                ),
                Measure::Cases => Values::Integer(
                    (0..row_values.len())
                        .map(|r| Some(cell(r).cases.len() as i64))
                        .collect(),
                ),
                Measure::Coverage => Values::Number(
                    row_values
                        .iter()
                        .enumerate()
                        .map(|(i, r)| ratio(cell(i).words, denominator(r), 100.0))
                        .collect(),
                ),
                Measure::Density => Values::Number(
                    row_values
                        .iter()
                        .enumerate()
                        .map(|(i, r)| ratio(cell(i).segments, denominator(r), 1000.0))
                        .collect(),
                ),
            };
            table_columns.push((label.clone(), values));
        }
        Ok(Table::new(table_columns)?.with_title(self.matrix_title(rows, columns, measure)))
    }

    /// Counts passages (with the words in each) into cells by row position.
    fn tally(
        &self,
        passages: &[Passage],
        words: &[u32],
        rows: &ValueIndex,
        row_count: usize,
    ) -> Vec<Tally<'p>> {
        let mut cells = vec![Tally::default(); row_count];
        for (p, &words) in passages.iter().zip(words) {
            let doc = self.document(p);
            let Some(row) = rows.of(&self.corpus, doc, p) else {
                continue;
            };
            let cell = &mut cells[row];
            cell.segments += 1;
            cell.words += words as usize;
            if cell.last_document != Some(p.doc) {
                cell.cases.insert(doc.case.as_str());
                cell.last_document = Some(p.doc);
            }
        }
        cells
    }

    /// Words in each passage of lists sorted by document. The lists are walked together,
    /// document by document, so that each document's word positions are fetched from memory
    /// once rather than once per list: with many codes, fetching them is most of the work.
    fn words_of(&self, lists: &[Vec<Passage>]) -> Vec<Vec<u32>> {
        const DOCUMENTS_PER_TASK: usize = 256;
        let documents = self.corpus.documents;
        let chunks: Vec<Vec<Vec<u32>>> = (0..documents.len().div_ceil(DOCUMENTS_PER_TASK))
            .into_par_iter()
            .map(|task| {
                let from = task * DOCUMENTS_PER_TASK;
                let to = (from + DOCUMENTS_PER_TASK).min(documents.len());
                let mut next: Vec<usize> = lists
                    .iter()
                    .map(|list| list.partition_point(|p| (p.doc as usize) < from))
                    .collect();
                let mut words: Vec<Vec<u32>> = vec![Vec::new(); lists.len()];
                for (d, doc) in documents.iter().enumerate().take(to).skip(from) {
                    for (l, list) in lists.iter().enumerate() {
                        while let Some(p) = list.get(next[l]).filter(|p| p.doc as usize == d) {
                            words[l].push(doc.words_in(p.start as usize, p.end as usize) as u32);
                            next[l] += 1;
                        }
                    }
                }
                words
            })
            .collect();
        let mut words: Vec<Vec<u32>> = lists.iter().map(|l| Vec::with_capacity(l.len())).collect();
        for chunk in chunks {
            for (list, found) in words.iter_mut().zip(chunk) {
                list.extend(found);
            }
        }
        words
    }

    /// Column labels for codes: their names, or their paths where names repeat.
    /// What a matrix shows, in words a chart can carry as its title: "Coded passages by case
    /// and NPT code", "Coded passages of Shared learning by case and phase".
    fn matrix_title(&self, rows: &Dimension, columns: &MatrixColumns, measure: Measure) -> String {
        let mut what = measure_label(measure).to_string();
        if let Some(first) = what.get(..1) {
            what = format!("{}{}", first.to_uppercase(), &what[1..]);
        }
        let name = |id: &str| {
            self.corpus
                .codebook
                .resolve(id)
                .map_or_else(|_| id.to_string(), |c| c.name.clone())
        };
        match columns {
            MatrixColumns::Codes(codes) => {
                let parents: HashSet<Option<String>> = codes
                    .iter()
                    .map(|c| {
                        self.corpus
                            .codebook
                            .resolve(c)
                            .ok()
                            .and_then(|c| c.parent.clone())
                    })
                    .collect();
                // Codes with one parent are named after it ("NPT code").
                let mut parents = parents.into_iter();
                let kind = match (parents.next(), parents.next()) {
                    (Some(Some(parent)), None) => format!("{} code", name(&parent)),
                    _ => "code".to_string(),
                };
                format!("{what} by {} and {kind}", rows.label())
            }
            MatrixColumns::Dimension(column, code) => format!(
                "{what} of {} by {} and {}",
                name(code),
                rows.label(),
                column.label()
            ),
        }
    }

    pub(crate) fn code_labels(&self, codes: &[String]) -> Result<Vec<String>> {
        let resolved = codes
            .iter()
            .map(|c| self.corpus.codebook.resolve(c))
            .collect::<Result<Vec<_>>>()?;
        let mut seen = HashSet::new();
        for code in &resolved {
            if !seen.insert(&code.id) {
                return Err(Error::argument(
                    "codes",
                    format!("`{}` is listed twice", code.id),
                ));
            }
        }
        Ok(resolved
            .iter()
            .map(|c| {
                if resolved.iter().filter(|o| o.name == c.name).count() > 1 {
                    c.path.clone()
                } else {
                    c.name.clone()
                }
            })
            .collect())
    }

    /// How often codes overlap: for each pair, the passages of the row code that overlap a
    /// passage of the column code. The diagonal is each code's own passage count.
    pub fn cooccurrence(&self, codes: &[String]) -> Result<Table> {
        let labels = self.code_labels(codes)?;
        let passages = codes
            .par_iter()
            .map(|c| self.passages(c))
            .collect::<Result<Vec<_>>>()?;
        let counts: Vec<Vec<i64>> = passages
            .par_iter()
            .map(|row| {
                passages
                    .iter()
                    .map(|column| count_overlapping(row, column) as i64)
                    .collect()
            })
            .collect();
        let mut columns = vec![(
            "code".to_string(),
            Values::Text(labels.iter().cloned().map(Some).collect()),
        )];
        for (j, label) in labels.iter().enumerate() {
            columns.push((
                label.clone(),
                Values::Integer(counts.iter().map(|row| Some(row[j])).collect()),
            ));
        }
        Ok(Table::new(columns)?.with_title(
            "Code co-occurrence (passages of the row code overlapping the column code)",
        ))
    }

    /// Passages as a table: where each is, who speaks, how long it is and its text, with
    /// `context` characters either side when asked.
    pub fn passages_table(&self, passages: &[Passage], context: usize) -> Result<Table> {
        let corpus = &self.corpus;
        let doc = |p: &Passage| self.document(p);
        let text = |f: &dyn Fn(&Passage) -> Option<String>| -> Values {
            Values::Text(passages.iter().map(f).collect())
        };
        let mut columns = vec![
            ("document".to_string(), text(&|p| Some(doc(p).id.clone()))),
            ("case".to_string(), text(&|p| Some(doc(p).case.clone()))),
            ("phase".to_string(), text(&|p| Some(doc(p).phase.clone()))),
            ("method".to_string(), text(&|p| Some(doc(p).method.clone()))),
            (
                "speaker".to_string(),
                text(&|p| Some(Dimension::Speaker.value(corpus, doc(p), p.start as usize))),
            ),
            (
                "role".to_string(),
                text(&|p| Some(Dimension::Role.value(corpus, doc(p), p.start as usize))),
            ),
            (
                "start".to_string(),
                Values::Integer(passages.iter().map(|p| Some(i64::from(p.start))).collect()),
            ),
            (
                "end".to_string(),
                Values::Integer(passages.iter().map(|p| Some(i64::from(p.end))).collect()),
            ),
            (
                "words".to_string(),
                Values::Integer(
                    passages
                        .iter()
                        .map(|p| Some(self.words(p) as i64))
                        .collect(),
                ),
            ),
            (
                "coders".to_string(),
                Values::Integer(
                    passages
                        .iter()
                        .map(|p| Some(i64::from(p.coder_count())))
                        .collect(),
                ),
            ),
        ];
        if context > 0 {
            columns.push((
                "before".to_string(),
                text(&|p| Some(context_before(doc(p), p.start as usize, context))),
            ));
        }
        columns.push((
            "text".to_string(),
            text(&|p| Some(self.text(p).to_string())),
        ));
        if context > 0 {
            columns.push((
                "after".to_string(),
                text(&|p| Some(context_after(doc(p), p.end as usize, context))),
            ));
        }
        Table::new(columns)
    }

    /// Counts of cases (both dimensions per case), documents, or turns (either per turn)
    /// for each pair of values.
    pub fn crosstab(&self, rows: &Dimension, columns: &Dimension) -> Result<Table> {
        let corpus = &self.corpus;
        let mut counts: HashMap<(String, String), i64> = HashMap::new();
        let unit = if rows.per_case() && columns.per_case() {
            for case in corpus.cases.iter() {
                let value = |d: &Dimension| match d {
                    Dimension::Case => case.name.clone(),
                    other => super::case_value(corpus, &case.name, other.label()),
                };
                *counts.entry((value(rows), value(columns))).or_default() += 1;
            }
            "cases"
        } else if rows.per_turn() || columns.per_turn() {
            for doc in corpus.documents {
                for turn in &doc.turns {
                    let key = (
                        rows.value(corpus, doc, turn.start),
                        columns.value(corpus, doc, turn.start),
                    );
                    *counts.entry(key).or_default() += 1;
                }
            }
            "turns"
        } else {
            for doc in corpus.documents {
                let key = (rows.value(corpus, doc, 0), columns.value(corpus, doc, 0));
                *counts.entry(key).or_default() += 1;
            }
            "documents"
        };
        let row_values = rows.values(corpus);
        let column_values = columns.values(corpus);
        let mut table = vec![(
            rows.label().to_string(),
            Values::Text(row_values.iter().cloned().map(Some).collect()),
        )];
        for c in &column_values {
            table.push((
                c.clone(),
                Values::Integer(
                    row_values
                        .iter()
                        .map(|r| Some(counts.get(&(r.clone(), c.clone())).copied().unwrap_or(0)))
                        .collect(),
                ),
            ));
        }
        table.push((
            "total".to_string(),
            Values::Integer(
                row_values
                    .iter()
                    .map(|r| {
                        Some(
                            column_values
                                .iter()
                                .map(|c| counts.get(&(r.clone(), c.clone())).copied().unwrap_or(0))
                                .sum(),
                        )
                    })
                    .collect(),
            ),
        ));
        Ok(Table::new(table)?.with_title(format!(
            "{unit} by {} and {}",
            rows.label(),
            columns.label()
        )))
    }
}

fn measure_label(measure: Measure) -> &'static str {
    match measure {
        Measure::Segments => "coded passages",
        Measure::Cases => "cases with evidence",
        Measure::Words => "words coded",
        Measure::Coverage => "% of words coded",
        Measure::Density => "passages per 1,000 words",
    }
}

fn ratio(numerator: usize, denominator: usize, scale: f64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 * scale / denominator as f64)
}

/// Passages of `a` that overlap at least one passage of `b`; both sorted and disjoint.
fn count_overlapping(a: &[Passage], b: &[Passage]) -> usize {
    let mut count = 0;
    let mut j = 0;
    for x in a {
        while j < b.len() && (b[j].doc, b[j].end) <= (x.doc, x.start) {
            j += 1;
        }
        if j < b.len() && b[j].doc == x.doc && b[j].start < x.end {
            count += 1;
        }
    }
    count
}

fn context_before(doc: &crate::ingest::Document, pos: usize, chars: usize) -> String {
    let from = pos.saturating_sub(chars);
    one_line(doc.slice(from, pos).unwrap_or_default())
}

fn context_after(doc: &crate::ingest::Document, pos: usize, chars: usize) -> String {
    let to = (pos + chars).min(doc.len_chars());
    one_line(doc.slice(pos, to).unwrap_or_default())
}

/// Line breaks as spaces, so context reads on one line.
pub(crate) fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    line
}
