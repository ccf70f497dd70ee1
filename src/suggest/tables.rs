//! Suggestions, evaluations and similar passages as tables, the form every front end shows.

use super::{Evaluation, Similar, SimilarFound, Suggestions};
use crate::analysis::table::{Table, Values, shorten};
use crate::error::Result;

/// Characters of a coded example quoted as the reason for a suggestion.
const REASON_CHARS: usize = 120;

fn text(values: impl Iterator<Item = String>) -> Values {
    Values::Text(values.map(Some).collect())
}

fn integer(values: impl Iterator<Item = usize>) -> Values {
    Values::Integer(values.map(|v| Some(v as i64)).collect())
}

impl Suggestions {
    /// One row per suggestion: `row` (its rank, to accept it by), document, start, end, text,
    /// score and `nearest`, the coded passages most like it; the evaluation is the title.
    pub fn table(&self) -> Result<Table> {
        let s = &self.suggestions;
        let nearest = s.iter().map(|s| {
            s.nearest
                .iter()
                .map(|n| {
                    format!(
                        "{} ({} {}..{}, {:.2})",
                        shorten(&n.text, REASON_CHARS),
                        n.document,
                        n.start,
                        n.end,
                        n.similarity
                    )
                })
                .collect::<Vec<_>>()
                .join(" | ")
        });
        let table = Table::new(vec![
            ("row".into(), integer(s.iter().map(|s| s.rank))),
            (
                "document".into(),
                text(s.iter().map(|s| s.document.clone())),
            ),
            ("start".into(), integer(s.iter().map(|s| s.start))),
            ("end".into(), integer(s.iter().map(|s| s.end))),
            ("text".into(), text(s.iter().map(|s| s.text.clone()))),
            (
                "score".into(),
                Values::Number(s.iter().map(|s| Some(s.score)).collect()),
            ),
            ("nearest".into(), text(nearest)),
        ])?;
        Ok(table.with_title(format!(
            "Suggestions (not codings until accepted): {} of {} units not yet coded. {}",
            s.len(),
            self.scored,
            self.evaluation.summary()
        )))
    }
}

/// One row per evaluated code: what was learned from and the cross-validated figures.
pub fn evaluation_table(evaluations: &[Evaluation]) -> Result<Table> {
    let e = evaluations;
    let number = |f: &dyn Fn(&Evaluation) -> Option<f64>| Values::Number(e.iter().map(f).collect());
    let mut columns = vec![
        ("code".into(), text(e.iter().map(|e| e.code.clone()))),
        ("coders".into(), text(e.iter().map(|e| e.coders.join(", ")))),
        ("unit".into(), text(e.iter().map(|e| e.unit.name().into()))),
        ("units".into(), integer(e.iter().map(|e| e.units))),
        ("examples".into(), integer(e.iter().map(|e| e.examples))),
        ("kappa".into(), number(&|e| e.kappa)),
        ("precision".into(), number(&|e| e.precision)),
        ("recall".into(), number(&|e| e.recall)),
        (
            "features".into(),
            text(e.iter().map(|e| e.features.name().into())),
        ),
        (
            "model".into(),
            Values::Text(
                e.iter()
                    .map(|e| e.model.as_ref().map(|m| m.short_hash().to_string()))
                    .collect(),
            ),
        ),
    ];
    if e.iter().any(|e| e.against.is_some()) {
        let against = |f: &dyn Fn(&super::Against) -> Option<f64>| {
            Values::Number(e.iter().map(|e| e.against.as_ref().and_then(f)).collect())
        };
        columns.extend([
            (
                "against".into(),
                Values::Text(
                    e.iter()
                        .map(|e| e.against.as_ref().map(|a| a.coder.clone()))
                        .collect(),
                ),
            ),
            (
                "against_examples".into(),
                Values::Integer(
                    e.iter()
                        .map(|e| e.against.as_ref().map(|a| a.examples as i64))
                        .collect(),
                ),
            ),
            ("against_precision".into(), against(&|a| a.precision)),
            ("against_recall".into(), against(&|a| a.recall)),
            ("against_kappa".into(), against(&|a| a.kappa)),
            ("coders_kappa".into(), against(&|a| a.human_kappa)),
        ]);
    }
    columns.push(("folds".into(), integer(e.iter().map(|e| e.folds))));
    columns.push((
        "warning".into(),
        Values::Text(e.iter().map(|e| e.warning.clone()).collect()),
    ));
    let method = e.first().map_or(super::METHOD.to_string(), |e| {
        format!(
            "{}{}",
            e.features.method(),
            e.model
                .as_ref()
                .map_or(String::new(), |m| format!(", {}", m.summary()))
        )
    });
    Ok(Table::new(columns)?.with_title(format!(
        "How suggestions agree with the human coding ({}-fold cross-validation, {method}; a unit is predicted coded at score 0.5 or more)",
        e.first().map_or(5, |e| e.folds),
    )))
}

/// One row per similar passage: document, start, end, text, similarity and the codes on it.
pub fn similar_table(similar: &[Similar]) -> Result<Table> {
    let s = similar;
    Table::new(vec![
        (
            "document".into(),
            text(s.iter().map(|s| s.document.clone())),
        ),
        ("start".into(), integer(s.iter().map(|s| s.start))),
        ("end".into(), integer(s.iter().map(|s| s.end))),
        ("text".into(), text(s.iter().map(|s| s.text.clone()))),
        (
            "similarity".into(),
            Values::Number(s.iter().map(|s| Some(s.similarity)).collect()),
        ),
        ("codes".into(), text(s.iter().map(|s| s.codes.join(", ")))),
    ])
}

/// Similar passages, titled with what found them (TF-IDF, or which sentence model).
pub fn similar_found_table(found: &SimilarFound) -> Result<Table> {
    let by = match &found.model {
        Some(m) => format!("by meaning (cosine of sentence vectors, {})", m.summary()),
        None => "by words (TF-IDF cosine)".to_string(),
    };
    Ok(similar_table(&found.similar)?.with_title(format!("Passages most like it, {by}")))
}
