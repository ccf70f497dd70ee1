//! Coding suggestions learned from a project's own codings, on this machine, measured against
//! the human coders before anyone accepts one.
//!
//! - [`units`]: documents cut into sentences, paragraphs, turns or answers, and each unit
//!   labelled by the codings of a code ([`POSITIVE_RULE`]).
//! - [`tfidf`]: TF-IDF vectors of units (words and word pairs).
//! - [`features`]: what is learned from: TF-IDF, a sentence model's vectors (cargo feature
//!   `embeddings`), or both (the hybrid).
//! - [`logreg`]: class-weighted logistic regression on them.
//!
//! Nothing here writes to the project until [`Project::accept_suggestions`], which stores the
//! chosen suggestions as codings of a coder named `<who accepted>+suggest`, with how they were
//! made, in one log entry that `qualkit revert` undoes whole.

pub mod features;
pub mod logreg;
mod tables;
pub mod tfidf;
pub mod units;

pub use features::{Features, ModelUse};
pub use tables::{evaluation_table, similar_found_table, similar_table};

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::project::Project;
use crate::store::{Author, NewCoding, OnOverlap};
use crate::support::seeded::SeededNumbers;
use features::{Chosen, Space, dense_cosine};
use tfidf::{Corpus, SparseVector, Weighting, cosine};
pub use units::{Unit, UnitKind};

/// When a unit counts as coded with a code.
pub const POSITIVE_RULE: &str = "A unit is coded with a code when that code's codings (or those \
of the codes below it) by the coders learned from cover at least half of the unit's characters, \
or when one such coding lies at least half inside the unit. Other units are examples of text \
not coded with it; units that any of those codings touch at all are never suggested.";

/// Below this many coded units, the figures of an evaluation come with a warning.
pub const MIN_EXAMPLES: usize = 30;

/// Codings accepted from suggestions are a coder of this name: who accepted them, then this.
pub const SUGGEST_SUFFIX: &str = "+suggest";

/// The method with TF-IDF features, as the log records it.
pub const METHOD: &str = "tfidf-logreg";

/// How many coded units are shown as the reason for a suggestion.
const NEAREST: usize = 2;

/// What to learn from and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub unit: UnitKind,
    /// Learn from this coder's codings; from every human coder's (not `+suggest`) when `None`.
    pub coder: Option<String>,
    /// Also compare the predictions with this coder's codings.
    pub against: Option<String>,
    /// Folds of the cross-validation (fewer when there are fewer coded units).
    pub folds: usize,
    /// Seed of the assignment of units to folds.
    pub seed: u64,
    /// Inverse regularisation strength of the logistic regression.
    pub c: f64,
    /// A term counts when it is in at least this many units.
    pub min_df: u32,
    /// At most this many terms (those in most units).
    pub max_terms: usize,
    /// Suggestions listed: those scoring at least this.
    pub min_score: f64,
    /// At most this many suggestions listed (all when `None`).
    pub limit: Option<usize>,
    /// What to learn from; `None`: hybrid when a sentence model is installed, TF-IDF
    /// otherwise.
    pub features: Option<Features>,
    /// The installed sentence model to use, by the start of its hash (at least 4 characters);
    /// `None`: the only one installed, or the pinned one among several.
    pub model: Option<String>,
    /// Where models are installed; `None`: `$QUALKIT_MODELS`, `$XDG_DATA_HOME/qualkit/models`
    /// or `~/.local/share/qualkit/models`.
    pub models_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            unit: UnitKind::Sentence,
            coder: None,
            against: None,
            folds: 5,
            seed: 1,
            c: 1.0,
            min_df: 2,
            max_terms: 200_000,
            min_score: 0.5,
            limit: None,
            features: None,
            model: None,
            models_dir: None,
        }
    }
}

impl Options {
    fn parameters(&self, features: Features) -> serde_json::Value {
        serde_json::json!({
            "features": features,
            "embedding_scale": (features == Features::Hybrid).then_some(features::EMBEDDING_SCALE),
            "unit": self.unit,
            "folds": self.folds,
            "seed": self.seed,
            "c": self.c,
            "class_weight": "balanced",
            "terms": "words and word pairs, lowercased",
            "min_df": self.min_df,
            "max_terms": self.max_terms,
            "threshold": 0.5,
        })
    }
}

/// Cross-validated agreement of the suggestions with the human coding.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub code: String,
    pub unit: UnitKind,
    /// The coders learned from.
    pub coders: Vec<String>,
    pub units: usize,
    /// Units coded with the code: the examples learned from.
    pub examples: usize,
    pub folds: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    /// Cohen's kappa of the predictions (score at least 0.5) and the human labels.
    pub kappa: Option<f64>,
    pub against: Option<Against>,
    pub warning: Option<String>,
    /// What was learned from.
    pub features: Features,
    /// The sentence model, when the features include embeddings.
    pub model: Option<ModelUse>,
}

/// The same predictions compared with another coder's coding.
#[derive(Debug, Clone, Serialize)]
pub struct Against {
    pub coder: String,
    pub examples: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub kappa: Option<f64>,
    /// Kappa of the coder learned from and this one, on the same units: how far people agree.
    pub human_kappa: Option<f64>,
}

impl Evaluation {
    /// One line: the figures shown beside suggestions.
    pub fn summary(&self) -> String {
        let figure = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
        let mut s = format!(
            "`{}` by {}{} from {} ({}s, {}-fold): precision {}, recall {}, kappa {} with {} coded examples of {} units",
            self.code,
            self.features.method(),
            self.model
                .as_ref()
                .map_or(String::new(), |m| format!(" [{}]", m.summary())),
            self.coders.join(", "),
            self.unit.name(),
            self.folds,
            figure(self.precision),
            figure(self.recall),
            figure(self.kappa),
            self.examples,
            self.units
        );
        if let Some(a) = &self.against {
            s.push_str(&format!(
                "; against {}: precision {}, recall {}, kappa {} (the two coders: {})",
                a.coder,
                figure(a.precision),
                figure(a.recall),
                figure(a.kappa),
                figure(a.human_kappa)
            ));
        }
        if let Some(w) = &self.warning {
            s.push_str(&format!("; warning: {w}"));
        }
        s
    }
}

/// A coded unit shown as the reason for a suggestion.
#[derive(Debug, Clone, Serialize)]
pub struct Nearest {
    pub document: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub similarity: f64,
}

/// One unit not yet coded, with its score.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// Its place among every unit scored, best first (from 0): stable for the same project
    /// and options, so it can be accepted by number.
    pub rank: usize,
    pub document: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// The probability the model gives it of being coded (0-1), from the fold that did not
    /// learn from it.
    pub score: f64,
    pub nearest: Vec<Nearest>,
}

/// Suggestions of a code, with the figures that say how far to trust them.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestions {
    pub code: String,
    pub evaluation: Evaluation,
    /// Listed suggestions, best first.
    pub suggestions: Vec<Suggestion>,
    /// Units scored (every unit not yet coded).
    pub scored: usize,
    /// How they were made, as the log keeps it when some are accepted.
    pub provenance: serde_json::Value,
}

/// Which suggestions to accept.
#[derive(Debug, Clone)]
pub enum Choice {
    /// Every suggestion scoring at least this.
    AtLeast(f64),
    /// By rank.
    Ranks(Vec<usize>),
    /// By place: document, start, end.
    Spans(Vec<(String, usize, usize)>),
}

/// What accepting did.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    pub entry: String,
    pub coder: String,
    pub added: usize,
    pub skipped_overlaps: usize,
}

/// One unit as the cross-validation saw it.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    pub document: String,
    pub start: usize,
    pub end: usize,
    /// Whether the coders learned from coded it ([`POSITIVE_RULE`]).
    pub coded: bool,
    /// The score the fold that did not learn from it gives it (0-1).
    pub score: f64,
}

/// A passage like another, by TF-IDF cosine.
#[derive(Debug, Clone, Serialize)]
pub struct Similar {
    pub document: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub similarity: f64,
    /// Codes whose codings (any coder) mark this unit, by [`POSITIVE_RULE`].
    pub codes: Vec<String>,
}

/// Similar passages, and what found them.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarFound {
    pub similar: Vec<Similar>,
    /// Embeddings (cosine of sentence vectors) when a model was used, TF-IDF otherwise.
    pub features: Features,
    pub model: Option<ModelUse>,
}

/// What `similar` compares with.
#[derive(Debug, Clone)]
pub enum Query {
    Text(String),
    Passage {
        document: String,
        start: usize,
        end: usize,
    },
}

/// Everything learned from for one code.
/// The units of every document and their terms: the same for every code.
struct Passages {
    units: Vec<Unit>,
    corpus: Corpus,
    features: Features,
    /// Each unit's sentence vector, when the features include embeddings.
    dense: Option<Vec<Vec<f32>>>,
    model: Option<ModelUse>,
}

struct Prepared<'p> {
    code: String,
    coders: Vec<String>,
    units: &'p [Unit],
    corpus: &'p Corpus,
    passages: &'p Passages,
    labels: Vec<bool>,
    /// Units some coding of the code (by the coders learned from, or accepted) touches.
    touched: Vec<bool>,
    against: Option<(String, Vec<bool>)>,
    training_codings: usize,
    training_hash: String,
}

/// Stratified folds: each unit's fold, positives and negatives dealt out separately.
fn folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = SeededNumbers(seed);
    let mut fold = vec![0; labels.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rng.shuffle(&mut members);
        for (n, unit) in members.into_iter().enumerate() {
            fold[unit] = n % k;
        }
    }
    fold
}

fn yes_no(labels: impl Iterator<Item = bool>) -> Vec<Option<String>> {
    labels
        .map(|l| Some(if l { "yes" } else { "no" }.to_string()))
        .collect()
}

/// Precision, recall and Cohen's kappa of predictions against labels.
fn agreement(
    predicted: &[bool],
    labels: &[bool],
) -> Result<(Option<f64>, Option<f64>, Option<f64>)> {
    let both = predicted
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p && **l)
        .count() as f64;
    let predicted_n = predicted.iter().filter(|p| **p).count() as f64;
    let labelled_n = labels.iter().filter(|l| **l).count() as f64;
    let precision = (predicted_n > 0.0).then(|| both / predicted_n);
    let recall = (labelled_n > 0.0).then(|| both / labelled_n);
    let kappa = if labels.is_empty() {
        None
    } else {
        crate::agreement::cohen_kappa(
            &yes_no(predicted.iter().copied()),
            &yes_no(labels.iter().copied()),
        )?
    };
    Ok((precision, recall, kappa))
}

impl Project {
    /// Coders whose codings are their own (not accepted suggestions), sorted.
    fn human_coders(&self) -> Result<Vec<String>> {
        let coders: BTreeSet<String> = self
            .codings()?
            .into_iter()
            .map(|c| c.coder)
            .filter(|c| !c.ends_with(SUGGEST_SUFFIX))
            .collect();
        Ok(coders.into_iter().collect())
    }

    fn check_human_coder(&self, coder: &str, argument: &str) -> Result<()> {
        let known = self.human_coders()?;
        if known.iter().any(|c| c == coder) {
            Ok(())
        } else {
            Err(Error::argument(
                argument,
                format!(
                    "`{coder}` has no codings to learn from or compare with; coders: {}",
                    if known.is_empty() {
                        "none yet".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ))
        }
    }

    /// The units of every document.
    pub fn units(&self, kind: UnitKind) -> Vec<Unit> {
        use rayon::prelude::*;
        let documents = self.documents();
        documents
            .par_iter()
            .enumerate()
            .map(|(i, d)| units::units_of(d, i, kind))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    }

    /// Per document index, the spans (sorted) of codings that pass `keep`.
    fn spans_by_document(
        &self,
        codings: &[crate::store::Coding],
        keep: impl Fn(&crate::store::Coding) -> bool,
    ) -> Vec<Vec<(usize, usize)>> {
        let mut spans = vec![Vec::new(); self.documents().len()];
        for coding in codings.iter().filter(|c| keep(c)) {
            if let Some(i) = self.document_index(&coding.document) {
                spans[i].push((coding.start, coding.end));
            }
        }
        for list in &mut spans {
            list.sort_unstable();
        }
        spans
    }

    fn chosen_features(&self, options: &Options) -> Result<Chosen> {
        features::choose(
            options.features,
            options.model.as_deref(),
            options.models_dir.as_ref(),
        )
    }

    fn passages(&self, options: &Options) -> Result<Passages> {
        let chosen = self.chosen_features(options)?;
        let units = self.units(options.unit);
        let corpus = Corpus::of(self.documents(), &units);
        let documents = self.documents();
        let texts: Vec<&str> = units
            .iter()
            .map(|u| documents[u.document].slice(u.start, u.end).unwrap_or(""))
            .collect();
        let (dense, model) = match features::embed(self.root(), &chosen, &texts)? {
            Some((vectors, used)) => (Some(vectors), Some(used)),
            None => (None, None),
        };
        Ok(Passages {
            units,
            corpus,
            features: chosen.features,
            dense,
            model,
        })
    }

    fn prepare<'p>(
        &self,
        passages: &'p Passages,
        code: &str,
        options: &Options,
    ) -> Result<Prepared<'p>> {
        let code = self.codebook.resolve(code)?.id.clone();
        let codes: BTreeSet<String> = self
            .codebook
            .descendants_and_self(&code)
            .into_iter()
            .map(|c| c.id.clone())
            .collect();
        let coders = match &options.coder {
            Some(coder) => {
                self.check_human_coder(coder, "coder")?;
                vec![coder.clone()]
            }
            None => self.human_coders()?,
        };
        if let Some(against) = &options.against {
            self.check_human_coder(against, "against")?;
        }
        let codings = self.codings()?;
        let learned: Vec<&crate::store::Coding> = codings
            .iter()
            .filter(|c| codes.contains(&c.code) && coders.contains(&c.coder))
            .collect();
        let mut fingerprint: Vec<String> = learned
            .iter()
            .map(|c| {
                format!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    c.id, c.coder, c.document, c.code, c.start, c.end
                )
            })
            .collect();
        fingerprint.sort_unstable();
        let training_hash = crate::support::text::fingerprint(&fingerprint.join("\n"));
        let training = self.spans_by_document(&codings, |c| {
            codes.contains(&c.code) && coders.contains(&c.coder)
        });
        let accepted = self.spans_by_document(&codings, |c| {
            codes.contains(&c.code) && c.coder.ends_with(SUGGEST_SUFFIX)
        });
        let against_spans = options.against.as_ref().map(|a| {
            self.spans_by_document(&codings, |c| codes.contains(&c.code) && &c.coder == a)
        });
        let units = &passages.units;
        let mut labels = Vec::with_capacity(units.len());
        let mut touched = Vec::with_capacity(units.len());
        let mut against_labels = Vec::new();
        for unit in units {
            let span = (unit.start, unit.end);
            let (positive, touches) = units::label(span, &training[unit.document]);
            let (_, touches_accepted) = units::label(span, &accepted[unit.document]);
            labels.push(positive);
            touched.push(touches || touches_accepted);
            if let Some(spans) = &against_spans {
                against_labels.push(units::label(span, &spans[unit.document]).0);
            }
        }
        Ok(Prepared {
            code,
            coders,
            units,
            corpus: &passages.corpus,
            passages,
            labels,
            touched,
            against: options.against.clone().map(|a| (a, against_labels)),
            training_codings: learned.len(),
            training_hash,
        })
    }

    /// Scores of every unit from the fold that did not learn from it, and how many folds.
    fn cross_validate(&self, prepared: &Prepared, options: &Options) -> Result<(Vec<f64>, usize)> {
        let positives = prepared.labels.iter().filter(|l| **l).count();
        let negatives = prepared.labels.len() - positives;
        let k = options.folds.min(positives).min(negatives);
        if k < 2 {
            return Err(Error::argument(
                "code",
                format!(
                    "`{}` marks {positives} of {} {}s by {}: suggestions need at least 2 coded and 2 uncoded units to learn from and to measure ({} or more coded for figures worth trusting)",
                    prepared.code,
                    prepared.labels.len(),
                    options.unit.name(),
                    prepared.coders.join(", "),
                    MIN_EXAMPLES
                ),
            ));
        }
        let fold_of = folds(&prepared.labels, k, options.seed);
        let mut scores = vec![0.0; prepared.units.len()];
        for fold in 0..k {
            let training: Vec<usize> = (0..fold_of.len()).filter(|&i| fold_of[i] != fold).collect();
            let space = Space::fit(
                prepared.passages.features,
                prepared.corpus,
                prepared.passages.dense.as_deref(),
                &training,
                options.min_df,
                options.max_terms,
            );
            let x: Vec<SparseVector> = training
                .iter()
                .map(|&i| space.vector(prepared.corpus, i))
                .collect();
            let y: Vec<bool> = training.iter().map(|&i| prepared.labels[i]).collect();
            let model = logreg::Model::fit(&x, &y, space.features(), options.c);
            drop(x);
            for i in (0..fold_of.len()).filter(|&i| fold_of[i] == fold) {
                scores[i] = model.probability(&space.vector(prepared.corpus, i));
            }
        }
        Ok((scores, k))
    }

    fn evaluation_of(
        &self,
        prepared: &Prepared,
        scores: &[f64],
        folds: usize,
        options: &Options,
    ) -> Result<Evaluation> {
        let predicted: Vec<bool> = scores.iter().map(|s| *s >= 0.5).collect();
        let (precision, recall, kappa) = agreement(&predicted, &prepared.labels)?;
        let examples = prepared.labels.iter().filter(|l| **l).count();
        let against = match &prepared.against {
            Some((coder, labels)) => {
                let (precision, recall, kappa) = agreement(&predicted, labels)?;
                let (_, _, human_kappa) = agreement(&prepared.labels, labels)?;
                Some(Against {
                    coder: coder.clone(),
                    examples: labels.iter().filter(|l| **l).count(),
                    precision,
                    recall,
                    kappa,
                    human_kappa,
                })
            }
            None => None,
        };
        let warning = (examples < MIN_EXAMPLES).then(|| {
            format!(
                "only {examples} coded {}s (fewer than {MIN_EXAMPLES}): rough figures, weak suggestions",
                options.unit.name()
            )
        });
        Ok(Evaluation {
            code: prepared.code.clone(),
            unit: options.unit,
            coders: prepared.coders.clone(),
            units: prepared.units.len(),
            examples,
            folds,
            precision,
            recall,
            kappa,
            against,
            warning,
            features: prepared.passages.features,
            model: prepared.passages.model.clone(),
        })
    }

    /// How well suggestions of `code` agree with the human coding: k-fold cross-validation
    /// (stratified, seeded), precision, recall and Cohen's kappa over every unit.
    pub fn evaluate_suggestions(&self, code: &str, options: &Options) -> Result<Evaluation> {
        let passages = self.passages(options)?;
        let prepared = self.prepare(&passages, code, options)?;
        let (scores, folds) = self.cross_validate(&prepared, options)?;
        self.evaluation_of(&prepared, &scores, folds, options)
    }

    /// Every unit with its label and its cross-validated score: what the evaluation's figures
    /// are counted from, for checking them or drawing other figures.
    pub fn cross_validated(&self, code: &str, options: &Options) -> Result<Vec<Scored>> {
        let passages = self.passages(options)?;
        let prepared = self.prepare(&passages, code, options)?;
        let (scores, _) = self.cross_validate(&prepared, options)?;
        let documents = self.documents();
        Ok(prepared
            .units
            .iter()
            .zip(&prepared.labels)
            .zip(scores)
            .map(|((u, &coded), score)| Scored {
                document: documents[u.document].id.clone(),
                start: u.start,
                end: u.end,
                coded,
                score,
            })
            .collect())
    }

    /// Evaluations of several codes (every code the coders learned from applied, when `codes`
    /// is `None`). A code with too few coded units for cross-validation gets a row with no
    /// figures and a warning saying so.
    pub fn evaluate_codes(
        &self,
        codes: Option<&[String]>,
        options: &Options,
    ) -> Result<Vec<Evaluation>> {
        let codes: Vec<String> = match codes {
            Some(codes) => codes
                .iter()
                .map(|c| Ok(self.codebook.resolve(c)?.id.clone()))
                .collect::<Result<_>>()?,
            None => {
                let coders: Vec<String> = match &options.coder {
                    Some(c) => vec![c.clone()],
                    None => self.human_coders()?,
                };
                let applied: BTreeSet<String> = self
                    .codings()?
                    .into_iter()
                    .filter(|c| coders.contains(&c.coder))
                    .map(|c| c.code)
                    .collect();
                applied.into_iter().collect()
            }
        };
        let mut out = Vec::with_capacity(codes.len());
        let passages = self.passages(options)?;
        for code in &codes {
            let prepared = self.prepare(&passages, code, options)?;
            match self.cross_validate(&prepared, options) {
                Ok((scores, folds)) => {
                    out.push(self.evaluation_of(&prepared, &scores, folds, options)?)
                }
                Err(Error::Argument { message, .. }) => out.push(Evaluation {
                    code: prepared.code.clone(),
                    unit: options.unit,
                    coders: prepared.coders.clone(),
                    units: prepared.units.len(),
                    examples: prepared.labels.iter().filter(|l| **l).count(),
                    folds: 0,
                    precision: None,
                    recall: None,
                    kappa: None,
                    against: None,
                    warning: Some(message),
                    features: passages.features,
                    model: passages.model.clone(),
                }),
                Err(other) => return Err(other),
            }
        }
        Ok(out)
    }

    /// Suggestions of `code`: every unit not yet coded with it, scored, best first, with the
    /// coded units most like each as the reason, and the evaluation of the same models.
    /// Writes nothing.
    pub fn suggest(&self, code: &str, options: &Options) -> Result<Suggestions> {
        self.suggestions(code, options, true)
    }

    fn suggestions(&self, code: &str, options: &Options, reasons: bool) -> Result<Suggestions> {
        let passages = self.passages(options)?;
        let prepared = self.prepare(&passages, code, options)?;
        let (scores, folds) = self.cross_validate(&prepared, options)?;
        let evaluation = self.evaluation_of(&prepared, &scores, folds, options)?;
        let mut candidates: Vec<usize> = (0..prepared.units.len())
            .filter(|&i| !prepared.touched[i])
            .collect();
        candidates.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let scored = candidates.len();
        let listed: Vec<(usize, usize)> = candidates
            .into_iter()
            .enumerate()
            .filter(|&(_, i)| scores[i] >= options.min_score)
            .take(options.limit.unwrap_or(usize::MAX))
            .collect();
        let documents = self.documents();
        let text_of = |u: &Unit| {
            documents[u.document]
                .slice(u.start, u.end)
                .unwrap_or("")
                .to_string()
        };
        let nearest: Vec<Vec<Nearest>> = if reasons && !listed.is_empty() {
            let examples: Vec<usize> = (0..prepared.units.len())
                .filter(|&i| prepared.labels[i])
                .collect();
            // Nearest by meaning when there are sentence vectors, by words otherwise.
            let similarity: Box<dyn Fn(usize, usize) -> f32 + '_> = match &passages.dense {
                Some(dense) => Box::new(move |a, b| dense_cosine(&dense[a], &dense[b])),
                None => {
                    let all: Vec<usize> = (0..prepared.units.len()).collect();
                    let weighting =
                        Weighting::fit(prepared.corpus, &all, options.min_df, options.max_terms);
                    let vectors: BTreeMap<usize, SparseVector> = examples
                        .iter()
                        .chain(listed.iter().map(|(_, i)| i))
                        .map(|&i| (i, weighting.vector(&prepared.corpus.units[i])))
                        .collect();
                    Box::new(move |a, b| cosine(&vectors[&a], &vectors[&b]))
                }
            };
            listed
                .iter()
                .map(|&(_, i)| {
                    let mut near: Vec<(f32, usize)> =
                        examples.iter().map(|&j| (similarity(i, j), j)).collect();
                    near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                    near.into_iter()
                        .take(NEAREST)
                        .map(|(similarity, j)| {
                            let u = &prepared.units[j];
                            Nearest {
                                document: documents[u.document].id.clone(),
                                start: u.start,
                                end: u.end,
                                text: text_of(u),
                                similarity: similarity as f64,
                            }
                        })
                        .collect()
                })
                .collect()
        } else {
            vec![Vec::new(); listed.len()]
        };
        let suggestions = listed
            .into_iter()
            .zip(nearest)
            .map(|((rank, i), nearest)| {
                let u = &prepared.units[i];
                Suggestion {
                    rank,
                    document: documents[u.document].id.clone(),
                    start: u.start,
                    end: u.end,
                    text: text_of(u),
                    score: scores[i],
                    nearest,
                }
            })
            .collect();
        let features = passages.features;
        let provenance = serde_json::json!({
            "method": features.method(),
            // The model's hash names the exact weights, tokenizer and configuration.
            "model": passages.model.as_ref().map_or(METHOD.to_string(), |m| m.hash.clone()),
            "model_name": passages.model.as_ref().map(|m| m.name.clone()),
            "parameters": options.parameters(features),
            "training": {
                "code": prepared.code,
                "coders": prepared.coders,
                "codings": prepared.training_codings,
                "hash": prepared.training_hash,
            },
            "evaluation": {
                "folds": evaluation.folds,
                "units": evaluation.units,
                "examples": evaluation.examples,
                "precision": evaluation.precision,
                "recall": evaluation.recall,
                "kappa": evaluation.kappa,
            },
        });
        Ok(Suggestions {
            code: prepared.code,
            evaluation,
            suggestions,
            scored,
            provenance,
        })
    }

    /// Stores chosen suggestions of `code` as codings of `<accepter>+suggest`, in one log entry
    /// (action `accept suggestions`) that records how they were made: the method and model,
    /// its parameters, the coders and a hash of the codings learned from, the cross-validated
    /// figures, and who accepted them. The suggestions are made again from the record as it is
    /// now, so a choice by rank or place is checked against them; a place that is not a
    /// suggestion now is refused with nothing stored.
    pub fn accept_suggestions(
        &mut self,
        accepter: &str,
        code: &str,
        options: &Options,
        choice: &Choice,
    ) -> Result<Accepted> {
        crate::project::check_coder(accepter)?;
        if accepter.ends_with(SUGGEST_SUFFIX) {
            return Err(Error::argument(
                "coder",
                format!("suggestions are accepted by a person, not by `{accepter}`"),
            ));
        }
        let _lock = self.write_locked()?;
        let everything = Options {
            min_score: f64::NEG_INFINITY,
            limit: None,
            ..options.clone()
        };
        let made = self.suggestions(code, &everything, false)?;
        let chosen: Vec<&Suggestion> = match choice {
            Choice::AtLeast(score) => made
                .suggestions
                .iter()
                .filter(|s| s.score >= *score)
                .collect(),
            Choice::Ranks(ranks) => ranks
                .iter()
                .map(|&rank| {
                    made.suggestions.get(rank).ok_or_else(|| {
                        Error::argument(
                            "rows",
                            format!(
                                "there is no suggestion {rank}: {} units were scored (ranks 0 to {}); nothing was stored",
                                made.suggestions.len(),
                                made.suggestions.len().saturating_sub(1)
                            ),
                        )
                    })
                })
                .collect::<Result<_>>()?,
            Choice::Spans(spans) => spans
                .iter()
                .map(|(document, start, end)| {
                    made.suggestions
                        .iter()
                        .find(|s| &s.document == document && s.start == *start && s.end == *end)
                        .ok_or_else(|| {
                            Error::argument(
                                "spans",
                                format!(
                                    "{document} {start}..{end} is not a suggestion of `{}` now (not a {} of it, or coded already); nothing was stored",
                                    made.code,
                                    options.unit.name()
                                ),
                            )
                        })
                })
                .collect::<Result<_>>()?,
        };
        if chosen.is_empty() {
            return Err(Error::argument(
                "accept",
                "no suggestion was chosen; nothing was stored",
            ));
        }
        let touched: BTreeSet<&str> = chosen.iter().map(|s| s.document.as_str()).collect();
        let records = touched
            .iter()
            .map(|id| self.document_record(id))
            .collect::<Result<Vec<_>>>()?;
        let new: Vec<NewCoding> = chosen
            .iter()
            .map(|s| NewCoding::new(s.document.clone(), made.code.clone(), s.start, s.end))
            .collect();
        let chosen_by = match choice {
            Choice::AtLeast(score) => serde_json::json!({ "min_score": score }),
            Choice::Ranks(ranks) => serde_json::json!({ "ranks": ranks }),
            Choice::Spans(spans) => serde_json::json!({ "places": spans.len() }),
        };
        let mut detail = made.provenance.clone();
        detail["code"] = made.code.clone().into();
        detail["accepted_by"] = accepter.into();
        detail["chosen"] = chosen_by;
        detail["spans"] = new.len().into();
        let coder = format!("{accepter}{SUGGEST_SUFFIX}");
        let version = self.codebook.version().to_string();
        let report = self.store_mut().add_codings(
            &Author {
                coder: &coder,
                codebook_version: &version,
            },
            "accept suggestions",
            detail,
            new,
            &records,
            OnOverlap::Skip,
        )?;
        Ok(Accepted {
            entry: report.entry,
            coder,
            added: report.added,
            skipped_overlaps: report.skipped_overlaps,
        })
    }

    /// The `n` units most like a text or a passage, by TF-IDF cosine (the passage itself, and
    /// units overlapping it, left out), with the codes that mark each.
    pub fn similar(&self, query: &Query, n: usize, unit: UnitKind) -> Result<Vec<Similar>> {
        let options = Options {
            unit,
            features: Some(Features::Tfidf),
            ..Options::default()
        };
        Ok(self.similar_with(query, n, &options)?.similar)
    }

    /// The `n` units (`options.unit`) most like a text or a passage: by the cosine of sentence
    /// vectors when the features include embeddings (by default, when a model is installed),
    /// by TF-IDF cosine otherwise; the passage itself, and units overlapping it, left out.
    pub fn similar_with(&self, query: &Query, n: usize, options: &Options) -> Result<SimilarFound> {
        let (text, exclude) = match query {
            Query::Text(text) => (text.clone(), None),
            Query::Passage {
                document,
                start,
                end,
            } => {
                let doc = self.document(document)?;
                let text = doc.slice(*start, *end).ok_or_else(|| {
                    Error::argument(
                        "passage",
                        format!(
                            "{}..{} is outside {} (it has {} characters)",
                            start,
                            end,
                            doc.id,
                            doc.len_chars()
                        ),
                    )
                })?;
                let index = self.document_index(&doc.id).unwrap_or(0);
                (text.to_string(), Some((index, *start, *end)))
            }
        };
        let passages = self.passages(options)?;
        let all_units = &passages.units;
        let corpus = &passages.corpus;
        let kept = |u: &Unit| {
            exclude.is_none_or(|(d, s, e)| {
                u.document != d || units::overlap((u.start, u.end), (s, e)) == 0
            })
        };
        let mut ranked: Vec<(f32, usize)> = match &passages.dense {
            Some(dense) => {
                let chosen = self.chosen_features(options)?;
                let (wanted, _) = features::embed(self.root(), &chosen, &[text.as_str()])?
                    .expect("the same model embeds the query");
                all_units
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| kept(u))
                    .map(|(i, _)| (dense_cosine(&wanted[0], &dense[i]), i))
                    .collect()
            }
            None => {
                let everything: Vec<usize> = (0..all_units.len()).collect();
                let weighting = Weighting::fit(corpus, &everything, 1, options.max_terms);
                let wanted = weighting.vector(&corpus.terms_of(&text));
                if wanted.is_empty() {
                    return Err(Error::argument(
                        "text",
                        "none of its words is in the project's documents, so nothing can be like it",
                    ));
                }
                all_units
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| kept(u))
                    .map(|(i, _)| (cosine(&wanted, &weighting.vector(&corpus.units[i])), i))
                    .filter(|(similarity, _)| *similarity > 0.0)
                    .collect()
            }
        };
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.truncate(n);
        let codings = self.codings()?;
        let mut by_document: BTreeMap<usize, Vec<(usize, usize, &str)>> = BTreeMap::new();
        for coding in &codings {
            if let Some(i) = self.document_index(&coding.document) {
                by_document.entry(i).or_default().push((
                    coding.start,
                    coding.end,
                    coding.code.as_str(),
                ));
            }
        }
        let documents = self.documents();
        let similar = ranked
            .into_iter()
            .map(|(similarity, i)| {
                let u = all_units[i];
                let mut codes: BTreeSet<String> = BTreeSet::new();
                if let Some(list) = by_document.get(&u.document) {
                    let mut by_code: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
                    for &(s, e, code) in list {
                        if units::overlap((u.start, u.end), (s, e)) > 0 {
                            by_code.entry(code).or_default().push((s, e));
                        }
                    }
                    for (code, mut spans) in by_code {
                        spans.sort_unstable();
                        if units::label((u.start, u.end), &spans).0 {
                            codes.insert(code.to_string());
                        }
                    }
                }
                Similar {
                    document: documents[u.document].id.clone(),
                    start: u.start,
                    end: u.end,
                    text: documents[u.document]
                        .slice(u.start, u.end)
                        .unwrap_or("")
                        .to_string(),
                    similarity: similarity as f64,
                    codes: codes.into_iter().collect(),
                }
            })
            .collect();
        Ok(SimilarFound {
            similar,
            features: if passages.dense.is_some() {
                Features::Embeddings
            } else {
                Features::Tfidf
            },
            model: passages.model.clone(),
        })
    }
}
