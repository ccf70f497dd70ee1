//! Coding exercises for teaching: students code a set of extracts to NPT constructs and get
//! feedback against a reference coding: agreement, Cohen's kappa, where they differ and why
//! the reference coded it as it did.

use std::collections::BTreeMap;
use std::path::Path;

use crate::coding::{Span, resolve};
use crate::csv_table::{CsvTable, cell};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::table::{Table, Values};

/// One extract: where it comes from, its text, the reference construct and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Extract {
    pub id: String,
    pub document: String,
    pub case: String,
    pub speaker: String,
    pub quote: String,
    /// Code id of the reference construct.
    pub construct: String,
    pub reason: String,
}

/// A set of extracts with their reference coding.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub extracts: Vec<Extract>,
    /// The constructs an answer may name: (code id, name), in codebook order.
    constructs: Vec<(String, String)>,
}

/// How a student's answers compare with the reference.
#[derive(Debug, Clone)]
pub struct Feedback {
    /// Per extract: the answer, the reference, whether they agree, and the reason.
    pub extracts: Table,
    /// Reference constructs (rows) by the student's (columns).
    pub confusion: Table,
    pub answered: usize,
    pub agreed: usize,
    pub kappa: Option<f64>,
}

/// Landis and Koch's words for a kappa, as students will meet them in papers.
fn strength(kappa: f64) -> &'static str {
    match kappa {
        k if k < 0.0 => "poor",
        k if k <= 0.20 => "slight",
        k if k <= 0.40 => "fair",
        k if k <= 0.60 => "moderate",
        k if k <= 0.80 => "substantial",
        _ => "almost perfect",
    }
}

impl Exercise {
    /// Reads extracts (columns `id, document, quote, construct, reason`) and checks that
    /// every quote is in its document and every construct is a code of the project.
    pub fn load(project: &Project, path: &Path) -> Result<Exercise> {
        let file = CsvTable::read(path)?;
        let [id, document, quote, construct, reason] =
            ["id", "document", "quote", "construct", "reason"].map(|c| file.column(c));
        let (id, document, quote, construct, reason) =
            (id?, document?, quote?, construct?, reason?);
        let mut extracts = Vec::new();
        for (line, record) in &file.rows {
            let line = *line;
            let located = |e: Error| Error::Csv {
                path: path.to_path_buf(),
                line,
                message: e.to_string(),
            };
            let get = |i: usize| cell(record, i).to_string();
            let doc = project.document(&get(document)).map_err(located)?;
            let (start, _) = resolve(
                doc,
                &Span::Quote {
                    text: get(quote),
                    occurrence: None,
                },
            )
            .map_err(located)?;
            let code = project.codebook.resolve(&get(construct)).map_err(located)?;
            extracts.push(Extract {
                id: get(id),
                document: doc.id.clone(),
                case: doc.case.clone(),
                speaker: doc
                    .turn_at(start)
                    .and_then(|t| t.role.as_deref().or(t.speaker.as_deref()))
                    .map(str::to_string)
                    .unwrap_or_default(),
                quote: get(quote),
                construct: code.id.clone(),
                reason: get(reason),
            });
        }
        let mut constructs: Vec<(String, String)> = Vec::new();
        for e in &extracts {
            if !constructs.iter().any(|(id, _)| *id == e.construct) {
                let name = project.codebook.resolve(&e.construct)?.name.clone();
                constructs.push((e.construct.clone(), name));
            }
        }
        let order: Vec<&str> = project
            .codebook
            .codes()
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        constructs.sort_by_key(|(id, _)| order.iter().position(|o| o == id));
        Ok(Exercise {
            extracts,
            constructs,
        })
    }

    /// The extracts to code: id, case, who speaks, and the quote.
    pub fn table(&self) -> Result<Table> {
        let column = |f: &dyn Fn(&Extract) -> String| {
            Values::Text(self.extracts.iter().map(|e| Some(f(e))).collect())
        };
        Ok(Table::new(vec![
            ("id".into(), column(&|e| e.id.clone())),
            ("case".into(), column(&|e| e.case.clone())),
            ("speaker".into(), column(&|e| e.speaker.clone())),
            ("quote".into(), column(&|e| e.quote.clone())),
        ])?
        .with_title(format!(
            "{} extracts to code as one of: {}",
            self.extracts.len(),
            self.constructs
                .iter()
                .map(|(_, name)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// The construct an answer names: its id, its name, or the last part of its id, in any
    /// case; or `None`.
    fn construct_of(&self, answer: &str) -> Option<&(String, String)> {
        let answer = answer.trim().to_lowercase().replace('_', "-");
        self.constructs.iter().find(|(id, name)| {
            id.to_lowercase() == answer
                || name.to_lowercase() == answer.replace('-', " ")
                || id.rsplit('.').next() == Some(answer.as_str())
        })
    }

    /// Compares answers (extract id -> construct) with the reference. Extracts without an
    /// answer are counted as not yet attempted, not as wrong.
    pub fn check(&self, answers: &BTreeMap<String, String>) -> Result<Feedback> {
        for (id, answer) in answers {
            if !self.extracts.iter().any(|e| e.id == *id) {
                return Err(Error::argument(
                    "answers",
                    format!(
                        "there is no extract `{id}`; the extracts are {}",
                        self.ids().join(", ")
                    ),
                ));
            }
            if self.construct_of(answer).is_none() {
                return Err(Error::argument(
                    "answers",
                    format!(
                        "`{answer}` (for {id}) is not one of the constructs: {}",
                        self.constructs
                            .iter()
                            .map(|(_, n)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let mut yours = Vec::new();
        let mut reference = Vec::new();
        let mut verdict = Vec::new();
        let mut reasons = Vec::new();
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        let name_of = |id: &str| {
            self.constructs
                .iter()
                .find(|(c, _)| c == id)
                .map_or_else(|| id.to_string(), |(_, n)| n.clone())
        };
        for e in &self.extracts {
            reference.push(Some(name_of(&e.construct)));
            match answers.get(&e.id).and_then(|a| self.construct_of(a)) {
                Some((id, name)) => {
                    yours.push(Some(name.clone()));
                    let same = *id == e.construct;
                    verdict.push(Some(if same { "agree" } else { "differ" }.to_string()));
                    reasons.push(Some(e.reason.clone()));
                    pairs.push((e.construct.as_str(), id.as_str()));
                }
                None => {
                    yours.push(None);
                    verdict.push(Some("not answered yet".to_string()));
                    reasons.push(None);
                }
            }
        }
        let answered = pairs.len();
        let agreed = pairs.iter().filter(|(r, y)| r == y).count();
        let (refs, student): (Vec<Option<String>>, Vec<Option<String>>) = pairs
            .iter()
            .map(|(r, s)| (Some(r.to_string()), Some(s.to_string())))
            .unzip();
        let kappa = if pairs.is_empty() {
            None
        } else {
            crate::agreement::categorical::cohen_kappa(&refs, &student)?
        };
        let summary = if answered == 0 {
            "No answers yet: code each extract, then check again.".to_string()
        } else {
            let mut s = format!(
                "You agree with the reference on {agreed} of {answered} extracts ({:.0}%)",
                agreed as f64 * 100.0 / answered as f64
            );
            if let Some(k) = kappa {
                s += &format!("; Cohen's kappa {k:.2} ({} agreement)", strength(k));
            }
            s += if agreed == answered {
                ". Well done."
            } else {
                ". Where you differ, read the reason: both codings can often be argued, and talking them through is how coders converge."
            };
            s
        };
        let extracts = Table::new(vec![
            (
                "id".into(),
                Values::Text(self.extracts.iter().map(|e| Some(e.id.clone())).collect()),
            ),
            (
                "quote".into(),
                Values::Text(
                    self.extracts
                        .iter()
                        .map(|e| Some(e.quote.clone()))
                        .collect(),
                ),
            ),
            ("yours".into(), Values::Text(yours)),
            ("reference".into(), Values::Text(reference)),
            ("result".into(), Values::Text(verdict)),
            ("reason".into(), Values::Text(reasons)),
        ])?
        .with_title(summary);
        let mut confusion = vec![(
            "reference \\ yours".to_string(),
            Values::Text(
                self.constructs
                    .iter()
                    .map(|(_, n)| Some(n.clone()))
                    .collect(),
            ),
        )];
        for (column_id, column_name) in &self.constructs {
            confusion.push((
                column_name.clone(),
                Values::Integer(
                    self.constructs
                        .iter()
                        .map(|(row_id, _)| {
                            Some(
                                pairs
                                    .iter()
                                    .filter(|(r, y)| r == row_id && y == column_id)
                                    .count() as i64,
                            )
                        })
                        .collect(),
                ),
            ));
        }
        Ok(Feedback {
            extracts,
            confusion: Table::new(confusion)?
                .with_title("Reference constructs (rows) by yours (columns)"),
            answered,
            agreed,
            kappa,
        })
    }

    fn ids(&self) -> Vec<String> {
        self.extracts.iter().map(|e| e.id.clone()).collect()
    }
}
